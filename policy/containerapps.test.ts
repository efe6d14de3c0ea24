/**
 * The Container Apps policies, each with a passing and a violating app, judged by the pack as the
 * engine runs it (run-policy-pack over gRPC, the stack's name and config in its environment).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR, runStack } from "../test/harness";
import { readStackFiles } from "../tools/plan/project";
import { startPack, type RunningPack } from "./engine-harness";
import { stackFacts } from "./facts";
import { checkPlan, wireSecret, type AnalyzedResource, type Violation } from "./offline";
import { SECRET_STACK_OUTPUTS } from "./secrets";

let dev: RunningPack;
let prod: RunningPack;

beforeAll(async () => {
  [dev, prod] = await Promise.all([
    startPack("aca-dev", readStackFiles(PROJECT_DIR, "aca-dev").config),
    startPack("aca-prod", readStackFiles(PROJECT_DIR, "aca-prod").config),
  ]);
});
afterAll(() => {
  dev?.close();
  prod?.close();
});

const tags = (stack: string) => ({
  environment: stack,
  owner: "platform-team",
  profile: stack.replace("aca-", ""),
  project: "liftoff",
});

/** Test data edited freely by each case (the shape is the Container App's, checked by the policies). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = Record<string, any>;

/** A Container App as components/containerapps declares one: secrets as refs, HTTPS ingress, two replicas. */
function containerApp(stack: string, change: (app: Loose) => void = () => {}): AnalyzedResource {
  const app: Loose = {
    containerAppName: "orders",
    resourceGroupName: `liftoff-${stack}-rg`,
    location: "westeurope",
    tags: tags(stack),
    configuration: {
      activeRevisionsMode: "Multiple",
      ingress: {
        external: true,
        targetPort: 8080,
        allowInsecure: false,
        transport: "auto",
        customDomains: [
          { name: "orders.acme.example", bindingType: "SniEnabled", certificateId: "/subscriptions/0/cert" },
        ],
      },
      secrets: [
        { name: "database-url", value: wireSecret("postgresql://orders:pw@ep-x.neon.tech/orders") },
        { name: "ghcr", value: wireSecret("ghp_x") },
      ],
      registries: [{ server: "ghcr.io", username: "acme-deploy-bot", passwordSecretRef: "ghcr" }],
    },
    template: {
      containers: [
        {
          name: "orders",
          image: "ghcr.io/acme/orders@sha256:00",
          env: [
            { name: "DATABASE_URL", secretRef: "database-url" },
            { name: "BROKER_URL", value: "amqp://broker:5672" },
            { name: "OTEL_SERVICE_NAME", value: "orders" },
          ],
        },
      ],
      scale: { minReplicas: 2, maxReplicas: 10 },
    },
  };
  change(app);
  return { type: "azure-native:app:ContainerApp", name: "release-orders", props: app };
}

const byPolicy = (violations: Violation[], policy: string) => violations.filter((v) => v.policy === policy);

describe("containerapps-ingress-tls", () => {
  it("passes HTTPS-only public ingress and refuses plain HTTP and raw TCP", async () => {
    expect(byPolicy(await prod.analyze(containerApp("aca-prod")), "containerapps-ingress-tls")).toEqual([]);
    const insecure = byPolicy(
      await dev.analyze(
        containerApp("aca-dev", (a) => {
          a["configuration"].ingress.allowInsecure = true;
        }),
      ),
      "containerapps-ingress-tls",
    );
    expect(insecure.map((v) => [v.enforcement, v.message])).toEqual([
      [
        "mandatory",
        "orders: its public ingress allows plain HTTP (allowInsecure: true); set allowInsecure: false so HTTP is redirected to HTTPS",
      ],
    ]);
    // A custom domain waiting for its managed certificate (the release binds it) serves nothing in plain text.
    expect(
      byPolicy(
        await prod.analyze(
          containerApp("aca-prod", (a) => {
            a["configuration"].ingress.customDomains[0] = { name: "orders.acme.example", bindingType: "Disabled" };
          }),
        ),
        "containerapps-ingress-tls",
      ),
    ).toEqual([]);
    const tcp = byPolicy(
      await dev.analyze(
        containerApp("aca-dev", (a) => {
          a["configuration"].ingress.transport = "Tcp";
        }),
      ),
      "containerapps-ingress-tls",
    );
    expect(tcp.map((v) => v.message)).toEqual([expect.stringContaining("raw TCP")]);
    // Internal ingress is the environment's own network: HTTP is fine there.
    expect(
      byPolicy(
        await dev.analyze(
          containerApp("aca-dev", (a) => {
            a["configuration"].ingress = { external: false, targetPort: 8080, allowInsecure: true };
          }),
        ),
        "containerapps-ingress-tls",
      ),
    ).toEqual([]);
  });
});

