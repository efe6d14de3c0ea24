import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { OTEL_VARIABLES } from "../components/observability";
import { planJson } from "../tools/plan/render";
import { byType, input, isSecretAt, one, runComponent, runStack, stackEnvironment } from "../test/harness";
import { deliveryLayer } from "./delivery";
import { foundationLayer } from "./foundation";
import { observabilityLayer } from "./observability";

/** Fake credentials the plan's mocks hand out; none may ever show. */
const PLAN_TOKENS = /glc_plan|glsa_plan|sm_plan|test-grafanaCloudToken|test-ghcrToken|test-githubToken/;

/** Stands in for the deploy layer: takes everything the two layers hand on. */
class DeployStandIn extends pulumi.CustomResource {
  constructor(props: pulumi.Inputs) {
    super("test:index:Deploy", "deploy", props);
  }
}

/** The two layers on their own, with a stand-in for the deploy layer consuming their outputs. */
function runLayers(stack: string) {
  return runComponent(() => {
    const environment = stackEnvironment(stack);
    const foundation = foundationLayer(environment);
    const observability = observabilityLayer(environment);
    const delivery = deliveryLayer(environment, { foundation, observability });
    new DeployStandIn({
      otel: observability.otelEnvironment,
      collectorEnvironment: observability.collector.environment,
      collectorImage: delivery.collectorImage,
      images: delivery.images,
      registryPassword: delivery.registry.password,
    });
    const otel = observability.otelEnvironment;
    return {
      services: environment.spec.services.map((s) => s.name),
      images: delivery.images,
      collectorImage: delivery.collectorImage,
      otelVariables: Object.fromEntries(
        Object.entries(otel).map(([service, env]) => [service, Object.keys(env).sort()]),
      ),
      otelPublic: Object.fromEntries(
        Object.entries(otel).map(([service, { OTEL_EXPORTER_OTLP_HEADERS: _, ...rest }]) => [service, rest]),
      ),
      ...Object.fromEntries(
        Object.entries(otel).map(([service, env]) => [`headers:${service}`, env.OTEL_EXPORTER_OTLP_HEADERS]),
      ),
    };
  }, stack);
}

describe.each(["dev", "prod"])("observability and delivery in the %s stack", (stack) => {
  it("keeps the OTLP token and headers secret in stack outputs, the plan JSON and the deploy layer's inputs", async () => {
    const plan = await runStack(stack);
    expect(plan.error).toBeUndefined();
    expect(plan.outputs["otlpHeaders"]).toEqual({ value: "[secret]", secret: true });
    expect(JSON.stringify(planJson(plan))).not.toMatch(PLAN_TOKENS);

    const layers = await runLayers(stack);
    expect(layers.error).toBeUndefined();
    const deploy = one(layers, "test:index:Deploy");
    for (const service of layers.outputs["services"]!.value as string[]) {
      expect(isSecretAt(deploy, `otel.${service}.OTEL_EXPORTER_OTLP_HEADERS`), service).toBe(true);
    }
    expect(isSecretAt(deploy, "collectorEnvironment.GRAFANA_CLOUD_TOKEN")).toBe(true);
    expect(isSecretAt(deploy, "registryPassword")).toBe(true);
    expect(JSON.stringify(layers)).not.toMatch(PLAN_TOKENS);
  });

  it("gives the services' access policy exactly the three write scopes on exactly this environment's stack", async () => {
    const plan = await runStack(stack);
    const grafanaStack = one(plan, "grafana:cloud/stack:Stack");
    const policies = byType(plan, "grafana:cloud/accessPolicy:AccessPolicy");
    const otlp = policies.find((p) => p.name === "observability-otlp")!;
    expect((input(otlp, "scopes") as string[]).sort()).toEqual(["logs:write", "metrics:write", "traces:write"]);
    expect(input(otlp, "realms")).toEqual([{ type: "stack", identifier: grafanaStack.id }]);
    for (const policy of policies)
      expect(input(policy, "realms")).toEqual([{ type: "stack", identifier: grafanaStack.id }]);
  });

  it("hands every service the OTLP settings, named after itself", async () => {
    const layers = await runLayers(stack);
    const services = layers.outputs["services"]!.value as string[];
    expect(services).toEqual(["api-gateway", "broker", "catalog", "identity-service", "orders"]);
    const variables = layers.outputs["otelVariables"]!.value as Record<string, string[]>;
    const settings = layers.outputs["otelPublic"]!.value as Record<string, Record<string, string>>;
    for (const service of services) {
      expect(variables[service]).toEqual([...OTEL_VARIABLES].sort());
      expect(settings[service]).toMatchObject({
        OTEL_SERVICE_NAME: service,
        OTEL_EXPORTER_OTLP_PROTOCOL: "http/protobuf",
        OTEL_EXPORTER_OTLP_ENDPOINT: "https://otlp-gateway-prod-eu-west-3.grafana.net/otlp",
        OTEL_RESOURCE_ATTRIBUTES: expect.stringContaining(`deployment.environment=${stack},`),
      });
      expect(layers.outputs[`headers:${service}`]).toEqual({ value: "[secret]", secret: true });
    }
    expect(layers.outputs["otelPublic"]!.secret).toBe(false);
  });

  it("hands the deploy layer every image, and the collector's, pinned by digest", async () => {
    const layers = await runLayers(stack);
    const images = layers.outputs["images"]!.value as Record<string, string>;
    expect(Object.keys(images).sort()).toEqual(["api-gateway", "broker", "catalog", "identity-service", "orders"]);
    for (const [service, reference] of Object.entries(images))
      expect(reference).toMatch(new RegExp(`^ghcr\\.io/acme/${service}@sha256:[a-f0-9]{64}$`));
    expect(layers.outputs["collectorImage"]!.value).toMatch(/^docker\.io\/grafana\/alloy@sha256:[a-f0-9]{64}$/);
    const plan = await runStack(stack);
    expect(plan.outputs["images"]!.value).toEqual(images);
  });

  it("files dashboards and alert rules in the environment's folder, against datasources the stack has", async () => {
    const plan = await runStack(stack);
    const folder = input(one(plan, "grafana:oss/folder:Folder"), "uid");
    expect(folder).toBe(`liftoff-${stack}-folder`);
    for (const d of byType(plan, "grafana:oss/dashboard:Dashboard")) expect(d.inputs["folder"]).toBe(folder);
    const groups = byType(plan, "grafana:alerting/ruleGroup:RuleGroup");
    expect(groups.map((g) => g.inputs["name"]).sort()).toEqual(["host", "services"]);
    for (const g of groups) {
      expect(g.inputs["folderUid"]).toBe(folder);
      for (const rule of g.inputs["rules"] as { datas: { datasourceUid: string }[] }[]) {
        for (const d of rule.datas) expect(["grafanacloud-prom", "__expr__"]).toContain(d.datasourceUid);
      }
    }
    expect(Object.keys(plan.outputs["dashboards"]!.value as object).sort()).toEqual(["host", "services"]);
  });

  it("checks each public endpoint's health URL", async () => {
    const plan = await runStack(stack);
    expect(
      byType(plan, "grafana:syntheticMonitoring/check:Check")
        .map((c) => c.inputs["target"])
        .sort(),
    ).toEqual([
      `https://liftoff-acme-${stack}.westeurope.cloudapp.azure.com/healthz`,
      `https://liftoff-acme-${stack}.westeurope.cloudapp.azure.com:8443/healthz`,
    ]);
  });
});

