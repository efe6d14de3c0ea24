/**
 * Brings the local test host up, down, and reports on it. The impure side of tools/testbed:
 * the file contents come from the pure renderers in render.ts and images.ts.
 */
import { createHash, randomBytes } from "node:crypto";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { buildContext, imageCatalogue, imageRepository, type ImageSpec } from "./images";
import {
  AGENT_COMPOSE_PROJECTS,
  CADDY_ADMIN,
  COMPOSE_VERSION,
  deployUserPath,
  DEPLOY_USER,
  DOCKER_ENGINE_VERSION,
  DOCKER_GROUP,
  dockerInstall,
  isPinnedVersion,
  IMAGE_NAMESPACE,
  REGISTRY_HOST,
  REGISTRY_USER,
  SSH_HOST,
  SSH_PORT,
  testbedLayout,
  type TestbedLayout,
} from "./layout";
import { INSTALL_DOCKER_SCRIPT, isStaticElf, missingPrerequisitesMessage, PREREQUISITES } from "./prereqs";
import {
  childPids,
  httpStatus,
  livePid,
  logTail,
  pidAlive,
  run,
  runOk,
  spawnDetached,
  stopPid,
  tcpOpen,
  waitUntil,
  which,
  writeIfChanged,
} from "./proc";
import {
  renderAuthorizedKeys,
  renderCaddyEntry,
  renderInitialProxyFile,
  renderKnownHosts,
  renderRegistryConfig,
  renderSshdConfig,
  renderTestbedJson,
  testbedInfo,
} from "./render";

export type Outcome = "started" | "already running" | "restarted" | "stopped" | "not running";

export interface Reporter {
  step(component: string, message: string): void;
}

export const consoleReporter: Reporter = {
  step(component, message) {
    process.stdout.write(`testbed: ${component}: ${message}\n`);
  },
};

function rel(layout: TestbedLayout, file: string): string {
  return file.startsWith(layout.repoRoot + path.sep) ? path.relative(layout.repoRoot, file) : file;
}

// ---------------------------------------------------------------------------------------------
// prerequisites

export function checkPrerequisites(): void {
  if (process.getuid?.() !== 0) {
    throw new Error("the testbed must run as root: it creates the deploy user and starts sshd, dockerd and caddy");
  }
  const missing = PREREQUISITES.filter((p) => which(p.program) === undefined);
  if (missing.length > 0) throw new Error(missingPrerequisitesMessage(missing));
  if (!isStaticElf(fs.readFileSync("/bin/busybox"))) {
    throw new Error(
      "/bin/busybox is dynamically linked, but the test images are built FROM scratch and need a static one: " +
        "install the Debian package busybox-static",
    );
  }
}

// ---------------------------------------------------------------------------------------------
// dockerd

/** Docker Engine 26.1 and Compose v2 from install-docker.sh's prefix, run by path. */
const DOCKER = dockerInstall();

/** The prefix's programs first: dockerd finds containerd, runc, docker-proxy and docker-init there. */
function dockerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    PATH: [...DOCKER.binDirs, process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin"].join(":"),
  };
}

/** Runs the testbed's docker CLI (26.1), never whichever `docker` is first on PATH. */
function docker(args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}) {
  return run(DOCKER.docker, args, { ...opts, env: { ...dockerEnv(), ...opts.env } });
}

function dockerOk(args: readonly string[], opts: { input?: string; env?: NodeJS.ProcessEnv } = {}): string {
  return runOk(DOCKER.docker, args, { ...opts, env: { ...dockerEnv(), ...opts.env } });
}

/** The engine's version when it answers, else undefined (`docker info` exits 0 without an engine). */
function dockerServerVersion(): string | undefined {
  const r = docker(["version", "--format", "{{.Server.Version}}"], { timeoutMs: 15_000 });
  const version = r.stdout.trim();
  return r.status === 0 && version !== "" ? version : undefined;
}

function dockerAnswers(): boolean {
  return dockerServerVersion() !== undefined;
}

