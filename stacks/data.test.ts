import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { NEON_TYPES } from "../components/neon";
import { buildEnvironmentSpec } from "../environments/validate";
import { EXAMPLE_APP } from "../test/config-input";
import { PROJECT_DIR, byType, input, one, runComponent, runStack } from "../test/harness";
import { tempFile } from "../test/tools";
import { readStackFiles } from "../tools/plan/project";
import { serviceBindings } from "../environments/compose/bindings";
import { applicationBindings } from "./bindings";
import { dataLayer } from "./data";
import type { FoundationLayer } from "./foundation";

/** Stands in for the deploy layer's per-service release, which will take the database settings. */
class ServiceRelease extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("liftoff:test:ServiceRelease", name, props);
  }
}

const ATLAS = {
  project: "mongodbatlas:index/project:Project",
  cluster: "mongodbatlas:index/advancedCluster:AdvancedCluster",
  backup: "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule",
  user: "mongodbatlas:index/databaseUser:DatabaseUser",
  accessList: "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList",
};
/** Values the mocks give a Neon role's password and a generated password: never to be seen in the clear. */
const PLAIN_SECRETS = ["plan-neon-role-password", `plan${"0".repeat(28)}`];
/** What a credential-bearing connection string looks like. */
const CONNECTION_STRING = /postgresql:\/\/[^"]*:[^"]*@|mongodb\+srv:\/\/[^"]*:[^"]*@/;

describe.each(["dev", "prod"])("the data layer of the %s stack", (stack) => {
  it("declares Neon and Atlas for the services that need them, without any credential", async () => {
    const plan = await runStack(stack);
    expect(plan.error).toBeUndefined();
    expect(byType(plan, NEON_TYPES.project)).toHaveLength(1);
    expect(byType(plan, ATLAS.cluster)).toHaveLength(1);
    expect(plan.log.join("\n")).toMatch(/warning: liftoff:neonApiKey is not set/);
    expect(plan.log.join("\n")).toMatch(/warning: liftoff:atlasPublicKey is not set/);
  });

  it("keeps connection strings secret everywhere: stack outputs, plan, inputs", async () => {
    const plan = await runStack(stack);
    expect(plan.outputs["databaseUrls"]).toEqual({ value: "[secret]", secret: true });
    const everything = JSON.stringify({ resources: plan.resources, outputs: plan.outputs, log: plan.log });
    expect(everything).not.toMatch(CONNECTION_STRING);
    for (const value of PLAIN_SECRETS) expect(everything).not.toContain(value);
    for (const user of byType(plan, ATLAS.user)) expect(user.secretPaths).toEqual(["password"]);
  });

  it("lets exactly the host's static IP into Atlas, nothing else", async () => {
    const plan = await runStack(stack);
    const entries = byType(plan, ATLAS.accessList);
    expect(entries).toHaveLength(1);
    expect(entries[0]!.inputs["cidrBlock"]).toBe(`${plan.outputs["publicIp"]!.value as string}/32`);
    expect(entries[0]!.inputs["ipAddress"]).toBeUndefined();
    // Nothing of Atlas or Neon opens to the whole internet.
    expect(JSON.stringify(plan.resources.filter((r) => /^mongodbatlas:|neon/.test(r.type)))).not.toContain("0.0.0.0");
  });

  it("gives each service one login with access to its own database only", async () => {
    const plan = await runStack(stack);
    const roles = byType(plan, NEON_TYPES.role).map((r) => r.inputs["name"]);
    expect(roles).toEqual(["identity_service", "orders"]);
    expect(byType(plan, NEON_TYPES.database).map((d) => [d.inputs["name"], d.inputs["ownerName"]])).toEqual([
      ["identity", "identity_service"],
      ["orders", "orders"],
    ]);
    const users = byType(plan, ATLAS.user);
    expect(users.map((u) => [u.inputs["username"], u.inputs["roles"], u.inputs["scopes"]])).toEqual([
      [
        "catalog",
        [{ roleName: "readWrite", databaseName: "catalog" }],
        [{ name: `liftoff-${stack}`, type: "CLUSTER" }],
      ],
    ]);
  });

  it("tells operators where the data is, with no secret among the plain outputs", async () => {
    const plan = await runStack(stack);
    expect(plan.outputs["neonProjectId"]).toEqual({ value: `plan-liftoff-${stack}`, secret: false });
    expect(plan.outputs["atlasClusterName"]).toEqual({ value: `liftoff-${stack}`, secret: false });
    expect(plan.outputs["atlasSrv"]!.value).toBe(`mongodb+srv://liftoff-${stack}.plan0.mongodb.net`);
    expect(plan.outputs["databases"]!.value).toEqual({
      "identity-service/postgres": { database: "identity", user: "identity_service" },
      "orders/postgres": { database: "orders", user: "orders" },
      "catalog/mongodb": { database: "catalog", user: "catalog" },
    });
  });
});

