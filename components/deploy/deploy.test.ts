import { spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { byType, reveal, runComponent } from "../../test/harness";
import {
  Deploy,
  agentArtifact,
  agentFiles,
  agentZipapp,
  applyReleaseCommand,
  applyReleaseStdin,
  bootRepairLine,
  installAgentCommand,
  releaseArchive,
  type RenderedRelease,
} from ".";

const SECRET = "postgres://orders:s3cr3t-pa55@db.example/orders";
const TOKEN = "ghp_registry_token_never_shown";
const release: RenderedRelease = {
  id: "a".repeat(64),
  files: [
    { path: "manifest.json", content: '{"format":1}\n', mode: 0o644 },
    { path: "compose.yaml", content: "services: {}\n", mode: 0o644 },
    { path: "env/orders.env", content: `DATABASE_URL=${SECRET}\n`, mode: 0o600 },
  ],
};

function declare(overrides: Partial<ConstructorParameters<typeof Deploy>[1]> = {}) {
  return runComponent(() => {
    const deploy = new Deploy("deploy", {
      connection: {
        host: "host.example",
        port: 22,
        user: "deploy",
        privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nk\n-----END OPENSSH PRIVATE KEY-----\n",
      },
      hostId: "0f8fad5b-d9cb-469f-a165-70867728950e",
      releaseRoot: "/srv/liftoff",
      release,
      registryToken: TOKEN,
      agent: Buffer.from("#!/usr/bin/env bash\necho agent\n"),
      ...overrides,
    });
    return { liveReleaseId: deploy.liveReleaseId };
  });
}

describe("Deploy component", () => {
  it("waits for the host, installs the agent, then applies the release, in that order", async () => {
    const plan = await declare();
    expect(plan.error).toBeUndefined();
    const commands = byType(plan, "command:remote:Command").map((c) => c.name);
    expect(commands).toEqual(["deploy-wait-for-host", "deploy-agent", "deploy-apply"]);
    expect(plan.outputs["liveReleaseId"]).toEqual({ value: release.id, secret: false });
  });

  it("keeps every secret off command lines, and on stdin as a secret", async () => {
    const plan = await declare();
    const apply = byType(plan, "command:remote:Command").find((c) => c.name === "deploy-apply")!;
    expect(apply.secretPaths).toEqual(expect.arrayContaining(["stdin", "connection"]));
    expect(String(apply.inputs["create"])).toContain(
      `/srv/liftoff/bin/liftoff-release apply /srv/liftoff/incoming/${release.id}`,
    );
    const everything = JSON.stringify(plan);
    expect(everything).not.toContain(TOKEN);
    expect(everything).not.toContain("s3cr3t-pa55");
    expect(everything).not.toContain("PRIVATE KEY");
  });

  it("re-applies only when the release, the agent or the host changes, and never logs stdout", async () => {
    const plan = await declare();
    const apply = byType(plan, "command:remote:Command").find((c) => c.name === "deploy-apply")!;
    expect(apply.inputs["triggers"]).toEqual([
      "0f8fad5b-d9cb-469f-a165-70867728950e",
      release.id,
      expect.stringMatching(/^[0-9a-f]{64}$/),
    ]);
    expect(apply.inputs["logging"]).toBe("stderr");
    expect(apply.options.additionalSecretOutputs).toEqual(expect.arrayContaining(["stdout", "stderr"]));
    for (const command of byType(plan, "command:remote:Command")) {
      expect(command.inputs["logging"], command.name).toBeDefined();
      expect(command.inputs["addPreviousOutputInEnv"]).toBe(false);
    }
  });

  it("retries SSH long enough for a new VM's first boot", async () => {
    const plan = await declare();
    const wait = byType(plan, "command:remote:Command").find((c) => c.name === "deploy-wait-for-host")!;
    expect(reveal(wait)["connection"]).toMatchObject({
      dialErrorLimit: 40,
      perDialTimeout: 15,
      user: "deploy",
      host: "host.example",
    });
    expect(String(wait.inputs["create"])).toContain("cloud-init status --wait");
  });
});

describe("shipping a release", () => {
  it("packs the same release into the same bytes", async () => {
    expect(await releaseArchive(release)).toBe(
      await releaseArchive({ ...release, files: [...release.files].reverse() }),
    );
  });

  /**
   * Runs the very command line the component gives the host, in bash, with a stand-in agent that
   * records what it received: proves the token reaches the agent on stdin only, the files arrive
   * readable by their owner only, and the incoming copy is removed.
   */
  function runApply(agentBody: string, token: string | undefined) {
    const root = mkdtempSync(path.join(tmpdir(), "liftoff-root-"));
    mkdirSync(path.join(root, "bin"));
    const agent = path.join(root, "bin", "liftoff-release");
    writeFileSync(agent, `#!/usr/bin/env bash\n${agentBody}\n`);
    chmodSync(agent, 0o755);
    return applyReleaseStdin(release, token).then((stdin) => {
      const result = spawnSync("bash", ["-c", applyReleaseCommand(root, release.id)], {
        input: stdin,
        encoding: "utf8",
      });
      return { root, result };
    });
  }

  it("hands the agent the unpacked release and the token on stdin", async () => {
    const { root, result } = await runApply(
      'dir="$2"; IFS= read -r token; { echo "args=$1"; echo "token=$token"; stat -c "%a %n" "$dir" "$dir"/env/orders.env; cat "$dir"/env/orders.env; } > "$(dirname "$0")/seen"',
      TOKEN,
    );
    expect(result.stderr).toBe("");
    expect(result.status).toBe(0);
    const seen = readFileSync(path.join(root, "bin", "seen"), "utf8");
    expect(seen).toContain("args=apply");
    expect(seen).toContain(`token=${TOKEN}`);
    expect(seen).toMatch(new RegExp(`^700 .*/incoming/${release.id}$`, "m"));
    expect(seen).toMatch(/^600 .*env\/orders\.env$/m);
    expect(seen).toContain(`DATABASE_URL=${SECRET}`);
    expect(existsSync(path.join(root, "incoming", release.id))).toBe(false);
  });

  it("passes the agent's failure on as the command's failure", async () => {
    const { result } = await runApply("echo 'orders is unhealthy' >&2; exit 3", TOKEN);
    expect(result.status).toBe(3);
    expect(result.stderr).toContain("orders is unhealthy");
  });

  it("installs the agent atomically from stdin, and the @reboot repair in the user's crontab once", () => {
    const root = mkdtempSync(path.join(tmpdir(), "liftoff-root-"));
    mkdirSync(path.join(root, "bin"));
    // A stand-in crontab: the test must not touch the crontab of whoever runs it.
    const fakeBin = path.join(root, "fake-bin");
    mkdirSync(fakeBin);
    const tab = path.join(root, "crontab.txt");
    writeFileSync(tab, "0 3 * * * backup\n");
    writeFileSync(
      path.join(fakeBin, "crontab"),
      `#!/bin/sh\nif [ "$1" = -l ]; then cat ${tab}; else cat > ${tab}.new && mv ${tab}.new ${tab}; fi\n`,
    );
    chmodSync(path.join(fakeBin, "crontab"), 0o755);
    const env = { ...process.env, PATH: `${fakeBin}:${process.env["PATH"] ?? ""}` };
    for (let i = 0; i < 2; i++) {
      const result = spawnSync("bash", ["-c", installAgentCommand(root)], {
        input: agentArtifact().toString("base64") + "\n",
        encoding: "utf8",
        env,
      });
      expect(result.stderr).toBe("");
      expect(result.status).toBe(0);
    }
    expect(spawnSync(path.join(root, "bin", "liftoff-release"), ["version"], { encoding: "utf8" }).stdout).toMatch(
      /^liftoff-release \d+\n$/,
    );
    expect(readFileSync(tab, "utf8")).toBe(`0 3 * * * backup\n${bootRepairLine(root)}\n`);
  });

  it("builds the agent into the same zipapp bytes from the same modules, and other bytes when one changes", () => {
    const files = agentFiles();
    expect(agentZipapp(files).equals(agentZipapp([...files].reverse()))).toBe(true);
    const changed = files.map((f, i) => (i === 0 ? { ...f, bytes: Buffer.concat([f.bytes, Buffer.from("\n")]) } : f));
    expect(agentZipapp(changed).equals(agentZipapp(files))).toBe(false);
    expect(files.map((f) => f.path)).toEqual(
      expect.arrayContaining(["liftoff_release/cli.py", "liftoff_release/manifest.py"]),
    );
  });

  it("refuses a multi-line registry token instead of corrupting the stream", async () => {
    await expect(applyReleaseStdin(release, "a\nb")).rejects.toThrow("one line");
  });
});
