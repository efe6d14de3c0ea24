/**
 * `npm run plan -- <stack> --diff <ref>` end to end, on a scratch git repository holding this
 * project's files: one commit as the base, then real edits in the working tree.
 */
import { spawnSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../test/harness";

let repo: string;

function git(...args: string[]) {
  const r = spawnSync("git", ["-c", "user.name=liftoff-test", "-c", "user.email=test@liftoff.invalid", ...args], {
    cwd: repo,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`git ${args.join(" ")}: ${r.stderr}`);
  return r.stdout;
}

function plan(...args: string[]) {
  const r = spawnSync(process.execPath, ["-r", "./tools/ts-register.js", "tools/plan/cli.ts", ...args], {
    cwd: repo,
    encoding: "utf8",
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function edit(file: string, change: (text: string) => string) {
  const full = path.join(repo, file);
  writeFileSync(full, change(readFileSync(full, "utf8")));
}

beforeAll(() => {
  repo = mkdtempSync(path.join(os.tmpdir(), "liftoff-diff-test-"));
  const files = spawnSync("git", ["ls-files", "-co", "--exclude-standard", "-z"], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  })
    .stdout.split("\0")
    .filter(Boolean);
  for (const file of files) {
    // Throwaway stacks other tests create next to the real ones are not part of the project.
    if (/^Pulumi\.(?!dev\.|prod\.)[^/]+\.yaml$/.test(file)) continue;
    mkdirSync(path.dirname(path.join(repo, file)), { recursive: true });
    try {
      cpSync(path.join(PROJECT_DIR, file), path.join(repo, file));
    } catch {
      // Listed but deleted in the working tree.
    }
  }
  symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(repo, "node_modules"), "dir");
  git("init", "-q", "-b", "main");
  git("add", "-A");
  git("commit", "-q", "-m", "base");
});

afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe("npm run plan -- <stack> --diff <ref>", () => {
  it("exits 0 and says so when the working tree plans the same as the ref", () => {
    const r = plan("dev", "--diff", "main");
    expect(r.stderr).toContain("plan: planning dev at main and in the working tree");
    expect(r.stdout).toMatch(/^dev: no changes \((\d+) -> \1 resources\)$/m);
    expect(r.status).toBe(0);
  });

  it("shows a real change by resource and input, flags the protected VM's replacement, exits 2, and leaks no secret", () => {
    edit("app/compose.yaml", (t) => t.replace("port: 8443", "port: 9443"));
    edit("Pulumi.prod.yaml", (t) => `${t.trimEnd()}\n  liftoff:sshPort: 2222\n`);
    try {
      const md = plan("prod", "--diff", "main", "--markdown");
      expect(md.status).toBe(2);
      expect(md.stdout).toContain("<!-- liftoff-plan-diff:prod -->");
      expect(md.stdout).toMatch(/### Offline plan diff for `prod`: 0 to add, \d+ to update, 4 to replace, 0 to remove/);
      expect(md.stdout).toContain(
        "| replace (protected) | `host-vm` | `azure-native:compute:VirtualMachine` | `osProfile.customData` |",
      );
      expect(md.stdout).toContain(
        "| update | `network-rule-allow-ssh-admin` | `azure-native:network:SecurityRule` | `destinationPortRange` |",
      );
      expect(md.stdout).toContain("-     destinationPortRange: 22\n+     destinationPortRange: 2222");
      expect(md.stdout).toMatch(/-\s+SSH_PORT=22\n\+\s+SSH_PORT=2222/);
      expect(md.stdout).toContain("azure-native:compute:VirtualMachine host-vm is protected and would be replaced");
      expect(md.stdout).toContain(
        "`endpoints.identity-service` | `https://liftoff-acme-prod.westeurope.cloudapp.azure.com:8443` | `https://liftoff-acme-prod.westeurope.cloudapp.azure.com:9443`",
      );
      // The release travels as a secret (it holds the env files): only the fact that it changed shows.
      expect(md.stdout).toContain("stdin: [secret] changed");
      // A new VM (new cloud-init) is a new host: the deploy layer waits for it, installs the agent
      // and applies the live release again, because every command's trigger holds the VM's vmId,
      // which a replaced VM does not keep (its ARM id, same name, would stay the same).
      for (const command of ["deploy-wait-for-host", "deploy-agent", "deploy-apply"]) {
        const row = md.stdout
          .split("\n")
          .find((l) => l.startsWith(`| replace | \`${command}\` | \`command:remote:Command\` |`));
        expect(row, command).toContain("`triggers[0]`");
      }
      expect(md.stdout).toMatch(
        /-\/\+ command:remote:Command {2}deploy-agent {2}\[replaced because of [^\]]*triggers\[0\]\]\n(?:.*\n)*?-\s+triggers\[0\]: [0-9a-f-]{36}\n\+\s+triggers\[0\]: [0-9a-f-]{36}/,
      );

      const json = plan("prod", "--diff", "main", "--json");
      expect(json.status).toBe(2);
      const doc = JSON.parse(json.stdout) as {
        changed: boolean;
        summary: { replace: number };
        resources: { name: string; action: string }[];
      };
      expect(doc.changed).toBe(true);
      expect(doc.resources.find((r) => r.name === "host-vm")!.action).toBe("replace");

      for (const out of [md.stdout, json.stdout]) {
        expect(out).not.toMatch(
          /PRIVATE KEY|plan-placeholder|glc_|ghp_|postgres(ql)?:\/\/[^\s]*:[^\s]*@|mongodb(\+srv)?:\/\/[^\s]*:[^\s]*@/,
        );
        expect(out).not.toMatch(/"secretDigests"|"outputSecretDigests"/);
      }
    } finally {
      git("checkout", "--", "app/compose.yaml", "Pulumi.prod.yaml");
    }
  });

  it("plans a stack that is new in the working tree as all added", () => {
    cpSync(path.join(repo, "Pulumi.dev.yaml"), path.join(repo, "Pulumi.staging.yaml"));
    edit("Pulumi.staging.yaml", (t) =>
      t.replace("liftoff-acme-dev", "liftoff-acme-staging").replace("liftoffacmedev", "liftoffacmestaging"),
    );
    try {
      const r = plan("staging", "--diff", "main");
      expect(r.status).toBe(2);
      expect(r.stdout).toContain("(the stack does not exist at main: everything is new)");
      expect(r.stdout).toMatch(
        /^staging: \d+ to add, 0 to update, 0 to replace, 0 to remove, \d+ outputs changed \(0 -> \d+ resources\)$/m,
      );
    } finally {
      rmSync(path.join(repo, "Pulumi.staging.yaml"));
    }
  });

  it("exits 1 naming the side whose program fails", () => {
    edit("Pulumi.dev.yaml", (t) => t.replace("liftoff:region: westeurope", "liftoff:region: atlantis"));
    try {
      const r = plan("dev", "--diff", "main", "--markdown");
      expect(r.status).toBe(1);
      expect(r.stderr).toContain("The plan of `dev` cannot be compared: the program fails at working tree");
      expect(r.stderr).toContain("liftoff:region");
      expect(r.stdout).toContain("### Offline plan diff for `dev`: failed");
    } finally {
      git("checkout", "--", "Pulumi.dev.yaml");
    }
  });

  it("exits 64 with a fix when the ref does not exist here", () => {
    const r = plan("dev", "--diff", "origin/nope");
    expect(r.status).toBe(64);
    expect(r.stderr).toContain("--diff origin/nope: no such commit in this clone");
    expect(r.stderr).toContain("fetch-depth: 0");
  });
});
