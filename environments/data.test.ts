import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { EXAMPLE_APP, configInput, errors, onlyError as sharedOnlyError } from "../test/config-input";
import { ATLAS_AZURE_FREE_REGIONS, ATLAS_AZURE_REGIONS, atlasRegionForAzure } from "./atlas";
import { AZURE_REGIONS } from "./azure";
import type { DatabaseDeclaration } from "./compose/model";
import { dataSection, defaultDatabaseName, mongoNameProblem, postgresNameProblem } from "./data";
import { ConfigReader } from "./reader";
import type { CoreSpec } from "./spec";
import { NEON_REGIONS, neonRegionForAzure } from "./neon";
import type { ConfigInput, Problem } from "./reader";
import { buildEnvironmentSpec, formatProblems } from "./validate";

const IMAGES = {
  "api-gateway": "ghcr.io/acme/api-gateway:1.4.2",
  "identity-service": "ghcr.io/acme/identity-service:1.4.2",
  orders: "ghcr.io/acme/orders:1.4.2",
  catalog: "ghcr.io/acme/catalog:1.4.2",
};
const ORG = "5f1e9c0a2b3c4d5e6f708192";

const APP = "app/compose.yaml";

/** The example application with exactly these databases (service → x-liftoff.databases), none else. */
function appWith(databases: Record<string, unknown[]>): { file: string; text: string } {
  const doc = parse(EXAMPLE_APP.text) as { services: Record<string, { "x-liftoff"?: Record<string, unknown> }> };
  for (const [name, service] of Object.entries(doc.services)) {
    if (service["x-liftoff"]) delete service["x-liftoff"]["databases"];
    if (databases[name]) service["x-liftoff"] = { ...service["x-liftoff"], databases: databases[name] };
  }
  return { file: APP, text: stringify(doc) };
}

/**
 * A valid dev stack whose orders service needs Postgres and catalog MongoDB, as Pulumi hands it
 * over. `databases` in the overrides rewrites the application's x-liftoff.databases instead of a
 * setting.
 */
function input(overrides: Record<string, unknown> = {}, extra: Partial<ConfigInput> = {}): ConfigInput {
  const { databases = { orders: ["postgres"], catalog: ["mongodb"] }, ...settings } = overrides as {
    databases?: Record<string, unknown[]>;
  };
  return configInput(
    "dev",
    { images: JSON.stringify(IMAGES), atlasOrgId: ORG, ...settings },
    { app: appWith(databases), ...extra },
  );
}

function onlyError(overrides: Record<string, unknown>, key: string, extra: Partial<ConfigInput> = {}): Problem {
  const { databases = { orders: ["postgres"], catalog: ["mongodb"] }, ...settings } = overrides as {
    databases?: Record<string, unknown[]>;
  };
  return sharedOnlyError("dev", { images: JSON.stringify(IMAGES), atlasOrgId: ORG, ...settings }, key, {
    app: appWith(databases),
    ...extra,
  });
}

