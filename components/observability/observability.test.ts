import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { PROFILES } from "../../environments/profiles";
import { byType, input, isSecretAt, one, runComponent } from "../../test/harness";
import { Observability, OTLP_WRITE_SCOPES, type ObservabilityArgs } from ".";

const ARGS: ObservabilityArgs = {
  environment: "prod",
  namePrefix: "liftoff-prod",
  cloudAccessPolicyToken: pulumi.secret("glc_cloud_admin_token"),
  region: "prod-eu-west-3",
  stackSlug: "acmeprod",
  deleteProtection: true,
  services: [
    { name: "api-gateway", version: "1.4.2" },
    { name: "orders", version: "1.4.2" },
  ],
  gatewayService: "api-gateway",
  healthChecks: [{ service: "api-gateway", url: "https://h.example/healthz" }],
  syntheticCheck: { probes: ["Amsterdam", "London"], frequencySeconds: 60 },
  alertThresholds: PROFILES.prod.observability.alertThresholds,
  alertEmails: ["oncall@example.com"],
  host: "h.example",
};

/** Stands in for the deploy layer: a resource that takes what the component hands on. */
class Consumer extends pulumi.CustomResource {
  constructor(name: string, props: pulumi.Inputs) {
    super("test:index:Consumer", name, props);
  }
}

function declare(overrides: Partial<ObservabilityArgs> = {}) {
  return runComponent(() => {
    const o = new Observability("observability", { ...ARGS, ...overrides });
    new Consumer("deploy", {
      env: o.otelEnvironment["api-gateway"],
      collector: o.collector.environment,
      collectorConfig: o.collector.config,
    });
    return {
      headers: o.otlpHeaders,
      endpoint: o.otlpEndpoint,
      stackUrl: o.stackUrl,
      dashboards: o.dashboardUrls,
      gatewayEnv: o.otelEnvironment["api-gateway"]!.OTEL_SERVICE_NAME,
    };
  });
}

