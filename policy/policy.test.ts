/**
 * Each policy with a passing and a violating resource, judged by the pack as the engine runs it:
 * started through @pulumi/pulumi's run-policy-pack with the stack's name and config in the
 * environment, and asked over gRPC with the AnalyzeRequest the engine sends.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPack, type RunningPack } from "./engine-harness";
import { wireSecret, type AnalyzedResource, type Violation } from "./offline";

/** The placeholder the engine sends for a string it cannot know during preview. */
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

let dev: RunningPack;
let prod: RunningPack;

beforeAll(async () => {
  [dev, prod] = await Promise.all([
    startPack("dev", { "liftoff:profile": "dev", "liftoff:sshPort": "2222" }),
    startPack("prod", { "liftoff:profile": "prod" }),
  ]);
});
afterAll(() => {
  dev?.close();
  prod?.close();
});

const tags = (stack: string) => ({ environment: stack, owner: "platform-team", profile: stack, project: "liftoff" });

function rule(name: string, source: string, port: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    priority: 100,
    direction: "Inbound",
    access: "Allow",
    protocol: "Tcp",
    sourceAddressPrefix: source,
    sourcePortRange: "*",
    destinationAddressPrefix: "*",
    destinationPortRange: port,
    ...extra,
  };
}

function nsg(rules: Record<string, unknown>[], stack = "prod"): AnalyzedResource {
  return {
    type: "azure-native:network:NetworkSecurityGroup",
    name: "network-nsg",
    props: {
      location: "westeurope",
      resourceGroupName: `liftoff-${stack}-rg`,
      securityRules: rules,
      tags: tags(stack),
    },
  };
}

const byPolicy = (violations: Violation[], policy: string) => violations.filter((v) => v.policy === policy);

describe("ssh-not-open-to-internet", () => {
  it("passes SSH from an admin range and refuses it from the internet, inline or as a standalone rule", async () => {
    expect(
      byPolicy(await prod.analyze(nsg([rule("allow-ssh-admin", "203.0.113.0/28", "22")])), "ssh-not-open-to-internet"),
    ).toEqual([]);

    const inline = byPolicy(
      await prod.analyze(nsg([rule("allow-ssh-admin", "Internet", "22")])),
      "ssh-not-open-to-internet",
    );
    expect(inline).toHaveLength(1);
    expect(inline[0]).toMatchObject({ enforcement: "mandatory" });
    expect(inline[0]!.message).toContain("rule allow-ssh-admin lets Internet reach SSH (port 22)");

    const standalone = await prod.analyze({
      type: "azure-native:network:SecurityRule",
      name: "ssh-everyone",
      props: {
        networkSecurityGroupName: "liftoff-prod-nsg",
        resourceGroupName: "liftoff-prod-rg",
        ...rule("ssh", "0.0.0.0/0", "20-30"),
      },
    });
    expect(byPolicy(standalone, "ssh-not-open-to-internet").map((v) => v.message)).toEqual([
      expect.stringContaining("rule ssh lets 0.0.0.0/0 reach SSH (port 22)"),
    ]);
  });

  it("knows the stack's own SSH port from its config, and treats a range wider than /8 as the internet", async () => {
    const violations = byPolicy(
      await dev.analyze(nsg([rule("allow-ssh-admin", "10.0.0.0/7", "2222")], "dev")),
      "ssh-not-open-to-internet",
    );
    expect(violations.map((v) => v.message)).toEqual([expect.stringContaining("reach SSH (port 2222)")]);
    expect(
      byPolicy(
        await dev.analyze(nsg([rule("allow-ssh-admin", "10.0.0.0/8", "2222")], "dev")),
        "ssh-not-open-to-internet",
      ),
    ).toEqual([]);
  });

  it("during preview, skips a rule whose source is not known yet and still judges the NSG's other rules", async () => {
    const preview = await prod.analyze(
      nsg([rule("allow-ssh-admin", UNKNOWN_STRING, "22"), rule("allow-ssh-all", "*", "22")]),
    );
    expect(byPolicy(preview, "ssh-not-open-to-internet").map((v) => [v.enforcement, v.message])).toEqual([
      ["mandatory", expect.stringContaining("rule allow-ssh-all lets * reach SSH")],
    ]);
  });
});

