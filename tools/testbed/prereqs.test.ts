import { describe, expect, it } from "vitest";
import { isStaticElf, missingPrerequisitesMessage, PREREQUISITES } from "./prereqs";

/** A minimal 64-bit little-endian ELF header with the given program header types. */
function elf64(phTypes: number[]): Uint8Array {
  const phoff = 64;
  const phentsize = 56;
  const bytes = new Uint8Array(phoff + phentsize * phTypes.length);
  const view = new DataView(bytes.buffer);
  bytes.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0);
  view.setBigUint64(0x20, BigInt(phoff), true);
  view.setUint16(0x36, phentsize, true);
  view.setUint16(0x38, phTypes.length, true);
  phTypes.forEach((t, i) => view.setUint32(phoff + i * phentsize, t, true));
  return bytes;
}

describe("isStaticElf", () => {
  it("is true without a PT_INTERP program header", () => {
    expect(isStaticElf(elf64([1, 1, 4]))).toBe(true);
  });

  it("is false with a PT_INTERP program header (dynamically linked)", () => {
    expect(isStaticElf(elf64([6, 3, 1]))).toBe(false);
  });

  it("rejects what is not ELF", () => {
    expect(() => isStaticElf(new TextEncoder().encode("#!/bin/sh\n".padEnd(80, " ")))).toThrow(/not an ELF file/);
  });

  it("rejects a truncated program header table", () => {
    const bytes = elf64([1]);
    new DataView(bytes.buffer).setUint16(0x38, 5, true);
    expect(() => isStaticElf(bytes)).toThrow(/truncated/);
  });
});

describe("missingPrerequisitesMessage", () => {
  it("names each missing program and the apt package that provides it", () => {
    const missing = PREREQUISITES.filter(
      (p) => p.program === "caddy" || p.program === "/bin/busybox" || p.program === "ssh" || p.program === "scp",
    );
    const message = missingPrerequisitesMessage(missing);
    expect(message).toContain("caddy (the reverse proxy): install the Debian package caddy");
    expect(message).toContain(
      "/bin/busybox (the test images (FROM scratch)): install the Debian package busybox-static",
    );
    expect(message.split("\n").pop()).toBe("run: apt-get install -y busybox-static caddy openssh-client");
  });

  it("sends a missing Docker 26.1 or Compose v2 to the install script, not to Debian 12's packages", () => {
    const missing = PREREQUISITES.filter((p) => p.program.startsWith("/opt/liftoff/docker/") || p.program === "caddy");
    const message = missingPrerequisitesMessage(missing);
    expect(message).toContain(
      "/opt/liftoff/docker/usr/libexec/docker/cli-plugins/docker-compose (Compose v2.26 (`docker compose`) for the release agent): run tools/testbed/install-docker.sh",
    );
    expect(message).not.toMatch(/docker\.io|apt-get install -y .*docker-compose/);
    expect(message.split("\n").slice(-2)).toEqual([
      "run: apt-get install -y caddy",
      "run: bash tools/testbed/install-docker.sh",
    ]);
  });

  it("covers the programs the testbed and the agent run, Docker and Compose v2 from the prefix", () => {
    const programs = PREREQUISITES.map((p) => p.program);
    for (const p of [
      "/opt/liftoff/docker/usr/sbin/dockerd",
      "/opt/liftoff/docker/usr/bin/docker",
      "/opt/liftoff/docker/usr/bin/containerd",
      "/opt/liftoff/docker/usr/sbin/runc",
      "/opt/liftoff/docker/usr/libexec/docker/cli-plugins/docker-compose",
      "iptables",
      "/usr/sbin/sshd",
      "docker-registry",
      "htpasswd",
      "caddy",
      "flock",
      "python3",
      "curl",
    ]) {
      expect(programs).toContain(p);
    }
    expect(programs).not.toContain("docker-compose");
  });
});
