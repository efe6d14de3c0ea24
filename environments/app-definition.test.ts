import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { runComposeV2, tempFile } from "../test/tools";
import { parseAppDefinition } from "./app-definition";

const EXAMPLE_FILE = path.join(__dirname, "..", "app", "compose.yaml");
const EXAMPLE = readFileSync(EXAMPLE_FILE, "utf8");
type Doc = {
  "x-liftoff"?: Record<string, unknown>;
  services: Record<string, Record<string, unknown>>;
  volumes?: Record<string, unknown>;
};

/** The example with one change, re-serialised. */
function variant(change: (doc: Doc) => void): string {
  const doc = parse(EXAMPLE) as Doc;
  change(doc);
  return stringify(doc);
}

/** A problem's key: the file, its line, then the field. */
function at(field: string): RegExp {
  return new RegExp(`^app/compose\\.yaml:\\d+: ${field.replace(/[.[\]]/g, "\\$&")}$`);
}

function problemsOf(text: string) {
  const result = parseAppDefinition(text, "app/compose.yaml");
  expect(result.app).toBeUndefined();
  return result.problems;
}

describe("the example application (the seed system)", () => {
  it("is a valid Compose file for the real Compose v2 (`docker compose config`)", () => {
    const result = runComposeV2(["-f", EXAMPLE_FILE, "config", "--quiet"]);
    expect(result.output).toBe("");
    expect(result.status).toBe(0);
  });

  it("reads into public services with endpoints, internal services with databases, and an accessory", () => {
    const { app, problems } = parseAppDefinition(EXAMPLE, "app/compose.yaml");
    expect(problems).toEqual([]);
    expect(app!.endpoints).toEqual([
      { name: "api", port: 443 },
      { name: "identity", port: 8443 },
    ]);
    const byName = Object.fromEntries(app!.services.map((s) => [s.name, s]));
    expect(byName["api-gateway"]).toMatchObject({
      public: { endpoint: "api", containerPort: 8080 },
      healthPath: "/healthz",
      accessory: false,
    });
    expect(byName["orders"]).toMatchObject({ databases: [{ kind: "postgres" }], accessory: false });
    expect(byName["orders"]!.public).toBeUndefined();
    expect(byName["catalog"]!.databases).toEqual([{ kind: "mongodb" }]);
    expect(byName["identity-service"]!.databases).toEqual([{ kind: "postgres", database: "identity" }]);
    expect(byName["broker"]).toMatchObject({ accessory: true });
    expect(byName["broker"]!.compose["volumes"]).toEqual([
      { type: "volume", source: "broker-data", target: "/var/lib/broker", volume: {} },
    ]);
    expect(byName["api-gateway"]!.compose).not.toHaveProperty("x-liftoff");
    expect(app!.volumes).toEqual({ "broker-data": {} });
  });
});