describe("only-declared-public-ports", () => {
  it("passes the compose file's endpoints (443, 8443) and the ACME port, and refuses any other port open to the internet", async () => {
    const declared = nsg(["80", "443", "8443"].map((port) => rule(`allow-${port}`, "Internet", port)));
    expect(byPolicy(await prod.analyze(declared), "only-declared-public-ports")).toEqual([]);

    const extra = byPolicy(
      await prod.analyze(nsg([rule("allow-postgres", "*", "5432"), rule("allow-range", "Internet", "8000-8100")])),
      "only-declared-public-ports",
    );
    expect(extra.map((v) => v.message)).toEqual([
      expect.stringContaining(
        "rule allow-postgres opens port 5432 to *, but the declared public ports are 80, 443, 8443",
      ),
      expect.stringContaining("rule allow-range opens port 8000-8100"),
    ]);
    expect(extra[0]!.enforcement).toBe("mandatory");
  });

  it("ignores ports opened to the operators' ranges only, and the explicit deny", async () => {
    const resource = nsg([
      rule("allow-admin-metrics", "203.0.113.0/28", "9100"),
      { ...rule("deny-all-inbound", "*", "*"), access: "Deny" },
    ]);
    expect(byPolicy(await prod.analyze(resource), "only-declared-public-ports")).toEqual([]);
  });
});

describe("vm-ssh-keys-only", () => {
  const vm = (linuxConfiguration: Record<string, unknown>, extra: Record<string, unknown> = {}): AnalyzedResource => ({
    type: "azure-native:compute:VirtualMachine",
    name: "host-vm",
    props: {
      osProfile: { adminUsername: "liftoff", computerName: "vm", linuxConfiguration, ...extra },
      tags: tags("prod"),
    },
  });

  it("passes a VM with password authentication disabled and refuses one that allows passwords", async () => {
    expect(byPolicy(await prod.analyze(vm({ disablePasswordAuthentication: true })), "vm-ssh-keys-only")).toEqual([]);
    const violations = byPolicy(
      await prod.analyze(vm({ disablePasswordAuthentication: false }, { adminPassword: wireSecret("correct-horse") })),
      "vm-ssh-keys-only",
    );
    expect(violations.map((v) => v.message)).toEqual([
      "host-vm: does not set linuxConfiguration.disablePasswordAuthentication: true; liftoff hosts accept SSH keys only",
      "host-vm: sets an adminPassword; liftoff hosts accept SSH keys only",
    ]);
  });
});

describe("secret-outputs-marked-secret", () => {
  const role = (type: string, additionalSecretOutputs: string[]): AnalyzedResource => ({
    type,
    name: "postgres-orders-role",
    props: { kind: "role", name: "orders", projectId: "p", branchId: "b", __provider: "exports.handler = ..." },
    additionalSecretOutputs,
  });

  it("passes a Neon role whose password is declared secret and refuses one whose password is not", async () => {
    expect(
      byPolicy(
        await dev.analyze(role("pulumi-nodejs:dynamic/neon:Role", ["password"])),
        "secret-outputs-marked-secret",
      ),
    ).toEqual([]);
    for (const type of ["pulumi-nodejs:dynamic/neon:Role", "pulumi-nodejs:dynamic:Resource"]) {
      const violations = byPolicy(await dev.analyze(role(type, [])), "secret-outputs-marked-secret");
      expect(violations.map((v) => v.message)).toEqual([
        expect.stringContaining("postgres-orders-role: password holds a secret but is not marked secret"),
      ]);
    }
  });

  it("never repeats a secret's value in a violation", async () => {
    const violations = await dev.analyze({
      type: "mongodbatlas:index/databaseUser:DatabaseUser",
      name: "mongodb-catalog-user",
      props: { username: "catalog", password: wireSecret("s3cret-hunter2"), projectId: "p" },
    });
    expect(byPolicy(violations, "secret-outputs-marked-secret")).toHaveLength(1);
    expect(JSON.stringify(violations)).not.toContain("s3cret-hunter2");
  });
});

