import { describe, expect, it } from "vitest";
import { NEON_TYPES } from "../components/neon";
import { byType, input, isSecretAt, one, reveal, runStack } from "../test/harness";
import { canaryPolicy } from "./containerapps";

const T = {
  group: "azure-native:resources:ResourceGroup",
  vnet: "azure-native:network:VirtualNetwork",
  subnet: "azure-native:network:Subnet",
  nat: "azure-native:network:NatGateway",
  ip: "azure-native:network:PublicIPAddress",
  env: "azure-native:app:ManagedEnvironment",
  check: "grafana:syntheticMonitoring/check:Check",
  atlasAccess: "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList",
  githubVariable: "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable",
};
/** What a stack on a VM declares and a Container Apps stack must not. */
const HOST_TYPES = [
  "azure-native:compute:VirtualMachine",
  "azure-native:network:NetworkInterface",
  "azure-native:network:NetworkSecurityGroup",
  "azure-native:network:SecurityRule",
  "azure-native:devtestlab:GlobalSchedule",
  "tls:index/privateKey:PrivateKey",
];

describe.each(["aca-dev", "aca-prod"])("the %s stack (runtime containerapps)", (stack) => {
  it("declares the platform: VNet, a subnet delegated to Microsoft.App/environments behind a NAT gateway, one static egress IP, a workload-profile environment", async () => {
    const plan = await runStack(stack);
    expect(plan.error).toBeUndefined();
    for (const type of [T.group, T.vnet, T.subnet, T.nat, T.ip, T.env])
      expect(byType(plan, type), type).toHaveLength(1);
    const subnet = one(plan, T.subnet);
    expect(subnet.inputs).toMatchObject({
      addressPrefix: "10.43.0.0/23",
      defaultOutboundAccess: false,
      delegations: [{ serviceName: "Microsoft.App/environments" }],
    });
    expect(input(subnet, "natGateway.id")).toBe(one(plan, T.nat).id);
    expect(input(one(plan, T.nat), "publicIpAddresses[0].id")).toBe(one(plan, T.ip).id);
    expect(one(plan, T.ip).inputs).toMatchObject({ sku: { name: "Standard" }, publicIPAllocationMethod: "Static" });
    const env = one(plan, T.env);
    expect(env.inputs).toMatchObject({
      workloadProfiles: [{ name: "Consumption", workloadProfileType: "Consumption" }],
      vnetConfiguration: { internal: false },
    });
    expect(input(env, "vnetConfiguration.infrastructureSubnetId")).toMatch(/\/containerapps$/);
  });

  it("declares no host: no VM, no NIC, no network security group or SSH rule, no SSH key, no collector, no SSH outputs", async () => {
    const plan = await runStack(stack);
    for (const type of HOST_TYPES) expect(byType(plan, type), type).toEqual([]);
    expect(plan.resources.filter((r) => r.type.startsWith("command:"))).toEqual([]);
    for (const output of [
      "fqdn",
      "publicIp",
      "sshUser",
      "sshCommand",
      "sshPrivateKey",
      "vmName",
      "collectorImage",
      "liveReleaseId",
      "releaseFiles",
    ]) {
      expect(plan.outputs[output], output).toBeUndefined();
    }
    expect(plan.outputs["runtime"]!.value).toBe("containerapps");
    expect(JSON.stringify(plan.resources)).not.toMatch(/alloy/i);
  });

  it("exports traces, logs and metrics through the environment's OpenTelemetry agent to the stack's Grafana OTLP endpoint, the token only as a secret", async () => {
    const plan = await runStack(stack);
    const env = one(plan, T.env);
    expect(isSecretAt(env, "openTelemetryConfiguration.destinationsConfiguration.otlpConfigurations[0].headers")).toBe(
      true,
    );
    expect(env.options.additionalSecretOutputs).toContain("openTelemetryConfiguration");
    type Otel = {
      destinationsConfiguration: { otlpConfigurations: { headers: { key: string; value: string }[] }[] };
    } & Record<string, { destinations: string[] }>;
    const otel = reveal(env)["openTelemetryConfiguration"] as Otel;
    const destination = otel.destinationsConfiguration.otlpConfigurations[0]!;
    expect(destination).toMatchObject({
      name: "grafana-cloud",
      endpoint: plan.outputs["otlpEndpoint"]!.value,
      insecure: false,
    });
    expect(destination.headers).toEqual([
      { key: "Authorization", value: expect.stringMatching(/^Basic [A-Za-z0-9+/=]+$/) },
    ]);
    for (const signal of ["tracesConfiguration", "logsConfiguration", "metricsConfiguration"])
      expect(otel[signal]!.destinations).toEqual(["grafana-cloud"]);
    // The token is nowhere in the clear: not in inputs shown by the plan, not in the log.
    const token = Buffer.from(destination.headers[0]!.value.slice("Basic ".length), "base64")
      .toString("utf8")
      .split(":")[1]!;
    expect(JSON.stringify(plan.resources.map((r) => r.inputs))).not.toContain(token);
    expect(plan.log.join("\n")).not.toContain(token);
  });

  it("lets exactly the NAT gateway's address into Atlas (and Neon where it has IP Allow)", async () => {
    const plan = await runStack(stack);
    const egressIp = plan.outputs["egressIp"]!.value as string;
    expect(egressIp).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(byType(plan, T.ip)).toHaveLength(1);
    expect(byType(plan, T.atlasAccess).map((e) => e.inputs["cidrBlock"])).toEqual([`${egressIp}/32`]);
    const neon = one(plan, NEON_TYPES.project).inputs["allowedIps"];
    if (stack === "aca-prod") expect(neon).toEqual([egressIp]);
    else expect(neon).toBeUndefined();
  });

  it("points the synthetic checks and the endpoints at the apps' hostnames, never at a host", async () => {
    const plan = await runStack(stack);
    const domain = plan.outputs["containerAppsDefaultDomain"]!.value as string;
    expect(domain).toMatch(/\.westeurope\.azurecontainerapps\.io$/);
    const api = stack === "aca-prod" ? "api.acme.example" : `api-gateway.${domain}`;
    expect(
      byType(plan, T.check)
        .map((c) => c.inputs["target"])
        .sort(),
    ).toEqual([`https://${api}/healthz`, `https://identity-service.${domain}/healthz`]);
    expect(plan.outputs["endpoints"]!.value).toEqual({
      "api-gateway": `https://${api}`,
      "identity-service": `https://identity-service.${domain}`,
    });
    expect(JSON.stringify(plan.resources)).not.toContain("cloudapp.azure.com");
    // No host: no host dashboard or host alert rules (disk, container restarts) that would never see data.
    expect(Object.keys(plan.outputs["dashboards"]!.value as object)).toEqual(["services"]);
    expect(byType(plan, "grafana:alerting/ruleGroup:RuleGroup").map((g) => g.inputs["name"])).toEqual(["services"]);
  });
});