describe("dev and prod data differ where they should", () => {
  it("dev: free tiers (Neon Free's 6 h of history, Atlas M0 on Azure), no backups, nothing protected", async () => {
    const plan = await runStack("dev");
    expect(one(plan, NEON_TYPES.project).inputs).toMatchObject({
      regionId: "aws-eu-central-1",
      historyRetentionSeconds: 21600,
    });
    // The Free plan has no IP Allow: Neon takes TLS connections with the role's password from anywhere.
    expect(one(plan, NEON_TYPES.project).inputs["allowedIps"]).toBeUndefined();
    expect(input(one(plan, ATLAS.cluster), "replicationSpecs[0].regionConfigs[0]")).toEqual({
      providerName: "TENANT",
      backingProviderName: "AZURE",
      regionName: "EUROPE_WEST",
      priority: 7,
      electableSpecs: { instanceSize: "M0" },
    });
    expect(byType(plan, ATLAS.backup)).toEqual([]);
    expect(plan.resources.filter((r) => r.options.protect || r.options.retainOnDelete)).toEqual([]);
  });

  it("prod: a week of Neon history, dedicated M10 on Azure with cloud backup and point-in-time restore", async () => {
    const plan = await runStack("prod");
    expect(one(plan, NEON_TYPES.project).inputs).toMatchObject({ historyRetentionSeconds: 604800 });
    // Scale has IP Allow: the host and the operators' SSH ranges only.
    expect(one(plan, NEON_TYPES.project).inputs["allowedIps"]).toEqual([
      plan.outputs["publicIp"]!.value,
      "203.0.113.0/28",
    ]);
    const cluster = one(plan, ATLAS.cluster);
    expect(cluster.inputs).toMatchObject({ backupEnabled: true, pitEnabled: true, terminationProtectionEnabled: true });
    expect(input(cluster, "replicationSpecs[0].regionConfigs[0]")).toMatchObject({
      providerName: "AZURE",
      regionName: "EUROPE_WEST",
      electableSpecs: { instanceSize: "M10", nodeCount: 3 },
    });
    expect(one(plan, ATLAS.backup).inputs).toMatchObject({
      clusterName: "liftoff-prod",
      restoreWindowDays: 7,
      policyItemDaily: { retentionValue: 7 },
    });
  });

  it("prod: every resource holding data is protected and retained on delete; logins and the access list are not", async () => {
    const plan = await runStack("prod");
    const data = plan.resources.filter(
      (r) => r.custom && (r.type.startsWith("pulumi-nodejs:dynamic/neon:") || r.type.startsWith("mongodbatlas:")),
    );
    const kept = data
      .filter((r) => r.options.protect && r.options.retainOnDelete)
      .map((r) => r.name)
      .sort();
    expect(kept).toEqual([
      "mongodb-backup",
      "mongodb-cluster",
      "mongodb-project",
      "postgres-identity-service-db",
      "postgres-orders-db",
      "postgres-project",
    ]);
    const notKept = data
      .filter((r) => !r.options.protect && !r.options.retainOnDelete)
      .map((r) => r.type)
      .sort();
    expect(notKept).toEqual([ATLAS.user, ATLAS.accessList, NEON_TYPES.role, NEON_TYPES.role].sort());
  });
});

