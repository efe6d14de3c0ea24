import { describe, expect, it } from "vitest";
import { byType, input, one, runComponent } from "../../test/harness";
import { evaluateProgram } from "../../tools/plan/evaluate";
import { NEON_TYPES, NeonPostgres, type NeonPostgresArgs } from ".";

const CLAIMS = [
  { service: "orders", database: "orders", role: "orders" },
  { service: "billing", database: "billing", role: "billing" },
];

/** Declares the component under mocks; `seen` receives the connection URIs as the services would. */
function declare(overrides: Partial<NeonPostgresArgs> = {}, seen: Record<string, string> = {}) {
  return runComponent(() => {
    const neon = new NeonPostgres("postgres", {
      projectName: "liftoff-test",
      region: "aws-eu-central-1",
      pgVersion: 17,
      historyRetentionSeconds: 21600,
      databases: CLAIMS,
      ...overrides,
    });
    for (const [service, c] of Object.entries(neon.connections)) {
      c.uri.apply((v) => (seen[service] = v));
      c.pooledUri.apply((v) => (seen[`${service}-pooled`] = v));
    }
    return { projectId: neon.projectId, host: neon.host, ordersUri: neon.connections["orders"]!.uri };
  });
}

describe("NeonPostgres component", () => {
  it("declares a project, and one role and one database owned by it per service", async () => {
    const plan = await declare();
    expect(plan.error).toBeUndefined();
    const project = one(plan, NEON_TYPES.project);
    expect(project.inputs).toMatchObject({
      kind: "project",
      name: "liftoff-test",
      regionId: "aws-eu-central-1",
      pgVersion: 17,
      historyRetentionSeconds: 21600,
    });
    expect(byType(plan, NEON_TYPES.role).map((r) => r.inputs["name"])).toEqual(["orders", "billing"]);
    const databases = byType(plan, NEON_TYPES.database);
    expect(databases.map((d) => [d.inputs["name"], d.inputs["ownerName"]])).toEqual([
      ["orders", "orders"],
      ["billing", "billing"],
    ]);
    for (const r of [...byType(plan, NEON_TYPES.role), ...databases]) {
      expect(input(r, "branchId")).toBe("br-plan-liftoff-test-main");
      expect(r.parent).toBe(one(plan, "liftoff:neon:Postgres").urn);
    }
    expect(byType(plan, NEON_TYPES.branch)).toEqual([]);
  });

  it("gives each service direct and pooled URIs to its own database, as secrets", async () => {
    const seen: Record<string, string> = {};
    const plan = await declare({}, seen);
    expect(plan.outputs["ordersUri"]).toEqual({ value: "[secret]", secret: true });
    expect(seen["orders"]).toBe(
      "postgresql://orders:plan-neon-role-password@ep-plan-liftoff-test-main.eu-central-1.aws.neon.tech/orders?sslmode=require&channel_binding=require",
    );
    expect(seen["billing-pooled"]).toContain("billing:plan-neon-role-password@ep-plan-liftoff-test-main-pooler.");
    for (const role of byType(plan, NEON_TYPES.role))
      expect(role.options.additionalSecretOutputs).toContain("password");
  });

  it("protects and keeps the project and databases when asked, never the logins", async () => {
    const kept = (await declare({ protect: true })).resources
      .filter((r) => r.custom && r.options.protect && r.options.retainOnDelete)
      .map((r) => r.type);
    expect(kept.sort()).toEqual([NEON_TYPES.database, NEON_TYPES.database, NEON_TYPES.project]);
    expect((await declare()).resources.filter((r) => r.options.protect || r.options.retainOnDelete)).toEqual([]);
  });

  it("shares a database explicitly: the sharing service gets a role of its own and no database, and its URIs name the owner's", async () => {
    const seen: Record<string, string> = {};
    // The sharer first: the component creates owners' databases before sharers' logins regardless.
    const plan = await declare(
      { databases: [{ service: "reports", database: "orders", role: "reports", sharedFrom: "orders" }, ...CLAIMS] },
      seen,
    );
    expect(plan.error).toBeUndefined();
    expect(
      byType(plan, NEON_TYPES.role)
        .map((r) => r.inputs["name"])
        .sort(),
    ).toEqual(["billing", "orders", "reports"]);
    expect(byType(plan, NEON_TYPES.database).map((d) => [d.inputs["name"], d.inputs["ownerName"]])).toEqual([
      ["orders", "orders"],
      ["billing", "billing"],
    ]);
    expect(seen["reports"]).toBe(
      "postgresql://reports:plan-neon-role-password@ep-plan-liftoff-test-main.eu-central-1.aws.neon.tech/orders?sslmode=require&channel_binding=require",
    );
    expect(seen["reports-pooled"]).toContain("reports:plan-neon-role-password@ep-plan-liftoff-test-main-pooler.");
  });

  it("recovering into another stack's project, resets the sharing service's inherited login too, on the owner's database", async () => {
    const seen: Record<string, string> = {};
    const restoreSource = {
      projectId: "source-project",
      branchId: "br-source-main",
      timestamp: "2026-11-20T08:30:00Z",
    };
    const plan = await declare(
      {
        restoreSource,
        allowedIps: ["198.51.100.10"],
        databases: [...CLAIMS, { service: "reports", database: "orders", role: "reports", sharedFrom: "orders" }],
      },
      seen,
    );
    expect(plan.error).toBeUndefined();
    expect(
      byType(plan, NEON_TYPES.login)
        .map((l) => l.inputs["name"])
        .sort(),
    ).toEqual(["billing", "orders", "reports"]);
    expect(byType(plan, NEON_TYPES.database)).toEqual([]);
    expect(seen["reports"]).toMatch(/^postgresql:\/\/reports:plan-neon-login-password@[^/]+\/orders\?/);
  });

  it("refuses a sharing claim whose database no claim creates", async () => {
    const plan = await declare({
      databases: [{ service: "reports", database: "ledger", role: "reports", sharedFrom: "ledger-service" }],
    });
    expect(plan.error).toContain(
      "reports shares ledger-service's database ledger, which no claim of this component creates",
    );
  });

  it("recovers to a point in time on a new branch, and points the services at it", async () => {
    const seen: Record<string, string> = {};
    const plan = await declare({ restoreFrom: "2026-11-20T08:30:00Z", protect: true }, seen);
    const branch = one(plan, NEON_TYPES.branch);
    expect(branch.inputs).toMatchObject({
      name: "restore-20261120T083000Z",
      parentId: "br-plan-liftoff-test-main",
      parentTimestamp: "2026-11-20T08:30:00Z",
    });
    expect(branch.options).toMatchObject({ protect: true, retainOnDelete: true });
    expect(seen["orders"]).toContain(
      "@ep-plan-liftoff-test-restore-20261120t083000z.eu-central-1.aws.neon.tech/orders?",
    );
    expect(plan.outputs["host"]!.value).toBe(
      "ep-plan-liftoff-test-restore-20261120t083000z.eu-central-1.aws.neon.tech",
    );
  });

  it("registers each Neon resource through pulumi.dynamic.Resource: the provider's code in __provider, serialized once, holding no secret", async () => {
    const evaluation = await evaluateProgram({
      project: "liftoff",
      stack: "test",
      config: {},
      secretKeys: [],
      load: async () => {
        new NeonPostgres("postgres", {
          projectName: "liftoff-test",
          region: "aws-eu-central-1",
          pgVersion: 17,
          historyRetentionSeconds: 21600,
          databases: CLAIMS,
        });
        return {};
      },
    });
    const neonResources = evaluation.resources.filter((r) => r.type.startsWith("pulumi-nodejs:dynamic/neon:"));
    expect(neonResources.map((r) => r.type).sort()).toEqual([
      NEON_TYPES.database,
      NEON_TYPES.database,
      NEON_TYPES.project,
      NEON_TYPES.role,
      NEON_TYPES.role,
    ]);
    const codes = new Set(neonResources.map((r) => r.inputs["__provider"]));
    expect(codes.size).toBe(1);
    const [summary] = [...codes] as string[];
    expect(summary).toMatch(/^<serialized dynamic provider, \d{5} characters, sha256 [0-9a-f]{12}>$/);
    // A secret captured in the code would make __provider secret, and sit in the state of every resource.
    for (const r of neonResources) expect(r.secretPaths, r.name).not.toContain("__provider");
  });
});
