/**
 * ContainerAppsRelease under the SDK's mock monitor (the plan's mocks): one app per service, a Job
 * per job service, every secret a Container Apps secret referenced by `secretRef`, jobs before the
 * apps and the traffic move.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseAppDefinition } from "../../environments/app-definition";
import { serviceBindings } from "../../environments/compose/bindings";
import type { AppDefinition } from "../../environments/compose/model";
import { byType, input, isSecretAt, one, reveal, runComponent } from "../../test/harness";
import {
  ContainerAppsRelease,
  JOB_RUN_TYPE,
  TRAFFIC_RELEASE_TYPE,
  currentState,
  type ContainerAppsReleaseArgs,
} from ".";

const COMPOSE = `
x-liftoff:
  endpoints:
    api: { port: 443 }
services:
  api-gateway:
    image: ghcr.io/acme/api-gateway:1.4.2
    environment:
      ORDERS_URL: http://orders
      SESSION_SECRET: \${LIFTOFF_POSTGRES_PASSWORD}
      PUBLIC_URL: \${LIFTOFF_ENDPOINT_API_URL}
    healthcheck:
      interval: 15s
      retries: 4
    x-liftoff:
      public: { endpoint: api, containerPort: 8080 }
      health: /healthz
      databases: [postgres]
  orders:
    image: ghcr.io/acme/orders:1.4.2
    expose: ["8080"]
    environment:
      DATABASE_URL: \${LIFTOFF_POSTGRES_URL}
    x-liftoff:
      databases: [postgres]
      health: /ready
  migrate:
    image: ghcr.io/acme/orders:1.4.2
    command: ["migrate", "up"]
    environment:
      DATABASE_URL: \${LIFTOFF_POSTGRES_URL_DIRECT}
    x-liftoff:
      databases: [{ kind: postgres, shared: orders }]
      job: { phase: before-release, timeoutSeconds: 300 }
`;

const SECRET_VALUE = "s3cr3t-postgres-password";

function exampleApp(): AppDefinition {
  const { app, problems } = parseAppDefinition(COMPOSE, "compose.yaml");
  expect(problems).toEqual([]);
  return app!;
}

function args(app: AppDefinition): ContainerAppsReleaseArgs {
  const bindings: Record<string, Record<string, pulumi.Input<string>>> = {};
  for (const service of app.services) {
    bindings[service.name] = Object.fromEntries(
      serviceBindings(app, service).map((b) => [
        b.name,
        b.secret
          ? pulumi.secret(b.name === "LIFTOFF_POSTGRES_PASSWORD" ? SECRET_VALUE : `secret-${b.name}`)
          : `plain-${b.name}`,
      ]),
    );
  }
  return {
    project: "liftoff",
    environment: "prod",
    foundation: {
      subscriptionId: "00000000-0000-0000-0000-000000000001",
      resourceGroupName: "liftoff-prod",
      location: "westeurope",
      managedEnvironmentId:
        "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/liftoff-prod/providers/Microsoft.App/managedEnvironments/liftoff-prod",
      defaultDomain: "happy-sky-123.westeurope.azurecontainerapps.io",
      egressIp: "20.0.0.1",
      workloadProfileName: "Consumption",
    },
    app,
    bindings,
    images: Object.fromEntries(
      app.services.map((s) => [s.name, `${s.imageText.split(":")[0]}@sha256:${"a".repeat(64)}`]),
    ),
    registry: { server: "ghcr.io", username: "acme-bot", password: pulumi.secret("ghp_registrytoken") },
    customDomains: { api: "api.acme.example" },
    defaults: { minReplicas: 2, maxReplicas: 10, concurrentRequests: 50, cpu: 0.5, memoryGi: 1 },
    canary: { steps: [10, 50, 100], pauseSeconds: 180, maxErrorRate: 0.01 },
    jobTimeoutSeconds: 600,
  };
}

async function declare() {
  const plan = await runComponent(() => {
    const release = new ContainerAppsRelease("release", args(exampleApp()));
    return { hostnames: release.endpointHostnames, live: release.liveRevisions };
  });
  expect(plan.error).toBeUndefined();
  return plan;
}

describe("ContainerAppsRelease", () => {
  it("declares one Container App per service and a manually triggered Job per job service", async () => {
    const plan = await declare();
    expect(
      byType(plan, "azure-native:app:ContainerApp")
        .map((r) => r.inputs["containerAppName"])
        .sort(),
    ).toEqual(["api-gateway", "orders"]);
    const job = one(plan, "azure-native:app:Job");
    expect(reveal(job)).toMatchObject({
      jobName: "migrate",
      configuration: { triggerType: "Manual", replicaTimeout: 300, replicaRetryLimit: 0 },
    });
    expect(input(job, "template.containers[0].args")).toEqual(["migrate", "up"]);
    expect(one(plan, "azure-native:app:ManagedCertificate").inputs).toMatchObject({
      environmentName: "liftoff-prod",
      properties: { subjectName: "api.acme.example", domainControlValidation: "CNAME" },
    });
  });

  it("keeps every secret in configuration.secrets, marked secret, and references it: no plain secret value", async () => {
    const plan = await declare();
    for (const resource of [
      ...byType(plan, "azure-native:app:ContainerApp"),
      ...byType(plan, "azure-native:app:Job"),
    ]) {
      const revealed = reveal(resource) as {
        configuration: { secrets: { name: string; value: string }[]; registries: unknown[] };
        template: { containers: { env: { name: string; value?: string; secretRef?: string }[] }[] };
      };
      const secrets = revealed.configuration.secrets;
      expect(secrets.map((s) => s.name)).toContain("registry-password");
      expect(revealed.configuration.registries).toEqual([
        { server: "ghcr.io", username: "acme-bot", passwordSecretRef: "registry-password" },
      ]);
      secrets.forEach((_s, i) =>
        expect(
          isSecretAt(resource, `configuration.secrets[${i}].value`) ||
            isSecretAt(resource, "configuration.secrets") ||
            isSecretAt(resource, "configuration"),
        ).toBe(true),
      );
      const env = revealed.template.containers[0]!.env;
      for (const variable of env) {
        expect(variable.value ?? "").not.toMatch(/secret-|s3cr3t|ghp_/);
        if (variable.secretRef) expect(secrets.map((s) => s.name)).toContain(variable.secretRef);
      }
    }
    const gateway = reveal(
      byType(plan, "azure-native:app:ContainerApp").find((r) => r.inputs["containerAppName"] === "api-gateway")!,
    ) as {
      template: { containers: { env: { name: string; value?: string; secretRef?: string }[] }[] };
      configuration: { secrets: { name: string; value: string }[] };
    };
    const env = Object.fromEntries(gateway.template.containers[0]!.env.map((e) => [e.name, e]));
    expect(env["SESSION_SECRET"]).toEqual({ name: "SESSION_SECRET", secretRef: "env-session-secret" });
    expect(gateway.configuration.secrets.find((s) => s.name === "env-session-secret")?.value).toBe(SECRET_VALUE);
    expect(env["PUBLIC_URL"]).toEqual({ name: "PUBLIC_URL", value: "plain-LIFTOFF_ENDPOINT_API_URL" });
    expect(env["ORDERS_URL"]).toEqual({ name: "ORDERS_URL", value: "http://orders" });
  });

  it("gives each public endpoint its hostname, not as a secret", async () => {
    const plan = await declare();
    expect(plan.outputs["hostnames"]).toEqual({ value: { api: "api.acme.example" }, secret: false });
  });

  it("maps ingress, probes, size and scale", async () => {
    const plan = await declare();
    const gateway = byType(plan, "azure-native:app:ContainerApp").find(
      (r) => r.inputs["containerAppName"] === "api-gateway",
    )!;
    // azure-native applies its defaults to `configuration` in one apply, so the block holding the
    // secrets is secret as a whole; the template stays reviewable.
    expect(isSecretAt(gateway, "configuration")).toBe(true);
    expect(isSecretAt(gateway, "template")).toBe(false);
    const configuration = (reveal(gateway) as { configuration: Record<string, unknown> }).configuration;
    expect(configuration["activeRevisionsMode"]).toBe("Multiple");
    expect(configuration["ingress"]).toMatchObject({
      external: true,
      targetPort: 8080,
      allowInsecure: false,
      traffic: [{ latestRevision: true, weight: 100 }],
      customDomains: [{ name: "api.acme.example", bindingType: "Disabled" }],
    });
    expect(input(gateway, "template.containers[0].probes")).toEqual([
      {
        type: "Readiness",
        httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" },
        periodSeconds: 15,
        timeoutSeconds: 5,
        failureThreshold: 4,
        successThreshold: 1,
      },
      {
        type: "Liveness",
        httpGet: { path: "/healthz", port: 8080, scheme: "HTTP" },
        periodSeconds: 15,
        timeoutSeconds: 5,
        failureThreshold: 8,
        initialDelaySeconds: 0,
      },
    ]);
    expect(input(gateway, "template.containers[0].resources")).toEqual({ cpu: 0.5, memory: "1Gi" });
    expect(input(gateway, "template.scale")).toEqual({
      minReplicas: 2,
      maxReplicas: 10,
      rules: [{ name: "http-concurrency", http: { metadata: { concurrentRequests: "50" } } }],
    });
    expect(input(gateway, "template.revisionSuffix")).toMatch(/^r[0-9a-f]{12}$/);
    expect(input(gateway, "template.containers[0].image")).toBe(`ghcr.io/acme/api-gateway@sha256:${"a".repeat(64)}`);
    const orders = byType(plan, "azure-native:app:ContainerApp").find(
      (r) => r.inputs["containerAppName"] === "orders",
    )!;
    expect((reveal(orders) as { configuration: Record<string, unknown> }).configuration["ingress"]).toMatchObject({
      external: false,
      targetPort: 8080,
      allowInsecure: true,
    });
  });

  it("runs the job before the apps change, and moves traffic only after both", async () => {
    const plan = await declare();
    const run = one(plan, JOB_RUN_TYPE);
    expect(run.inputs).toMatchObject({ jobName: "migrate", resourceGroupName: "liftoff-prod", timeoutSeconds: 600 });
    expect(run.name).toBe("release-migrate-run");
    expect(run.inputs["releaseId"]).toMatch(/^r[0-9a-f]{12}$/);
    for (const app of byType(plan, "azure-native:app:ContainerApp")) expect(app.dependencies).toContain(run.urn);
    const traffic = one(plan, TRAFFIC_RELEASE_TYPE);
    for (const app of byType(plan, "azure-native:app:ContainerApp")) expect(traffic.dependencies).toContain(app.urn);
    expect(traffic.inputs).toMatchObject({ steps: [10, 50, 100], pauseSeconds: 180, maxErrorRate: 0.01 });
    const apps = input(traffic, "apps") as { name: string; revision: string }[];
    expect(apps.map((a) => a.name).sort()).toEqual(["api-gateway", "orders"]);
    for (const a of apps) expect(a.revision).toMatch(new RegExp(`^${a.name}--r[0-9a-f]{12}$`));
  });

  it("names the same revision for the same content and a new one when a secret changes", async () => {
    const suffixes = async (password: string) => {
      const a = exampleApp();
      const plan = await runComponent(() => {
        const base = args(a);
        new ContainerAppsRelease("release", {
          ...base,
          bindings: {
            ...base.bindings,
            "api-gateway": { ...base.bindings["api-gateway"], LIFTOFF_POSTGRES_PASSWORD: pulumi.secret(password) },
          },
        });
        return {};
      });
      return Object.fromEntries(
        byType(plan, "azure-native:app:ContainerApp").map((r) => [
          r.inputs["containerAppName"],
          r.inputs["template"] && (r.inputs["template"] as Record<string, unknown>)["revisionSuffix"],
        ]),
      );
    };
    const first = await suffixes("one");
    expect(await suffixes("one")).toEqual(first);
    const rotated = await suffixes("two");
    expect(rotated["api-gateway"]).not.toBe(first["api-gateway"]);
    expect(rotated["orders"]).toBe(first["orders"]);
  });
});

describe("pinning what an app serves before its update", () => {
  it("names the revisions serving now, so the new revision starts at 0 %", async () => {
    const state = await currentState(
      async () =>
        ({
          latestRevisionName: "api--r2",
          configuration: {
            ingress: {
              traffic: [{ latestRevision: true, weight: 100 }],
              customDomains: [{ name: "api.acme.example", bindingType: "SniEnabled", certificateId: "/cert" }],
            },
          },
        }) as never,
      ["api.acme.example"],
    );
    expect(state).toEqual({
      traffic: [{ revisionName: "api--r2", weight: 100 }],
      customDomains: [{ name: "api.acme.example", certificateId: "/cert" }],
    });
  });

  it("lets the first revision of a new app serve; any other failure stops the up", async () => {
    const missing = await currentState(async () => {
      throw new Error(
        "Status=404 Code=\"ResourceNotFound\" Message=\"The Resource 'Microsoft.App/containerApps/api' under resource group 'rg' was not found.\"",
      );
    }, ["api.acme.example"]);
    expect(missing).toEqual({
      traffic: [{ latestRevision: true, weight: 100 }],
      customDomains: [{ name: "api.acme.example" }],
    });
    await expect(
      currentState(async () => {
        throw new Error('Status=403 Code="AuthorizationFailed"');
      }, []),
    ).rejects.toThrow("AuthorizationFailed");
  });
});