describe("the data section of the spec", () => {
  it("gives dev a free Neon project near the host and a free Atlas cluster on Azure, without backups", () => {
    const { spec, problems } = buildEnvironmentSpec(input());
    expect(problems).toEqual([]);
    expect(spec!.data.databases).toEqual([
      { service: "catalog", kind: "mongodb", database: "catalog", user: "catalog" },
      { service: "orders", kind: "postgres", database: "orders", user: "orders" },
    ]);
    expect(spec!.data.postgres).toEqual({
      projectName: "liftoff-dev",
      region: "aws-eu-central-1",
      plan: "free",
      historyRetentionSeconds: 6 * 3600,
      pgVersion: 17,
      ipAllow: false,
    });
    expect(spec!.data.mongodb).toMatchObject({
      orgId: ORG,
      clusterName: "liftoff-dev",
      region: "EUROPE_WEST",
      instanceSize: "M0",
      free: true,
      backup: false,
      pointInTimeRestore: false,
      credentials: "apiKey",
    });
    expect(spec!.data.secrets.map((s) => [s.key, s.isSet])).toEqual([
      ["neonApiKey", true],
      ["atlasPublicKey", true],
      ["atlasPrivateKey", true],
    ]);
  });

  it("gives prod a week of Neon history and a dedicated, backed-up Atlas cluster with point-in-time restore", () => {
    const { spec } = buildEnvironmentSpec({ ...input({ profile: "prod", dnsLabel: "acme-prod" }), stack: "prod" });
    expect(spec!.data.postgres).toMatchObject({ plan: "scale", historyRetentionSeconds: 7 * 86400, ipAllow: true });
    expect(spec!.data.mongodb).toMatchObject({
      instanceSize: "M10",
      free: false,
      backup: true,
      pointInTimeRestore: true,
      snapshotRetentionDays: 7,
      region: "EUROPE_WEST",
    });
  });

  it("provisions nothing and asks for no Neon or Atlas secret when no service needs a database", () => {
    const { spec, problems } = buildEnvironmentSpec(
      input({
        databases: {},
        atlasOrgId: undefined,
        neonApiKey: undefined,
        atlasPublicKey: undefined,
        atlasPrivateKey: undefined,
      }),
    );
    expect(problems).toEqual([]);
    expect(spec!.data).toEqual({ databases: [], secrets: [] });
  });

  it("lets a service name its database, and takes a service account instead of an API key", () => {
    const { spec, problems } = buildEnvironmentSpec(
      input({
        databases: { orders: [{ kind: "postgres", database: "orders_main" }] },
        atlasPublicKey: undefined,
        atlasPrivateKey: undefined,
        atlasClientId: "mdb_sa_id_x",
        atlasClientSecret: "mdb_sa_sk_x",
      }),
    );
    expect(problems).toEqual([]);
    expect(spec!.data.databases).toEqual([
      { service: "orders", kind: "postgres", database: "orders_main", user: "orders" },
    ]);
    expect(spec!.data.mongodb).toBeUndefined();
  });

  it("reports data problems together with the rest, each with key, value, allowed and fix", () => {
    const result = buildEnvironmentSpec(
      input({
        neonRegion: "azure-gwc",
        atlasInstanceSize: "M5",
        databases: { orders: [{ kind: "postgres", database: "Orders-DB" }] },
      }),
    );
    expect(
      errors(result)
        .map((p) => p.key)
        .sort(),
    ).toEqual([
      "app/compose.yaml: services.orders.x-liftoff.databases[0].database",
      "liftoff:atlasInstanceSize",
      "liftoff:neonRegion",
    ]);
    const text = formatProblems(result.problems);
    expect(text).toContain('liftoff:neonRegion = "azure-gwc" was retired by Neon on 2026-08-27');
    expect(text).toContain("fix:     pulumi config set liftoff:neonRegion aws-eu-central-1 --stack dev");
  });
});