describe("dev and prod differ where they should", () => {
  it("prod's Grafana stack is delete-protected and protected; dev's can be torn down", async () => {
    // One at a time: the mock monitor is process-wide.
    const dev = await runStack("dev");
    const prod = await runStack("prod");
    expect(input(one(dev, "grafana:cloud/stack:Stack"), "deleteProtection")).toBe(false);
    expect(one(dev, "grafana:cloud/stack:Stack").options.protect).toBe(false);
    expect(input(one(prod, "grafana:cloud/stack:Stack"), "deleteProtection")).toBe(true);
    expect(one(prod, "grafana:cloud/stack:Stack").options.protect).toBe(true);
  });

  it("prod's GitHub environment requires review from others, from the default branch only; dev's does not", async () => {
    const prod = await runStack("prod");
    const environment = one(prod, "github:index/repositoryEnvironment:RepositoryEnvironment");
    expect(environment.inputs).toMatchObject({
      environment: "prod",
      repository: "backend",
      preventSelfReview: true,
      canAdminsBypass: false,
    });
    const [reviewers] = input(environment, "reviewers") as { users: number[]; teams: number[] }[];
    expect(reviewers!.users.length + reviewers!.teams.length).toBe(2);
    expect(
      one(prod, "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy").inputs,
    ).toMatchObject({ branchPattern: "main" });

    const dev = await runStack("dev");
    expect(one(dev, "github:index/repositoryEnvironment:RepositoryEnvironment").inputs).toMatchObject({
      environment: "dev",
      reviewers: [],
      preventSelfReview: false,
    });
  });

  it("gives the workflows the host, the SSH user and, when liftoff generated it, the key as a secret", async () => {
    const plan = await runStack("prod");
    const variables = Object.fromEntries(
      byType(plan, "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable").map((v) => [
        v.inputs["variableName"],
        v.inputs["value"],
      ]),
    );
    expect(variables).toStrictEqual({
      LIFTOFF_HOST: "liftoff-acme-prod.westeurope.cloudapp.azure.com",
      LIFTOFF_SSH_USER: "deploy",
      LIFTOFF_SSH_PORT: "22",
    });
    expect(one(plan, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret").secretPaths).toEqual(["value"]);
    const own = await runStack("prod", {
      config: {
        sshPublicKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMEIOiuTWnwttD1DcRZZiQzl+gu1AxuqPpq3zWEoqDhI op@laptop",
      },
    });
    expect(byType(own, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret")).toEqual([]);
  });

  it("without GitHub settings declares nothing of GitHub, and the plan says so", async () => {
    const plan = await runStack("dev", { config: { githubOwner: undefined, githubRepository: undefined } });
    expect(plan.error).toBeUndefined();
    expect(plan.resources.filter((r) => r.type.startsWith("github:") || r.type === "pulumi:providers:github")).toEqual(
      [],
    );
    expect(plan.log).toContainEqual(expect.stringMatching(/^info: GitHub is not configured for stack dev/));
    expect(planJson(plan)).toMatchObject({ notes: [expect.stringContaining("declares no repository environment")] });
  });
});
