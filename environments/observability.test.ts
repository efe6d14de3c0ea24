import { describe, expect, it } from "vitest";
import { configInput, errors, onlyError } from "../test/config-input";
import { PROFILES } from "./profiles";
import { buildEnvironmentSpec, formatProblems } from "./validate";

describe("observability settings", () => {
  it("takes the stack slug from the DNS label and the thresholds and probes from the profile", () => {
    const { spec, problems } = buildEnvironmentSpec(configInput("dev"));
    expect(problems).toEqual([]);
    expect(spec!.observability).toEqual({
      grafana: {
        region: "prod-eu-west-3",
        stackSlug: "acmedev",
        stackUrl: "https://acmedev.grafana.net",
        deleteProtection: false,
      },
      alertEmails: ["oncall@example.com"],
      alertThresholds: PROFILES.dev.observability.alertThresholds,
      gatewayService: "api-gateway",
      syntheticCheck: { probes: ["Amsterdam"], frequencySeconds: 300 },
      secrets: [expect.objectContaining({ key: "grafanaCloudToken", isSet: true })],
    });
  });

  it("protects prod's Grafana stack from deletion and holds prod to tighter thresholds", () => {
    const { spec } = buildEnvironmentSpec(configInput("prod"));
    expect(spec!.observability.grafana.deleteProtection).toBe(true);
    expect(spec!.observability.alertThresholds.p95LatencyMs).toBeLessThan(
      PROFILES.dev.observability.alertThresholds.p95LatencyMs,
    );
    expect(spec!.observability.syntheticCheck.probes.length).toBeGreaterThan(1);
  });

  it("overrides one threshold and keeps the profile's others", () => {
    const { spec } = buildEnvironmentSpec(
      configInput("prod", { alertThresholds: JSON.stringify({ p95LatencyMs: 500, diskUsedPercent: "80" }) }),
    );
    expect(spec!.observability.alertThresholds).toEqual({
      ...PROFILES.prod.observability.alertThresholds,
      p95LatencyMs: 500,
      diskUsedPercent: 80,
    });
  });

  it("lists the Grafana Cloud token among the stack's secrets", () => {
    const { spec } = buildEnvironmentSpec(configInput("dev"));
    expect(spec!.secrets.map((s) => s.key)).toEqual([
      "ghcrToken",
      "neonApiKey",
      "atlasPublicKey",
      "atlasPrivateKey",
      "grafanaCloudToken",
    ]);
  });
});