describe("data validation rules (one test each)", () => {
  it("refuses an unknown Neon region and suggests the nearest spelling", () => {
    const p = onlyError({ neonRegion: "aws-eu-central1" }, "liftoff:neonRegion");
    expect(p.value).toBe("aws-eu-central1");
    expect(p.allowed).toContain("aws-us-east-2");
    expect(p.fix).toBe("pulumi config set liftoff:neonRegion aws-eu-central-1 --stack dev");
  });

  it.each([
    ["azure-gwc", "aws-eu-central-1"],
    ["azure-eastus2", "aws-us-east-1"],
    ["azure-westus3", "aws-us-west-2"],
  ])("refuses the retired Neon region %s and names its successor", (region, successor) => {
    const p = onlyError({ neonRegion: region }, "liftoff:neonRegion");
    expect(p.message).toContain("retired by Neon");
    expect(p.allowed).not.toContain("azure-");
    expect(p.fix).toContain(`liftoff:neonRegion ${successor}`);
  });

  it("refuses a history retention longer than the Neon plan allows", () => {
    const p = onlyError({ neonHistoryRetentionHours: "24" }, "liftoff:neonHistoryRetentionHours");
    expect(p.value).toBe("24");
    expect(p.message).toContain("longer than Neon's free plan allows");
    expect(p.allowed).toBe("0-6 hours (6 h) on the free plan");
    expect(p.fix).toContain("pulumi config set liftoff:neonHistoryRetentionHours 6 --stack dev");
  });

  it("blames the profile's retention when a smaller plan is chosen for prod", () => {
    const p = onlyError(
      { profile: "prod", neonPlan: "launch", neonHistoryRetentionHours: "240" },
      "liftoff:neonHistoryRetentionHours",
    );
    expect(p.allowed).toContain("7 days");
    const q = buildEnvironmentSpec(input({ profile: "prod", neonPlan: "free" }));
    expect(errors(q)[0]!.message).toContain("(the prod profile's default)");
  });

  it("refuses a Mongo tier that cannot have backups when the stack asks for them", () => {
    const p = onlyError(
      { profile: "prod", atlasInstanceSize: "M0", allowUnsafeProd: JSON.stringify(["atlasBackup"]) },
      "liftoff:atlasInstanceSize",
    );
    expect(p.value).toBe("M0");
    expect(p.message).toContain("cannot have cloud backups");
    expect(p.message).toContain("in the prod profile");
    expect(p.fix).toContain("liftoff:atlasInstanceSize M10");
  });

  it("refuses backups asked of the free tier on the backup key when the tier is the profile's", () => {
    const p = onlyError({ atlasBackup: "true" }, "liftoff:atlasBackup");
    expect(p.message).toContain("free tier M0 cannot have");
  });

  it("refuses point-in-time restore without cloud backup", () => {
    onlyError(
      { profile: "prod", atlasBackup: "false", allowUnsafeProd: JSON.stringify(["atlasBackup"]) },
      "liftoff:atlasPointInTimeRestore",
    );
  });

  it.each(["M2", "M5"])("refuses the retired shared Atlas tier %s", (tier) => {
    expect(onlyError({ atlasInstanceSize: tier }, "liftoff:atlasInstanceSize").message).toContain("retired");
  });

  it.each(["m10", "M15", "FLEX"])("refuses an Atlas tier liftoff does not provision: %s", (tier) => {
    onlyError({ atlasInstanceSize: tier }, "liftoff:atlasInstanceSize");
  });

  it.each([
    ["postgres", "Orders-DB", "not a plain Postgres identifier"],
    ["postgres", "template1", "already uses"],
    ["postgres", "pg_orders", "starts with pg_"],
    ["postgres", "o".repeat(64), "63 bytes"],
    ["mongodb", "admin", "reserves"],
    ["mongodb", "cat.alog", "forbids"],
    ["mongodb", "cat alog", "forbids"],
  ])("refuses a %s database name the database would reject: %s", (kind, database, why) => {
    const p = onlyError(
      { databases: { orders: [{ kind, database }] } },
      "app/compose.yaml: services.orders.x-liftoff.databases[0].database",
    );
    expect(p.value).toBe(database);
    expect(p.message).toContain(why);
    expect(p.fix).toContain("edit app/compose.yaml");
  });

  it.each(["mysql", "redis", "Postgres"])(
    "refuses a service asking for a database kind liftoff does not provision: %s",
    (kind) => {
      const p = onlyError(
        { databases: { orders: ["postgres"], catalog: [kind] } },
        "app/compose.yaml: services.catalog.x-liftoff.databases[0]",
      );
      expect(p.value).toBe(kind);
      expect(p.message).toBe("is not a database kind liftoff provisions");
      expect(p.allowed).toBe("postgres, mongodb");
    },
  );

  it("refuses two services using one database by accident (the same name without shared), saying how to share it", () => {
    const p = onlyError(
      { databases: { orders: ["postgres"], catalog: [{ kind: "postgres", database: "orders" }] } },
      "app/compose.yaml: services.catalog.x-liftoff.databases[0].database",
    );
    expect(p.message).toContain("already orders's postgres database");
    expect(p.fix).toBe(
      "edit app/compose.yaml: set catalog's x-liftoff.databases[0] to {kind: postgres, shared: orders}, or give it another database name",
    );
  });

  it("refuses the same database kind twice for one service", () => {
    onlyError(
      { databases: { orders: ["postgres", "postgres"] } },
      "app/compose.yaml: services.orders.x-liftoff.databases[1]",
    );
  });

  it("refuses a missing Neon API key under `pulumi up`, and only warns in the offline plan", () => {
    const p = onlyError({ neonApiKey: undefined }, "liftoff:neonApiKey");
    expect(p.fix).toContain("pulumi config set --secret liftoff:neonApiKey");
    const plan = buildEnvironmentSpec(input({ neonApiKey: undefined }, { mode: "plan" }));
    expect(plan.spec).toBeDefined();
    expect(plan.problems).toEqual([expect.objectContaining({ severity: "warning", key: "liftoff:neonApiKey" })]);
  });

  it("refuses missing Atlas credentials, naming both halves of the API key", () => {
    const result = buildEnvironmentSpec(input({ atlasPublicKey: undefined, atlasPrivateKey: undefined }));
    expect(errors(result).map((p) => p.key)).toEqual(["liftoff:atlasPublicKey", "liftoff:atlasPrivateKey"]);
    expect(errors(result)[0]!.fix).toContain("pulumi config set --secret liftoff:atlasPublicKey");
  });

  it("refuses half a service account", () => {
    onlyError(
      { atlasPublicKey: undefined, atlasPrivateKey: undefined, atlasClientId: "mdb_sa_id_x" },
      "liftoff:atlasClientSecret",
    );
  });

  it("refuses an Atlas key stored in plain text, without printing it", () => {
    const result = buildEnvironmentSpec(
      input({}, { secretKeys: new Set(["ghcrToken", "grafanaCloudToken", "neonApiKey", "atlasPublicKey"]) }),
    );
    expect(errors(result)).toEqual([
      expect.objectContaining({ key: "liftoff:atlasPrivateKey", message: expect.stringContaining("plain text") }),
    ]);
    expect(formatProblems(result.problems)).not.toContain("priv-example-0000");
  });

  it("refuses a missing or malformed Atlas organization id when a service needs MongoDB", () => {
    onlyError({ atlasOrgId: undefined }, "liftoff:atlasOrgId");
    expect(onlyError({ atlasOrgId: "acme-org" }, "liftoff:atlasOrgId").value).toBe("acme-org");
  });

  it("refuses the example files' placeholder organization under `pulumi up`, and only warns in the plan", () => {
    const p = onlyError({ atlasOrgId: "000000000000000000000000" }, "liftoff:atlasOrgId");
    expect(p.message).toContain("placeholder");
    const plan = buildEnvironmentSpec(input({ atlasOrgId: "000000000000000000000000" }, { mode: "plan" }));
    expect(plan.spec).toBeDefined();
    expect(plan.problems).toEqual([expect.objectContaining({ severity: "warning", key: "liftoff:atlasOrgId" })]);
  });

  it("refuses an Atlas region that is not on Azure", () => {
    const p = onlyError({ atlasRegion: "EU_WEST_1" }, "liftoff:atlasRegion");
    expect(p.allowed).toContain("EUROPE_WEST");
  });

  it("refuses a restore point that is not a UTC timestamp", () => {
    onlyError({ neonRestoreFrom: "yesterday 08:30" }, "liftoff:neonRestoreFrom");
  });

  it("accepts a restore point for disaster recovery", () => {
    expect(
      buildEnvironmentSpec(input({ neonRestoreFrom: "2026-11-20T08:30:00Z" })).spec!.data.postgres!.restoreFrom,
    ).toBe("2026-11-20T08:30:00Z");
  });

  it("refuses a mistyped data setting and names the one meant", () => {
    expect(onlyError({ neonPlann: "free" }, "liftoff:neonPlann").fix).toBe("rename it to liftoff:neonPlan");
  });
});

