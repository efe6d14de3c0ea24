import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { parseAppDefinition } from "../../environments/app-definition";
import { runComposeV2, runTool } from "../../test/tools";
import { ReleaseError, portVariable, releaseId, renderRelease, type ReleaseInput } from "./release";
import type { RenderedRelease } from "./commands";

const GOLDEN = path.join(__dirname, "testdata", "golden-release");
const app = parseAppDefinition(readFileSync(path.join(__dirname, "..", "..", "app", "compose.yaml"), "utf8"), "app/compose.yaml").app!;
const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const DB_SECRET = "postgresql://orders:p%40ss@ep-x.neon.tech/orders?sslmode=require";

const input: ReleaseInput = {
  project: "liftoff",
  environment: "dev",
  app,
  images: Object.fromEntries(app.services.map((s, i) => [s.name, `ghcr.io/acme/${s.name}@${digest(i + 1)}`])),
  sites: { api: "https://acme-dev.westeurope.cloudapp.azure.com", identity: "https://acme-dev.westeurope.cloudapp.azure.com:8443" },
  env: {
    orders: { DATABASE_URL: DB_SECRET, OTEL_SERVICE_NAME: "orders" },
    catalog: { MONGODB_URI: "mongodb+srv://catalog:pw@cluster0.example.mongodb.net/catalog" },
  },
  registry: { server: "ghcr.io", username: "acme-bot" },
};

const file = (release: RenderedRelease, p: string) => release.files.find((f) => f.path === p)!;

/** Writes the release to a fresh directory, as the host receives it. */
function materialise(release: RenderedRelease): string {
  const dir = mkdtempSync(path.join(tmpdir(), "liftoff-release-"));
  for (const f of release.files) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), f.content, { mode: f.mode });
  }
  return dir;
}

