/**
 * `recreate` up to the engine: the plan built from the repository's Pulumi.prod.yaml and a set of
 * source outputs, what it refuses, the target program evaluated under the offline plan with the
 * planned config, and the orchestration against a fake workspace.
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { RESTORE_WAIT_TYPE } from "../../components/atlas";
import { NEON_TYPES } from "../../components/neon";
import { fsReader, memoryReader } from "../../environments/compose";
import { EXAMPLE_APP } from "../../test/config-input";
import { PROJECT_DIR, byType, input, one } from "../../test/harness";
import { evaluateProgram } from "../plan/evaluate";
import { readStackFiles } from "../plan/project";
import { parseArgs } from "./cli";
import type { HealthResult } from "./health";
import {
  planRecreate,
  renderPlan,
  renderRefusals,
  type PlanInput,
  type RecreatePlan,
  type RecreateRequest,
  type StackConfig,
  type StackOutputs,
} from "./plan";
import { EXIT, healthTargetsAfterUp, recreate, type RecreateDeps } from "./run";
import {
  automationWorkspace,
  secretConfigArgs,
  secretsProviderOf,
  setSecretConfig,
  type RecreateWorkspace,
} from "./workspace";

const NOW = new Date("2026-11-20T12:00:00Z");
const SECRETS: Record<string, string> = {
  "liftoff:ghcrToken": "ghp_SOURCE_SECRET_ghcr",
  "liftoff:grafanaCloudToken": "glc_SOURCE_SECRET_grafana",
  "liftoff:githubToken": "github_pat_SOURCE_SECRET",
  "liftoff:neonApiKey": "napi_SOURCE_SECRET_neon",
  "liftoff:atlasPublicKey": "SOURCEPUB",
  "liftoff:atlasPrivateKey": "SOURCE-SECRET-atlas-private",
};
const digest = (c: string) => `sha256:${c.repeat(64)}`;
const IMAGES = {
  "api-gateway": `ghcr.io/acme/api-gateway@${digest("1")}`,
  "identity-service": `ghcr.io/acme/identity-service@${digest("2")}`,
  orders: `ghcr.io/acme/orders@${digest("3")}`,
  catalog: `ghcr.io/acme/catalog@${digest("4")}`,
  broker: `ghcr.io/acme/broker@${digest("5")}`,
};
const OUTPUTS: StackOutputs = {
  fqdn: { value: "liftoff-acme-prod.westeurope.cloudapp.azure.com", secret: false },
  images: { value: IMAGES, secret: false },
  neonProjectId: { value: "silent-smoke-10000012", secret: false },
  neonBranchId: { value: "br-cool-darkness-100004", secret: false },
  atlasProjectId: { value: "65a1b2c3d4e5f60718293a4b", secret: false },
  atlasClusterName: { value: "liftoff-prod", secret: false },
  databaseUrls: { value: { orders: { postgres: "postgresql://orders:SOURCE_SECRET_pw@h/orders" } }, secret: true },
};

/** A stack's config as the Automation API returns it, from the repository's stack file plus secrets. */
function stackConfig(
  stack: "prod" | "dev" | "aca-prod",
  changes: Record<string, string | undefined> = {},
): StackConfig {
  const files = readStackFiles(PROJECT_DIR, stack);
  const config: Record<string, { value: string; secret: boolean }> = {};
  for (const [k, v] of Object.entries(files.config)) config[k] = { value: v, secret: false };
  for (const [k, v] of Object.entries(SECRETS))
    if (stack !== "dev" || k !== "liftoff:githubToken") config[k] = { value: v, secret: true };
  for (const [k, v] of Object.entries(changes)) {
    if (v === undefined) delete config[`liftoff:${k}`];
    else config[`liftoff:${k}`] = { value: v, secret: false };
  }
  return config;
}