describe("where the databases live", () => {
  it("puts every Azure region's Postgres in an active Neon region, keeping EU data in the EU", () => {
    for (const region of AZURE_REGIONS) expect(NEON_REGIONS, region).toContain(neonRegionForAzure(region));
    expect(neonRegionForAzure("westeurope")).toBe("aws-eu-central-1");
    expect(neonRegionForAzure("northeurope")).toBe("aws-eu-central-1");
    expect(neonRegionForAzure("uksouth")).toBe("aws-eu-west-2");
    expect(neonRegionForAzure("eastus2")).toBe("aws-us-east-1");
    expect(neonRegionForAzure("westus2")).toBe("aws-us-west-2");
    expect(neonRegionForAzure("australiaeast")).toBe("aws-ap-southeast-2");
  });

  it("puts a dedicated cluster in the host's own Azure region as Atlas names it", () => {
    for (const region of AZURE_REGIONS)
      expect(ATLAS_AZURE_REGIONS, region).toContain(atlasRegionForAzure(region, false));
    expect(atlasRegionForAzure("westeurope", false)).toBe("EUROPE_WEST");
    expect(atlasRegionForAzure("germanywestcentral", false)).toBe("GERMANY_WEST_CENTRAL");
    expect(atlasRegionForAzure("eastus2", false)).toBe("US_EAST_2");
    expect(atlasRegionForAzure("austriaeast", false)).toBe("GERMANY_WEST_CENTRAL");
  });

  it("puts a free cluster in the nearest Azure region that offers M0", () => {
    for (const region of AZURE_REGIONS)
      expect(ATLAS_AZURE_FREE_REGIONS, region).toContain(atlasRegionForAzure(region, true));
    expect(atlasRegionForAzure("westeurope", true)).toBe("EUROPE_WEST");
    expect(atlasRegionForAzure("centralus", true)).toBe("US_EAST_2");
    expect(atlasRegionForAzure("swedencentral", true)).toBe("EUROPE_WEST");
  });
});