describe("application definition rules (one test each, naming the service and the field)", () => {
  it("refuses a public service without a health check", () => {
    const [p, ...rest] = problemsOf(
      variant((d) => delete (d.services["api-gateway"]!["x-liftoff"] as Record<string, unknown>)["health"]),
    );
    expect(rest).toEqual([]);
    expect(p!.key).toMatch(at("services.api-gateway.x-liftoff.health"));
    expect(p!.message).toContain("public service needs a health check");
  });

  it("refuses a host port published by an internal service", () => {
    const [p] = problemsOf(variant((d) => (d.services["orders"]!["ports"] = ["9000:8080"])));
    expect(p!.key).toMatch(at("services.orders.ports"));
    expect(p!.value).toContain(`"published":"9000"`);
  });

  it("takes a public service's container port from its published port and drops the host port", () => {
    const text = variant((d) => {
      d.services["identity-service"]!["x-liftoff"] = { public: { endpoint: "identity" }, health: "/healthz" };
      d.services["identity-service"]!["ports"] = ["8081:9090"];
    });
    const identity = parseAppDefinition(text, "f").app!.services.find((s) => s.name === "identity-service")!;
    expect(identity.public).toEqual({ endpoint: "identity", containerPort: 9090 });
    expect(identity.compose).not.toHaveProperty("ports");
  });

  it("refuses an unknown endpoint and lists the declared ones", () => {
    const [p] = problemsOf(
      variant(
        (d) => ((d.services["api-gateway"]!["x-liftoff"] as { public: { endpoint: string } }).public.endpoint = "apii"),
      ),
    );
    expect(p!.key).toMatch(at("services.api-gateway.x-liftoff.public.endpoint"));
    expect(p!.allowed).toBe("api, identity");
  });

  it("refuses an endpoint that no service serves", () => {
    const [p] = problemsOf(
      variant((d) => ((d["x-liftoff"]!["endpoints"] as Record<string, unknown>)["admin"] = { port: 9443 })),
    );
    expect(p!.key).toMatch(at("x-liftoff.endpoints.admin"));
  });

  it("refuses an accessory without a volume for its data", () => {
    const [p] = problemsOf(variant((d) => delete d.services["broker"]!["volumes"]));
    expect(p!.key).toMatch(at("services.broker.volumes"));
    expect(p!.message).toContain("lost on every update");
  });

  it("refuses an image with neither tag nor digest", () => {
    const [p] = problemsOf(variant((d) => (d.services["catalog"]!["image"] = "ghcr.io/acme/catalog")));
    expect(p!.key).toMatch(at("services.catalog.image"));
    expect(p!.fix).toContain("ghcr.io/acme/catalog:1.0.0");
  });

  it("refuses a database kind liftoff does not provision", () => {
    const [p] = problemsOf(
      variant((d) => ((d.services["orders"]!["x-liftoff"] as Record<string, unknown>)["databases"] = ["mysql"])),
    );
    expect(p!.key).toMatch(at("services.orders.x-liftoff.databases[0]"));
    expect(p!.allowed).toBe("postgres, mongodb");
  });

  it("refuses the same database kind twice for one service", () => {
    const [p] = problemsOf(
      variant(
        (d) =>
          ((d.services["orders"]!["x-liftoff"] as Record<string, unknown>)["databases"] = [
            "postgres",
            { kind: "postgres", database: "orders2" },
          ]),
      ),
    );
    expect(p!.key).toMatch(at("services.orders.x-liftoff.databases[1]"));
  });

  it("refuses container_name, which would stop two releases running side by side", () => {
    const [p] = problemsOf(variant((d) => (d.services["orders"]!["container_name"] = "orders")));
    expect(p!.key).toMatch(at("services.orders.container_name"));
  });

  it("refuses a misspelt x-liftoff setting instead of ignoring it", () => {
    const [p] = problemsOf(
      variant((d) => ((d.services["orders"]!["x-liftoff"] as Record<string, unknown>)["databse"] = ["postgres"])),
    );
    expect(p!.key).toMatch(at("services.orders.x-liftoff.databse"));
    expect(p!.fix).toContain("rename databse to databases");
  });

  it("refuses invalid Compose: broken YAML with its line, and a file without services", () => {
    const [yamlProblem] = problemsOf("services:\n  api: [1\n  b: 2\n");
    expect(yamlProblem!.key).toMatch(/^app\/compose\.yaml:\d+$/);
    expect(yamlProblem!.message).toContain("is not valid YAML");
    const [empty] = problemsOf("volumes: {}\n");
    expect(empty!.key).toBe("app/compose.yaml: services");
  });

  it("reports every problem at once", () => {
    const text = variant((d) => {
      d.services["catalog"]!["image"] = "ghcr.io/acme/catalog";
      delete d.services["broker"]!["volumes"];
    });
    expect(
      problemsOf(text)
        .map((p) => p.key.replace(/:\d+:/, ":"))
        .sort(),
    ).toEqual(["app/compose.yaml: services.broker.volumes", "app/compose.yaml: services.catalog.image"]);
  });

  it("checks its rules against a schema that the real Compose v2 (`docker compose config`) agrees is invalid", () => {
    const broken = tempFile("compose.yaml", "services:\n  api:\n    image: 5\n    ports: {a: b}\n");
    expect(runComposeV2(["-f", broken, "config", "--quiet"]).status).not.toBe(0);
    expect(problemsOf(readFileSync(broken, "utf8")).length).toBeGreaterThan(0);
  });
});