describe("containerapps-prod-min-replicas", () => {
  it("refuses a prod app with fewer than 2 replicas (or Azure's default of 0), and lets dev scale to zero", async () => {
    const one = byPolicy(
      await prod.analyze(
        containerApp("aca-prod", (a) => {
          a["template"].scale.minReplicas = 1;
        }),
      ),
      "containerapps-prod-min-replicas",
    );
    expect(one.map((v) => [v.enforcement, v.message])).toEqual([
      [
        "mandatory",
        "orders: runs 1 replica at least in prod; set template.scale.minReplicas to 2 or more (liftoff:containerAppsMinReplicas)",
      ],
    ]);
    const unset = byPolicy(
      await prod.analyze(
        containerApp("aca-prod", (a) => {
          delete a["template"].scale;
        }),
      ),
      "containerapps-prod-min-replicas",
    );
    expect(unset.map((v) => v.message)).toEqual([expect.stringContaining("Container Apps' default of 0 replicas")]);
    expect(
      byPolicy(
        await dev.analyze(
          containerApp("aca-dev", (a) => {
            a["template"].scale.minReplicas = 0;
          }),
        ),
        "containerapps-prod-min-replicas",
      ),
    ).toEqual([]);
  });

  it("lets an accessory on an Azure Files share run its one replica (two writers would corrupt the volume)", async () => {
    const accessory = containerApp("aca-prod", (a) => {
      a["template"].scale = { minReplicas: 1, maxReplicas: 1 };
      a["template"].volumes = [{ name: "broker-data", storageType: "AzureFile", storageName: "broker-data" }];
    });
    expect(byPolicy(await prod.analyze(accessory), "containerapps-prod-min-replicas")).toEqual([]);
  });

  it("judges an app tagged prod as prod even on a stack that says dev", async () => {
    const tagged = containerApp("aca-dev", (a) => {
      a["template"].scale.minReplicas = 0;
      a["tags"].profile = "prod";
    });
    expect(byPolicy(await dev.analyze(tagged), "containerapps-prod-min-replicas")).toHaveLength(1);
  });
});

describe("containerapps-secrets-as-refs", () => {
  it("passes secrets as refs and refuses a secret variable, a credential-shaped value or a registry password given in plain", async () => {
    expect(byPolicy(await prod.analyze(containerApp("aca-prod")), "containerapps-secrets-as-refs")).toEqual([]);
    const plain = byPolicy(
      await prod.analyze(
        containerApp("aca-prod", (a) => {
          a["template"].containers[0].env[0] = {
            name: "DATABASE_URL",
            value: "postgresql://orders:pw@ep-x.neon.tech/orders",
          };
          a["template"].containers[0].env.push({ name: "OTEL_EXPORTER_OTLP_HEADERS", value: "x" });
          a["template"].containers[0].env.push({ name: "UPSTREAM", value: "https://user:hunter2@api.example" });
          a["configuration"].registries[0].password = "ghp_x";
        }),
      ),
      "containerapps-secrets-as-refs",
    );
    const messages = plain.map((v) => v.message);
    expect(messages).toEqual([
      "orders: variable DATABASE_URL of container orders holds a secret as a plain value; put it in configuration.secrets and reference it with secretRef",
      "orders: variable OTEL_EXPORTER_OTLP_HEADERS of container orders holds a secret as a plain value; put it in configuration.secrets and reference it with secretRef",
      "orders: variable UPSTREAM of container orders holds a secret as a plain value; put it in configuration.secrets and reference it with secretRef",
      "orders: the registry ghcr.io has a plain password; use passwordSecretRef",
    ]);
    expect(plain.every((v) => v.enforcement === "mandatory")).toBe(true);
    // No message repeats a value.
    expect(JSON.stringify(messages)).not.toMatch(/hunter2|pw@|ghp_x/);
  });

  it("covers jobs (migrations) too", async () => {
    const job: AnalyzedResource = {
      type: "azure-native:app:Job",
      name: "release-migrate",
      props: {
        jobName: "orders",
        tags: tags("aca-dev"),
        template: { containers: [{ name: "migrate", env: [{ name: "DATABASE_URL", value: "postgresql://a:b@c/d" }] }] },
      },
    };
    expect(byPolicy(await dev.analyze(job), "containerapps-secrets-as-refs")).toHaveLength(1);
  });
});

describe("the facts the pack learns for a containerapps stack", () => {
  it("name each service's secret variables: its databases' URLs and the OTLP headers liftoff adds", () => {
    const facts = stackFacts("aca-prod", readStackFiles(PROJECT_DIR, "aca-prod").config, PROJECT_DIR);
    expect(facts.secretVariables["orders"]).toEqual([
      "DATABASE_URL",
      "DATABASE_URL_UNPOOLED",
      "OTEL_EXPORTER_OTLP_HEADERS",
    ]);
    expect(facts.secretVariables["catalog"]).toEqual(["MONGODB_URI", "OTEL_EXPORTER_OTLP_HEADERS"]);
    expect(facts.secretVariables["api-gateway"]).toEqual(["OTEL_EXPORTER_OTLP_HEADERS"]);
  });
});

describe.each(["aca-dev", "aca-prod"])("the offline plan of %s", (stack) => {
  it("passes every policy, with its secret-bearing stack outputs secret", async () => {
    const evaluation = await runStack(stack);
    expect(evaluation.error).toBeUndefined();
    expect(
      await checkPlan(evaluation, stackFacts(stack, readStackFiles(PROJECT_DIR, stack).config, PROJECT_DIR)),
    ).toEqual([]);
    for (const name of SECRET_STACK_OUTPUTS.filter((n) => n !== "sshPrivateKey"))
      expect(evaluation.outputs[name], name).toMatchObject({ secret: true });
  });
});