describe.each(["aca-dev", "aca-prod"])("the apps of %s (the release half, components/containerapps)", (stack) => {
  it("one Container App per service on the foundation's environment, every secret variable a secret ref", async () => {
    const plan = await runStack(stack);
    const apps = byType(plan, "azure-native:app:ContainerApp");
    expect(apps.map((a) => a.inputs["containerAppName"]).sort()).toEqual([
      "api-gateway",
      "broker",
      "catalog",
      "identity-service",
      "orders",
    ]);
    const envId = one(plan, T.env).id;
    for (const app of apps) {
      expect(app.inputs["managedEnvironmentId"] ?? app.inputs["environmentId"]).toBe(envId);
      const env = reveal(app)["template"] as {
        containers: { env?: { name: string; value?: string; secretRef?: string }[] }[];
      };
      for (const variable of env.containers.flatMap((c) => c.env ?? [])) {
        if (/^(DATABASE_URL|DATABASE_URL_UNPOOLED|MONGODB_URI|OTEL_EXPORTER_OTLP_HEADERS)$/.test(variable.name)) {
          expect(variable, `${String(app.inputs["containerAppName"])} ${variable.name}`).toMatchObject({
            secretRef: expect.any(String),
          });
          expect(variable.value).toBeUndefined();
        }
      }
    }
    const orders = apps.find((a) => a.inputs["containerAppName"] === "orders")!;
    expect(isSecretAt(orders, "configuration")).toBe(true);
  });

  it("mounts the broker's opted-in volume from an Azure Files share whose key stays secret", async () => {
    const plan = await runStack(stack);
    const storage = one(plan, "azure-native:app:ManagedEnvironmentsStorage");
    expect(storage.inputs["storageName"]).toBe("broker-data");
    expect(isSecretAt(storage, "properties.azureFile.accountKey")).toBe(true);
    expect(one(plan, "azure-native:storage:StorageAccount").inputs).toMatchObject({
      sku: { name: stack === "aca-prod" ? "Standard_ZRS" : "Standard_LRS" },
      allowBlobPublicAccess: false,
      minimumTlsVersion: "TLS1_2",
    });
    expect(JSON.stringify(plan.resources.map((r) => r.inputs))).not.toContain("plan-storage-key");
  });
});

