/**
 * The example system (an API gateway, an identity service, orders, catalog, and a broker
 * accessory) as an operator's compose file, read by liftoff's compose loader and rendered by the
 * real renderer (components/deploy/release.ts renderRelease) with the test host's images: the
 * releases the e2e suite and `npm run bench:deploy` apply. There is no second renderer: what a
 * case needs differently is a different compose file (images, environment, more services, a third
 * public endpoint) or a different renderer input (release policy, health timeout); a case about a
 * broken release file replaces that one file of a rendered release ({@link withFile}).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { stringify } from "yaml";
import { fileBytes, releaseId, renderRelease, type ReleasePolicy, type RenderedRelease } from "../../components/deploy";
import { loadApp, memoryReader, type AppDefinition } from "../../environments/compose";
import type { TestbedInfo } from "../testbed/render";

/** The public endpoints through Caddy on the test host (plain http on loopback). */
export const GATEWAY = "http://127.0.0.1:18443";
export const IDENTITY = "http://127.0.0.1:18444";
export const CATALOG = "http://127.0.0.1:18445";

export const BASE_SERVICES = ["api-gateway", "identity-service", "orders", "catalog"] as const;
export type BaseService = (typeof BASE_SERVICES)[number];
/** Test image tags (tools/testbed/images.ts), or a full image reference. */
export type Tag = "v1" | "v2" | "unhealthy" | "crashloop" | (string & {});

export type Images = TestbedInfo["images"];

export interface ExampleOptions {
  /** Tag of every application service (default v1). */
  readonly tag?: Tag;
  /** Per-service tag (or image reference) overrides. */
  readonly tags?: Readonly<Partial<Record<string, Tag>>>;
  /** The broker accessory's tag (default v1). */
  readonly broker?: "v1" | "v2";
  /** APP_BUILD of every service: two releases of the same images differ by it. */
  readonly build?: string;
  /** Extra environment per service (e.g. LIFTOFF_STARTUP_DELAY_SECONDS for a slow start). */
  readonly env?: Readonly<Partial<Record<string, Readonly<Record<string, string>>>>>;
  /** Catalog public on a third endpoint (a new endpoint: the proxy config changes). */
  readonly catalogPublic?: boolean;
  /** Application services in all, 4 (default) to 99: internal extras `extra-05`, … run the orders and catalog images. */
  readonly services?: number;
  readonly release?: ReleasePolicy;
  readonly healthTimeoutSeconds?: number;
  readonly project?: string;
  readonly environment?: string;
}

/** The image reference of a test image on the test host's registry (pinned by digest). */
export function imageRef(images: Images, name: string, tag: string): string {
  if (tag.includes("/")) return tag;
  const ref = images[name]?.[tag];
  if (!ref) throw new Error(`testbed.json has no image ${name}:${tag}: run \`npm run testbed -- up\``);
  return ref;
}

/** The application services of a stack of `count`, in order, with the test image each runs. */
export function serviceNames(count: number = BASE_SERVICES.length): { name: string; image: BaseService }[] {
  if (!Number.isInteger(count) || count < BASE_SERVICES.length || count > 99) {
    throw new Error(`service count must be an integer from ${BASE_SERVICES.length} to 99, got ${count}`);
  }
  const names: { name: string; image: BaseService }[] = BASE_SERVICES.map((name) => ({ name, image: name }));
  for (let n = BASE_SERVICES.length + 1; n <= count; n++) {
    names.push({ name: `extra-${String(n).padStart(2, "0")}`, image: n % 2 === 1 ? "orders" : "catalog" });
  }
  return names;
}

