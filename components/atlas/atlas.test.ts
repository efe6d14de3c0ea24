import { describe, expect, it } from "vitest";
import { byType, input, one, runComponent } from "../../test/harness";
import { AtlasMongo, type AtlasMongoArgs } from ".";

const T = {
  project: "mongodbatlas:index/project:Project",
  cluster: "mongodbatlas:index/advancedCluster:AdvancedCluster",
  backup: "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule",
  user: "mongodbatlas:index/databaseUser:DatabaseUser",
  accessList: "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList",
  password: "random:index/randomPassword:RandomPassword",
};

const USERS = [
  { service: "catalog", username: "catalog", database: "catalog" },
  { service: "reviews", username: "reviews", database: "reviews" },
];

function declare(overrides: Partial<AtlasMongoArgs> = {}, seen: Record<string, string> = {}) {
  return runComponent(() => {
    const atlas = new AtlasMongo("mongo", {
      orgId: "5f1e9c0a2b3c4d5e6f708192",
      projectName: "liftoff-test",
      clusterName: "liftoff-test",
      region: "EUROPE_WEST",
      instanceSize: "M0",
      users: USERS,
      hostIp: "198.51.100.10",
      tags: { environment: "test" },
      ...overrides,
    });
    for (const [service, c] of Object.entries(atlas.connections)) c.uri.apply((v) => (seen[service] = v));
    return { catalogUri: atlas.connections["catalog"]!.uri, srv: atlas.standardSrv, cluster: atlas.clusterName };
  });
}

const PROD: Partial<AtlasMongoArgs> = {
  instanceSize: "M10",
  backup: { pointInTimeRestore: true, snapshotRetentionDays: 7 },
  protect: true,
};

describe("AtlasMongo component", () => {
  it("free tier: an M0 cluster backed by Azure, no backup, nothing protected", async () => {
    const plan = await declare();
    expect(plan.error).toBeUndefined();
    const cluster = one(plan, T.cluster);
    expect(input(cluster, "replicationSpecs[0].regionConfigs[0]")).toEqual({
      providerName: "TENANT",
      backingProviderName: "AZURE",
      regionName: "EUROPE_WEST",
      priority: 7,
      electableSpecs: { instanceSize: "M0" },
    });
    expect(input(cluster, "backupEnabled")).toBeUndefined();
    expect(byType(plan, T.backup)).toEqual([]);
    expect(plan.resources.filter((r) => r.options.protect || r.options.retainOnDelete)).toEqual([]);
  });

  it("dedicated tier: M10 on Azure with cloud backup, point-in-time restore and a backup schedule, kept and protected", async () => {
    const plan = await declare(PROD);
    const cluster = one(plan, T.cluster);
    expect(cluster.inputs).toMatchObject({
      clusterType: "REPLICASET",
      backupEnabled: true,
      pitEnabled: true,
      terminationProtectionEnabled: true,
    });
    expect(input(cluster, "replicationSpecs[0].regionConfigs[0]")).toMatchObject({
      providerName: "AZURE",
      electableSpecs: { instanceSize: "M10", nodeCount: 3 },
    });
    const schedule = one(plan, T.backup);
    expect(schedule.inputs).toMatchObject({ clusterName: "liftoff-test", restoreWindowDays: 7 });
    const kept = plan.resources
      .filter((r) => r.options.protect && r.options.retainOnDelete)
      .map((r) => r.type)
      .sort();
    expect(kept).toEqual([T.cluster, T.backup, T.project].sort());
  });

  it("refuses backups on the free tier", async () => {
    const plan = await declare({ backup: { pointInTimeRestore: false, snapshotRetentionDays: 7 } });
    expect(plan.error).toContain("the free tier M0 has no cloud backup");
  });

  it("lets in exactly the host's IP, nothing else", async () => {
    const plan = await declare();
    const entries = byType(plan, T.accessList);
    expect(entries.map((e) => [e.inputs["cidrBlock"], e.inputs["ipAddress"]])).toEqual([
      ["198.51.100.10/32", undefined],
    ]);
  });

  it("gives each service its own user, with readWrite on its own database only, scoped to this cluster", async () => {
    const plan = await declare();
    const users = byType(plan, T.user);
    expect(users.map((u) => [u.inputs["username"], u.inputs["roles"], u.inputs["authDatabaseName"]])).toEqual([
      ["catalog", [{ roleName: "readWrite", databaseName: "catalog" }], "admin"],
      ["reviews", [{ roleName: "readWrite", databaseName: "reviews" }], "admin"],
    ]);
    for (const u of users) {
      expect(u.inputs["scopes"]).toEqual([{ name: "liftoff-test", type: "CLUSTER" }]);
      expect(u.secretPaths).toEqual(["password"]);
    }
    expect(byType(plan, T.password)).toHaveLength(2);
  });

  it("gives a service sharing another's database its own user, with readWrite on the owner's database only", async () => {
    const seen: Record<string, string> = {};
    const plan = await declare(
      { users: [...USERS, { service: "search", username: "search", database: "catalog", sharedFrom: "catalog" }] },
      seen,
    );
    const search = byType(plan, T.user).find((u) => u.inputs["username"] === "search")!;
    expect(search.inputs).toMatchObject({
      roles: [{ roleName: "readWrite", databaseName: "catalog" }],
      authDatabaseName: "admin",
      description: "liftoff: the search service, on catalog's database",
    });
    expect(byType(plan, T.password)).toHaveLength(3);
    expect(seen["search"]).toMatch(/^mongodb\+srv:\/\/search:[^@]+@liftoff-test\.plan0\.mongodb\.net\/catalog\?/);
  });

  it("hands each service a connection string with its credentials, URL-encoded and secret", async () => {
    const seen: Record<string, string> = {};
    const plan = await declare({}, seen);
    expect(plan.outputs["catalogUri"]).toEqual({ value: "[secret]", secret: true });
    expect(plan.outputs["srv"]).toEqual({ value: "mongodb+srv://liftoff-test.plan0.mongodb.net", secret: false });
    expect(seen["catalog"]).toBe(
      `mongodb+srv://catalog:plan${"0".repeat(28)}@liftoff-test.plan0.mongodb.net/catalog?retryWrites=true&w=majority&authSource=admin&appName=liftoff-test`,
    );
    expect(seen["reviews"]).toContain("//reviews:");
    expect(seen["reviews"]).toContain("/reviews?");
  });
});