/** Throws unless the engine on /var/run/docker.sock is the pinned one. */
function checkEngineVersion(version: string, layout: TestbedLayout): void {
  if (isPinnedVersion(version, DOCKER_ENGINE_VERSION)) return;
  const ours = dockerdStartedByTestbed(layout) !== undefined;
  throw new Error(
    `the Docker Engine answering on /var/run/docker.sock is ${version}, but the test host runs ${DOCKER_ENGINE_VERSION} ` +
      `(${DOCKER.dockerd}, from ${INSTALL_DOCKER_SCRIPT}): ` +
      (ours
        ? "run `npm run testbed -- down`, then up again"
        : "stop that engine (e.g. `systemctl stop docker docker.socket`), then run `npm run testbed -- up` again"),
  );
}

function dockerdStartedByTestbed(layout: TestbedLayout): number | undefined {
  const pid = livePid(layout.dockerdStartedMarker);
  if (pid === undefined) return undefined;
  const comm = fs.existsSync(`/proc/${pid}/comm`) ? fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim() : "";
  return comm === "dockerd" ? pid : undefined;
}

async function upDockerd(layout: TestbedLayout, r: Reporter): Promise<Outcome> {
  const running = dockerServerVersion();
  if (running !== undefined) {
    checkEngineVersion(running, layout);
    const ours = dockerdStartedByTestbed(layout);
    r.step("dockerd", `${running} already running${ours ? ` (pid ${ours}, started by the testbed)` : ""}`);
    return "already running";
  }
  r.step("dockerd", `starting ${DOCKER.dockerd} (log ${rel(layout, layout.dockerdLog)})`);
  const pid = spawnDetached(DOCKER.dockerd, [], layout.dockerdLog, dockerEnv());
  fs.mkdirSync(layout.runDir, { recursive: true });
  fs.writeFileSync(layout.dockerdStartedMarker, `${pid}\n`);
  try {
    await waitUntil("dockerd to answer `docker version`", () => pidAlive(pid) && dockerAnswers(), 90_000, 500);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- ${rel(layout, layout.dockerdLog)}:\n${logTail(layout.dockerdLog)}`);
  }
  const version = dockerServerVersion() ?? "?";
  checkEngineVersion(version, layout);
  r.step("dockerd", `${version} up (pid ${pid})`);
  return "started";
}

// ---------------------------------------------------------------------------------------------
// deploy user, keys

interface PasswdEntry {
  readonly uid: number;
  readonly gid: number;
  readonly home: string;
}

function passwdEntry(user: string): PasswdEntry | undefined {
  const r = run("getent", ["passwd", user]);
  if (r.status !== 0) return undefined;
  const f = r.stdout.trim().split(":");
  return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? `/home/${user}` };
}

/**
 * dockerd gives its socket to the group `docker` only when the group exists as it starts (Debian's
 * docker.io package creates it; the unpacked one does not), so the group comes first.
 */
function ensureDockerGroup(r: Reporter): void {
  if (run("getent", ["group", DOCKER_GROUP]).status !== 0) {
    runOk("groupadd", ["--system", DOCKER_GROUP]);
    r.step("user", `created group ${DOCKER_GROUP}`);
  }
}

/** The socket of an engine started before the group existed is root's only: hand it to the group. */
function ensureSocketGroup(r: Reporter): void {
  const socket = "/var/run/docker.sock";
  const gid = Number(runOk("getent", ["group", DOCKER_GROUP]).split(":")[2]);
  const st = fs.statSync(socket);
  if (st.gid !== gid || (st.mode & 0o060) !== 0o060) {
    fs.chownSync(socket, st.uid, gid);
    fs.chmodSync(socket, 0o660);
    r.step("dockerd", `${socket} handed to group ${DOCKER_GROUP} (mode 0660)`);
  }
}

function ensureDeployUser(r: Reporter): PasswdEntry {
  ensureDockerGroup(r);
  let entry = passwdEntry(DEPLOY_USER);
  if (!entry) {
    runOk("useradd", ["--create-home", "--shell", "/bin/bash", "--user-group", "--groups", DOCKER_GROUP, DEPLOY_USER]);
    entry = passwdEntry(DEPLOY_USER);
    if (!entry) throw new Error(`useradd did not create ${DEPLOY_USER}`);
    r.step("user", `created ${DEPLOY_USER} (home ${entry.home}, group ${DOCKER_GROUP})`);
  } else {
    r.step("user", `${DEPLOY_USER} exists (home ${entry.home})`);
  }
  const groups = runOk("id", ["-nG", DEPLOY_USER]).trim().split(/\s+/);
  if (!groups.includes(DOCKER_GROUP)) {
    runOk("usermod", ["-aG", DOCKER_GROUP, DEPLOY_USER]);
    r.step("user", `added ${DEPLOY_USER} to group ${DOCKER_GROUP}`);
  }
  // A password field starting with "!" is a locked account, which sshd refuses even for keys
  // (UsePAM no); "*" means no password can ever match, which is what we want.
  const shadow = run("getent", ["shadow", DEPLOY_USER]).stdout.split(":")[1] ?? "";
  if (shadow !== "*") runOk("usermod", ["-p", "*", DEPLOY_USER]);
  fs.mkdirSync(entry.home, { recursive: true });
  fs.chownSync(entry.home, entry.uid, entry.gid);
  return entry;
}

function ensureKey(file: string, comment: string): void {
  if (fs.existsSync(file) && fs.existsSync(`${file}.pub`)) return;
  fs.rmSync(file, { force: true });
  fs.rmSync(`${file}.pub`, { force: true });
  runOk("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f", file]);
}

function ensureKeysAndAccess(layout: TestbedLayout, user: PasswdEntry, r: Reporter): void {
  fs.mkdirSync(layout.ssh.dir, { recursive: true, mode: 0o700 });
  fs.chmodSync(layout.ssh.dir, 0o700);
  ensureKey(layout.ssh.hostKey, "liftoff-testbed-host");
  ensureKey(layout.ssh.clientKey, "liftoff-testbed-client");
  fs.chmodSync(layout.ssh.hostKey, 0o600);
  fs.chmodSync(layout.ssh.clientKey, 0o600);
  writeIfChanged(
    layout.ssh.knownHosts,
    renderKnownHosts(SSH_HOST, SSH_PORT, fs.readFileSync(`${layout.ssh.hostKey}.pub`, "utf8")),
    0o644,
  );
  const sshDir = path.join(user.home, ".ssh");
  fs.mkdirSync(sshDir, { recursive: true, mode: 0o700 });
  fs.chmodSync(sshDir, 0o700);
  fs.chownSync(sshDir, user.uid, user.gid);
  const authorized = path.join(sshDir, "authorized_keys");
  const changed = writeIfChanged(
    authorized,
    renderAuthorizedKeys(fs.readFileSync(`${layout.ssh.clientKey}.pub`, "utf8")),
    0o600,
  );
  fs.chownSync(authorized, user.uid, user.gid);
  r.step("keys", `host and client keys in ${rel(layout, layout.ssh.dir)}${changed ? ", authorized_keys written" : ""}`);

  // The agent's root, as cloud-init prepares /srv/liftoff on a real host.
  for (const dir of [layout.agentRoot, path.dirname(layout.agentProxyFile)]) {
    fs.mkdirSync(dir, { recursive: true });
    fs.chownSync(dir, user.uid, user.gid);
  }
  if (!fs.existsSync(layout.agentProxyFile)) {
    fs.writeFileSync(layout.agentProxyFile, renderInitialProxyFile(), { mode: 0o644 });
    fs.chownSync(layout.agentProxyFile, user.uid, user.gid);
  }
}

// ---------------------------------------------------------------------------------------------
// sshd

function sshArgs(layout: TestbedLayout): string[] {
  return [
    "-i",
    layout.ssh.clientKey,
    "-o",
    `UserKnownHostsFile=${layout.ssh.knownHosts}`,
    "-o",
    "StrictHostKeyChecking=yes",
    "-o",
    "BatchMode=yes",
    "-o",
    "ConnectTimeout=5",
    "-p",
    String(SSH_PORT),
    `${DEPLOY_USER}@${SSH_HOST}`,
  ];
}

interface SshDockerVersions {
  readonly docker: string;
  readonly client: string;
  readonly server: string;
  readonly compose: string;
}

/**
 * Which docker the deploy user (and so the agent) runs over SSH, and its versions; a message
 * when it is not the testbed's Docker 26.1 CLI with Compose v2.
 */
function sshDockerVersions(layout: TestbedLayout): SshDockerVersions | string {
  const res = run(
    "ssh",
    [
      ...sshArgs(layout),
      "command -v docker; docker version --format '{{.Client.Version}} {{.Server.Version}}'; docker compose version --short",
    ],
    { timeoutMs: 30_000 },
  );
  const [dockerPath = "", versions = "", compose = ""] = res.stdout.trim().split("\n");
  const [client = "", server = ""] = versions.trim().split(/\s+/);
  const found = { docker: dockerPath.trim(), client, server, compose: compose.trim() };
  const ok =
    res.status === 0 &&
    found.docker === DOCKER.docker &&
    isPinnedVersion(client, DOCKER_ENGINE_VERSION) &&
    isPinnedVersion(server, DOCKER_ENGINE_VERSION) &&
    isPinnedVersion(found.compose, COMPOSE_VERSION);
  if (ok) return found;
  return (
    `over ssh, ${DEPLOY_USER} must run ${DOCKER.docker} (Docker ${DOCKER_ENGINE_VERSION}) with Compose v${COMPOSE_VERSION}; ` +
    `found docker ${JSON.stringify(found.docker)}, client ${JSON.stringify(client)}, engine ${JSON.stringify(server)}, compose ${JSON.stringify(found.compose)}` +
    `${res.stderr.trim() ? `\n${res.stderr.trim()}` : ""}\nrun ${INSTALL_DOCKER_SCRIPT} (it links the Compose plugin into /usr/local/lib/docker/cli-plugins)`
  );
}

/** What the deploy user gets over SSH: its groups, or undefined when login fails. */
function sshGroups(layout: TestbedLayout): string[] | undefined {
  const res = run("ssh", [...sshArgs(layout), "id -nG"], { timeoutMs: 20_000 });
  return res.status === 0 ? res.stdout.trim().split(/\s+/) : undefined;
}

async function upSshd(layout: TestbedLayout, r: Reporter): Promise<Outcome> {
  const config = renderSshdConfig({
    listenAddress: SSH_HOST,
    port: SSH_PORT,
    hostKeyPath: layout.ssh.hostKey,
    pidFile: layout.ssh.pidFile,
    allowUser: DEPLOY_USER,
    path: deployUserPath(DOCKER),
  });
  const changed = writeIfChanged(layout.ssh.config, config, 0o600);
  // sshd's privilege separation directory (systemd creates it on a booted host).
  fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
  runOk("/usr/sbin/sshd", ["-t", "-f", layout.ssh.config]);

  let outcome: Outcome;
  const running = livePid(layout.ssh.pidFile);
  if (running !== undefined && !changed) {
    outcome = "already running";
    r.step("sshd", `already running (pid ${running})`);
  } else {
    if (running !== undefined) {
      r.step("sshd", "sshd_config changed: restarting");
      await stopPid(running, 10_000);
    } else if (await tcpOpen(SSH_HOST, SSH_PORT)) {
      throw new Error(`port ${SSH_HOST}:${SSH_PORT} is in use by a process the testbed did not start`);
    }
    r.step("sshd", `starting on ${SSH_HOST}:${SSH_PORT} (log ${rel(layout, layout.ssh.log)})`);
    runOk("/usr/sbin/sshd", ["-f", layout.ssh.config, "-E", layout.ssh.log]);
    await waitUntil(
      `sshd to listen on ${SSH_HOST}:${SSH_PORT}`,
      async () => livePid(layout.ssh.pidFile) !== undefined && (await tcpOpen(SSH_HOST, SSH_PORT)),
      20_000,
    );
    outcome = running !== undefined ? "restarted" : "started";
  }
  const groups = sshGroups(layout);
  if (!groups) {
    throw new Error(
      `ssh login as ${DEPLOY_USER} failed\n--- ${rel(layout, layout.ssh.log)}:\n${logTail(layout.ssh.log)}`,
    );
  }
  if (!groups.includes(DOCKER_GROUP)) throw new Error(`${DEPLOY_USER} is not in group ${DOCKER_GROUP} over ssh`);
  r.step("sshd", `up (pid ${livePid(layout.ssh.pidFile)}); ${DEPLOY_USER} logs in with the generated key`);
  const tools = sshDockerVersions(layout);
  if (typeof tools === "string") throw new Error(tools);
  r.step(
    "sshd",
    `over ssh ${DEPLOY_USER} runs ${tools.docker} (client ${tools.client}, engine ${tools.server}) and Compose ${tools.compose}`,
  );
  return outcome;
}

// ---------------------------------------------------------------------------------------------
// registry

function readOrCreateSecret(file: string): string {
  try {
    const value = fs.readFileSync(file, "utf8").trim();
    if (value.length >= 16) return value;
  } catch {
    // create below
  }
  const value = randomBytes(24).toString("base64url");
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${value}\n`, { mode: 0o600 });
  return value;
}