describe("Observability component", () => {
  it("creates one Grafana Cloud stack in the region, delete-protected as asked", async () => {
    const plan = await declare();
    expect(plan.error).toBeUndefined();
    expect(one(plan, "grafana:cloud/stack:Stack").inputs).toMatchObject({
      slug: "acmeprod",
      regionSlug: "prod-eu-west-3",
      deleteProtection: true,
    });
    expect(
      input(one(await declare({ deleteProtection: false }), "grafana:cloud/stack:Stack"), "deleteProtection"),
    ).toBe(false);
  });

  it("scopes the services' access policy to exactly this stack with exactly the three write scopes", async () => {
    const plan = await declare();
    const stack = one(plan, "grafana:cloud/stack:Stack");
    const otlp = byType(plan, "grafana:cloud/accessPolicy:AccessPolicy").find((p) => p.name === "observability-otlp")!;
    expect(input(otlp, "scopes")).toEqual([...OTLP_WRITE_SCOPES]);
    expect([...OTLP_WRITE_SCOPES].sort()).toEqual(["logs:write", "metrics:write", "traces:write"]);
    expect(input(otlp, "realms")).toEqual([{ type: "stack", identifier: stack.id }]);
    expect(input(otlp, "region")).toBe("prod-eu-west-3");
    const token = byType(plan, "grafana:cloud/accessPolicyToken:AccessPolicyToken").find(
      (t) => t.name === "observability-otlp",
    )!;
    expect(input(token, "accessPolicyId")).toBe("plan-policy-observability-otlp");
  });

  it("uses three providers: the cloud API with the admin token, the stack with a service account token, and synthetic monitoring", async () => {
    const plan = await declare();
    const providers = byType(plan, "pulumi:providers:grafana");
    expect(providers.map((p) => p.secretPaths.join()).sort()).toEqual([
      "auth",
      "cloudAccessPolicyToken",
      "smAccessToken",
    ]);
    expect(
      input(
        providers.find((p) => p.secretPaths.includes("auth"))!,
        "url",
      ),
    ).toBe("https://acmeprod.grafana.net");
    expect(one(plan, "grafana:cloud/stackServiceAccount:StackServiceAccount").inputs).toMatchObject({
      role: "Admin",
      stackSlug: "acmeprod",
    });
  });

  it("keeps every token secret: provider inputs, the installation, the OTLP headers and what the deploy layer receives", async () => {
    const plan = await declare();
    const text = JSON.stringify(plan);
    for (const leak of ["glc_cloud_admin_token", "glc_plan", "glsa_plan", "sm_plan"]) expect(text).not.toContain(leak);
    expect(plan.outputs["headers"]).toEqual({ value: "[secret]", secret: true });
    expect(one(plan, "grafana:syntheticMonitoring/installation:Installation").secretPaths).toEqual([
      "metricsPublisherKey",
    ]);
    const consumer = one(plan, "test:index:Consumer");
    expect(isSecretAt(consumer, "env.OTEL_EXPORTER_OTLP_HEADERS")).toBe(true);
    expect(isSecretAt(consumer, "collector.GRAFANA_CLOUD_TOKEN")).toBe(true);
    expect(isSecretAt(consumer, "collectorConfig")).toBe(false);
    expect(String(input(consumer, "collectorConfig"))).toContain('password = sys.env("GRAFANA_CLOUD_TOKEN")');
    expect(plan.outputs["gatewayEnv"]).toEqual({ value: "api-gateway", secret: false });
  });

  it("files two dashboards, pinned by uid, in its folder, querying the stack's own datasources", async () => {
    const plan = await declare();
    const folder = one(plan, "grafana:oss/folder:Folder");
    expect(input(folder, "uid")).toBe("liftoff-prod-folder");
    const dashboards = byType(plan, "grafana:oss/dashboard:Dashboard");
    expect(dashboards.map((d) => (JSON.parse(String(d.inputs["configJson"])) as { uid: string }).uid).sort()).toEqual([
      "liftoff-prod-host",
      "liftoff-prod-services",
    ]);
    for (const d of dashboards) {
      expect(d.inputs["folder"]).toBe("liftoff-prod-folder");
      const uids = new Set([...String(d.inputs["configJson"]).matchAll(/"uid":"([^"]+)"/g)].map((m) => m[1]));
      uids.delete((JSON.parse(String(d.inputs["configJson"])) as { uid: string }).uid);
      expect([...uids].every((u) => u === "grafanacloud-prom" || u === "grafanacloud-logs")).toBe(true);
    }
    expect(plan.outputs["dashboards"]!.value).toEqual({
      services: "https://acmeprod.grafana.net/d/liftoff-prod-services",
      host: "https://acmeprod.grafana.net/d/liftoff-prod-host",
    });
  });

  it("files its alert rules in its folder against the stack's Prometheus, and mails the contact point", async () => {
    const plan = await declare();
    for (const group of byType(plan, "grafana:alerting/ruleGroup:RuleGroup")) {
      expect(group.inputs["folderUid"]).toBe("liftoff-prod-folder");
      for (const rule of group.inputs["rules"] as { datas: { datasourceUid: string }[] }[]) {
        for (const d of rule.datas) expect(["grafanacloud-prom", "__expr__"]).toContain(d.datasourceUid);
      }
    }
    const contact = one(plan, "grafana:alerting/contactPoint:ContactPoint");
    expect(input(contact, "emails[0].addresses")).toEqual(["oncall@example.com"]);
    expect(one(plan, "grafana:alerting/notificationPolicy:NotificationPolicy").inputs["contactPoint"]).toBe(
      contact.inputs["name"],
    );
  });

  it("checks each public health URL from the named probes, over TLS", async () => {
    const plan = await declare();
    const check = one(plan, "grafana:syntheticMonitoring/check:Check");
    expect(check.inputs).toMatchObject({
      target: "https://h.example/healthz",
      job: "liftoff-prod-api-gateway-health",
      probes: [7, 5],
      frequency: 60_000,
    });
    expect(input(check, "settings.http.failIfNotSsl")).toBe(true);
  });
});