function planInput(request: Partial<RecreateRequest> = {}, overrides: Partial<PlanInput> = {}): PlanInput {
  return {
    request: { source: "prod", target: "prod-dr", at: "2026-11-20T08:30:00Z", ...request },
    existingStacks: ["dev", "prod"],
    source: { config: stackConfig("prod"), outputs: OUTPUTS },
    now: NOW,
    app: EXAMPLE_APP,
    project: "liftoff",
    mode: "plan",
    ...overrides,
  };
}

function okPlan(p: PlanInput): RecreatePlan {
  const result = planRecreate(p);
  if (!result.ok) throw new Error(renderRefusals(result.refusals));
  return result.plan;
}

function refusals(p: PlanInput) {
  const result = planRecreate(p);
  expect(result.ok).toBe(false);
  return result.ok ? [] : result.refusals;
}

const value = (plan: RecreatePlan, key: string) => plan.config[`liftoff:${key}`]?.value;

describe("the recreate plan reads the application as `pulumi up` does", () => {
  it("with the project's files: the override file and .env beside the compose file count", () => {
    // The image's tag comes from .env and the override file adds a variable: read from the text
    // alone, the compose file has an unset variable and the plan would refuse the source.
    const text = EXAMPLE_APP.text.replace(
      "image: ghcr.io/acme/catalog:1.4.2",
      "image: ghcr.io/acme/catalog:${CATALOG_TAG}",
    );
    expect(text).not.toBe(EXAMPLE_APP.text);
    const files = {
      "/project/app/compose.yaml": text,
      "/project/app/.env": "CATALOG_TAG=1.4.2\n",
      "/project/app/compose.override.yaml": 'services:\n  catalog:\n    environment:\n      FROM_OVERRIDE: "yes"\n',
    };
    expect(planRecreate(planInput({}, { app: { file: "app/compose.yaml", text } })).ok).toBe(false);
    const plan = okPlan(
      planInput(
        {},
        { app: { file: "app/compose.yaml", text }, appFiles: { projectDir: "/project", reader: memoryReader(files) } },
      ),
    );
    expect(plan.health.map((h) => h.service)).toEqual(["api-gateway", "identity-service"]);
  });
});

describe("the recreate plan from prod", () => {
  const plan = okPlan(planInput());

  it("keeps the source's profile and settings, with its own DNS label and Grafana stack", () => {
    expect(value(plan, "profile")).toBe("prod");
    expect(value(plan, "region")).toBe("westeurope");
    expect(value(plan, "dnsLabel")).toBe("liftoff-acme-prod-dr");
    expect(value(plan, "grafanaStackSlug")).toBe("liftoffacmeproddr");
    expect(plan.fqdn).toBe("liftoff-acme-prod-dr.westeurope.cloudapp.azure.com");
    expect(plan.health).toEqual([
      { service: "api-gateway", url: "https://liftoff-acme-prod-dr.westeurope.cloudapp.azure.com/healthz" },
      { service: "identity-service", url: "https://liftoff-acme-prod-dr.westeurope.cloudapp.azure.com:8443/healthz" },
    ]);
  });

  it("pins the release to the digests the source runs", () => {
    expect(JSON.parse(value(plan, "images")!)).toEqual(IMAGES);
    expect(plan.images).toEqual(IMAGES);
  });

  it("restores Postgres from the source's branch and MongoDB from its cluster, at the same instant", () => {
    expect(JSON.parse(value(plan, "neonRestoreSource")!)).toEqual({
      projectId: "silent-smoke-10000012",
      branchId: "br-cool-darkness-100004",
      timestamp: "2026-11-20T08:30:00Z",
    });
    expect(JSON.parse(value(plan, "atlasRestoreSource")!)).toEqual({
      projectId: "65a1b2c3d4e5f60718293a4b",
      clusterName: "liftoff-prod",
      timestamp: "2026-11-20T08:30:00Z",
    });
    expect(plan.restore.postgres?.windowStart).toBe("2026-11-13T12:00:00Z");
  });

  it("keeps every secret a secret, and shows none of them", () => {
    for (const key of Object.keys(SECRETS)) expect(plan.config[key]).toEqual({ value: SECRETS[key], secret: true });
    const text = renderPlan(plan);
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret);
    expect(text).toContain("6 secret, shown nowhere");
  });

  it("without --at restores the latest safe instant, two minutes before now", () => {
    const { at: _at, ...latest } = planInput().request;
    expect(okPlan({ ...planInput(), request: latest }).at).toBe("2026-11-20T11:58:00Z");
  });

  it("moves to another region with --region, letting Atlas follow, and says clients must move", () => {
    const moved = okPlan(planInput({ region: "northeurope" }));
    expect(value(moved, "region")).toBe("northeurope");
    expect(moved.config["liftoff:atlasRegion"]).toBeUndefined();
    expect(moved.fqdn).toBe("liftoff-acme-prod-dr.northeurope.cloudapp.azure.com");
    expect(moved.notes.join("\n")).toMatch(
      /Azure DNS labels are regional, so clients must move from liftoff-acme-prod\.westeurope/,
    );
  });

  it("names what cannot be recovered: the broker's host-local volume", () => {
    expect(plan.notes.join("\n")).toMatch(/Not recovered: the host-local volumes of broker/);
  });
});

