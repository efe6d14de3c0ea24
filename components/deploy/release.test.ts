import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import type { AppDefinition, AppService } from "../../environments/compose/model";
import { appFromCompose, composeConfig, composeV2, unescapeDollars } from "../../test/compose-app";
import { SAMPLE_APPS, loadSampleApp, renderSampleApp } from "../../test/e2e/apps";
import { HOSTILE_ENV } from "../../test/env-corpus";
import { runTool } from "../../test/tools";
import { fileBytes, type RenderedRelease } from "./release-files";
import {
  APP_VOLUME_PREFIX,
  GATE_PORT,
  JOB_PROFILE,
  DEFAULT_RELEASE_POLICY,
  LOOPBACK,
  LOOPBACK_VARIABLE,
  LANES,
  laneUpstreams,
  ReleaseError,
  portVariable,
  releaseId,
  renderRelease,
  reviewableFiles,
  type ReleaseInput,
} from "./release";

const GOLDEN = path.join(__dirname, "testdata", "golden-release");
const CARRY = path.join(__dirname, "testdata", "apps", "carry");
const digest = (n: number) => `sha256:${String(n).repeat(64).slice(0, 64)}`;
const DB_SECRET = "postgresql://orders:p%40ss@ep-x.neon.tech/orders?sslmode=require";

const example = appFromCompose(path.join(__dirname, "..", "..", "app"), { endpoints: { api: 443, identity: 8443 } });
const images = (app: AppDefinition) =>
  Object.fromEntries(app.services.map((s, i) => [s.name, `ghcr.io/acme/${s.name}@${digest((i % 9) + 1)}`]));

const input: ReleaseInput = {
  project: "liftoff",
  environment: "dev",
  app: example,
  images: images(example),
  sites: {
    api: "https://acme-dev.westeurope.cloudapp.azure.com",
    identity: "https://acme-dev.westeurope.cloudapp.azure.com:8443",
  },
  bindings: {},
  registry: { server: "ghcr.io", username: "acme-bot" },
};

const BINDINGS = ["LIFTOFF_POSTGRES_URL", "LIFTOFF_POSTGRES_HOST", "LIFTOFF_POSTGRES_PASSWORD"];
const carryApp = appFromCompose(CARRY, { bindings: BINDINGS, endpoints: { web: 443 } });
const carryBindings = {
  LIFTOFF_POSTGRES_URL: DB_SECRET,
  LIFTOFF_POSTGRES_HOST: "ep-x.neon.tech",
  LIFTOFF_POSTGRES_PASSWORD: "p@ss w0rd$",
};
const carryInput: ReleaseInput = {
  project: "shop",
  environment: "dev",
  app: carryApp,
  images: images(carryApp),
  sites: { web: "https://shop-dev.example.org" },
  bindings: { web: carryBindings, api: carryBindings },
  registry: null,
};

const file = (release: RenderedRelease, p: string) => release.files.find((f) => f.path === p)!;

/** Writes the release to a fresh directory, as the host receives it. */
function materialise(release: RenderedRelease): string {
  const dir = mkdtempSync(path.join(tmpdir(), "liftoff-release-"));
  for (const f of release.files) {
    mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
    writeFileSync(path.join(dir, f.path), fileBytes(f), { mode: f.mode });
  }
  return dir;
}

/** What Compose v2 makes of the rendered project, as the agent runs it in the blue slot. */
function slotConfig(
  dir: string,
  release: RenderedRelease,
  file = "compose.yaml",
  extra: string[] = [],
): { services: Record<string, Record<string, unknown>>; [k: string]: unknown } {
  const manifest = JSON.parse(fileContent(release, "manifest.json")) as {
    services: { name: string; public: { slotPorts: { blue: number } } | null }[];
  };
  const ports = {
    ...Object.fromEntries(
      manifest.services.filter((s) => s.public).map((s) => [portVariable(s.name), String(s.public!.slotPorts.blue)]),
    ),
    [LOOPBACK_VARIABLE]: LOOPBACK.blue,
  };
  return composeConfig(dir, [file], ports, [
    "-p",
    file === "compose.yaml" ? "liftoff-blue" : "liftoff-accessories",
    ...extra,
  ]) as never;
}
const fileContent = (release: RenderedRelease, p: string) => file(release, p).content;