describe("prod-databases-protected", () => {
  const cluster = (overrides: Record<string, unknown>, protect: boolean): AnalyzedResource => ({
    type: "mongodbatlas:index/advancedCluster:AdvancedCluster",
    name: "mongodb-cluster",
    props: {
      name: "liftoff-prod",
      clusterType: "REPLICASET",
      backupEnabled: true,
      pitEnabled: true,
      terminationProtectionEnabled: true,
      ...overrides,
    },
    protect,
  });

  it("passes a protected, backed-up prod cluster and refuses one without backups or protection", async () => {
    expect(byPolicy(await prod.analyze(cluster({}, true)), "prod-databases-protected")).toEqual([]);
    const violations = byPolicy(
      await prod.analyze(cluster({ backupEnabled: false, pitEnabled: false }, false)),
      "prod-databases-protected",
    );
    expect(violations.map((v) => v.message)).toEqual([
      "mongodb-cluster: the Atlas cluster is not protected (resource option protect)",
      "mongodb-cluster: the Atlas cluster has no cloud backup (liftoff:atlasBackup)",
      "mongodb-cluster: the Atlas cluster has no point-in-time restore (liftoff:atlasPointInTimeRestore)",
    ]);
    expect(violations[0]!.enforcement).toBe("mandatory");
  });

  it("asks nothing of a dev cluster, unless the resource itself is tagged prod", async () => {
    expect(byPolicy(await dev.analyze(cluster({ backupEnabled: false }, false)), "prod-databases-protected")).toEqual(
      [],
    );
    const tagged = cluster({ backupEnabled: false, tags: { profile: "prod" } }, true);
    expect(byPolicy(await dev.analyze(tagged), "prod-databases-protected")).toHaveLength(1);
  });

  it("wants a prod Neon project protected with at least 24 h of history, and a backup schedule with a restore window", async () => {
    const project = (historyRetentionSeconds: number, protect: boolean): AnalyzedResource => ({
      type: "pulumi-nodejs:dynamic/neon:Project",
      name: "postgres-project",
      props: {
        kind: "project",
        name: "liftoff-prod",
        regionId: "aws-eu-central-1",
        pgVersion: 17,
        historyRetentionSeconds,
      },
      protect,
    });
    expect(byPolicy(await prod.analyze(project(604800, true)), "prod-databases-protected")).toEqual([]);
    expect(
      byPolicy(await prod.analyze(project(21600, false)), "prod-databases-protected").map((v) => v.message),
    ).toEqual([
      "postgres-project: the Neon project is not protected (resource option protect)",
      expect.stringContaining("keeps 6 h of history, less than the 24 h restore window"),
    ]);

    const schedule = (restoreWindowDays: number): AnalyzedResource => ({
      type: "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule",
      name: "mongodb-backup",
      props: {
        clusterName: "liftoff-prod",
        projectId: "p",
        restoreWindowDays,
        policyItemDaily: { frequencyInterval: 1, retentionUnit: "days", retentionValue: 7 },
      },
      protect: true,
    });
    expect(byPolicy(await prod.analyze(schedule(7)), "prod-databases-protected")).toEqual([]);
    expect(byPolicy(await prod.analyze(schedule(0)), "prod-databases-protected")).toHaveLength(1);
  });
});

describe("prod-grafana-delete-protection", () => {
  const stack = (deleteProtection: boolean, profile: string): AnalyzedResource => ({
    type: "grafana:cloud/stack:Stack",
    name: "observability-stack",
    props: {
      name: "liftoffacme",
      slug: "liftoffacme",
      regionSlug: "prod-eu-west-3",
      deleteProtection,
      labels: { profile },
    },
  });

  it("passes delete protection on in prod and refuses it off; dev may turn it off", async () => {
    expect(byPolicy(await prod.analyze(stack(true, "prod")), "prod-grafana-delete-protection")).toEqual([]);
    const violations = byPolicy(await prod.analyze(stack(false, "prod")), "prod-grafana-delete-protection");
    expect(violations).toHaveLength(1);
    expect(violations[0]!.enforcement).toBe("mandatory");
    expect(byPolicy(await dev.analyze(stack(false, "dev")), "prod-grafana-delete-protection")).toEqual([]);
  });
});