function basicAuth(user: string, password: string): Record<string, string> {
  return { Authorization: `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}` };
}

async function upRegistry(layout: TestbedLayout, password: string, r: Reporter): Promise<Outcome> {
  fs.mkdirSync(layout.registry.storage, { recursive: true });
  const httpSecret = readOrCreateSecret(path.join(layout.registry.dir, "http-secret"));
  let changed = writeIfChanged(
    layout.registry.config,
    renderRegistryConfig({
      addr: REGISTRY_HOST,
      storageDir: layout.registry.storage,
      htpasswdPath: layout.registry.htpasswd,
      realm: "liftoff-testbed",
      httpSecret,
    }),
    0o600,
  );
  const verified =
    fs.existsSync(layout.registry.htpasswd) &&
    run("htpasswd", ["-v", "-i", layout.registry.htpasswd, REGISTRY_USER], { input: password }).status === 0;
  if (!verified) {
    // -i: the password comes on stdin, never in argv.
    runOk("htpasswd", ["-B", "-i", "-c", layout.registry.htpasswd, REGISTRY_USER], { input: password });
    fs.chmodSync(layout.registry.htpasswd, 0o600);
    changed = true;
  }

  const url = `http://${REGISTRY_HOST}/v2/`;
  const running = livePid(layout.registry.pidFile);
  if (running !== undefined && !changed && (await httpStatus(url, basicAuth(REGISTRY_USER, password))) === 200) {
    r.step("registry", `already running (pid ${running})`);
    return "already running";
  }
  if (running !== undefined) {
    r.step("registry", "configuration changed: restarting");
    await stopPid(running, 10_000);
  } else if (await tcpOpen("127.0.0.1", 5000)) {
    throw new Error(`port ${REGISTRY_HOST} is in use by a process the testbed did not start`);
  }
  r.step("registry", `starting on ${REGISTRY_HOST} (log ${rel(layout, layout.registry.log)})`);
  const pid = spawnDetached("docker-registry", ["serve", layout.registry.config], layout.registry.log);
  fs.writeFileSync(layout.registry.pidFile, `${pid}\n`);
  try {
    await waitUntil(
      `the registry to answer ${url}`,
      async () => pidAlive(pid) && (await httpStatus(url)) === 401,
      30_000,
    );
    if ((await httpStatus(url, basicAuth(REGISTRY_USER, password))) !== 200) {
      throw new Error("the registry refuses the generated password");
    }
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\n--- ${rel(layout, layout.registry.log)}:\n${logTail(layout.registry.log)}`,
    );
  }
  r.step("registry", `up (pid ${pid}), htpasswd (bcrypt) auth for user ${REGISTRY_USER}`);
  return running !== undefined ? "restarted" : "started";
}

// ---------------------------------------------------------------------------------------------
// caddy

async function upCaddy(layout: TestbedLayout, r: Reporter): Promise<Outcome> {
  const changed = writeIfChanged(
    layout.caddy.entryCaddyfile,
    renderCaddyEntry({ admin: CADDY_ADMIN, proxyFile: layout.agentProxyFile }),
    0o644,
  );
  // The deploy user runs `caddy reload --config <entry>`: every directory on the way must be
  // searchable and the entry readable.
  for (let dir = path.dirname(layout.caddy.entryCaddyfile); dir !== "/"; dir = path.dirname(dir)) {
    const mode = fs.statSync(dir).mode;
    if ((mode & 0o001) === 0) {
      throw new Error(`${dir} is not searchable by ${DEPLOY_USER}, who must read ${layout.caddy.entryCaddyfile}`);
    }
  }
  fs.chmodSync(layout.caddy.dir, 0o755);
  fs.mkdirSync(layout.caddy.dataDir, { recursive: true });
  const adminUrl = `http://${CADDY_ADMIN}/config/`;
  const running = livePid(layout.caddy.pidFile);
  if (running !== undefined && (await httpStatus(adminUrl)) === 200) {
    if (changed) {
      runOk("caddy", [
        "reload",
        "--config",
        layout.caddy.entryCaddyfile,
        "--adapter",
        "caddyfile",
        "--address",
        CADDY_ADMIN,
      ]);
      r.step("caddy", `entry changed: reloaded (pid ${running})`);
      return "restarted";
    }
    r.step("caddy", `already running (pid ${running})`);
    return "already running";
  }
  if (await tcpOpen("127.0.0.1", 2019)) {
    throw new Error(`the Caddy admin address ${CADDY_ADMIN} is in use by a process the testbed did not start`);
  }
  r.step("caddy", `starting, admin ${CADDY_ADMIN}, entry ${rel(layout, layout.caddy.entryCaddyfile)}`);
  const env = {
    ...process.env,
    HOME: layout.caddy.dataDir,
    XDG_DATA_HOME: layout.caddy.dataDir,
    XDG_CONFIG_HOME: layout.caddy.dataDir,
  };
  const pid = spawnDetached(
    "caddy",
    ["run", "--config", layout.caddy.entryCaddyfile, "--adapter", "caddyfile", "--pidfile", layout.caddy.pidFile],
    layout.caddy.log,
    env,
  );
  fs.writeFileSync(layout.caddy.pidFile, `${pid}\n`);
  try {
    await waitUntil(
      `caddy's admin API at ${adminUrl}`,
      async () => pidAlive(pid) && (await httpStatus(adminUrl)) === 200,
      30_000,
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}\n--- ${rel(layout, layout.caddy.log)}:\n${logTail(layout.caddy.log)}`);
  }
  r.step("caddy", `up (pid ${pid}), imports ${layout.agentProxyFile}`);
  return "started";
}

// ---------------------------------------------------------------------------------------------
// images

interface BuiltState {
  [key: string]: { contextHash: string; ref: string } | undefined;
}

export function contextHash(spec: ImageSpec, busyboxSha256: string): string {
  const ctx = buildContext(spec);
  const h = createHash("sha256");
  h.update(`busybox ${busyboxSha256}\n`);
  h.update(`Dockerfile\n${ctx.dockerfile}\n`);
  for (const f of [...ctx.files].sort((a, b) => (a.path < b.path ? -1 : 1))) {
    h.update(`${f.path} ${f.mode.toString(8)} ${createHash("sha256").update(f.content).digest("hex")}\n`);
  }
  return h.digest("hex");
}

async function registryHasManifest(ref: string, password: string): Promise<boolean> {
  const m = /^([^/]+)\/(.+)@(sha256:[0-9a-f]{64})$/.exec(ref);
  if (!m) return false;
  const status = await httpStatus(
    `http://${m[1]}/v2/${m[2]}/manifests/${m[3]}`,
    {
      ...basicAuth(REGISTRY_USER, password),
      Accept: "application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json",
    },
    5000,
    "HEAD",
  );
  return status === 200;
}

function writeContext(dir: string, spec: ImageSpec): void {
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  const ctx = buildContext(spec);
  fs.writeFileSync(path.join(dir, "Dockerfile"), ctx.dockerfile);
  fs.copyFileSync("/bin/busybox", path.join(dir, "busybox"));
  fs.chmodSync(path.join(dir, "busybox"), 0o755);
  for (const f of ctx.files) {
    const file = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, f.content);
    fs.chmodSync(file, f.mode);
  }
}

