/**
 * The programs the test host needs, each with the Debian package that provides it, and a pure
 * check that a binary is statically linked (the test images copy /bin/busybox into an empty
 * image, so it must be busybox-static's, not the dynamically linked `busybox` package's).
 */

export interface Prerequisite {
  /** The program as looked up on PATH, or an absolute path. */
  readonly program: string;
  /** The Debian package to install when it is missing. */
  readonly aptPackage: string;
  /** What the testbed uses it for, for the error message. */
  readonly purpose: string;
}

export const PREREQUISITES: readonly Prerequisite[] = [
  { program: "dockerd", aptPackage: "docker.io", purpose: "the Docker Engine" },
  { program: "docker", aptPackage: "docker.io", purpose: "the Docker client" },
  { program: "docker-compose", aptPackage: "docker-compose", purpose: "compose (v1) for the release agent" },
  { program: "/usr/sbin/sshd", aptPackage: "openssh-server", purpose: "the SSH server of the test host" },
  { program: "ssh", aptPackage: "openssh-client", purpose: "the SSH client" },
  { program: "scp", aptPackage: "openssh-client", purpose: "copying releases to the test host" },
  { program: "ssh-keygen", aptPackage: "openssh-client", purpose: "generating the host and client keys" },
  { program: "docker-registry", aptPackage: "docker-registry", purpose: "the registry standing in for ghcr.io" },
  { program: "htpasswd", aptPackage: "apache2-utils", purpose: "the registry's bcrypt password file" },
  { program: "caddy", aptPackage: "caddy", purpose: "the reverse proxy" },
  { program: "/bin/busybox", aptPackage: "busybox-static", purpose: "the test images (FROM scratch)" },
  { program: "flock", aptPackage: "util-linux", purpose: "the release agent's lock" },
  { program: "python3", aptPackage: "python3", purpose: "the release agent's JSON handling" },
  { program: "curl", aptPackage: "curl", purpose: "the release agent's health probes" },
  { program: "useradd", aptPackage: "passwd", purpose: "creating the deploy user" },
];

/** The message for missing programs: names every missing one and the apt-get line that fixes it. */
export function missingPrerequisitesMessage(missing: readonly Prerequisite[]): string {
  const packages = [...new Set(missing.map((m) => m.aptPackage))].sort();
  return [
    "missing prerequisites:",
    ...missing.map((m) => `  ${m.program} (${m.purpose}): install the Debian package ${m.aptPackage}`),
    `run: apt-get install -y ${packages.join(" ")}`,
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