describe("what recreate refuses, before anything is created", () => {
  it("an unknown source, suggesting the nearest stack", () => {
    const [r] = refusals(planInput({ source: "prdo" }, { source: undefined }));
    expect(r).toMatchObject({ subject: "--from", value: "prdo", fix: "--from prod" });
  });

  it("a target that exists, and the source itself", () => {
    expect(refusals(planInput({ target: "dev" }))[0]).toMatchObject({
      subject: "--to",
      message: expect.stringMatching(/already exists/),
    });
    expect(refusals(planInput({ target: "prod" }))[0]).toMatchObject({
      subject: "--to",
      message: expect.stringMatching(/is the source itself/),
    });
  });

  it("a time in the future, or not in UTC", () => {
    expect(refusals(planInput({ at: "2026-11-20T12:05:00Z" }))[0]).toMatchObject({
      subject: "--at",
      message: expect.stringMatching(/future/),
    });
    expect(refusals(planInput({ at: "2026-11-20 08:30" }))[0]).toMatchObject({
      subject: "--at",
      message: "is not a UTC instant",
    });
  });

  it("a time older than the source's Neon history", () => {
    const [r] = refusals(planInput({ at: "2026-11-13T11:00:00Z" }));
    expect(r!.message).toMatch(/outside prod's Postgres restore window: Neon keeps 7 days of history/);
  });

  it("a time older than the source's Atlas point-in-time window, even when Neon still has it", () => {
    const source = {
      config: stackConfig("prod", { neonHistoryRetentionHours: "720", atlasSnapshotRetentionDays: "3" }),
      outputs: OUTPUTS,
    };
    const rs = refusals(planInput({ at: "2026-11-16T00:00:00Z" }, { source }));
    expect(rs.map((r) => r.message)).toEqual([
      expect.stringMatching(/outside prod's MongoDB point-in-time window: Atlas restores the last 3 days/),
    ]);
  });

  it("a source without point-in-time backup for MongoDB (dev's M0), unless --empty-mongo", () => {
    const dev = { source: "dev", target: "dev-dr", at: "2026-11-20T10:00:00Z" };
    const source = { config: stackConfig("dev"), outputs: OUTPUTS };
    const [r] = refusals(planInput(dev, { source }));
    expect(r!.message).toMatch(/free tier M0, which has no backups/);
    expect(r!.fix).toMatch(/--empty-mongo/);
    const plan = okPlan(planInput({ ...dev, emptyMongo: true }, { source }));
    expect(plan.restore.mongodb).toMatchObject({ empty: true });
    expect(plan.config["liftoff:atlasRestoreSource"]).toBeUndefined();
    expect(JSON.parse(value(plan, "neonRestoreSource")!)).toMatchObject({ timestamp: "2026-11-20T10:00:00Z" });
    expect(plan.notes.join("\n")).toMatch(/MongoDB starts EMPTY/);
  });

  it("an unknown region, and a source that never recorded its release", () => {
    expect(refusals(planInput({ region: "north-europe" }))[0]).toMatchObject({
      subject: "--region",
      fix: "--region northeurope",
    });
    const { images: _i, ...withoutImages } = OUTPUTS;
    expect(
      refusals(planInput({}, { source: { config: stackConfig("prod"), outputs: withoutImages } }))[0]!.message,
    ).toMatch(/no images output/);
  });
});

describe("the target stack's program under the offline plan, with the planned config", () => {
  it("declares the restore branch in the source's project, the Atlas restore job, images by digest, its own DNS label, and no Neon project", async () => {
    const plan = okPlan(planInput());
    const config = Object.fromEntries(Object.entries(plan.config).map(([k, v]) => [k, v.value]));
    const evaluation = await evaluateProgram({
      project: "liftoff",
      stack: "prod-dr",
      config,
      secretKeys: Object.entries(plan.config)
        .filter(([, v]) => v.secret)
        .map(([k]) => k),
      load: async () => {
        vi.resetModules();
        return (await import("../../stacks/index")).liftoff;
      },
    });
    expect(evaluation.error).toBeUndefined();

    expect(byType(evaluation, NEON_TYPES.project)).toEqual([]);
    expect(byType(evaluation, NEON_TYPES.database)).toEqual([]);
    const branch = one(evaluation, NEON_TYPES.branch);
    expect(input(branch, "projectId")).toBe("silent-smoke-10000012");
    expect(input(branch, "parentId")).toBe("br-cool-darkness-100004");
    expect(input(branch, "parentTimestamp")).toBe("2026-11-20T08:30:00Z");
    expect(input(branch, "name")).toBe("liftoff-prod-dr-restore-20261120T083000Z");
    expect(
      byType(evaluation, NEON_TYPES.login)
        .map((l) => input(l, "name"))
        .sort(),
    ).toEqual(["identity_service", "orders"]);
    expect(
      byType(evaluation, NEON_TYPES.login).every((l) => l.options.additionalSecretOutputs.includes("password")),
    ).toBe(true);
    expect(input(one(evaluation, NEON_TYPES.allowedIp), "projectId")).toBe("silent-smoke-10000012");

    const job = one(evaluation, "mongodbatlas:index/cloudBackupSnapshotRestoreJob:CloudBackupSnapshotRestoreJob");
    expect(input(job, "projectId")).toBe("65a1b2c3d4e5f60718293a4b");
    expect(input(job, "clusterName")).toBe("liftoff-prod");
    const cluster = one(evaluation, "mongodbatlas:index/advancedCluster:AdvancedCluster");
    const newProject = one(evaluation, "mongodbatlas:index/project:Project");
    expect(input(job, "deliveryTypeConfig")).toEqual({
      pointInTime: true,
      pointInTimeUtcSeconds: Date.parse("2026-11-20T08:30:00Z") / 1000,
      targetProjectId: newProject.id,
      targetClusterName: input(cluster, "name"),
    });
    expect(input(cluster, "name")).toBe("liftoff-prod-dr");

    // The job returns when Atlas accepts it; the wait polls it until Atlas reports it finished, and
    // the release (whose env files hold the MongoDB URIs) waits for that.
    const wait = one(evaluation, RESTORE_WAIT_TYPE);
    expect(wait.inputs).toMatchObject({
      projectId: "65a1b2c3d4e5f60718293a4b",
      clusterName: "liftoff-prod",
      jobId: job.id,
    });
    const apply = byType(evaluation, "command:remote:Command").find((c) => c.name === "deploy-apply")!;
    expect(apply.dependencies).toContain(wait.urn);

    expect(evaluation.outputs["images"]?.value).toEqual(IMAGES);
    const ip = one(evaluation, "azure-native:network:PublicIPAddress");
    expect(input(ip, "dnsSettings.domainNameLabel")).toBe("liftoff-acme-prod-dr");
  });
});

/** A workspace that records what recreate does; the source is prod with the fixture's config and outputs. */
const KEY_VAULT = "azurekeyvault://liftoff-acme-kv.vault.azure.net/keys/pulumi-secrets";

function fakeWorkspace(options: { failUp?: boolean; secretsProvider?: string | null } = {}) {
  const calls: string[] = [];
  let created: StackConfig | undefined;
  let createdWith: string | undefined;
  const workspace: RecreateWorkspace = {
    listStacks: async () => ["dev", "prod"],
    readStack: async (name) => {
      calls.push(`read ${name}`);
      // A real organization id: recreate validates the new stack as `pulumi up` will.
      const secretsProvider = options.secretsProvider === null ? undefined : (options.secretsProvider ?? KEY_VAULT);
      return {
        config: stackConfig("prod", { atlasOrgId: "5f1e9c0a2b3c4d5e6f708192" }),
        outputs: OUTPUTS,
        ...(secretsProvider ? { secretsProvider } : {}),
      };
    },
    createStack: async (name, config, secretsProvider) => {
      calls.push(`create ${name}`);
      created = config;
      createdWith = secretsProvider;
    },
    up: async (name, progress) => {
      calls.push(`up ${name}`);
      progress.onOutput("Updating (prod-dr):\n  + neon branch created\n");
      const event = (seconds: number, type: string, pre: boolean) => ({
        sequence: seconds,
        timestamp: seconds,
        ...(pre
          ? { resourcePreEvent: { metadata: { op: "create" as const, urn: "u", type, provider: "" } } }
          : { resOutputsEvent: { metadata: { op: "create" as const, urn: "u", type, provider: "" } } }),
      });
      progress.onEvent(event(1000, NEON_TYPES.branch, true));
      progress.onEvent(event(1030, NEON_TYPES.branch, false));
      progress.onEvent(event(1002, "azure-native:compute:VirtualMachine", true));
      progress.onEvent(event(1120, "azure-native:compute:VirtualMachine", false));
      progress.onEvent(event(1125, "command:remote:Command", true));
      progress.onEvent(event(1190, "command:remote:Command", false));
      if (options.failUp) throw new Error("azure-native:compute:VirtualMachine: quota exceeded");
      return { fqdn: { value: "liftoff-acme-prod-dr.westeurope.cloudapp.azure.com", secret: false } };
    },
  };
  return { workspace, calls, created: () => created, createdWith: () => createdWith };
}

function deps(
  workspace: RecreateWorkspace,
  health: HealthResult[] = [{ service: "api-gateway", url: "u", healthy: true, attempts: 2, seconds: 20 }],
) {
  const lines: string[] = [];
  const d: RecreateDeps = {
    workspace,
    project: "liftoff",
    readApp: () => ({ app: EXAMPLE_APP }),
    now: () => NOW,
    waitForHealth: async () => health,
    print: (...l) => lines.push(...l),
  };
  return { d, lines };
}

const REQUEST: RecreateRequest = { source: "prod", target: "prod-dr", at: "2026-11-20T08:30:00Z" };

describe("recreate, step by step, against a fake workspace", () => {
  it("creates the stack with secrets flagged secret, runs up, waits for health, and prints the timings, never a secret", async () => {
    const { workspace, calls, created } = fakeWorkspace();
    const { d, lines } = deps(workspace);
    const outcome = await recreate(REQUEST, {}, d);
    expect(outcome.exitCode).toBe(EXIT.ok);
    expect(calls).toEqual(["read prod", "create prod-dr", "up prod-dr"]);
    expect(created()!["liftoff:neonApiKey"]).toEqual({ value: SECRETS["liftoff:neonApiKey"], secret: true });
    expect(outcome.timings.map((t) => t.step)).toEqual([
      "validate source and plan",
      "create stack + config",
      "pulumi up",
      "  data restore",
      "  host",
      "  deploy",
      "health checks",
      "total",
    ]);
    expect(outcome.timings.find((t) => t.step === "  host")!.seconds).toBe(118);
    const output = lines.join("\n");
    expect(output).toMatch(/timings:\n/);
    expect(output).toContain("  | Updating (prod-dr):");
    for (const secret of [...Object.values(SECRETS), "SOURCE_SECRET_pw"]) expect(output).not.toContain(secret);
  });

  it("creates the new stack with the source's secrets provider (the Key Vault key), not a passphrase", async () => {
    const { workspace, createdWith } = fakeWorkspace();
    const { d, lines } = deps(workspace);
    expect((await recreate(REQUEST, {}, d)).exitCode).toBe(EXIT.ok);
    expect(createdWith()).toBe(KEY_VAULT);
    expect(lines.join("\n")).toContain(`its secrets encrypted by prod's secrets provider, ${KEY_VAULT}`);
    const { workspace: onCloud, createdWith: cloudDefault } = fakeWorkspace({ secretsProvider: null });
    expect((await recreate(REQUEST, {}, deps(onCloud).d)).exitCode).toBe(EXIT.ok);
    expect(cloudDefault()).toBeUndefined();
  });

  it("--dry-run prints the plan and creates nothing", async () => {
    const { workspace, calls } = fakeWorkspace();
    const { d, lines } = deps(workspace);
    expect((await recreate(REQUEST, { dryRun: true }, d)).exitCode).toBe(EXIT.ok);
    expect(calls).toEqual(["read prod"]);
    expect(lines.join("\n")).toMatch(
      /liftoff:dnsLabel: liftoff-acme-prod → liftoff-acme-prod-dr[\s\S]*dry run: nothing was created/,
    );
  });

  it("exits 3 on a refusal without creating anything", async () => {
    const { workspace, calls } = fakeWorkspace();
    const { d, lines } = deps(workspace);
    expect((await recreate({ ...REQUEST, target: "dev" }, {}, d)).exitCode).toBe(EXIT.refused);
    expect(calls).toEqual(["read prod"]);
    expect(lines.join("\n")).toMatch(/refused: --to = "dev" already exists/);
  });

  it("exits 4 when pulumi up fails, saying how to continue, with the timings so far", async () => {
    const { workspace } = fakeWorkspace({ failUp: true });
    const { d, lines } = deps(workspace);
    expect((await recreate(REQUEST, {}, d)).exitCode).toBe(EXIT.upFailed);
    expect(lines.join("\n")).toMatch(
      /pulumi up failed: .*quota exceeded[\s\S]*pulumi up --stack prod-dr[\s\S]*timings:/,
    );
  });

  it("exits 5 when a health check does not pass in time, naming it", async () => {
    const { workspace } = fakeWorkspace();
    const { d, lines } = deps(workspace, [
      {
        service: "api-gateway",
        url: "https://x/healthz",
        healthy: false,
        attempts: 90,
        seconds: 900,
        last: "HTTP 502",
      },
    ]);
    expect((await recreate(REQUEST, {}, d)).exitCode).toBe(EXIT.unhealthy);
    expect(lines.join("\n")).toMatch(/not healthy: api-gateway \(https:\/\/x\/healthz: HTTP 502\)/);
  });
});

describe("the command line", () => {
  it("names every bad flag", () => {
    expect(parseArgs(["--from", "prod", "--health-timeout", "0", "--bogus"])).toEqual({
      kind: "usage",
      problems: [
        "--bogus is not an option of recreate (options: --from, --to, --at, --region, --dns-label, --health-timeout, --empty-mongo, --dry-run, --help)",
        "--to <stack> is required",
        '--health-timeout "0" is not a number of minutes from 1 to 120',
      ],
    });
    expect(parseArgs(["--from", "--to", "x"])).toMatchObject({
      kind: "usage",
      problems: ["--from needs a value", "--from <stack> is required"],
    });
  });

  it("reads a full command", () => {
    expect(
      parseArgs([
        "--from",
        "prod",
        "--to=prod-dr",
        "--at",
        "2026-11-20T08:30:00Z",
        "--region",
        "northeurope",
        "--empty-mongo",
        "--dry-run",
      ]),
    ).toEqual({
      kind: "run",
      request: {
        source: "prod",
        target: "prod-dr",
        at: "2026-11-20T08:30:00Z",
        region: "northeurope",
        emptyMongo: true,
      },
      options: { dryRun: true },
    });
  });
});

describe("setting a copied secret on the new stack", () => {
  it("pipes the value to pulumi config set on stdin, never in its argv", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "liftoff-fake-pulumi-"));
    const fake = path.join(dir, "pulumi");
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$@" > "${dir}/argv"\ncat > "${dir}/stdin"\n`);
    chmodSync(fake, 0o755);
    await setSecretConfig(dir, "prod-dr", "liftoff:neonApiKey", "napi_SOURCE_SECRET_neon", fake);
    const argv = readFileSync(path.join(dir, "argv"), "utf8").trim().split("\n");
    expect(argv).toEqual(secretConfigArgs("prod-dr", "liftoff:neonApiKey"));
    expect(argv.join(" ")).not.toContain("SOURCE_SECRET");
    expect(readFileSync(path.join(dir, "stdin"), "utf8")).toBe("napi_SOURCE_SECRET_neon");
  });
});