async function upImages(
  layout: TestbedLayout,
  password: string,
  r: Reporter,
): Promise<{ images: Record<string, Record<string, string>>; built: number; reused: number }> {
  const busyboxSha = createHash("sha256").update(fs.readFileSync("/bin/busybox")).digest("hex");
  let state: BuiltState = {};
  try {
    state = JSON.parse(fs.readFileSync(layout.images.builtState, "utf8")) as BuiltState;
  } catch {
    state = {};
  }
  const images: Record<string, Record<string, string>> = {};
  const specs = imageCatalogue();
  let built = 0;
  let reused = 0;
  // Docker credentials for the push live in a private directory removed right after.
  const dockerConfig = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-testbed-docker-"));
  fs.chmodSync(dockerConfig, 0o700);
  let loggedIn = false;
  try {
    for (const spec of specs) {
      const key = `${spec.name}:${spec.tag}`;
      const hash = contextHash(spec, busyboxSha);
      const previous = state[key];
      if (previous && previous.contextHash === hash && (await registryHasManifest(previous.ref, password))) {
        (images[spec.name] ??= {})[spec.tag] = previous.ref;
        reused++;
        continue;
      }
      if (!loggedIn) {
        dockerOk(["--config", dockerConfig, "login", REGISTRY_HOST, "--username", REGISTRY_USER, "--password-stdin"], {
          input: password,
        });
        loggedIn = true;
      }
      const repo = imageRepository(REGISTRY_HOST, IMAGE_NAMESPACE, spec.name);
      const tagRef = `${repo}:${spec.tag}`;
      const ctxDir = path.join(layout.images.dir, spec.name, spec.tag);
      writeContext(ctxDir, spec);
      r.step("images", `building ${tagRef} (${spec.variant})`);
      dockerOk(["build", "--quiet", "--tag", tagRef, ctxDir], { env: { DOCKER_BUILDKIT: "0" } });
      dockerOk(["--config", dockerConfig, "push", "--quiet", tagRef]);
      const digests = JSON.parse(
        dockerOk(["image", "inspect", "--format", "{{json .RepoDigests}}", tagRef]),
      ) as string[];
      const ref = digests.find((d) => d.startsWith(`${repo}@sha256:`));
      if (!ref) throw new Error(`no registry digest recorded for ${tagRef} after the push`);
      // The test host must pull like a real host: drop the local build copy.
      dockerOk(["image", "rm", tagRef]);
      (images[spec.name] ??= {})[spec.tag] = ref;
      state[key] = { contextHash: hash, ref };
      fs.mkdirSync(layout.images.dir, { recursive: true });
      fs.writeFileSync(layout.images.builtState, `${JSON.stringify(state, null, 2)}\n`);
      r.step("images", `pushed ${ref}`);
      built++;
    }
  } finally {
    fs.rmSync(dockerConfig, { recursive: true, force: true });
  }
  r.step("images", `${built} built and pushed, ${reused} already in the registry`);
  return { images, built, reused };
}

