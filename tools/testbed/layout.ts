/**
 * Where the local test host keeps its files, and the fixed facts about it.
 *
 * Everything the testbed generates lives under `<repo>/.testbed/` (git-ignored), except the
 * deploy user's home directory, which holds the agent's state exactly as a real host would
 * hold it under /srv/liftoff.
 */
import * as path from "node:path";

/** The local user that stands in for the VM's deploy user. */
export const DEPLOY_USER = "liftoff-deploy";
/** The group that may talk to the Docker socket. */
export const DOCKER_GROUP = "docker";

export const SSH_HOST = "127.0.0.1";
export const SSH_PORT = 2222;
export const REGISTRY_HOST = "127.0.0.1:5000";
export const REGISTRY_USER = "liftoff";
export const CADDY_ADMIN = "127.0.0.1:2019";
/** The namespace of the test images in the registry: 127.0.0.1:5000/liftoff/<name>:<tag>. */
export const IMAGE_NAMESPACE = "liftoff";

/**
 * Docker Engine 26.1 and Compose v2.26, from Debian 13's packages, unpacked by
 * tools/testbed/install-docker.sh. The testbed runs this engine and this CLI deliberately, by path,
 * never whatever `docker` comes first on the machine's PATH (which may be another client).
 */
export const DOCKER_PREFIX = "/opt/liftoff/docker";
/** The versions the testbed requires (major.minor; Debian point releases move the patch). */
export const DOCKER_ENGINE_VERSION = "26.1";
export const COMPOSE_VERSION = "2.26";

export interface DockerInstall {
  readonly prefix: string;
  readonly docker: string;
  readonly dockerd: string;
  readonly containerd: string;
  readonly runc: string;
  readonly composePlugin: string;
  /** The prefix's program directories, first on the PATH of dockerd and of the deploy user. */
  readonly binDirs: readonly string[];
}

export function dockerInstall(prefix = DOCKER_PREFIX): DockerInstall {
  const bin = path.join(prefix, "usr/bin");
  const sbin = path.join(prefix, "usr/sbin");
  return {
    prefix,
    docker: path.join(bin, "docker"),
    dockerd: path.join(sbin, "dockerd"),
    containerd: path.join(bin, "containerd"),
    runc: path.join(sbin, "runc"),
    composePlugin: path.join(prefix, "usr/libexec/docker/cli-plugins/docker-compose"),
    binDirs: [bin, sbin],
  };
}

/**
 * The PATH the deploy user gets over SSH (sshd's SetEnv): the prefix's docker ahead of any other
 * client, so the agent runs the 26.1 CLI, which finds the Compose v2 plugin through the link
 * install-docker.sh makes in /usr/local/lib/docker/cli-plugins.
 */
export function deployUserPath(docker: DockerInstall): string {
  return [...docker.binDirs, "/usr/local/bin", "/usr/bin", "/bin"].join(":");
}

/** True when a `major.minor.patch[...]` version is of the pinned `major.minor`. */
export function isPinnedVersion(version: string, pin: string): boolean {
  return version === pin || version.replace(/^v/, "").startsWith(`${pin}.`);
}

/** The compose projects the release agent creates; `down` removes their containers. */
export const AGENT_COMPOSE_PROJECTS = ["liftoff-blue", "liftoff-green", "liftoff-accessories"] as const;

export interface TestbedLayout {
  /** The repository root (the directory holding .testbed/). */
  readonly repoRoot: string;
  readonly dir: string;
  readonly runDir: string;
  readonly testbedJson: string;
  readonly dockerdLog: string;
  readonly dockerdStartedMarker: string;
  readonly ssh: {
    readonly dir: string;
    readonly config: string;
    readonly hostKey: string;
    readonly clientKey: string;
    readonly knownHosts: string;
    readonly log: string;
    readonly pidFile: string;
  };
  readonly registry: {
    readonly dir: string;
    readonly config: string;
    readonly htpasswd: string;
    readonly passwordFile: string;
    readonly storage: string;
    readonly log: string;
    readonly pidFile: string;
  };
  readonly caddy: {
    readonly dir: string;
    readonly entryCaddyfile: string;
    readonly dataDir: string;
    readonly log: string;
    readonly pidFile: string;
  };
  readonly images: {
    readonly dir: string;
    readonly builtState: string;
  };
  /** The deploy user's home directory and the agent's root there. */
  readonly deployHome: string;
  readonly agentRoot: string;
  /** The file the agent owns and writes (LIFTOFF_PROXY_FILE). */
  readonly agentProxyFile: string;
}

/** Pure: the layout for a repository root and the deploy user's home directory. */
export function testbedLayout(repoRoot: string, deployHome = `/home/${DEPLOY_USER}`): TestbedLayout {
  const dir = path.join(repoRoot, ".testbed");
  const runDir = path.join(dir, "run");
  const sshDir = path.join(dir, "ssh");
  const registryDir = path.join(dir, "registry");
  const caddyDir = path.join(dir, "caddy");
  const agentRoot = path.join(deployHome, "liftoff");
  return {
    repoRoot,
    dir,
    runDir,
    testbedJson: path.join(dir, "testbed.json"),
    dockerdLog: path.join(dir, "dockerd.log"),
    dockerdStartedMarker: path.join(runDir, "dockerd.started-by-testbed"),
    ssh: {
      dir: sshDir,
      config: path.join(sshDir, "sshd_config"),
      hostKey: path.join(sshDir, "ssh_host_ed25519_key"),
      clientKey: path.join(sshDir, "id_ed25519"),
      knownHosts: path.join(sshDir, "known_hosts"),
      log: path.join(sshDir, "sshd.log"),
      pidFile: path.join(runDir, "sshd.pid"),
    },
    registry: {
      dir: registryDir,
      config: path.join(registryDir, "config.yml"),
      htpasswd: path.join(registryDir, "htpasswd"),
      passwordFile: path.join(registryDir, "password"),
      storage: path.join(registryDir, "data"),
      log: path.join(registryDir, "registry.log"),
      pidFile: path.join(runDir, "registry.pid"),
    },
    caddy: {
      dir: caddyDir,
      entryCaddyfile: path.join(caddyDir, "Caddyfile"),
      dataDir: path.join(caddyDir, "data"),
      log: path.join(caddyDir, "caddy.log"),
      pidFile: path.join(runDir, "caddy.pid"),
    },
    images: {
      dir: path.join(dir, "images"),
      builtState: path.join(dir, "images", "built.json"),
    },
    deployHome,
    agentRoot,
    agentProxyFile: path.join(agentRoot, "proxy", "Caddyfile"),
  };
}
