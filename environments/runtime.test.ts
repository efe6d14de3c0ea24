import { describe, expect, it } from "vitest";
import { configInput, errors } from "../test/config-input";
import { buildEnvironmentSpec } from "./validate";
import type { Problem } from "./reader";

/** An application Container Apps runs as it is: a public gateway, an internal service, a migration job. */
const APP = {
  file: "app/compose.yaml",
  text: `x-liftoff:
  endpoints:
    api: { port: 443 }
services:
  gateway:
    image: ghcr.io/acme/gateway:1.0.0
    environment:
      ORDERS_URL: http://orders
    x-liftoff:
      public: { endpoint: api, containerPort: 8080 }
      health: /healthz
  orders:
    image: ghcr.io/acme/orders:1.0.0
    expose: ["8080"]
    x-liftoff:
      databases: [postgres]
      health: /healthz
`,
};

const aca = (profile: "dev" | "prod", overrides: Record<string, unknown> = {}, text = APP.text) =>
  buildEnvironmentSpec(
    configInput(
      profile,
      { runtime: "containerapps", images: undefined, ...overrides },
      { app: { file: APP.file, text } },
    ),
  );

function only(result: { problems: readonly Problem[] }, key: string): Problem {
  const found = errors(result);
  expect(
    found.map((p) => p.key),
    JSON.stringify(found, null, 1),
  ).toEqual([key]);
  const p = found[0]!;
  expect(p.allowed.length).toBeGreaterThan(3);
  expect(p.fix.length).toBeGreaterThan(5);
  return p;
}

describe("liftoff:runtime", () => {
  it("is vm by default, with blue/green releases and no Container Apps settings", () => {
    const { spec } = buildEnvironmentSpec(configInput("dev"));
    expect(spec!.runtime).toEqual({
      kind: "vm",
      canary: { steps: [100], stepSeconds: 30, maxErrorRate: 0.02 },
      bakeSeconds: 30,
    });
  });

  it("containerapps holds each canary step longer by default: Azure's metrics lag", () => {
    expect(aca("dev").spec!.runtime.canary).toEqual({ steps: [100], stepSeconds: 60, maxErrorRate: 0.05 });
  });

  it("refuses an unknown runtime with the nearest one as the fix", () => {
    const p = only(buildEnvironmentSpec(configInput("dev", { runtime: "container-apps" })), "liftoff:runtime");
    expect(p.fix).toBe("pulumi config set liftoff:runtime containerapps --stack dev");
  });

  it("containerapps in dev: Consumption, scale to zero, one zone, the /23 delegated subnet", () => {
    const { spec, problems } = aca("dev");
    expect(errors({ problems })).toEqual([]);
    expect(spec!.runtime.containerApps).toEqual({
      workloadProfile: { name: "Consumption", type: "Consumption" },
      zoneRedundant: false,
      defaults: { minReplicas: 0, maxReplicas: 3, concurrentRequests: 50, cpu: 0.5, memoryGi: 1 },
      customDomains: {},
      azureFilesServices: [],
      network: { addressSpace: "10.43.0.0/16", subnetPrefix: "10.43.0.0/23" },
      jobTimeoutSeconds: 600,
    });
  });

  it("containerapps in prod: two replicas at least, zone-redundant; a dedicated profile from the settings", () => {
    const { spec } = aca("prod", {
      containerAppsWorkloadProfile: "D8",
      containerAppsCustomDomains: JSON.stringify({ api: "API.Example.com" }),
    });
    const c = spec!.runtime.containerApps!;
    expect(c.defaults).toMatchObject({ minReplicas: 2, maxReplicas: 10 });
    expect(c.zoneRedundant).toBe(true);
    expect(c.workloadProfile).toEqual({ name: "d8", type: "D8", nodes: { min: 3, max: 10 } });
    expect(c.customDomains).toEqual({ api: "api.example.com" });
  });

  it("reports a VM setting on a containerapps stack (and the reverse) as having no effect, and no SSH lock-out warning", () => {
    const { problems } = aca("dev", { vmSize: "Standard_B2s", sshAllowedCidrs: JSON.stringify([]) });
    expect(problems.filter((p) => p.severity === "warning").map((p) => p.key)).toEqual(["liftoff:vmSize"]);
    expect(aca("dev", { bakeSeconds: "10" }).problems.find((p) => p.key === "liftoff:bakeSeconds")).toMatchObject({
      severity: "warning",
      message: expect.stringContaining("no effect"),
    });
    const vm = buildEnvironmentSpec(configInput("dev", { containerAppsMinReplicas: "1" }));
    expect(vm.problems.find((p) => p.key === "liftoff:containerAppsMinReplicas")).toMatchObject({
      severity: "warning",
      message: expect.stringContaining("no effect"),
    });
  });
});

describe("the runtime settings are in the one table", () => {
  it("a mistyped runtime key is refused with the key it meant", () => {
    expect(only(aca("dev", { containerAppsMinReplica: "2" }), "liftoff:containerAppsMinReplica").fix).toBe(
      "rename it to liftoff:containerAppsMinReplicas",
    );
    expect(only(buildEnvironmentSpec(configInput("dev", { canari: "[10, 100]" })), "liftoff:canari").fix).toBe(
      "rename it to liftoff:canary",
    );
  });

  it("an invalid canary still leaves the Container Apps settings checked in the same pass", () => {
    const found = errors(aca("dev", { canary: "[10, 50]", containerAppsWorkloadProfile: "D5" }));
    expect(found.map((p) => p.key).sort()).toEqual(["liftoff:canary[1]", "liftoff:containerAppsWorkloadProfile"]);
  });
});