function service(app: AppDefinition, name: string): AppService {
  return app.services.find((s) => s.name === name)!;
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
      readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? golden(path.join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`],
      );
    expect(release.files.map((f) => f.path)).toEqual(golden(GOLDEN).sort());
    for (const f of release.files) expect(f.content, f.path).toBe(readFileSync(path.join(GOLDEN, f.path), "utf8"));
  });

  it("gives equal inputs an equal id, and any content change a new one", () => {
    const a = renderRelease(carryInput);
    expect(renderRelease({ ...carryInput }).id).toBe(a.id);
    expect(a.id).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.parse(fileContent(a, "manifest.json")).id).toBe(a.id);
    expect(
      releaseId(
        a.files.map((f) =>
          f.path === "manifest.json" ? { ...f, content: f.content.replace(a.id, "0".repeat(64)) } : f,
        ),
      ),
    ).toBe(a.id);
    expect(
      renderRelease({ ...carryInput, images: { ...carryInput.images, api: `ghcr.io/acme/api@${digest(9)}` } }).id,
    ).not.toBe(a.id);
    expect(
      renderRelease({
        ...carryInput,
        bindings: { ...carryInput.bindings, web: { ...carryBindings, LIFTOFF_POSTGRES_URL: "postgresql://x" } },
      }).id,
    ).not.toBe(a.id);
    const secretChanged = {
      ...carryApp,
      assets: carryApp.assets.map((f) =>
        f.secret ? { ...f, contentBase64: Buffer.from("other").toString("base64") } : f,
      ),
    };
    expect(renderRelease({ ...carryInput, app: secretChanged }).id).not.toBe(a.id);
  });

  it("runs the resolved image even when the canonical form names one (Compose's JSON has `image`)", () => {
    const release = renderRelease(withCompose(carryInput, "api", { image: "ghcr.io/acme/api:latest" }));
    expect(
      (parse(fileContent(release, "compose.yaml")) as { services: Record<string, Record<string, unknown>> }).services[
        "api"
      ]!["image"],
    ).toBe(carryInput.images["api"]);
    const cache = renderRelease(withCompose(carryInput, "cache", { image: "redis:latest" }));
    expect(
      (parse(fileContent(cache, "accessories.yaml")) as { services: Record<string, Record<string, unknown>> }).services[
        "cache"
      ]!["image"],
    ).toBe(carryInput.images["cache"]);
  });

  it("pins images, publishes public services on loopback slot ports only, and shares no network between slots", () => {
    const compose = parse(fileContent(renderRelease(input), "compose.yaml")) as {
      services: Record<string, Record<string, unknown>>;
      networks: Record<string, unknown>;
    };
    expect(Object.keys(compose.services)).toEqual(["api-gateway", "catalog", "identity-service", "orders"]);
    expect(compose.services["api-gateway"]!["image"]).toBe(input.images["api-gateway"]);
    expect(compose.services["api-gateway"]!["ports"]).toEqual(
      Array.from(
        { length: LANES },
        (_, k) => `\${${LOOPBACK_VARIABLE}}.${k + 1}:\${${portVariable("api-gateway")}}:8080`,
      ),
    );
    expect(compose.services["orders"]!["ports"]).toBeUndefined();
    expect(compose.services["orders"]!["environment"]).toBeUndefined();
    expect(compose.services["orders"]!["networks"]).toEqual(["default"]);
    expect(compose.networks).toEqual({ default: {} });
  });

  it("carries every field of the compose file to what Compose v2 runs, with only liftoff's documented changes", () => {
    const release = renderRelease(carryInput);
    const dir = materialise(release);
    const out = unescapeDollars(slotConfig(dir, release, "compose.yaml", ["--profile", JOB_PROFILE]));
    const env = (name: string) =>
      Object.fromEntries(
        Object.entries(service(carryApp, name).environment).map(([k, parts]) => [
          k,
          parts
            .map((p) => (typeof p === "string" ? p : carryBindings[p.binding as keyof typeof carryBindings]))
            .join(""),
        ]),
      );
    const withoutDeps = (deps: Record<string, unknown>, drop: string[]) =>
      Object.fromEntries(Object.entries(deps).filter(([k]) => !drop.includes(k)));

    const web = service(carryApp, "web").compose;
    expect(out.services["web"]).toEqual({
      ...web,
      image: carryInput.images["web"],
      environment: env("web"),
      // accessories start before the slot, before-release jobs complete before it
      depends_on: withoutDeps(web["depends_on"] as Record<string, unknown>, ["cache", "migrate"]),
      networks: { front: null },
      ports: Array.from({ length: LANES }, (_, k) => ({
        mode: "ingress",
        host_ip: `127.77.1.${k + 1}`,
        target: 8080,
        published: "20000",
        protocol: "tcp",
      })),
      volumes: [{ ...(web["volumes"] as object[])[0], source: path.join(dir, "app", "static") }],
      labels: { "io.liftoff.service": "web" },
    });
    const api = service(carryApp, "api").compose;
    expect(out.services["api"]).toEqual({
      ...api,
      image: carryInput.images["api"],
      environment: env("api"),
      networks: api["networks"],
      labels: { ...(api["labels"] as object), "io.liftoff.service": "api" },
      stop_grace_period: "30s",
    });
    expect(out.services["migrate"]).toEqual({
      ...service(carryApp, "migrate").compose,
      image: carryInput.images["migrate"],
      depends_on: undefined,
      networks: { back: null },
      labels: { "io.liftoff.service": "migrate" },
      profiles: [JOB_PROFILE],
      restart: "no",
      stop_grace_period: "30s",
    });
    expect(Object.keys(out.services).sort()).toEqual(["api", "migrate", "warm", "web"]);

    // the literal `$` of the operator's file (`$$HOME`) is still literal
    expect(out.services["web"]!["command"]).toEqual(["serve", "--greeting", "$HOME stays literal"]);
    expect(out.services["web"]!["restart"]).toBe("no");
    // networks are the slot's own: two releases never share one
    const networks = out["networks"] as Record<string, Record<string, unknown>>;
    expect(networks["front"]!["name"]).toBe("liftoff-blue_front");
    expect(networks["back"]).toMatchObject({ name: "liftoff-blue_back", internal: true });
    expect(Object.keys(networks).sort()).toEqual(["back", "default", "front"]);
    for (const n of Object.values(networks)) expect(n["external"]).toBeUndefined();
    // app volumes keep their data across releases and slots
    expect((out["volumes"] as Record<string, unknown>)["uploads"]).toEqual({ name: `${APP_VOLUME_PREFIX}uploads` });
    // secret and config files come from the release
    expect((out["secrets"] as Record<string, { file: string }>)["db_password"]!.file).toBe(
      path.join(dir, "secrets", "db_password"),
    );
    expect(readFileSync(path.join(dir, "secrets", "db_password"), "utf8")).toBe("s3cr3t-db-password\n");
    expect((out["configs"] as Record<string, { file: string }>)["app_conf"]!.file).toBe(
      path.join(dir, "configs", "app_conf"),
    );
    expect(readFileSync(path.join(dir, "app", "static", "index.html"), "utf8")).toBe("<h1>hello</h1>\n");
  });

  it("gets every hostile env value and name to Compose v2 byte for byte, bindings included", () => {
    const hostile = withService(carryInput, "api", {
      environment: {
        ...Object.fromEntries(Object.entries(HOSTILE_ENV).map(([k, v]) => [k, [v]])),
        FROM_BINDING: ["pw=", { binding: "LIFTOFF_POSTGRES_PASSWORD" }, ";"],
      },
    });
    const release = renderRelease(hostile);
    // the agent's environment must not leak into the values (HOME is set when compose runs)
    const out = unescapeDollars(slotConfig(materialise(release), release));
    expect(out.services["api"]!["environment"]).toEqual({ ...HOSTILE_ENV, FROM_BINDING: "pw=p@ss w0rd$;" });
  });

  it("keeps jobs out of the slot's `up` and lists them in the manifest in the order they run", () => {
    const release = renderRelease(carryInput);
    const out = slotConfig(materialise(release), release);
    expect(Object.keys(out.services).sort()).toEqual(["api", "web"]);
    const manifest = JSON.parse(fileContent(release, "manifest.json")) as Record<string, unknown>;
    expect(manifest["format"]).toBe(3);
    expect(manifest["jobs"]).toEqual([
      { name: "migrate", image: carryInput.images["migrate"], phase: "before-release", timeoutSeconds: 300 },
      { name: "warm", image: carryInput.images["warm"], phase: "after-release", timeoutSeconds: 300 },
    ]);
    expect((manifest["services"] as { name: string }[]).map((s) => s.name)).toEqual(["api", "web"]);
  });

  it("writes the release policy into the manifest's release object (format 3): the dev defaults when none is given", () => {
    const manifestOf = (release: ReturnType<typeof renderRelease>) =>
      JSON.parse(fileContent(release, "manifest.json")) as Record<string, unknown>;
    expect(manifestOf(renderRelease(carryInput))["release"]).toEqual({
      bakeSeconds: 30,
      canary: { steps: [100], stepSeconds: 30 },
      maxErrorRate: 0.02,
      minRequests: 20,
    });
    const policy = {
      bakeSeconds: 120,
      canary: { steps: [10, 50, 100], stepSeconds: 15 },
      maxErrorRate: 0.05,
      minRequests: 0,
    };
    const canary = renderRelease({ ...carryInput, release: policy });
    expect(manifestOf(canary)["release"]).toEqual(policy);
    expect(canary.id, "the policy is part of the release id").not.toBe(renderRelease(carryInput).id);
  });

  it("refuses a release policy the validation step would have refused", () => {
    const bad = (release: Partial<typeof DEFAULT_RELEASE_POLICY>) => () =>
      renderRelease({ ...carryInput, release: { ...DEFAULT_RELEASE_POLICY, ...release } });
    expect(bad({ bakeSeconds: 3601 })).toThrow(/release.bakeSeconds must be a whole number from 0 to 3600/);
    expect(bad({ canary: { steps: [50, 10, 100], stepSeconds: 1 } })).toThrow(
      /canary steps \[50,10,100\]|release.canary.steps must be ascending/,
    );
    expect(bad({ canary: { steps: [10, 50], stepSeconds: 1 } })).toThrow(/ending (at|with) 100/);
    expect(bad({ maxErrorRate: 1.5 })).toThrow(/release.maxErrorRate must be from 0 to 1/);
  });

  it("renders accessories in their own project, and tells the agent which slot networks each joins under which aliases", () => {
    const release = renderRelease(carryInput);
    const out = unescapeDollars(slotConfig(materialise(release), release, "accessories.yaml"));
    expect(out.services["cache"]!["networks"]).toEqual({ default: null });
    const manifest = JSON.parse(fileContent(release, "manifest.json")) as {
      accessories: { name: string; networks: unknown }[];
    };
    expect(manifest.accessories).toEqual([expect.objectContaining({ name: "cache", networks: { back: ["redis"] } })]);
    expect((out["volumes"] as Record<string, unknown>)["cache-data"]).toEqual({
      name: "liftoff-accessories_cache-data",
    });
  });

  it("keeps secret material out of what reviewers see: env files and secret files are 0600 and not reviewable", () => {
    const release = renderRelease(carryInput);
    expect(file(release, "env/web.env")).toMatchObject({ mode: 0o600, secret: true });
    expect(file(release, "secrets/db_password")).toMatchObject({ mode: 0o600, secret: true });
    expect(file(release, "configs/app_conf").mode).toBe(0o644);
    const shown = reviewableFiles(release);
    expect(Object.keys(shown).sort()).toEqual([
      "Caddyfile",
      "accessories.yaml",
      "app/static/index.html",
      "app/static/site.css",
      "compose.yaml",
      "configs/app_conf",
      "manifest.json",
    ]);
    for (const [p, text] of Object.entries(shown)) {
      for (const secret of [DB_SECRET, "p@ss w0rd$", "s3cr3t-db-password"]) expect(text, p).not.toContain(secret);
    }
    const manifest = JSON.parse(fileContent(release, "manifest.json")) as { assets: unknown[] };
    expect(manifest.assets).toContainEqual({ path: "secrets/db_password", mode: 0o600, secret: true });
  });

  it("renders a compose project the real Compose v2 accepts, for either slot", () => {
    const dir = materialise(renderRelease(input));
    for (const [slot, a, b] of [
      ["blue", "20000", "20002"],
      ["green", "20001", "20003"],
    ]) {
      const r = composeV2(
        [
          "--project-directory",
          dir,
          "-f",
          path.join(dir, "compose.yaml"),
          "-p",
          `liftoff-${slot!}`,
          "config",
          "--quiet",
        ],
        {
          env: {
            [portVariable("api-gateway")]: a!,
            [portVariable("identity-service")]: b!,
            [LOOPBACK_VARIABLE]: LOOPBACK[slot as "blue"],
          },
        },
      );
      expect(r.stderr).toBe("");
      expect(r.status).toBe(0);
    }
  });

  it("lists every lane of both slots of each endpoint, gated, and `caddy validate` accepts it", () => {
    const release = renderRelease(input);
    const caddyfile = fileContent(release, "Caddyfile");
    const lanes = (slot: "blue" | "green", port: number) => laneUpstreams(slot, port, LANES).join(" ");
    expect(caddyfile).toContain(`\treverse_proxy ${lanes("blue", 20000)} ${lanes("green", 20001)} {`);
    expect(caddyfile).toContain(`\treverse_proxy ${lanes("blue", 20002)} ${lanes("green", 20003)} {`);
    // The health check asks the gate, never the service: a healthy slot gets no traffic by itself.
    expect(caddyfile).toContain(`health_port ${GATE_PORT}`);
    expect(caddyfile).not.toContain("health_uri /healthz");
    expect(caddyfile).toContain(
      `http://:${GATE_PORT} {\n\tbind ${[1, 2].flatMap((n) => Array.from({ length: LANES }, (_, k) => `127.77.${n}.${k + 1}`)).join(" ")}\n\troot * /srv/liftoff/gates\n`,
    );
    const result = runTool(
      "caddy",
      ["validate", "--adapter", "caddyfile", "--config", path.join(materialise(release), "Caddyfile")],
      "caddy",
    );
    expect(result.output).toContain("Valid configuration");
    expect(result.status).toBe(0);
  });

  it("publishes the same lanes whatever the canary steps, so a canary runs against the lanes the old slot publishes", () => {
    // A canary step opens gates of the old slot from the new release's Caddyfile; the old slot runs
    // the previous release's compose file (e2e: v1 without canary, v2 with [25, 100]).
    const lanesOf = (steps: number[]) => {
      const r = renderRelease({ ...input, release: { ...DEFAULT_RELEASE_POLICY, canary: { steps, stepSeconds: 30 } } });
      return (JSON.parse(fileContent(r, "manifest.json")) as { traffic: { lanes: number } }).traffic.lanes;
    };
    expect([[100], [50, 100], [25, 100], [10, 50, 100], [5, 100], [33, 100]].map(lanesOf)).toEqual(
      Array.from({ length: 6 }, () => LANES),
    );
    const old = renderRelease(input);
    const canary = renderRelease({
      ...input,
      release: { ...DEFAULT_RELEASE_POLICY, canary: { steps: [25, 100], stepSeconds: 20 } },
    });
    const published = new Set(
      (slotConfig(materialise(old), old).services["api-gateway"]!["ports"] as { host_ip: string }[]).map(
        (p) => p.host_ip,
      ),
    );
    const listed = [...fileContent(canary, "Caddyfile").matchAll(/127\.77\.1\.\d+(?=:20000)/g)].map((m) => m[0]);
    expect(listed.length).toBeGreaterThan(0);
    expect(listed.filter((a) => !published.has(a))).toEqual([]);
  });

  it("renders the lanes into the manifest, the compose file and the Caddyfile, which compose and caddy accept", () => {
    const release = renderRelease({
      ...input,
      release: { ...DEFAULT_RELEASE_POLICY, canary: { steps: [10, 50, 100], stepSeconds: 30 } },
      releaseRoot: "/home/deploy/liftoff",
      bind: "127.0.0.1",
    });
    const manifest = JSON.parse(fileContent(release, "manifest.json")) as {
      traffic: Record<string, unknown>;
      services: { public: { upstreams: Record<string, string[]> } | null }[];
    };
    expect(manifest.traffic).toEqual({
      lanes: LANES,
      gatePort: GATE_PORT,
      gateRoot: "/home/deploy/liftoff/gates",
      loopback: LOOPBACK,
      healthInterval: 0.25,
      bind: "127.0.0.1",
    });
    expect(manifest.services[0]!.public!.upstreams["green"]).toEqual(
      Array.from({ length: LANES }, (_, k) => `127.77.2.${k + 1}:20001`),
    );
    // The agent's tests (components/deploy/agent/tests/test_traffic.py) read these same files.
    const fixture = path.join(__dirname, "testdata", "traffic-canary");
    if (process.env["UPDATE_GOLDEN"] === "1") {
      mkdirSync(fixture, { recursive: true });
      for (const p of ["manifest.json", "Caddyfile"]) writeFileSync(path.join(fixture, p), fileContent(release, p));
    }
    for (const p of ["manifest.json", "Caddyfile"])
      expect(fileContent(release, p), p).toBe(readFileSync(path.join(fixture, p), "utf8"));
    const dir = materialise(release);
    const out = slotConfig(dir, release);
    expect((out.services["api-gateway"]!["ports"] as { host_ip: string }[]).map((p) => p.host_ip)).toEqual(
      Array.from({ length: LANES }, (_, k) => `127.77.1.${k + 1}`),
    );
    const result = runTool(
      "caddy",
      ["validate", "--adapter", "caddyfile", "--config", path.join(dir, "Caddyfile")],
      "caddy",
    );
    expect(result.status, result.output).toBe(0);
    expect(() =>
      renderRelease({
        ...input,
        release: { ...DEFAULT_RELEASE_POLICY, canary: { steps: [50, 10, 100], stepSeconds: 30 } },
      }),
    ).toThrow("canary steps [50,10,100]");
    expect(() =>
      renderRelease({ ...input, release: { ...DEFAULT_RELEASE_POLICY, canary: { steps: [10], stepSeconds: 30 } } }),
    ).toThrow("ending with 100");
  });

  it("is a release the host agent accepts, with the id the agent computes", () => {
    const release = renderRelease(carryInput);
    const result = runTool(
      "python3",
      [path.join(__dirname, "agent", "liftoff_release"), "verify", materialise(release)],
      "python3",
    );
    expect(result.output).toContain("is valid: 2 services, 2 jobs, 1 accessories");
    expect(result.status).toBe(0);
    expect(result.output.split("\n")).toContain(release.id);
  });

  it("leaves out an optional dependency on a service that is not deployed, as Compose does", () => {
    const release = renderRelease(
      withCompose(carryInput, "api", { depends_on: { search: { condition: "service_started", required: false } } }),
    );
    expect(
      (parse(fileContent(release, "compose.yaml")) as { services: Record<string, Record<string, unknown>> }).services[
        "api"
      ]!["depends_on"],
    ).toBeUndefined();
  });

  it("leaves a host-network service (opted in) off the release's networks, as Compose requires", () => {
    const release = renderRelease(withCompose(carryInput, "api", { network_mode: "host", networks: undefined }));
    const dir = materialise(release);
    const r = composeV2(
      ["--project-directory", dir, "-f", path.join(dir, "compose.yaml"), "-p", "liftoff-blue", "config", "--quiet"],
      { env: { [portVariable("web")]: "20000", [LOOPBACK_VARIABLE]: LOOPBACK.blue } },
    );
    expect(r.stderr).toBe("");
    expect(
      (parse(fileContent(release, "compose.yaml")) as { services: Record<string, Record<string, unknown>> }).services[
        "api"
      ]!["networks"],
    ).toBeUndefined();
  });

  it.each(Object.keys(SAMPLE_APPS))(
    "renders the sample app %s (five services or more) to a release Compose v2 and the agent accept",
    (name) => {
      const images = {
        GATEWAY_IMAGE: `ghcr.io/acme/gateway@${digest(1)}`,
        IDENTITY_IMAGE: `ghcr.io/acme/identity@${digest(2)}`,
        ORDERS_IMAGE: `ghcr.io/acme/orders@${digest(3)}`,
        CATALOG_IMAGE: `ghcr.io/acme/catalog@${digest(4)}`,
        BROKER_IMAGE: `ghcr.io/acme/broker@${digest(5)}`,
      };
      expect(loadSampleApp(name, images).services.length).toBeGreaterThanOrEqual(5);
      const release = renderSampleApp(name, images, "http://127.0.0.1:18443", null);
      const dir = materialise(release);
      for (const [file, project] of [
        ["compose.yaml", "liftoff-blue"],
        ["accessories.yaml", "liftoff-accessories"],
      ]) {
        const r = composeV2(
          [
            "--project-directory",
            dir,
            "-f",
            path.join(dir, file!),
            "-p",
            project!,
            "--profile",
            JOB_PROFILE,
            "config",
            "--quiet",
          ],
          { env: { [portVariable("gateway")]: "20000", [LOOPBACK_VARIABLE]: LOOPBACK.blue } },
        );
        expect(r.stderr, `${name}/${file!}`).toBe("");
        expect(r.status).toBe(0);
      }
      expect(
        runTool("python3", [path.join(__dirname, "agent", "liftoff_release"), "verify", dir], "python3").status,
      ).toBe(0);
    },
  );

  it.each([
    [
      "an unresolved image",
      (i: ReleaseInput) => ({ ...i, images: { ...i.images, api: "" } }),
      "no image resolved for service api",
    ],
    [
      "a binding liftoff did not provide",
      (i: ReleaseInput) => ({ ...i, bindings: { api: carryBindings } }),
      "service web: environment.DATABASE_URL uses ${LIFTOFF_POSTGRES_URL}, which liftoff did not provide to this service",
    ],
    [
      "a health path the agent cannot probe",
      (i: ReleaseInput) => withService(i, "web", { healthPath: "/healthz;x" }),
      'service web: x-liftoff.health holds ";"',
    ],
    [
      "an env name no env file can carry",
      (i: ReleaseInput) => withService(i, "api", { environment: { "A B": ["x"] } }),
      'service api: environment variable name "A B" holds " "',
    ],
    [
      "a NUL in an env value",
      (i: ReleaseInput) => withService(i, "api", { environment: { A: ["x\0y"] } }),
      "service api: the value of environment.A holds a NUL character",
    ],
    [
      "a service depending on an after-release job",
      (i: ReleaseInput) =>
        withCompose(i, "api", { depends_on: { warm: { condition: "service_completed_successfully" } } }),
      "service api: depends_on.warm: an after-release job runs after the release is live",
    ],
    [
      "a job depending on an app service",
      (i: ReleaseInput) => withCompose(i, "migrate", { depends_on: { api: { condition: "service_started" } } }),
      "service migrate: depends_on.api: a job runs on its own",
    ],
    [
      "a job that restarts forever",
      (i: ReleaseInput) => withCompose(i, "migrate", { restart: "always" }),
      "service migrate: restart: always never lets a job complete",
    ],
    [
      "a dependency on a service that is not deployed",
      (i: ReleaseInput) =>
        withCompose(i, "api", { depends_on: { search: { condition: "service_started", required: true } } }),
      "service api: depends_on.search: no such service is deployed",
    ],
    [
      "a link to an accessory",
      (i: ReleaseInput) => withCompose(i, "api", { links: ["cache:redis"] }),
      "service api: links: cache:redis is an accessory, which runs in another compose project",
    ],
    [
      "a host port on an internal service",
      (i: ReleaseInput) => withCompose(i, "api", { ports: [{ target: 80, published: "80" }] }),
      "service api: ports: publishes a host port",
    ],
    [
      "an external network",
      (i: ReleaseInput) => ({ ...i, app: { ...i.app, networks: { ...i.app.networks, front: { external: true } } } }),
      "networks.front: external networks",
    ],
    [
      "a network with a fixed name",
      (i: ReleaseInput) => ({ ...i, app: { ...i.app, networks: { ...i.app.networks, front: { name: "shared" } } } }),
      "networks.front.name fixes the network's Docker name",
    ],
    [
      "a bind mount that was not shipped",
      (i: ReleaseInput) => ({
        ...i,
        app: { ...i.app, assets: i.app.assets.filter((a) => !a.path.startsWith("app/")) },
      }),
      "service web: volumes: ./static is not shipped with the release",
    ],
    [
      "a secret from the host's environment",
      (i: ReleaseInput) => ({ ...i, app: { ...i.app, secrets: { db_password: { environment: "DB_PASSWORD" } } } }),
      "secrets.db_password.environment",
    ],
  ])("refuses %s with a message naming the service and field, never a value", (_what, change, message) => {
    expect(() => renderRelease(change(carryInput))).toThrow(ReleaseError);
    expect(() => renderRelease(change(carryInput))).toThrow(message);
  });
});

function withService(i: ReleaseInput, name: string, change: Partial<AppService>): ReleaseInput {
  return { ...i, app: { ...i.app, services: i.app.services.map((s) => (s.name === name ? { ...s, ...change } : s)) } };
}
function withCompose(i: ReleaseInput, name: string, change: Record<string, unknown>): ReleaseInput {
  return withService(i, name, { compose: { ...service(i.app, name).compose, ...change } });
}