describe("the secrets provider of the source stack", () => {
  it("is its secretsprovider setting, else the passphrase when it has a salt, else the backend's default", () => {
    expect(secretsProviderOf({ secretsProvider: KEY_VAULT, encryptionSalt: undefined })).toBe(KEY_VAULT);
    expect(secretsProviderOf({ encryptionSalt: "v1:abc" })).toBe("passphrase");
    expect(secretsProviderOf({})).toBeUndefined();
  });

  it("reaches `pulumi stack init --secrets-provider` through the Automation API (a fake pulumi CLI records what it is asked)", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "liftoff-fake-pulumi-cli-"));
    const bin = path.join(dir, "bin");
    const work = path.join(dir, "project");
    for (const d of [bin, work]) mkdirSync(d);
    writeFileSync(path.join(work, "Pulumi.yaml"), "name: liftoff\nruntime: nodejs\n");
    writeFileSync(
      path.join(work, "Pulumi.prod.yaml"),
      `secretsprovider: ${KEY_VAULT}\nencryptedkey: ZmFrZS1kYXRhLWtleQ==\nconfig:\n  liftoff:profile: prod\n`,
    );
    const log = path.join(dir, "calls.jsonl");
    writeFileSync(
      path.join(bin, "pulumi"),
      [
        "#!/usr/bin/env node",
        "const fs = require('node:fs');",
        "const args = process.argv.slice(2);",
        `fs.appendFileSync(${JSON.stringify(log)}, JSON.stringify(args) + "\\n");`,
        "if (args[0] === 'version') { process.stdout.write('v3.248.0\\n'); process.exit(0); }",
        "if (args[0] === 'config' && args.includes('--json')) { process.stdout.write('{}'); process.exit(0); }",
        "if (args[0] === 'stack' && args[1] === 'output') { process.stdout.write('{}'); process.exit(0); }",
        "if (args[0] === 'stack' && args[1] === 'ls') { process.stdout.write('[]'); process.exit(0); }",
        // `config set --secret` reads the value from stdin (setSecretConfig); everything else just succeeds.
        "if (args.includes('--secret')) { process.stdin.resume(); process.stdin.on('end', () => process.exit(0)); } else process.exit(0);",
      ].join("\n"),
    );
    chmodSync(path.join(bin, "pulumi"), 0o755);
    const savedPath = process.env["PATH"];
    process.env["PATH"] = `${bin}:${savedPath ?? ""}`;
    try {
      const ws = await automationWorkspace(work);
      const source = await ws.readStack("prod");
      expect(source.secretsProvider).toBe(KEY_VAULT);
      await ws.createStack(
        "prod-dr",
        {
          "liftoff:profile": { value: "prod", secret: false },
          "liftoff:neonApiKey": { value: "napi_SECRET", secret: true },
        },
        source.secretsProvider,
      );
      const calls = readFileSync(log, "utf8")
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as string[]);
      const init = calls.find((c) => c[0] === "stack" && c[1] === "init")!;
      expect(init.slice(0, 5)).toEqual(["stack", "init", "prod-dr", "--secrets-provider", KEY_VAULT]);
      expect(calls.flat().join(" ")).not.toContain("napi_SECRET");
    } finally {
      process.env["PATH"] = savedPath;
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);
});