describe("observability validation rules (one test each)", () => {
  it("refuses an unknown Grafana Cloud region and suggests the nearest", () => {
    const p = onlyError("dev", { grafanaRegion: "prod-eu-west-9" }, "liftoff:grafanaRegion");
    expect(p.message).toContain("not a Grafana Cloud region");
    expect(p.fix).toMatch(/liftoff:grafanaRegion prod-eu-west-\d/);
  });

  it("refuses a short region name the access policy API would not take, offering the full slug", () => {
    expect(onlyError("dev", { grafanaRegion: "eu" }, "liftoff:grafanaRegion").fix).toContain("prod-eu-west-0");
  });

  it("refuses a missing Grafana Cloud region", () => {
    onlyError("dev", { grafanaRegion: undefined }, "liftoff:grafanaRegion");
  });

  it.each(["acme-dev", "Acmedev", "1acme", "a", "acme_dev", "a".repeat(30)])(
    "refuses a stack slug Grafana would refuse: %s",
    (slug) => {
      const p = onlyError("dev", { grafanaStackSlug: slug }, "liftoff:grafanaStackSlug");
      expect(p.value).toBe(slug);
      expect(p.allowed).toContain("grafana.net");
    },
  );

  it("accepts a 29-character slug", () => {
    expect(
      buildEnvironmentSpec(configInput("dev", { grafanaStackSlug: "a".repeat(29) })).spec?.observability.grafana
        .stackSlug,
    ).toBe("a".repeat(29));
  });

  it.each([
    ["gateway5xxPercent", 0],
    ["gateway5xxPercent", 75],
    ["p95LatencyMs", 5],
    ["p95LatencyMs", 250.5],
    ["healthCheckSuccessPercent", 0],
    ["diskUsedPercent", 100],
    ["diskUsedPercent", 20],
    ["containerRestarts", 0],
  ])("refuses the alert threshold %s = %s as out of range", (name, value) => {
    const p = onlyError(
      "dev",
      { alertThresholds: JSON.stringify({ [name]: value }) },
      `liftoff:alertThresholds.${name}`,
    );
    expect(p.message).toContain("out of range");
    expect(p.fix).toContain(`pulumi config set --path 'liftoff:alertThresholds.${name}'`);
  });

  it("refuses an alert threshold liftoff does not know, naming it", () => {
    const p = onlyError("dev", { alertThresholds: JSON.stringify({ p99LatencyMs: 900 }) }, "liftoff:alertThresholds");
    expect(p.allowed).toContain("p95LatencyMs");
  });

  it.each([
    "oncall",
    "oncall@",
    "on call@example.com",
    "oncall@example",
    "<oncall@example.com>",
    "oncall@exa_mple.com",
  ])("refuses a contact e-mail that is not an address: %s", (address) => {
    const p = onlyError("dev", { alertEmails: JSON.stringify(["ok@example.com", address]) }, "liftoff:alertEmails[1]");
    expect(p.value).toBe(address);
  });

  it("refuses an empty contact list: alerts would reach no one", () => {
    expect(onlyError("dev", { alertEmails: "[]" }, "liftoff:alertEmails").message).toContain("no one");
    onlyError("dev", { alertEmails: undefined }, "liftoff:alertEmails");
  });

  it("refuses a probe name that is not one", () => {
    onlyError("dev", { syntheticProbes: JSON.stringify(["Amsterdam", "eu-west"]) }, "liftoff:syntheticProbes[1]");
  });

  it("refuses a gateway service that has no public endpoint", () => {
    const p = onlyError("dev", { gatewayService: "orders" }, "liftoff:gatewayService");
    expect(p.allowed).toBe("api-gateway, identity-service");
  });

  it("refuses a gateway service when the application has no public endpoint, naming what would give it one", () => {
    const app = { file: "app/compose.yaml", text: "services:\n  worker:\n    image: ghcr.io/acme/worker:1.4.2\n" };
    const p = onlyError("dev", { gatewayService: "worker", images: undefined }, "liftoff:gatewayService", { app });
    // No setting called liftoff:publicEndpoints exists: the endpoints are the compose file's.
    expect(p.allowed).not.toContain("liftoff:publicEndpoints");
    expect(p.allowed).toContain("x-liftoff.public");
    expect(p.fix).toBe(
      "remove it: pulumi config rm liftoff:gatewayService --stack dev, or give worker an endpoint in app/compose.yaml (x-liftoff.endpoints and the service's x-liftoff.public)",
    );
  });

  it("refuses a missing Grafana Cloud token under `pulumi up`, saying which scopes it needs", () => {
    const p = onlyError("dev", { grafanaCloudToken: undefined }, "liftoff:grafanaCloudToken");
    expect(p.fix).toContain("stacks:write");
    expect(p.fix).toContain("accesspolicies:write");
    expect(p.fix).toContain("stack-service-accounts:write");
  });

  it("refuses a Grafana Cloud token kept in plain text, without printing it", () => {
    const result = buildEnvironmentSpec(
      configInput("dev", {}, { secretKeys: new Set(["ghcrToken", "neonApiKey", "atlasPublicKey", "atlasPrivateKey"]) }),
    );
    expect(errors(result)).toEqual([
      expect.objectContaining({ key: "liftoff:grafanaCloudToken", message: expect.stringContaining("plain text") }),
    ]);
    expect(formatProblems(result.problems)).not.toContain("glc_example");
  });

  it("names the setting meant when one is mistyped", () => {
    expect(onlyError("dev", { grafanaRegon: "prod-eu-west-3" }, "liftoff:grafanaRegon").fix).toBe(
      "rename it to liftoff:grafanaRegion",
    );
  });
});
