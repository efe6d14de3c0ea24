/**
 * The Container Apps refusal rules on apps read by the real loader: what cannot run there is an
 * error with a fix, what has no effect a warning, and the example app maps once its accessory is
 * replaced or opted into Azure Files.
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseAppDefinition } from "../../environments/app-definition";
import type { AppDefinition } from "../../environments/compose/model";
import { PROJECT_DIR } from "../../test/harness";
import { COMPOSE_FIELDS, containerAppsProblems, managedAlternative, type ContainerAppsRuleOptions } from "./rules";
import { nearestConsumptionSize, serviceSize, sizeProblem } from "./resources";

const OPTIONS: ContainerAppsRuleOptions = {
  workloadProfileName: "Consumption",
  defaults: { cpu: 0.5, memoryGi: 1, minReplicas: 0, maxReplicas: 3 },
};

function app(yaml: string): AppDefinition {
  const { app: parsed, problems } = parseAppDefinition(yaml, "compose.yaml");
  expect(problems).toEqual([]);
  return parsed!;
}

const errors = (a: AppDefinition, options = OPTIONS) =>
  containerAppsProblems(a, options).filter((p) => p.severity === "error");
const warnings = (a: AppDefinition, options = OPTIONS) =>
  containerAppsProblems(a, options).filter((p) => p.severity === "warning");

describe("containerAppsProblems", () => {
  it("refuses the example app's broker, naming Azure Service Bus, and its calls to services without ingress", () => {
    const example = app(readFileSync(path.join(PROJECT_DIR, "app/compose.yaml"), "utf8"));
    const found = errors(example);
    expect(found.map((p) => p.key)).toEqual([
      "compose.yaml: services.broker.x-liftoff.accessory",
      "compose.yaml: services.api-gateway.environment.ORDERS_URL",
      "compose.yaml: services.api-gateway.environment.CATALOG_URL",
      "compose.yaml: services.api-gateway.environment.IDENTITY_URL",
      "compose.yaml: services.orders.environment.BROKER_URL",
    ]);
    expect(found[4]!.fix).toContain(
      'add `expose: ["5672"]` (the port broker listens on) to broker: an accessory gets TCP ingress on that port',
    );
    expect(found[3]!.message).toContain(
      "identity-service's ingress answers on port 80 of its name (forwarding to its port 8080), not on 8080",
    );
    expect(found[2]!.fix).toBe(
      'add `expose: ["8080"]` (the port catalog listens on) to catalog, and call http://catalog (port 80 of its ingress)',
    );
    expect(found[0]).toMatchObject({
      key: "compose.yaml: services.broker.x-liftoff.accessory",
      value: "ghcr.io/acme/broker:3.13",
    });
    expect(found[0]!.fix).toContain("Azure Service Bus");
    expect(found[0]!.fix).toContain("Azure Files");
  });

  it("accepts an accessory that opted into Azure Files, warning about SMB semantics", () => {
    const example = app(readFileSync(path.join(PROJECT_DIR, "app/compose.yaml"), "utf8"));
    const options = { ...OPTIONS, azureFiles: { key: "liftoff:containerapps.azureFiles", services: ["broker"] } };
    expect(errors(example, options).filter((p) => p.key.includes("broker"))).toEqual([]);
    const smb = warnings(example, options).find((w) => w.key.includes("services.broker.volumes"));
    expect(smb?.message).toMatch(/SMB.*no POSIX locks/);
  });

  it("refuses host ports, privileged mode and host mounts, each with a fix", () => {
    const a = app(`
services:
  web:
    image: ghcr.io/acme/web:1
  tool:
    image: ghcr.io/acme/tool:1
    privileged: true
    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]
    x-liftoff:
      hostAccess: [privileged, { hostPaths: [/var/run/docker.sock] }]
`);
    // The loader refuses host ports already; the rule holds on its own too.
    const withPorts = {
      ...a,
      services: a.services.map((s) =>
        s.name === "web" ? { ...s, compose: { ...s.compose, ports: [{ target: 80, published: "8080" }] } } : s,
      ),
    };
    const found = errors(withPorts);
    const keys = found.map((p) => p.key);
    expect(keys).toContain("compose.yaml: services.web.ports");
    expect(keys).toContain("compose.yaml: services.tool.x-liftoff.hostAccess");
    expect(keys).toContain("compose.yaml: services.tool.volumes");
    for (const p of found) expect(p.fix.length).toBeGreaterThan(10);
    expect(found.find((p) => p.key.endsWith("web.ports"))!.fix).toContain("x-liftoff.public");
  });

  it("refuses a size Consumption does not run and names the nearest one", () => {
    const a = app(`
services:
  api:
    image: ghcr.io/acme/api:1
    cpus: 0.5
    mem_limit: 3g
    expose: ["8080"]
`);
    const [p] = errors(a);
    expect(p).toMatchObject({ key: "compose.yaml: services.api.cpus", value: "0.5 vCPU / 3 Gi" });
    expect(p!.fix).toBe("set `cpus: 1.5` and `mem_limit: 3072m` on api");
  });

  it("warns about fields with no effect and a service no one can call", () => {
    const a = app(`
services:
  worker:
    image: ghcr.io/acme/worker:1
    labels: { team: core }
`);
    expect(errors(a)).toEqual([]);
    const keys = warnings(a).map((w) => w.key);
    expect(keys).toEqual(["compose.yaml: services.worker.labels", "compose.yaml: services.worker.expose"]);
  });

  it("refuses a call to a service's own port: its ingress answers on port 80 of its name", () => {
    const a = app(`
services:
  web:
    image: ghcr.io/acme/web:1
    environment:
      API: http://api:8080/v1
      OK: http://api/v1
      ELSEWHERE: https://example.com:8443
  api:
    image: ghcr.io/acme/api:1
    expose: ["8080"]
`);
    const found = errors(a);
    expect(found.map((p) => [p.key, p.value])).toEqual([
      ["compose.yaml: services.web.environment.API", "http://api:8080"],
    ]);
    expect(found[0]!.fix).toContain("call http://api without the port");
  });

  it("refuses more than one exposed port on an internal service", () => {
    const a = app(`
services:
  api:
    image: ghcr.io/acme/api:1
    expose: ["8080", "9090"]
`);
    expect(errors(a).map((p) => p.key)).toEqual(["compose.yaml: services.api.expose"]);
  });

  it("names a managed alternative per kind of accessory", () => {
    expect(managedAlternative({ name: "cache", imageText: "redis:7" })).toContain("Redis");
    expect(managedAlternative({ name: "queue", imageText: "rabbitmq:3" })).toContain("Service Bus");
    expect(managedAlternative({ name: "events", imageText: "bitnami/kafka" })).toContain("Event Hubs");
    expect(managedAlternative({ name: "db", imageText: "postgres:16" })).toContain("Neon");
  });
});

describe("replica sizes", () => {
  it("completes a half-given size by the 1:2 ratio and checks the pair", () => {
    expect(serviceSize({ compose: { cpus: 1 } }, OPTIONS.defaults)).toEqual({ cpu: 1, memoryGi: 2 });
    expect(serviceSize({ compose: { mem_limit: String(512 * 1024 ** 2) } }, OPTIONS.defaults)).toEqual({
      cpu: 0.25,
      memoryGi: 0.5,
    });
    expect(serviceSize({ compose: {} }, OPTIONS.defaults)).toEqual({ cpu: 0.5, memoryGi: 1 });
    expect(sizeProblem({ cpu: 4, memoryGi: 8 }, "Consumption")).toBeUndefined();
    expect(sizeProblem({ cpu: 4.25, memoryGi: 8.5 }, "Consumption")).toContain("not a size");
    expect(sizeProblem({ cpu: 1, memoryGi: 4 }, "D4")).toBeUndefined();
    expect(nearestConsumptionSize({ cpu: 0.3, memoryGi: 0.5 })).toEqual({ cpu: 0.5, memoryGi: 1 });
  });
});

describe("the README's field table", () => {
  it("lists every field of COMPOSE_FIELDS with its treatment", () => {
    const readme = readFileSync(path.join(PROJECT_DIR, "components/containerapps/README.md"), "utf8");
    for (const [field, treatment] of Object.entries(COMPOSE_FIELDS)) {
      expect(readme, `README row for ${field}`).toContain(`| \`${field}\` | ${treatment.kind} |`);
    }
  });
});
