import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { runTool, tempFile } from "../../test/tools";
import { cloudInitDigest, renderCloudInit, type CloudInitInput } from "./cloud-init";

const input: CloudInitInput = {
  deployUser: "deploy",
  deployAuthorizedKeys: ["ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExampleKeyExampleKeyExampleKeyExampleKey ops@example"],
  sshPort: 22,
  releaseRoot: "/srv/liftoff",
};

type Doc = {
  users: (
    string | { name: string; groups: string[]; lock_passwd: boolean; ssh_authorized_keys: string[]; sudo?: unknown }
  )[];
  groups: string[];
  ssh_pwauth: boolean;
  packages: string[];
  write_files: { path: string; content: string; permissions: string }[];
  runcmd: string[][];
};

function doc(i: CloudInitInput = input): Doc {
  const text = renderCloudInit(i);
  expect(text.startsWith("#cloud-config\n")).toBe(true);
  return parse(text) as Doc;
}

const file = (d: Doc, p: string) => d.write_files.find((f) => f.path === p)!.content;

describe("cloud-init", () => {
  it("passes the real `cloud-init schema`", () => {
    const rendered = tempFile("user-data.yaml", renderCloudInit(input));
    const result = runTool("cloud-init", ["schema", "--config-file", rendered], "cloud-init");
    expect(result.output).toContain("Valid cloud-config");
    expect(result.status).toBe(0);
  });

  it("is checked by a schema that does reject a broken document", () => {
    const broken = renderCloudInit(input).replace("ssh_pwauth: false", "ssh_pwauth: [not, a, boolean]");
    const result = runTool("cloud-init", ["schema", "--config-file", tempFile("broken.yaml", broken)], "cloud-init");
    expect(result.status).not.toBe(0);
  });

  it("creates an unprivileged deploy user in the docker group that logs in by key only", () => {
    const d = doc();
    const deploy = d.users.find((u) => typeof u === "object" && u.name === "deploy") as Exclude<
      Doc["users"][number],
      string
    >;
    expect(deploy.groups).toEqual(["docker"]);
    expect(deploy.lock_passwd).toBe(true);
    expect(deploy.sudo).toBeUndefined();
    expect(deploy.ssh_authorized_keys).toEqual(input.deployAuthorizedKeys);
    expect(d.groups).toContain("docker");
  });

  it("turns password and root logins off", () => {
    const d = doc();
    expect(d.ssh_pwauth).toBe(false);
    const sshd = file(d, "/etc/ssh/sshd_config.d/10-liftoff.conf");
    expect(sshd).toContain("PasswordAuthentication no");
    expect(sshd).toContain("PermitRootLogin no");
    expect(sshd).toContain("KbdInteractiveAuthentication no");
    expect(sshd).not.toContain("Port ");
  });

  it("moves sshd to a configured port", () => {
    const d = doc({ ...input, sshPort: 2222 });
    expect(file(d, "/etc/ssh/sshd_config.d/10-liftoff.conf")).toContain("Port 2222");
    expect(file(d, "/etc/liftoff/host.env")).toContain("SSH_PORT=2222");
  });

  it("installs Caddy from the OS and Docker Engine with the compose plugin from Docker's apt repository", () => {
    const d = doc();
    expect(d.packages).toContain("caddy");
    const bootstrap = file(d, "/usr/local/sbin/liftoff-bootstrap");
    expect(bootstrap).toContain("https://download.docker.com/linux/ubuntu");
    expect(bootstrap).toMatch(/docker-ce .*docker-compose-plugin/s);
    expect(bootstrap).toContain("9DC858229FC7DD38854AE2D88D81803C0EBFCD88");
    expect(d.runcmd).toEqual([["/usr/local/sbin/liftoff-bootstrap"]]);
  });

  it("bounds container logs so they cannot fill the disk", () => {
    const daemon = JSON.parse(file(doc(), "/etc/docker/daemon.json")) as { "log-opts": Record<string, string> };
    expect(daemon["log-opts"]).toEqual({ "max-size": "20m", "max-file": "5" });
  });

  it("renders the same bytes for the same input (a change would replace the VM)", () => {
    expect(renderCloudInit(input)).toBe(renderCloudInit({ ...input }));
    expect(cloudInitDigest(renderCloudInit(input))).not.toBe(
      cloudInitDigest(renderCloudInit({ ...input, sshPort: 2222 })),
    );
  });

  it("stays small: far under Azure's 64 KiB custom data limit", () => {
    expect(Buffer.from(renderCloudInit(input)).toString("base64").length).toBeLessThan(16 * 1024);
  });

  it("ships a bootstrap script that shellcheck passes", () => {
    const result = runTool("shellcheck", ["--severity=style", path.join(__dirname, "bootstrap.sh")], "shellcheck");
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });
});