describe("prod-no-auto-shutdown", () => {
  const schedule = (status: string, profile: string): AnalyzedResource => ({
    type: "azure-native:devtestlab:GlobalSchedule",
    name: "host-shutdown",
    props: {
      name: "shutdown-computevm-liftoff-vm",
      status,
      taskType: "ComputeVmShutdownTask",
      dailyRecurrence: { time: "1900" },
      timeZoneId: "UTC",
      tags: tags(profile),
    },
  });
  let allowing: RunningPack;
  beforeAll(async () => {
    allowing = await startPack("prod", {
      "liftoff:profile": "prod",
      "liftoff:allowUnsafeProd": JSON.stringify(["autoShutdown"]),
    });
  });
  afterAll(() => allowing?.close());

  it("refuses an enabled shutdown schedule in prod and passes a disabled one; dev may shut down nightly", async () => {
    const violations = byPolicy(await prod.analyze(schedule("Enabled", "prod")), "prod-no-auto-shutdown");
    expect(violations.map((v) => [v.enforcement, v.message])).toEqual([
      [
        "mandatory",
        "host-shutdown: shuts the prod host down every day at 1900; remove liftoff:autoShutdown (or name autoShutdown in liftoff:allowUnsafeProd)",
      ],
    ]);
    expect(byPolicy(await prod.analyze(schedule("Disabled", "prod")), "prod-no-auto-shutdown")).toEqual([]);
    expect(byPolicy(await dev.analyze(schedule("Enabled", "dev")), "prod-no-auto-shutdown")).toEqual([]);
  });

  it("refuses a schedule tagged prod on a dev stack, and lets it through where liftoff:allowUnsafeProd names autoShutdown", async () => {
    expect(byPolicy(await dev.analyze(schedule("Enabled", "prod")), "prod-no-auto-shutdown")).toHaveLength(1);
    expect(byPolicy(await allowing.analyze(schedule("Enabled", "prod")), "prod-no-auto-shutdown")).toEqual([]);
  });
});

describe("azure-resources-tagged", () => {
  const group = (resourceTags: Record<string, string>): AnalyzedResource => ({
    type: "azure-native:resources:ResourceGroup",
    name: "resource-group",
    props: { resourceGroupName: "liftoff-prod-rg", location: "westeurope", tags: resourceTags },
  });

  it("passes environment and owner tags and reports (advisory) a missing owner or another stack's environment", async () => {
    expect(byPolicy(await prod.analyze(group(tags("prod"))), "azure-resources-tagged")).toEqual([]);
    const violations = byPolicy(await prod.analyze(group({ environment: "dev" })), "azure-resources-tagged");
    expect(violations.map((v) => [v.enforcement, v.message])).toEqual([
      ["advisory", 'resource-group: is tagged environment "dev" but belongs to stack prod'],
      ["advisory", "resource-group: has no owner tag"],
    ]);
  });

  it("leaves types Azure gives no tags (Subnet) alone", async () => {
    const subnet: AnalyzedResource = {
      type: "azure-native:network:Subnet",
      name: "network-subnet",
      props: { addressPrefix: "10.42.1.0/24" },
    };
    expect(await prod.analyze(subnet)).toEqual([]);
  });
});

describe("host-access-allow-listed", () => {
  const vm: AnalyzedResource = {
    type: "azure-native:compute:VirtualMachine",
    name: "host-vm",
    props: {
      osProfile: {
        adminUsername: "liftoff",
        computerName: "vm",
        linuxConfiguration: { disablePasswordAuthentication: true },
      },
      tags: tags("prod"),
    },
  };
  const app = { "liftoff:composeFile": "policy/testdata/host-access.yaml" };

  it("reports declared host access the stack has not allow-listed: advisory in dev, mandatory in prod; nothing once listed", async () => {
    const [devApp, prodApp, prodAllowed] = await Promise.all([
      startPack("dev", { "liftoff:profile": "dev", ...app }),
      startPack("prod", { "liftoff:profile": "prod", ...app }),
      startPack("prod", {
        "liftoff:profile": "prod",
        ...app,
        "liftoff:hostAccessAllowed": JSON.stringify(["agent:host-paths"]),
      }),
    ]);
    try {
      const message =
        'service agent declares host access host-paths (x-liftoff.hostAccess), which liftoff:hostAccessAllowed does not list: review it, then add "agent:host-paths" to liftoff:hostAccessAllowed';
      expect(byPolicy(await devApp.analyze(vm), "host-access-allow-listed")).toEqual([
        expect.objectContaining({ enforcement: "advisory", message: expect.stringContaining(message) }),
      ]);
      expect(byPolicy(await prodApp.analyze(vm), "host-access-allow-listed")).toEqual([
        expect.objectContaining({ enforcement: "mandatory", message: expect.stringContaining(message) }),
      ]);
      expect(byPolicy(await prodAllowed.analyze(vm), "host-access-allow-listed")).toEqual([]);
      // The example application declares none, so the stacks' own packs say nothing.
      expect(byPolicy(await prod.analyze(vm), "host-access-allow-listed")).toEqual([]);
    } finally {
      for (const pack of [devApp, prodApp, prodAllowed]) pack.close();
    }
  });
});