describe("recreate of a containerapps stack (aca-prod → aca-prod-dr)", () => {
  const input = planInput(
    { source: "aca-prod", target: "aca-prod-dr" },
    {
      existingStacks: ["aca-prod"],
      appFiles: { projectDir: PROJECT_DIR, reader: fsReader },
      source: {
        config: stackConfig("aca-prod"),
        outputs: {
          ...OUTPUTS,
          fqdn: { value: undefined, secret: false },
          endpoints: { value: { "api-gateway": "https://api.acme.example" }, secret: false },
        },
      },
    },
  );
  const plan = okPlan(input);

  it("keeps the runtime, plans no host, and moves the custom domains only after the new environment is healthy", () => {
    expect(plan.runtime).toBe("containerapps");
    expect(plan.fqdn).toBe("");
    expect(value(plan, "runtime")).toBe("containerapps");
    expect(value(plan, "containerAppsCustomDomains")).toBeUndefined();
    expect(plan.changes.find((c) => c.key === "liftoff:containerAppsCustomDomains")?.why).toMatch(
      /one environment at a time/,
    );
    expect(plan.health).toEqual([
      { service: "api-gateway", url: "/healthz" },
      { service: "identity-service", url: "/healthz" },
    ]);
    expect(plan.notes.join("\n")).toMatch(/new hostnames/);
    expect(plan.notes.join("\n")).not.toMatch(/cloudapp\.azure\.com/);
    expect(plan.notes.join("\n")).toMatch(/Azure Files shares of broker/);
    expect(renderPlan(plan)).toContain("<its endpoint URL, known after up>/healthz");
  });

  it("waits for the apps' hostnames the new stack reports", () => {
    const outputs = {
      endpoints: {
        value: {
          "api-gateway": "https://api-gateway.happy-sky.westeurope.azurecontainerapps.io",
          "identity-service": "https://identity-service.happy-sky.westeurope.azurecontainerapps.io/",
        },
      },
    };
    expect(healthTargetsAfterUp(plan, outputs)).toEqual([
      { service: "api-gateway", url: "https://api-gateway.happy-sky.westeurope.azurecontainerapps.io/healthz" },
      {
        service: "identity-service",
        url: "https://identity-service.happy-sky.westeurope.azurecontainerapps.io/healthz",
      },
    ]);
  });

  it("the planned config is a containerapps program: the platform and the restore, no VM or SSH", async () => {
    const config = Object.fromEntries(Object.entries(plan.config).map(([k, v]) => [k, v.value]));
    const evaluation = await evaluateProgram({
      project: "liftoff",
      stack: "aca-prod-dr",
      config,
      secretKeys: Object.entries(plan.config)
        .filter(([, v]) => v.secret)
        .map(([k]) => k),
      load: async () => {
        vi.resetModules();
        return (await import("../../stacks/index")).liftoff;
      },
    });
    expect(evaluation.error).toBeUndefined();
    expect(byType(evaluation, "azure-native:app:ManagedEnvironment")).toHaveLength(1);
    expect(byType(evaluation, "azure-native:compute:VirtualMachine")).toEqual([]);
    expect(byType(evaluation, "azure-native:network:SecurityRule")).toEqual([]);
    expect(one(evaluation, NEON_TYPES.branch).inputs["parentTimestamp"]).toBe("2026-11-20T08:30:00Z");
  });
});