describe("release rendering", () => {
  it("matches the golden release for the example application", () => {
    const release = renderRelease(input);
    if (process.env["UPDATE_GOLDEN"] === "1") {
      rmSync(GOLDEN, { recursive: true, force: true });
      for (const f of release.files) {
        mkdirSync(path.dirname(path.join(GOLDEN, f.path)), { recursive: true });
        writeFileSync(path.join(GOLDEN, f.path), f.content);
      }
    }
    const golden = (dir: string, prefix = ""): string[] =>
      readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? golden(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]));
    expect(release.files.map((f) => f.path)).toEqual(golden(GOLDEN).sort());
    for (const f of release.files) expect(f.content, f.path).toBe(readFileSync(path.join(GOLDEN, f.path), "utf8"));
  });

  it("gives equal inputs an equal id, and any content change a new one", () => {
    const a = renderRelease(input);
    expect(renderRelease({ ...input }).id).toBe(a.id);
    expect(a.id).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(file(a, "manifest.json").content).id).toBe(a.id);
    expect(releaseId(a.files.map((f) => (f.path === "manifest.json" ? { ...f, content: f.content.replace(a.id, "0".repeat(64)) } : f)))).toBe(a.id);
    expect(renderRelease({ ...input, images: { ...input.images, orders: `ghcr.io/acme/orders@${digest(9)}` } }).id).not.toBe(a.id);
    expect(renderRelease({ ...input, env: { ...input.env, orders: { DATABASE_URL: "postgresql://x" } } }).id).not.toBe(a.id);
  });

  it("pins images, publishes public services on loopback slot ports only, and puts each release on its own network", () => {
    const compose = parse(file(renderRelease(input), "compose.yaml").content) as { services: Record<string, Record<string, unknown>>; networks: Record<string, unknown> };
    expect(Object.keys(compose.services)).toEqual(["api-gateway", "catalog", "identity-service", "orders"]);
    expect(compose.services["api-gateway"]!["image"]).toBe(`ghcr.io/acme/api-gateway@${digest(1)}`);
    expect(compose.services["api-gateway"]!["ports"]).toEqual([`127.0.0.1:\${${portVariable("api-gateway")}}:8080`]);
    expect(compose.services["orders"]!["ports"]).toBeUndefined();
    expect(compose.services["orders"]!["environment"]).toBeUndefined();
    expect(compose.services["orders"]!["container_name"]).toBeUndefined();
    expect(compose.networks).toEqual({ default: {}, "liftoff-accessories": { external: true } });
  });

  it("keeps secrets in the env files only, each service getting only its own", () => {
    const release = renderRelease(input);
    expect(file(release, "env/orders.env")).toMatchObject({ mode: 0o600 });
    expect(file(release, "env/orders.env").content).toContain(`DATABASE_URL=${DB_SECRET}\n`);
    expect(file(release, "env/orders.env").content).toContain("BROKER_URL=amqp://broker:5672\n");
    expect(file(release, "env/catalog.env").content).not.toContain("DATABASE_URL");
    for (const f of release.files.filter((f) => !f.path.startsWith("env/"))) {
      expect(f.content, f.path).not.toContain("p%40ss");
      expect(f.mode, f.path).toBe(0o644);
    }
  });

  it("refuses an env value Compose v1 and v2 would read differently, without printing it", () => {
    const bad = { ...input, env: { orders: { DATABASE_URL: "postgres://u:pa ss$word@h/db" } } };
    expect(() => renderRelease(bad)).toThrow(ReleaseError);
    expect(() => renderRelease(bad)).toThrow(/service orders: the value of DATABASE_URL/);
    try {
      renderRelease(bad);
    } catch (e) {
      expect(String(e)).not.toContain("pa ss");
    }
  });

  it("lists both slots of each endpoint in the proxy config, health-checked", () => {
    const caddyfile = file(renderRelease(input), "Caddyfile").content;
    expect(caddyfile).toContain("https://acme-dev.westeurope.cloudapp.azure.com {\n\treverse_proxy 127.0.0.1:20000 127.0.0.1:20001 {");
    expect(caddyfile).toContain("https://acme-dev.westeurope.cloudapp.azure.com:8443 {\n\treverse_proxy 127.0.0.1:20002 127.0.0.1:20003 {");
    expect(caddyfile).toContain("health_uri /healthz");
    expect(caddyfile).not.toMatch(/^\{/m);
  });

  it("renders a compose project the real Compose v2 (`docker compose config`) accepts, for either slot", () => {
    const dir = materialise(renderRelease(input));
    for (const [slotPortA, slotPortB] of [["20000", "20002"], ["20001", "20003"]]) {
      const result = runComposeV2(
        ["--project-directory", dir, "-f", path.join(dir, "compose.yaml"), "-p", "liftoff-blue", "config", "--quiet"],
        { env: { [portVariable("api-gateway")]: slotPortA!, [portVariable("identity-service")]: slotPortB! } },
      );
      expect(result.output).toBe("");
      expect(result.status).toBe(0);
    }
  });

  it("renders an accessories project the real Compose v2 (`docker compose config`) accepts, with its volume", () => {
    const release = renderRelease(input);
    const dir = materialise(release);
    const result = runComposeV2(["--project-directory", dir, "-f", path.join(dir, "accessories.yaml"), "-p", "liftoff-accessories", "config"]);
    expect(result.status).toBe(0);
    const accessories = parse(file(release, "accessories.yaml").content) as { services: Record<string, Record<string, unknown>>; volumes: Record<string, unknown> };
    expect(Object.keys(accessories.services)).toEqual(["broker"]);
    expect(accessories.services["broker"]!["volumes"]).toEqual([{ type: "volume", source: "broker-data", target: "/var/lib/broker", volume: {} }]);
    expect(accessories.volumes).toEqual({ "broker-data": {} });
  });

  it("renders a proxy config that the real `caddy validate` accepts", () => {
    const dir = materialise(renderRelease(input));
    const result = runTool("caddy", ["validate", "--adapter", "caddyfile", "--config", path.join(dir, "Caddyfile")], "caddy");
    expect(result.output).toContain("Valid configuration");
    expect(result.status).toBe(0);
  });

  it("is a release the host agent accepts, with the id the agent computes", () => {
    const release = renderRelease(input);
    const agent = path.join(__dirname, "agent", "liftoff-release");
    const result = runTool("bash", [agent, "verify", materialise(release)], "bash");
    expect(result.status).toBe(0);
    expect(result.output.split("\n")).toContain(release.id);
    expect(result.output).toContain("is valid: 4 services, 1 accessories");
  });

  it("fails clearly when an image was not resolved", () => {
    const { orders: _orders, ...images } = input.images;
    expect(() => renderRelease({ ...input, images })).toThrow("no image resolved for service orders");
  });
});
