import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";

export interface CloudInitInput {
  /** Unprivileged user, member of the docker group, that the deploy layer logs in as. */
  readonly deployUser: string;
  /** OpenSSH public keys allowed to log in as the deploy user. */
  readonly deployAuthorizedKeys: readonly string[];
  readonly sshPort: number;
  /** Where releases, the proxy file and the agent's state live on the host. */
  readonly releaseRoot: string;
}

const BOOTSTRAP_PATH = "/usr/local/sbin/liftoff-bootstrap";

/** The first-boot script, shipped inside the cloud-init document. */
export function bootstrapScript(): string {
  return readFileSync(path.join(__dirname, "bootstrap.sh"), "utf8");
}

/**
 * The VM's cloud-init user data. It holds only what a host needs before any release: Docker Engine
 * with the compose plugin, Caddy, the deploy user and sshd hardening. Everything that changes per
 * release belongs to the deploy layer, because Azure cannot change custom data on an existing VM:
 * any change to this document replaces the VM (see the Host component). Same input, same bytes.
 */
export function renderCloudInit(input: CloudInitInput): string {
  const document = {
    // Create the group before the users module runs, so the deploy user can join it before Docker
    // is installed; Docker's package keeps an existing docker group.
    groups: ["docker"],
    users: [
      "default",
      {
        name: input.deployUser,
        gecos: "liftoff deploy",
        groups: ["docker"],
        shell: "/bin/bash",
        lock_passwd: true,
        ssh_authorized_keys: [...input.deployAuthorizedKeys],
      },
    ],
    ssh_pwauth: false,
    disable_root: true,
    package_update: true,
    packages: ["ca-certificates", "curl", "gnupg", "jq", "caddy"],
    write_files: [
      {
        path: "/etc/liftoff/host.env",
        permissions: "0644",
        content: [
          `DEPLOY_USER=${input.deployUser}`,
          `SSH_PORT=${input.sshPort}`,
          `RELEASE_ROOT=${input.releaseRoot}`,
          "",
        ].join("\n"),
      },
      {
        // 10- sorts before cloud-init's own 50- drop-in; sshd keeps the first value it reads.
        path: "/etc/ssh/sshd_config.d/10-liftoff.conf",
        permissions: "0644",
        content: [
          ...(input.sshPort !== 22 ? [`Port ${input.sshPort}`] : []),
          "PasswordAuthentication no",
          "KbdInteractiveAuthentication no",
          "PermitRootLogin no",
          "X11Forwarding no",
          "AllowAgentForwarding no",
          "",
        ].join("\n"),
      },
      {
        // Bounded container logs (a full disk is the classic single-host outage) and containers
        // that survive a Docker Engine upgrade.
        path: "/etc/docker/daemon.json",
        permissions: "0644",
        content: `${JSON.stringify({ "log-driver": "json-file", "log-opts": { "max-size": "20m", "max-file": "5" }, "live-restore": true }, null, 2)}\n`,
      },
      { path: BOOTSTRAP_PATH, permissions: "0755", content: bootstrapScript() },
    ],
    runcmd: [[BOOTSTRAP_PATH]],
  };
  return `#cloud-config\n${stringify(document, { lineWidth: 0 })}`;
}

/** Short content hash, shown in the plan so a reviewer sees when cloud-init (and so the VM) changes. */
export function cloudInitDigest(rendered: string): string {
  return createHash("sha256").update(rendered).digest("hex").slice(0, 12);
}