describe("database names", () => {
  it("derives a plain identifier from a service name", () => {
    expect(defaultDatabaseName("identity-service")).toBe("identity_service");
    expect(postgresNameProblem(defaultDatabaseName("identity-service"))).toBeUndefined();
    expect(mongoNameProblem(defaultDatabaseName("identity-service"))).toBeUndefined();
  });
});

/**
 * The data section read for the example application with these databases per service, given as the
 * normalized model has them (the compose loader parses `shared: <owner>` into `sharedFrom`).
 */
function readShared(databases: Record<string, DatabaseDeclaration[]>) {
  const base = buildEnvironmentSpec(input());
  const spec = base.spec!;
  const services = spec.services.map((s) => ({ ...s, databases: databases[s.name] ?? [] }));
  const core: CoreSpec = { ...spec, services, app: { ...spec.app, services } };
  const reader = new ConfigReader(input());
  const data = dataSection.read(reader, core);
  return { data, errors: reader.problems.filter((p) => p.severity === "error") };
}

describe("shared databases", () => {
  const KEY = "app/compose.yaml: services.catalog.x-liftoff.databases[0]";

  it("gives a service that shares another's database its own login on the owner's database", () => {
    const { data, errors } = readShared({
      catalog: [{ kind: "postgres", sharedFrom: "orders" }],
      orders: [{ kind: "postgres", database: "sales" }],
    });
    expect(errors).toEqual([]);
    // Whichever comes first in the file: the sharer may precede its owner.
    expect(data!.databases).toHaveLength(2);
    expect(data!.databases).toContainEqual({ service: "orders", kind: "postgres", database: "sales", user: "orders" });
    expect(data!.databases).toContainEqual({
      service: "catalog",
      kind: "postgres",
      database: "sales",
      user: "catalog",
      sharedFrom: "orders",
    });
  });

  it("shares a MongoDB database the same way", () => {
    const { data, errors } = readShared({
      orders: [{ kind: "mongodb", sharedFrom: "catalog" }],
      catalog: [{ kind: "mongodb" }],
    });
    expect(errors).toEqual([]);
    expect(data!.databases).toContainEqual({
      service: "orders",
      kind: "mongodb",
      database: "catalog",
      user: "orders",
      sharedFrom: "catalog",
    });
    expect(data!.mongodb).toBeDefined();
  });

  it("accepts the owner's database name repeated beside shared, and refuses another name", () => {
    expect(
      readShared({
        orders: [{ kind: "postgres" }],
        catalog: [{ kind: "postgres", sharedFrom: "orders", database: "orders" }],
      }).errors,
    ).toEqual([]);
    const { errors } = readShared({
      orders: [{ kind: "postgres" }],
      catalog: [{ kind: "postgres", sharedFrom: "orders", database: "catalog" }],
    });
    expect(errors).toEqual([
      expect.objectContaining({
        key: `${KEY}.database`,
        value: "catalog",
        fix: "edit app/compose.yaml: remove database from catalog's x-liftoff.databases[0]",
      }),
    ]);
    expect(errors[0]!.message).toContain("is not orders's postgres database (orders)");
  });

  it("refuses sharing the database of a service that owns none of that kind, naming the services that do", () => {
    const { errors } = readShared({
      orders: [{ kind: "mongodb" }],
      "identity-service": [{ kind: "postgres" }],
      catalog: [{ kind: "postgres", sharedFrom: "orders" }],
    });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({
      key: `${KEY}.shared`,
      value: "orders",
      message: "owns no postgres database to share (its x-liftoff.databases has no postgres)",
      allowed: "a service that owns a postgres database: identity-service",
    });
    expect(errors[0]!.fix).toBe(
      "edit app/compose.yaml: set catalog's x-liftoff.databases[0].shared to identity-service, or add postgres to orders's x-liftoff.databases",
    );
  });

  it("refuses sharing from a service that is not in the application, suggesting the nearest owner", () => {
    const { errors } = readShared({
      orders: [{ kind: "postgres" }],
      catalog: [{ kind: "postgres", sharedFrom: "order" }],
    });
    expect(errors).toEqual([
      expect.objectContaining({
        key: `${KEY}.shared`,
        value: "order",
        message: "is not a service of the application (did you mean orders?)",
      }),
    ]);
    expect(errors[0]!.fix).toContain("shared to orders");
  });

  it("refuses sharing from a service that itself shares, pointing at the owner", () => {
    const { errors } = readShared({
      orders: [{ kind: "postgres" }],
      "identity-service": [{ kind: "postgres", sharedFrom: "orders" }],
      catalog: [{ kind: "postgres", sharedFrom: "identity-service" }],
    });
    expect(errors).toEqual([expect.objectContaining({ key: `${KEY}.shared`, value: "identity-service" })]);
    expect(errors[0]!.message).toContain("shares orders's postgres database itself");
    expect(errors[0]!.fix).toContain("shared to orders");
  });

  it("refuses a service sharing with itself", () => {
    const { errors } = readShared({ catalog: [{ kind: "postgres", sharedFrom: "catalog" }] });
    expect(errors).toEqual([expect.objectContaining({ key: `${KEY}.shared`, value: "catalog" })]);
    expect(errors[0]!.fix).toContain("remove shared");
  });

  it("refuses two services whose names give one login name (- becomes _)", () => {
    const spec = buildEnvironmentSpec(input()).spec!;
    const template = spec.services.find((s) => s.name === "orders")!;
    const services = [
      { ...template, name: "billing-api", databases: [{ kind: "postgres" as const }] },
      { ...template, name: "billing_api", databases: [{ kind: "postgres" as const, database: "billing2" }] },
    ];
    const reader = new ConfigReader(input());
    dataSection.read(reader, { ...spec, services, app: { ...spec.app, services } });
    const errors = reader.problems.filter((p) => p.severity === "error");
    expect(errors).toEqual([
      expect.objectContaining({
        key: "app/compose.yaml: services.billing_api.x-liftoff.databases[0]",
        value: "billing_api",
      }),
    ]);
    expect(errors[0]!.message).toBe(
      "gives the postgres login name billing_api, which billing-api already has (- becomes _ in login names)",
    );
  });

  it("blames the service that named another's database, whichever is read first (the loader reads services in name order)", () => {
    const spec = buildEnvironmentSpec(input()).spec!;
    const services = [...spec.services]
      .sort((a, b) => Number(b.name === "catalog") - Number(a.name === "catalog"))
      .map((s) => ({
        ...s,
        databases:
          s.name === "orders"
            ? [{ kind: "postgres" as const }]
            : s.name === "catalog"
              ? [{ kind: "postgres" as const, database: "orders" }]
              : [],
      }));
    expect(services.findIndex((s) => s.name === "catalog")).toBeLessThan(
      services.findIndex((s) => s.name === "orders"),
    );
    const reader = new ConfigReader(input());
    dataSection.read(reader, { ...spec, services, app: { ...spec.app, services } });
    const errors = reader.problems.filter((p) => p.severity === "error");
    expect(errors).toEqual([
      expect.objectContaining({
        key: `${KEY}.database`,
        value: "orders",
        fix: "edit app/compose.yaml: set catalog's x-liftoff.databases[0] to {kind: postgres, shared: orders}, or give it another database name",
      }),
    ]);
  });

  it("reports a refused owner once, not again for each service sharing its database", () => {
    const { errors } = readShared({
      orders: [{ kind: "postgres", database: "Orders" }],
      catalog: [{ kind: "postgres", sharedFrom: "orders" }],
    });
    expect(errors.map((p) => p.key)).toEqual(["app/compose.yaml: services.orders.x-liftoff.databases[0].database"]);
  });
});