// ---------------------------------------------------------------------------------------------
// up / down / status

export interface UpSummary {
  readonly started: string[];
  readonly alreadyRunning: string[];
  readonly testbedJson: string;
}

export async function up(repoRoot: string, r: Reporter = consoleReporter): Promise<UpSummary> {
  checkPrerequisites();
  r.step("prerequisites", "all programs present, /bin/busybox is static");
  const started: string[] = [];
  const already: string[] = [];
  const note = (name: string, outcome: Outcome): void => {
    (outcome === "already running" ? already : started).push(outcome === "restarted" ? `${name} (restarted)` : name);
  };

  let layout = testbedLayout(repoRoot);
  fs.mkdirSync(layout.runDir, { recursive: true });
  fs.chmodSync(layout.dir, 0o755);
  ensureDockerGroup(r);
  note("dockerd", await upDockerd(layout, r));
  ensureSocketGroup(r);
  const user = ensureDeployUser(r);
  layout = testbedLayout(repoRoot, user.home);
  ensureKeysAndAccess(layout, user, r);
  note("sshd", await upSshd(layout, r));
  const password = readOrCreateSecret(layout.registry.passwordFile);
  note("registry", await upRegistry(layout, password, r));
  note("caddy", await upCaddy(layout, r));
  const { images } = await upImages(layout, password, r);

  writeIfChanged(layout.testbedJson, renderTestbedJson(testbedInfo(layout, password, images)), 0o600);
  return { started, alreadyRunning: already, testbedJson: layout.testbedJson };
}