describe("liftoff:canary", () => {
  it("takes a list or an object, for either runtime", () => {
    expect(buildEnvironmentSpec(configInput("dev", { canary: "[10, 50, 100]" })).spec!.runtime.canary).toEqual({
      steps: [10, 50, 100],
      stepSeconds: 30,
      maxErrorRate: 0.02,
    });
    expect(aca("dev", { canary: "[10, 50, 100]" }).spec!.runtime.canary).toEqual({
      steps: [10, 50, 100],
      stepSeconds: 60,
      maxErrorRate: 0.05,
    });
    expect(
      aca("dev", { canary: JSON.stringify({ steps: [25, 100], stepSeconds: 30, maxErrorRate: 0.01 }) }).spec!.runtime
        .canary,
    ).toEqual({ steps: [25, 100], stepSeconds: 30, maxErrorRate: 0.01 });
  });

  it.each([
    ["[10, 50]", "liftoff:canary[1]", /last step but not 100/],
    ["[50, 10, 100]", "liftoff:canary[1]", /not above the step before it \(50\)/],
    [JSON.stringify({ steps: [10, 100], stepSeconds: 7200 }), "liftoff:canary.stepSeconds", /out of range/],
    [JSON.stringify({ steps: [10, 100], pauseSeconds: 30 }), "liftoff:canary", /pauseSeconds/],
    [JSON.stringify({ steps: [10, 100], maxErrorRate: 5 }), "liftoff:canary.maxErrorRate", /not a share/],
  ])("refuses %s", (value, key, message) => {
    expect(only(buildEnvironmentSpec(configInput("dev", { canary: value })), key).message).toMatch(message);
  });

  it("suggests the sequence ending at 100", () => {
    expect(only(buildEnvironmentSpec(configInput("dev", { canary: "[10, 50]" })), "liftoff:canary[1]").fix).toContain(
      "liftoff:canary: [10, 50, 100]",
    );
  });
});

describe("Container Apps settings are checked before anything is declared", () => {
  it("a workload profile Container Apps does not have", () => {
    expect(
      only(aca("dev", { containerAppsWorkloadProfile: "D5" }), "liftoff:containerAppsWorkloadProfile").fix,
    ).toMatch(/containerAppsWorkloadProfile (D4|D8|E4)/);
  });

  it("a CPU/memory pair the Consumption profile does not run", () => {
    const p = only(aca("dev", { containerAppsMemory: "3Gi" }), "liftoff:containerAppsMemory");
    expect(p.allowed).toContain("0.5 vCPU / 1 Gi");
  });

  it("prod below 2 replicas or without zones, each unless allowUnsafeProd names it", () => {
    const result = aca("prod", { containerAppsMinReplicas: "0", containerAppsZoneRedundant: "false" });
    expect(
      errors(result)
        .map((p) => p.key)
        .sort(),
    ).toEqual(["liftoff:containerAppsMinReplicas", "liftoff:containerAppsZoneRedundant"]);
    expect(errors(result).every((p) => p.fix.includes("allowUnsafeProd"))).toBe(true);
    const allowed = aca("prod", {
      containerAppsMinReplicas: "0",
      allowUnsafeProd: JSON.stringify(["containerAppsMinReplicas"]),
    });
    expect(errors(allowed)).toEqual([]);
  });

  it("maxReplicas below minReplicas", () => {
    only(
      aca("dev", { containerAppsMinReplicas: "3", containerAppsMaxReplicas: "2" }),
      "liftoff:containerAppsMaxReplicas",
    );
  });

  it("a custom domain for an endpoint the app does not declare, or that is not a hostname", () => {
    only(
      aca("dev", { containerAppsCustomDomains: JSON.stringify({ web: "web.example.com" }) }),
      "liftoff:containerAppsCustomDomains.web",
    );
    only(
      aca("dev", { containerAppsCustomDomains: JSON.stringify({ api: "https://api.example.com" }) }),
      "liftoff:containerAppsCustomDomains.api",
    );
  });

  it("an Azure Files opt-in for a service the app does not define", () => {
    only(aca("dev", { containerAppsAzureFiles: JSON.stringify(["brokr"]) }), "liftoff:containerAppsAzureFiles[0]");
  });

  it("what Container Apps cannot run: a privileged service, named by its compose field", () => {
    const text = APP.text
      .replace('    expose: ["8080"]\n', '    expose: ["8080"]\n    privileged: true\n')
      .replace("      databases: [postgres]\n", "      databases: [postgres]\n      hostAccess: [privileged]\n");
    const found = errors(aca("dev", {}, text));
    expect(found.length).toBeGreaterThan(0);
    expect(found.every((p) => p.key.startsWith("app/compose.yaml"))).toBe(true);
    expect(found.map((p) => p.key).join("\n")).toMatch(/orders/);
  });

  it("an accessory without the Azure Files opt-in, naming the managed alternative; with it, a warning about SMB", () => {
    const text = `${APP.text}  cache:\n    image: ghcr.io/acme/redis:7.2\n    expose: ["6379"]\n    volumes: [cache-data:/data]\n    x-liftoff:\n      accessory: true\nvolumes:\n  cache-data: {}\n`;
    const refused = errors(aca("dev", {}, text));
    expect(refused).toHaveLength(1);
    expect(refused[0]!.message + refused[0]!.allowed + refused[0]!.fix).toMatch(/Redis/);
    expect(refused[0]!.fix).toContain("liftoff:containerAppsAzureFiles");
    const optedIn = aca("dev", { containerAppsAzureFiles: JSON.stringify(["cache"]) }, text);
    expect(errors(optedIn)).toEqual([]);
    expect(optedIn.problems.some((p) => p.severity === "warning" && /SMB/.test(p.message + p.allowed))).toBe(true);
  });
});