describe("aca-dev and aca-prod differ where they should", () => {
  it("dev: one zone, nothing protected", async () => {
    const plan = await runStack("aca-dev");
    expect(one(plan, T.env).inputs["zoneRedundant"]).toBe(false);
    expect(plan.resources.filter((r) => r.options.protect)).toEqual([]);
  });

  it("prod: zone-redundant; the resource group, the egress IP (what the allow lists hold), the broker's share and the Grafana stack protected", async () => {
    const plan = await runStack("aca-prod");
    expect(one(plan, T.env).inputs["zoneRedundant"]).toBe(true);
    const kinds = (r: { type: string }) => r.type.startsWith("azure-native:") || r.type.startsWith("grafana:");
    expect(
      plan.resources
        .filter((r) => r.options.protect && kinds(r))
        .map((r) => r.type)
        .sort(),
    ).toEqual([
      "azure-native:network:PublicIPAddress",
      "azure-native:resources:ResourceGroup",
      "azure-native:storage:FileShare",
      "azure-native:storage:StorageAccount",
      "grafana:cloud/stack:Stack",
    ]);
  });

  it("a dedicated workload profile from the settings joins Consumption in the environment", async () => {
    const plan = await runStack("aca-prod", { config: { containerAppsWorkloadProfile: "D4" } });
    expect(plan.error).toBeUndefined();
    expect(one(plan, T.env).inputs["workloadProfiles"]).toEqual([
      { name: "Consumption", workloadProfileType: "Consumption" },
      { name: "d4", workloadProfileType: "D4", minimumCount: 3, maximumCount: 10 },
    ]);
  });

  it("a containerapps stack with GitHub gets no host variables or SSH key for its workflows", async () => {
    const plan = await runStack("aca-dev", { config: { githubOwner: "acme", githubRepository: "backend" } });
    expect(plan.error).toBeUndefined();
    expect(byType(plan, T.githubVariable)).toEqual([]);
    expect(byType(plan, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret")).toEqual([]);
  });
});

describe("what Container Apps cannot run stops before anything is declared", () => {
  it("an accessory without the Azure Files opt-in, naming the managed alternative", async () => {
    const plan = await runStack("aca-dev", { config: { containerAppsAzureFiles: undefined } });
    expect(plan.resources).toEqual([]);
    expect(plan.error).toContain("app/compose.yaml: services.broker.x-liftoff.accessory");
    expect(plan.error).toContain("Azure Service Bus");
    expect(plan.error).toContain("liftoff:containerAppsAzureFiles");
  });

  it("prod with fewer than 2 replicas or without zone redundancy, unless allowUnsafeProd names the rule", async () => {
    const refused = await runStack("aca-prod", {
      config: { containerAppsMinReplicas: "1", containerAppsZoneRedundant: "false" },
    });
    expect(refused.resources).toEqual([]);
    expect(refused.error).toContain("liftoff:containerAppsMinReplicas");
    expect(refused.error).toContain("liftoff:containerAppsZoneRedundant");
    const allowed = await runStack("aca-prod", {
      config: { containerAppsMinReplicas: "1", allowUnsafeProd: ["containerAppsMinReplicas"] },
    });
    expect(allowed.error).toBeUndefined();
  });

  it("an unknown runtime, with the nearest one as the fix", async () => {
    const plan = await runStack("dev", { config: { runtime: "containerapp" } });
    expect(plan.resources).toEqual([]);
    expect(plan.error).toContain("liftoff:runtime");
    expect(plan.error).toContain("pulumi config set liftoff:runtime containerapps --stack dev");
  });
});

describe("moving a stack from vm to containerapps, as the plan diff shows it", () => {
  it("removes the host and its network edge, adds the platform and the apps, keeps the databases, and moves Atlas's allow-list entry to the NAT IP", async () => {
    const { planJson } = await import("../tools/plan/render");
    const { diffPlans } = await import("../tools/plan/diff");
    const before = planJson(await runStack("prod"));
    const moved = await runStack("prod", {
      config: {
        runtime: "containerapps",
        composeFiles: ["app/compose.yaml", "app/compose.containerapps.yaml"],
        containerAppsAzureFiles: ["broker"],
        vmSize: undefined,
        osDiskSizeGb: undefined,
        osDiskType: undefined,
      },
    });
    expect(moved.error).toBeUndefined();
    const diff = diffPlans(before, planJson(moved), { ref: "main", commit: "0000000" });
    const by = (action: string) => diff.resources.filter((r) => r.custom && r.action === action).map((r) => r.type);
    expect(by("remove")).toEqual(
      expect.arrayContaining([
        "azure-native:compute:VirtualMachine",
        "azure-native:network:NetworkSecurityGroup",
        "azure-native:network:NetworkInterface",
      ]),
    );
    expect(by("add")).toEqual(
      expect.arrayContaining([
        "azure-native:app:ManagedEnvironment",
        "azure-native:network:NatGateway",
        "azure-native:app:ContainerApp",
      ]),
    );
    // The data stays: no Neon or Atlas resource holding data is removed or replaced.
    const data = diff.resources.filter((r) => /neon:(Project|Database|Branch)|advancedCluster/.test(r.type));
    expect(data.filter((r) => r.action === "remove" || r.action === "replace")).toEqual([]);
    // The VM's public IP (protected in prod) goes: the diff alerts the reviewer.
    expect(diff.alerts.join("\n")).toMatch(/PublicIPAddress/);
  });
});

describe("liftoff:canary on containerapps", () => {
  it("each step is held stepSeconds: the release half's pauseSeconds", () => {
    expect(canaryPolicy({ steps: [10, 50, 100], stepSeconds: 120, maxErrorRate: 0.02 })).toEqual({
      steps: [10, 50, 100],
      pauseSeconds: 120,
      maxErrorRate: 0.02,
    });
  });
});