/** The example system's compose file for these options (the operator's side of a release). */
export function exampleCompose(images: Images, o: ExampleOptions = {}): string {
  const tagOf = (name: string) => o.tags?.[name] ?? o.tag ?? "v1";
  const own: Record<string, Record<string, string>> = {
    "api-gateway": { APP_GATEWAY_SIGNING_KEY: "gw-signing-key-1" },
    "identity-service": { APP_IDENTITY_JWT_SECRET: "identity-jwt-secret-1" },
    orders: { APP_DATABASE_URL: "postgres://orders:pg-password-1@db.internal/orders" },
    catalog: { APP_MONGODB_URI: "mongodb+srv://catalog:mongo-password-1@cluster0.example/catalog" },
  };
  const publicOf: Record<string, { endpoint: string; port: number }> = {
    "api-gateway": { endpoint: "gateway", port: 18443 },
    "identity-service": { endpoint: "identity", port: 18444 },
    ...(o.catalogPublic ? { catalog: { endpoint: "catalog", port: 18445 } } : {}),
  };
  const services: Record<string, unknown> = {};
  for (const { name, image } of serviceNames(o.services)) {
    const pub = publicOf[name];
    services[name] = {
      image: imageRef(images, image, tagOf(name)),
      environment: { APP_SERVICE: name, APP_BUILD: o.build ?? "a", ...own[name], ...o.env?.[name] },
      ...(pub ? { "x-liftoff": { public: { endpoint: pub.endpoint, containerPort: 8080 }, health: "/healthz" } } : {}),
    };
  }
  services["broker"] = {
    image: imageRef(images, "broker", o.broker ?? "v1"),
    volumes: ["broker-data:/data"],
    "x-liftoff": { accessory: true },
  };
  const endpoints = Object.fromEntries(Object.values(publicOf).map((p) => [p.endpoint, { port: p.port }]));
  return stringify({ "x-liftoff": { endpoints }, services, volumes: { "broker-data": {} } });
}

/** The example system as the loader reads it. */
export function exampleApp(images: Images, o: ExampleOptions = {}): AppDefinition {
  const projectDir = "/example";
  const { app, problems } = loadApp({
    projectDir,
    files: ["compose.yaml"],
    reader: memoryReader({ [`${projectDir}/compose.yaml`]: exampleCompose(images, o) }),
  });
  if (!app) throw new Error(`the loader refused the example system:\n${JSON.stringify(problems, null, 2)}`);
  return app;
}

/** A release of the example system, rendered by the real renderer for the test host. */
export function exampleRelease(
  tb: Pick<TestbedInfo, "images" | "registry" | "agentRoot">,
  o: ExampleOptions = {},
): RenderedRelease {
  const app = exampleApp(tb.images, o);
  return renderRelease({
    project: o.project ?? "shop",
    environment: o.environment ?? "e2e",
    app,
    images: Object.fromEntries(app.services.map((s) => [s.name, s.imageText])),
    sites: { gateway: GATEWAY, identity: IDENTITY, catalog: CATALOG },
    bind: "127.0.0.1",
    bindings: {},
    registry: { server: tb.registry.url, username: tb.registry.username },
    healthTimeoutSeconds: o.healthTimeoutSeconds ?? 60,
    keepReleases: 3,
    // The proxy's gate files live under the agent's root: the test host's, not a real host's.
    releaseRoot: tb.agentRoot,
    ...(o.release ? { release: o.release } : {}),
  });
}

/**
 * The release with one file replaced (e.g. a Caddyfile that points elsewhere), its id recomputed
 * as the renderer computes it: a release the renderer would never write, for the agent's checks.
 */
export function withFile(release: RenderedRelease, filePath: string, content: string): RenderedRelease {
  const zero = "0".repeat(64);
  const manifestWith = (id: string) => {
    const m = JSON.parse(fileBytes(release.files.find((f) => f.path === "manifest.json")!).toString("utf8")) as Record<
      string,
      unknown
    >;
    return `${JSON.stringify({ ...m, id }, null, 2)}\n`;
  };
  const replaced = release.files.map((f) => (f.path === filePath ? { ...f, content, encoding: undefined } : f));
  if (!replaced.some((f) => f.path === filePath)) throw new Error(`the release has no file ${filePath}`);
  const files = (id: string) =>
    replaced.map((f) => (f.path === "manifest.json" ? { ...f, content: manifestWith(id) } : f));
  const id = releaseId(files(zero));
  return { id, files: files(id) };
}

/** The text of one file of a release. */
export function releaseFile(release: RenderedRelease, filePath: string): string {
  const f = release.files.find((x) => x.path === filePath);
  if (!f) throw new Error(`the release has no file ${filePath}`);
  return fileBytes(f).toString("utf8");
}

/** Writes a rendered release as the agent finds it on the host (env and secret files 0600); dir must not exist. */
export function writeReleaseDir(dir: string, release: RenderedRelease): void {
  fs.mkdirSync(dir, { recursive: false, mode: 0o700 });
  for (const f of release.files) {
    const file = path.join(dir, f.path);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, fileBytes(f), { mode: f.mode });
  }
}