describe("the data layer's inputs and outputs", () => {
  it("declares no database and asks for no database secret when no service needs one", async () => {
    const compose = readFileSync(path.join(PROJECT_DIR, "app", "compose.yaml"), "utf8").replace(
      /^ {6}databases: .*\n/gm,
      "",
    );
    expect(compose).not.toContain("databases:");
    const plan = await runStack("dev", { config: { composeFile: tempFile("compose.yaml", compose) } });
    expect(plan.error).toBeUndefined();
    expect(plan.resources.filter((r) => /neon|mongodbatlas|random:/.test(r.type))).toEqual([]);
    expect(plan.log.join("\n")).not.toMatch(/neonApiKey|atlasPublicKey/);
    expect(plan.outputs["databaseUrls"]).toBeUndefined();
  });

  it("recovers Postgres to a point in time: a branch from then, and the services pointed at it", async () => {
    const plan = await runStack("prod", { config: { neonRestoreFrom: "2026-11-20T08:30:00Z" } });
    const branch = one(plan, NEON_TYPES.branch);
    expect(branch.inputs).toMatchObject({
      parentTimestamp: "2026-11-20T08:30:00Z",
      parentId: "br-plan-liftoff-prod-main",
    });
    expect(branch.options).toMatchObject({ protect: true, retainOnDelete: true });
    expect(plan.outputs["neonHost"]!.value).toBe(
      "ep-plan-liftoff-prod-restore-20261120t083000z.eu-central-1.aws.neon.tech",
    );
  });

  it("hands a downstream resource each service's bindings, the credentials among them only as secrets", async () => {
    const files = readStackFiles(PROJECT_DIR, "prod");
    const values = Object.fromEntries(Object.entries(files.config).map(([k, v]) => [k.replace(/^liftoff:/, ""), v]));
    const { spec } = buildEnvironmentSpec({
      project: "liftoff",
      stack: "prod",
      values,
      secretKeys: new Set(),
      mode: "plan",
      app: EXAMPLE_APP,
    });
    const seen: Record<string, Record<string, string>> = {};
    const secrecy: Promise<[string, string, boolean]>[] = [];
    const plan = await runComponent(() => {
      const foundation = { network: { publicIpAddress: pulumi.output("198.51.100.10") } } as unknown as FoundationLayer;
      const data = dataLayer({ spec: spec!, mode: "plan", secret: () => undefined }, { foundation });
      const otlp = {
        endpoint: pulumi.output("https://otlp.example/otlp"),
        headers: pulumi.secret("Authorization=Basic%20c2VjcmV0"),
      };
      const bindings = applicationBindings(spec!.app, spec!.services, {
        stack: "prod",
        fqdn: spec!.host.fqdn,
        otlp,
        databases: data.services,
      });
      // Stands in for the deploy layer: one resource per service, taking its bindings.
      for (const [service, environment] of Object.entries(bindings)) {
        new ServiceRelease(service, { environment });
        pulumi.all(environment).apply((env) => (seen[service] = env));
        for (const [name, value] of Object.entries(environment))
          secrecy.push(pulumi.isSecret(value).then((secret) => [service, name, secret]));
      }
      return {};
    }, "prod");
    expect(plan.error).toBeUndefined();
    const releases = byType(plan, "liftoff:test:ServiceRelease");
    expect(releases.map((r) => r.name).sort()).toEqual([
      "api-gateway",
      "broker",
      "catalog",
      "identity-service",
      "orders",
    ]);
    // A resource input holding a secret binding is secret as a whole: nothing of it is readable in the plan.
    for (const r of releases) expect([r.secretPaths, r.inputs["environment"]]).toEqual([["environment"], "[secret]"]);
    // Each binding is a secret exactly when the catalogue says so; hosts, names, ports and public URLs are not.
    const secretNames = (await Promise.all(secrecy))
      .filter(([, , secret]) => secret)
      .map(([service, name]) => `${service}.${name}`)
      .sort();
    const catalogued = spec!.services
      .flatMap((s) =>
        serviceBindings(spec!.app, s)
          .filter((b) => b.secret)
          .map((b) => `${s.name}.${b.name}`),
      )
      .sort();
    expect(secretNames).toEqual(catalogued);
    expect(secretNames).toContain("orders.LIFTOFF_POSTGRES_PASSWORD");
    expect(secretNames).not.toContain("orders.LIFTOFF_POSTGRES_HOST");
    expect(JSON.stringify(releases)).not.toMatch(CONNECTION_STRING);
    for (const value of PLAIN_SECRETS) expect(JSON.stringify(releases)).not.toContain(value);
    expect(seen["orders"]!["LIFTOFF_POSTGRES_HOST"]).toBe(
      "ep-plan-liftoff-prod-main-pooler.eu-central-1.aws.neon.tech",
    );
    expect(seen["orders"]!["LIFTOFF_POSTGRES_USER"]).toBe("orders");
    expect(seen["orders"]!["LIFTOFF_POSTGRES_URL"]).toMatch(
      /^postgresql:\/\/orders:[^@]+@ep-plan-liftoff-prod-main-pooler\.eu-central-1\.aws\.neon\.tech\/orders\?sslmode=require/,
    );
    expect(seen["orders"]!["LIFTOFF_POSTGRES_URL_DIRECT"]).toContain(
      "@ep-plan-liftoff-prod-main.eu-central-1.aws.neon.tech/orders?",
    );
    expect(seen["catalog"]!["LIFTOFF_MONGODB_URL"]).toMatch(
      /^mongodb\+srv:\/\/catalog:[^@]+@liftoff-prod\.plan0\.mongodb\.net\/catalog\?/,
    );
    expect(seen["catalog"]!["LIFTOFF_MONGODB_HOST"]).toBe("liftoff-prod.plan0.mongodb.net");
  });
});

