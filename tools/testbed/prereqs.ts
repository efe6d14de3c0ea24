/**
 * The programs the test host needs, each with where it comes from (a Debian package, or for Docker
 * 26.1 and Compose v2 the install script), and a pure check that a binary is statically linked
 * (the test images copy /bin/busybox into an empty image, so it must be busybox-static's, not the
 * dynamically linked `busybox` package's).
 */
import { COMPOSE_VERSION, DOCKER_ENGINE_VERSION, dockerInstall } from "./layout";

/** The script that installs Docker Engine 26.1 and Compose v2.26 into DOCKER_PREFIX. */
export const INSTALL_DOCKER_SCRIPT = "tools/testbed/install-docker.sh";

export interface Prerequisite {
  /** The program as looked up on PATH, or an absolute path. */
  readonly program: string;
  /** Where it comes from: a Debian package of the system's own sources, or INSTALL_DOCKER_SCRIPT. */
  readonly install: { readonly aptPackage: string } | { readonly script: string };
  /** What the testbed uses it for, for the error message. */
  readonly purpose: string;
}

const docker = dockerInstall();
const fromScript = { script: INSTALL_DOCKER_SCRIPT } as const;
const apt = (aptPackage: string) => ({ aptPackage }) as const;

export const PREREQUISITES: readonly Prerequisite[] = [
  { program: docker.dockerd, install: fromScript, purpose: `the Docker Engine ${DOCKER_ENGINE_VERSION}` },
  { program: docker.docker, install: fromScript, purpose: `the Docker ${DOCKER_ENGINE_VERSION} client` },
  { program: docker.containerd, install: fromScript, purpose: "the Docker Engine's container runtime" },
  { program: docker.runc, install: fromScript, purpose: "the Docker Engine's OCI runtime" },
  {
    program: docker.composePlugin,
    install: fromScript,
    purpose: `Compose v${COMPOSE_VERSION} (\`docker compose\`) for the release agent`,
  },
  { program: "iptables", install: apt("iptables"), purpose: "the Docker Engine's networking" },
  { program: "/usr/sbin/sshd", install: apt("openssh-server"), purpose: "the SSH server of the test host" },
  { program: "ssh", install: apt("openssh-client"), purpose: "the SSH client" },
  { program: "scp", install: apt("openssh-client"), purpose: "copying releases to the test host" },
  { program: "ssh-keygen", install: apt("openssh-client"), purpose: "generating the host and client keys" },
  { program: "docker-registry", install: apt("docker-registry"), purpose: "the registry standing in for ghcr.io" },
  { program: "htpasswd", install: apt("apache2-utils"), purpose: "the registry's bcrypt password file" },
  { program: "caddy", install: apt("caddy"), purpose: "the reverse proxy" },
  { program: "/bin/busybox", install: apt("busybox-static"), purpose: "the test images (FROM scratch)" },
  { program: "flock", install: apt("util-linux"), purpose: "the release agent's lock" },
  { program: "python3", install: apt("python3"), purpose: "the release agent's JSON handling" },
  { program: "curl", install: apt("curl"), purpose: "the release agent's health probes" },
  { program: "useradd", install: apt("passwd"), purpose: "creating the deploy user" },
];

/** The message for missing programs: names every missing one and the commands that fix it. */
export function missingPrerequisitesMessage(missing: readonly Prerequisite[]): string {
  const packages = [
    ...new Set(missing.flatMap((m) => ("aptPackage" in m.install ? [m.install.aptPackage] : []))),
  ].sort();
  const scripts = [...new Set(missing.flatMap((m) => ("script" in m.install ? [m.install.script] : [])))];
  return [
    "missing prerequisites:",
    ...missing.map((m) =>
      "aptPackage" in m.install
        ? `  ${m.program} (${m.purpose}): install the Debian package ${m.install.aptPackage}`
        : `  ${m.program} (${m.purpose}): run ${m.install.script} (Debian 13's packages, unpacked into ${docker.prefix})`,
    ),
    ...(packages.length > 0 ? [`run: apt-get install -y ${packages.join(" ")}`] : []),
    ...scripts.map((script) => `run: bash ${script}`),
  ].join("\n");
}

const PT_INTERP = 3;

/**
 * True when the ELF image has no program interpreter (PT_INTERP), i.e. it is statically linked
 * and runs in an empty container. Throws when the bytes are not an ELF file.
 */
export function isStaticElf(bytes: Uint8Array): boolean {
  if (bytes.length < 64 || bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46) {
    throw new Error("not an ELF file");
  }
  const is64 = bytes[4] === 2;
  const little = bytes[5] === 1;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const u16 = (off: number): number => view.getUint16(off, little);
  const u32 = (off: number): number => view.getUint32(off, little);
  const phoff = is64 ? Number(view.getBigUint64(0x20, little)) : u32(0x1c);
  const phentsize = u16(is64 ? 0x36 : 0x2a);
  const phnum = u16(is64 ? 0x38 : 0x2c);
  for (let i = 0; i < phnum; i++) {
    const off = phoff + i * phentsize;
    if (off + 4 > bytes.length) throw new Error("truncated ELF program header table");
    if (u32(off) === PT_INTERP) return false;
  }
  return true;
}