export interface ComponentStatus {
  readonly name: string;
  readonly up: boolean;
  readonly detail: string;
}

export async function status(repoRoot: string): Promise<ComponentStatus[]> {
  const home = passwdEntry(DEPLOY_USER)?.home;
  const layout = testbedLayout(repoRoot, home);
  const result: ComponentStatus[] = [];

  const engine = which(DOCKER.docker) !== undefined ? dockerServerVersion() : undefined;
  const pinned = engine !== undefined && isPinnedVersion(engine, DOCKER_ENGINE_VERSION);
  const ours = dockerdStartedByTestbed(layout);
  result.push({
    name: "dockerd",
    up: pinned,
    detail:
      engine === undefined
        ? "down"
        : `${engine} ${pinned ? "up" : `answers, but the test host runs ${DOCKER_ENGINE_VERSION}`} (${ours ? `pid ${ours}, started by the testbed` : "not started by the testbed"})`,
  });

  const sshPid = livePid(layout.ssh.pidFile);
  const sshLogin = sshPid !== undefined && home !== undefined && sshGroups(layout) !== undefined;
  result.push({
    name: "sshd",
    up: sshLogin,
    detail:
      sshPid === undefined
        ? "down"
        : sshLogin
          ? `up (pid ${sshPid}) on ${SSH_HOST}:${SSH_PORT}, login as ${DEPLOY_USER} works`
          : `running (pid ${sshPid}) but login as ${DEPLOY_USER} fails`,
  });
  if (sshLogin && engine !== undefined) {
    const tools = sshDockerVersions(layout);
    result.push({
      name: "ssh docker",
      up: typeof tools !== "string",
      detail: typeof tools === "string" ? tools : `${tools.docker} ${tools.client}, Compose ${tools.compose}`,
    });
  }

  const regPid = livePid(layout.registry.pidFile);
  const regStatus = regPid === undefined ? 0 : await httpStatus(`http://${REGISTRY_HOST}/v2/`);
  result.push({
    name: "registry",
    up: regStatus === 401,
    detail:
      regPid === undefined
        ? "down"
        : regStatus === 401
          ? `up (pid ${regPid}) on ${REGISTRY_HOST}`
          : `running (pid ${regPid}) but /v2/ answered ${regStatus}`,
  });

  const caddyPid = livePid(layout.caddy.pidFile);
  const caddyStatus = caddyPid === undefined ? 0 : await httpStatus(`http://${CADDY_ADMIN}/config/`);
  result.push({
    name: "caddy",
    up: caddyStatus === 200,
    detail:
      caddyPid === undefined
        ? "down"
        : caddyStatus === 200
          ? `up (pid ${caddyPid}), admin ${CADDY_ADMIN}`
          : `running (pid ${caddyPid}) but the admin API answered ${caddyStatus}`,
  });

  const hasJson = fs.existsSync(layout.testbedJson);
  result.push({ name: "testbed.json", up: hasJson, detail: hasJson ? layout.testbedJson : "missing" });
  return result;
}