describe("a shared database through the data layer and the bindings", () => {
  it("gives the sharing service its own login on the owner's database, and bindings naming both", async () => {
    const { spec: base } = buildEnvironmentSpec({
      project: "liftoff",
      stack: "dev",
      values: Object.fromEntries(
        Object.entries(readStackFiles(PROJECT_DIR, "dev").config).map(([k, v]) => [k.replace(/^liftoff:/, ""), v]),
      ),
      secretKeys: new Set(),
      mode: "plan",
      app: EXAMPLE_APP,
    });
    // What the data section makes of `api-gateway: {databases: [{kind: postgres, shared: orders}, {kind: mongodb, shared: catalog}]}`.
    const services = base!.services.map((s) =>
      s.name === "api-gateway"
        ? {
            ...s,
            databases: [
              { kind: "postgres" as const, sharedFrom: "orders" },
              { kind: "mongodb" as const, sharedFrom: "catalog" },
            ],
          }
        : s,
    );
    const spec = {
      ...base!,
      services,
      data: {
        ...base!.data,
        databases: [
          ...base!.data.databases,
          {
            service: "api-gateway",
            kind: "postgres" as const,
            database: "orders",
            user: "api_gateway",
            sharedFrom: "orders",
          },
          {
            service: "api-gateway",
            kind: "mongodb" as const,
            database: "catalog",
            user: "api_gateway",
            sharedFrom: "catalog",
          },
        ],
      },
    };
    const seen: Record<string, string> = {};
    let resolved: Promise<unknown> | undefined;
    const plan = await runComponent(() => {
      const foundation = { network: { publicIpAddress: pulumi.output("198.51.100.10") } } as unknown as FoundationLayer;
      const data = dataLayer({ spec, mode: "plan", secret: () => undefined }, { foundation });
      const otlp = {
        endpoint: pulumi.output("https://otlp.example/otlp"),
        headers: pulumi.secret("Authorization=Basic%20c2VjcmV0"),
      };
      const bindings = applicationBindings(spec.app, services, {
        stack: "dev",
        fqdn: spec.host.fqdn,
        otlp,
        databases: data.services,
      });
      resolved = new Promise((resolve) =>
        pulumi.all(bindings["api-gateway"]!).apply((v) => resolve(Object.assign(seen, v))),
      );
      return {};
    }, "dev");
    expect(plan.error).toBeUndefined();
    await resolved;
    expect(
      byType(plan, NEON_TYPES.role)
        .map((r) => r.inputs["name"])
        .sort(),
    ).toEqual(["api_gateway", "identity_service", "orders"]);
    expect(
      byType(plan, NEON_TYPES.database)
        .map((r) => r.inputs["name"])
        .sort(),
    ).toEqual(["identity", "orders"]);
    const users = byType(plan, ATLAS.user).map((u) => [u.inputs["username"], u.inputs["roles"]]);
    expect(users).toContainEqual(["api_gateway", [{ roleName: "readWrite", databaseName: "catalog" }]]);
    expect(seen["LIFTOFF_POSTGRES_USER"]).toBe("api_gateway");
    expect(seen["LIFTOFF_POSTGRES_DATABASE"]).toBe("orders");
    expect(seen["LIFTOFF_POSTGRES_URL"]).toMatch(/^postgresql:\/\/api_gateway:[^@]+@[^/]+-pooler\.[^/]+\/orders\?/);
    expect(seen["LIFTOFF_MONGODB_USER"]).toBe("api_gateway");
    expect(seen["LIFTOFF_MONGODB_URL"]).toMatch(/^mongodb\+srv:\/\/api_gateway:[^@]+@[^/]+\/catalog\?/);
  });
});

describe("npm run plan shows the data layer", () => {
  it.each(["dev", "prod"])(
    "%s: Neon and Atlas resources in the JSON plan, no connection string or password in it",
    (stack) => {
      const result = spawnSync(
        process.execPath,
        ["-r", "./tools/ts-register.js", "tools/plan/cli.ts", stack, "--json"],
        { cwd: PROJECT_DIR, encoding: "utf8" },
      );
      expect(result.status).toBe(0);
      const doc = JSON.parse(result.stdout) as {
        summary: { byType: Record<string, number> };
        outputs: Record<string, { secret: boolean }>;
      };
      expect(doc.summary.byType).toMatchObject({
        [NEON_TYPES.project]: 1,
        [NEON_TYPES.role]: 2,
        [NEON_TYPES.database]: 2,
        [ATLAS.cluster]: 1,
        [ATLAS.user]: 1,
        [ATLAS.accessList]: 1,
      });
      expect(doc.outputs["databaseUrls"]).toEqual({ value: "[secret]", secret: true });
      expect(result.stdout).not.toMatch(CONNECTION_STRING);
      for (const value of PLAIN_SECRETS) expect(result.stdout).not.toContain(value);
    },
  );
});