export async function down(repoRoot: string, r: Reporter = consoleReporter): Promise<{ stopped: string[] }> {
  const home = passwdEntry(DEPLOY_USER)?.home;
  const layout = testbedLayout(repoRoot, home);
  const stopped: string[] = [];

  if (which(DOCKER.docker) !== undefined && dockerAnswers()) {
    const ids = new Set<string>();
    for (const project of AGENT_COMPOSE_PROJECTS) {
      const out = docker(["ps", "-aq", "--filter", `label=com.docker.compose.project=${project}`]).stdout;
      for (const id of out.split(/\s+/).filter(Boolean)) ids.add(id);
    }
    if (ids.size > 0) {
      r.step("containers", `stopping and removing ${ids.size} release container(s) (volumes are kept)`);
      docker(["stop", "--time", "15", ...ids]);
      docker(["rm", "--force", ...ids]);
      stopped.push(`${ids.size} release container(s)`);
    } else {
      r.step("containers", "no release containers");
    }
  }

  const stopByPidFile = async (name: string, pidFile: string): Promise<void> => {
    const pid = livePid(pidFile);
    if (pid === undefined) {
      r.step(name, "not running");
      return;
    }
    // sshd: the listener and the sessions it forked (children) go together.
    const sessions = name === "sshd" ? childPids(pid) : [];
    const how = await stopPid(pid, 15_000);
    for (const child of sessions) await stopPid(child, 5_000);
    fs.rmSync(pidFile, { force: true });
    r.step(name, how === "killed" ? `stopped (pid ${pid}, had to be killed)` : `stopped (pid ${pid})`);
    stopped.push(name);
  };
  await stopByPidFile("caddy", layout.caddy.pidFile);
  await stopByPidFile("registry", layout.registry.pidFile);
  await stopByPidFile("sshd", layout.ssh.pidFile);

  const ours = dockerdStartedByTestbed(layout);
  if (ours !== undefined) {
    const how = await stopPid(ours, 60_000);
    r.step("dockerd", `stopped (pid ${ours}${how === "killed" ? ", had to be killed" : ""})`);
    stopped.push("dockerd");
  } else if (which(DOCKER.docker) !== undefined && dockerAnswers()) {
    r.step("dockerd", "left running: the testbed did not start it");
  } else {
    r.step("dockerd", "not running");
  }
  fs.rmSync(layout.dockerdStartedMarker, { force: true });
  return { stopped };
}
