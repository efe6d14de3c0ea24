import { createHash } from "node:crypto";
import { stringify } from "yaml";
import type { AppDefinition, AppService } from "../../environments/app-definition";
import type { ReleaseFile, RenderedRelease } from "./commands";

/** Proxy tuning of the static two-slot upstream set; measured under load to lose no request. */
export interface ProxyTuning {
  readonly lbPolicy: string;
  readonly tryDuration: string;
  readonly tryInterval: string;
  readonly failDuration: string;
  readonly healthInterval: string;
  readonly healthTimeout: string;
}

export const DEFAULT_PROXY_TUNING: ProxyTuning = {
  lbPolicy: "round_robin",
  tryDuration: "5s",
  tryInterval: "100ms",
  failDuration: "2s",
  healthInterval: "1s",
  healthTimeout: "2s",
};

export interface ReleaseInput {
  readonly project: string;
  readonly environment: string;
  readonly app: AppDefinition;
  /** The image each service runs, normally pinned by digest. */
  readonly images: Readonly<Record<string, string>>;
  /** Caddy site address per public endpoint name, e.g. `https://host.example:8443`. */
  readonly sites: Readonly<Record<string, string>>;
  /** Settings and secrets per service (connection strings, OTLP settings); merged over the compose file's `environment`. */
  readonly env: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly registry: { readonly server: string; readonly username: string } | null;
  /** Interface the proxy binds; default all (a real host). The local test host binds loopback. */
  readonly bind?: string;
  readonly healthTimeoutSeconds?: number;
  readonly keepReleases?: number;
  readonly proxy?: Partial<ProxyTuning>;
}

/** Loopback ports of the two slots, from this base up, two per public service in endpoint-name order. */
export const SLOT_PORT_BASE = 20000;
const ACCESSORY_NETWORK = "liftoff-accessories";
const ZERO_ID = "0".repeat(64);
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/;
/**
 * Characters an env file value may hold: what Compose v1 and v2 both read literally (no spaces,
 * quotes, `$`, `#` or backslash, which v2 would interpolate or strip). URL-encode the rest.
 */
const ENV_VALUE = /^[!%&(-/0-9:;<=>?@A-Z[\]^_a-z{|}~]*$/;

export class ReleaseError extends Error {}

/** The compose variable holding a public service's loopback port in the slot being started. */
export function portVariable(service: string): string {
  return `LIFTOFF_PORT_${service.toUpperCase().replace(/-/g, "_")}`;
}

/** Blue and green loopback ports per public service; stable while the set of endpoints is. */
export function slotPorts(app: AppDefinition): Record<string, { blue: number; green: number }> {
  const publicServices = app.services
    .filter((s) => s.public)
    .sort((a, b) => a.public!.endpoint.localeCompare(b.public!.endpoint));
  return Object.fromEntries(publicServices.map((s, i) => [s.name, { blue: SLOT_PORT_BASE + 2 * i, green: SLOT_PORT_BASE + 2 * i + 1 }]));
}

/**
 * Renders a release directory (see components/deploy/agent/README.md): the application's compose
 * project with images pinned, public ports on loopback only, each service's env file (secret), the
 * accessories' compose project, the proxy config and the manifest. Pure: equal inputs give equal
 * bytes and so an equal release id.
 */
export function renderRelease(input: ReleaseInput): RenderedRelease {
  const services = input.app.services.filter((s) => !s.accessory);
  const accessories = input.app.services.filter((s) => s.accessory);
  const ports = slotPorts(input.app);
  for (const s of input.app.services) {
    if (!input.images[s.name]) throw new ReleaseError(`no image resolved for service ${s.name}`);
  }
  for (const s of services.filter((s) => s.public)) {
    if (!input.sites[s.public!.endpoint]) throw new ReleaseError(`no site address for endpoint ${s.public!.endpoint}`);
  }

  const files: ReleaseFile[] = [];
  const add = (path: string, content: string, mode = 0o644) => files.push({ path, content, mode });
  add("compose.yaml", renderCompose(input, services, accessories));
  const accessoryBlocks = Object.fromEntries(accessories.map((a) => [a.name, accessoryService(a, input.images[a.name]!)]));
  if (accessories.length > 0) add("accessories.yaml", renderAccessories(input.app, accessoryBlocks));
  add("Caddyfile", renderCaddyfile(input, services, ports));
  for (const s of input.app.services) add(`env/${s.name}.env`, renderEnvFile(s, input.env[s.name] ?? {}), 0o600);

  const manifest = (id: string) => `${JSON.stringify({
    format: 1,
    id,
    project: input.project,
    environment: input.environment,
    registry: input.registry,
    services: services.map((s) => ({
      name: s.name,
      image: input.images[s.name],
      healthPath: s.healthPath ?? null,
      public: s.public ? { address: input.sites[s.public.endpoint], containerPort: s.public.containerPort, slotPorts: ports[s.name] } : null,
    })),
    accessories: accessories.map((a) => ({
      name: a.name,
      image: input.images[a.name],
      definitionHash: sha256(stringify(accessoryBlocks[a.name]) + (input.env[a.name] ? renderEnvFile(a, input.env[a.name]!) : "")),
    })),
    healthTimeoutSeconds: input.healthTimeoutSeconds ?? 120,
    keepReleases: input.keepReleases ?? 5,
  }, null, 2)}\n`;
  add("manifest.json", manifest(ZERO_ID));
  const id = releaseId(files);
  files[files.length - 1] = { path: "manifest.json", content: manifest(id), mode: 0o644 };
  return { id, files: files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0)) };
}

/** sha256 over `<sha256 of file>  <path>\n` for every file sorted by path, the manifest's id zeroed. */
/**
 * The release files a reviewer may read: everything but the env files, which are the only files
 * that hold secrets and the only ones written 0600. Shown as a stack output, so the plan diff of a
 * pull request shows the compose file and proxy config the host will run, line by line.
 */
export function reviewableFiles(release: RenderedRelease): Record<string, string> {
  return Object.fromEntries(release.files.filter((f) => (f.mode & 0o077) !== 0).map((f) => [f.path, f.content]));
}

export function releaseId(files: readonly ReleaseFile[]): string {
  const listing = [...files]
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))
    .map((f) => `${sha256(f.content)}  ${f.path}\n`)
    .join("");
  return sha256(listing);
}

function renderCompose(input: ReleaseInput, services: readonly AppService[], accessories: readonly AppService[]): string {
  const accessoryNames = new Set(accessories.map((a) => a.name));
  const rendered: Record<string, unknown> = {};
  for (const s of services) {
    const { environment: _environment, depends_on: dependsOn, networks, ...rest } = escapeDollars(s.compose) as Record<string, unknown>;
    rendered[s.name] = {
      ...rest,
      image: input.images[s.name],
      restart: rest["restart"] ?? "unless-stopped",
      env_file: [`env/${s.name}.env`],
      ...(s.public ? { ports: [`127.0.0.1:\${${portVariable(s.name)}}:${s.public.containerPort}`] } : {}),
      ...withoutAccessories(dependsOn, accessoryNames),
      networks: joinAccessoryNetwork(networks),
      stop_grace_period: rest["stop_grace_period"] ?? "30s",
      labels: { ...(rest["labels"] as object | undefined), "io.liftoff.service": s.name },
    };
  }
  const used = usedVolumes(services);
  const volumes = Object.fromEntries(Object.entries(input.app.volumes).filter(([name]) => used.has(name)));
  return `# liftoff release of ${input.project}/${input.environment}: the application services.\n${stringify({
    services: rendered,
    networks: { default: {}, [ACCESSORY_NETWORK]: { external: true } },
    ...(Object.keys(volumes).length > 0 ? { volumes } : {}),
  }, { lineWidth: 0 })}`;
}

function accessoryService(a: AppService, image: string): Record<string, unknown> {
  const { environment: _environment, networks: _networks, depends_on: _dependsOn, ...rest } = escapeDollars(a.compose) as Record<string, unknown>;
  return {
    ...rest,
    image,
    restart: rest["restart"] ?? "unless-stopped",
    env_file: [`env/${a.name}.env`],
    // The shared network is internal (no way out); the project's default network gives the
    // accessory its outbound access (a collector shipping to Grafana Cloud needs it).
    networks: ["default", ACCESSORY_NETWORK],
  };
}

function renderAccessories(app: AppDefinition, blocks: Record<string, Record<string, unknown>>): string {
  const used = usedVolumes(app.services.filter((s) => s.accessory));
  const volumes = Object.fromEntries([...used].map((name) => [name, app.volumes[name] ?? {}]));
  return `# liftoff: the accessories, updated in place; their volumes outlive every release.\n${stringify({
    services: blocks,
    networks: { default: {}, [ACCESSORY_NETWORK]: { external: true } },
    ...(Object.keys(volumes).length > 0 ? { volumes } : {}),
  }, { lineWidth: 0 })}`;
}

function renderCaddyfile(input: ReleaseInput, services: readonly AppService[], ports: Record<string, { blue: number; green: number }>): string {
  const t = { ...DEFAULT_PROXY_TUNING, ...input.proxy };
  // Site blocks only: Caddy imports this file from its entry file, which holds any global options.
  const blocks: string[] = [`# liftoff proxy of ${input.project}/${input.environment}: each endpoint over both slots.`];
  for (const s of [...services].filter((s) => s.public).sort((a, b) => a.public!.endpoint.localeCompare(b.public!.endpoint))) {
    blocks.push(caddySite({ address: input.sites[s.public!.endpoint]!, bind: input.bind, slotPorts: ports[s.name]!, healthPath: s.healthPath, tuning: t }));
  }
  return `${blocks.join("\n\n")}\n`;
}

/**
 * One endpoint's Caddy site: both slots' loopback ports as a static upstream set, health-checked
 * on the service's path, so a slot that goes away is retried on the other without a reload.
 */
export function caddySite(site: {
  readonly address: string;
  readonly bind?: string;
  readonly slotPorts: { readonly blue: number; readonly green: number };
  readonly healthPath?: string | null;
  readonly tuning: ProxyTuning;
}): string {
  const t = site.tuning;
  const lines = [`${site.address} {`];
  if (site.bind) lines.push(`\tbind ${site.bind}`);
  lines.push(
    `\treverse_proxy 127.0.0.1:${site.slotPorts.blue} 127.0.0.1:${site.slotPorts.green} {`,
    `\t\tlb_policy ${t.lbPolicy}`,
    `\t\tlb_try_duration ${t.tryDuration}`,
    `\t\tlb_try_interval ${t.tryInterval}`,
    `\t\tfail_duration ${t.failDuration}`,
    "\t\tmax_fails 1",
  );
  if (site.healthPath) {
    lines.push(`\t\thealth_uri ${site.healthPath}`, `\t\thealth_interval ${t.healthInterval}`, `\t\thealth_timeout ${t.healthTimeout}`, "\t\thealth_status 2xx");
  }
  lines.push("\t}", "}");
  return lines.join("\n");
}

/** The compose file's own `environment`, then liftoff's settings over it, one KEY=value per line. */
export function renderEnvFile(service: AppService, extra: Readonly<Record<string, string>>): string {
  const env: Record<string, string> = { ...composeEnvironment(service, extra), ...extra };
  return Object.keys(env)
    .sort()
    .map((key) => {
      const value = env[key]!;
      if (!ENV_KEY.test(key)) throw new ReleaseError(`service ${service.name}: environment variable name ${JSON.stringify(key)} is not valid`);
      // The value is never quoted in the message: it may be a secret.
      if (!ENV_VALUE.test(value)) {
        throw new ReleaseError(`service ${service.name}: the value of ${key} holds a space, quote, $, # or backslash, which Compose v1 and v2 read differently; URL-encode it`);
      }
      return `${key}=${value}\n`;
    })
    .join("");
}

/** The service's own environment; bindings take their value from `extra` (resolved at `pulumi up`). */
function composeEnvironment(service: AppService, extra: Readonly<Record<string, string>> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(service.environment ?? {}).map(([key, parts]) => [key, parts.map((p) => {
    if (typeof p === "string") return p;
    const value = extra[p.binding];
    if (value === undefined) throw new ReleaseError(`service ${service.name}: binding ${p.binding} in ${key} has no value`);
    return value;
  }).join("")]));
}

function withoutAccessories(dependsOn: unknown, accessories: ReadonlySet<string>): { depends_on?: unknown } {
  if (Array.isArray(dependsOn)) {
    const kept = dependsOn.filter((d) => !accessories.has(String(d)));
    return kept.length > 0 ? { depends_on: kept } : {};
  }
  if (dependsOn && typeof dependsOn === "object") {
    const kept = Object.fromEntries(Object.entries(dependsOn).filter(([name]) => !accessories.has(name)));
    return Object.keys(kept).length > 0 ? { depends_on: kept } : {};
  }
  return {};
}

function joinAccessoryNetwork(networks: unknown): unknown {
  if (Array.isArray(networks)) return [...new Set([...networks.map(String), ACCESSORY_NETWORK])];
  if (networks && typeof networks === "object") return { ...networks, [ACCESSORY_NETWORK]: {} };
  return ["default", ACCESSORY_NETWORK];
}

function usedVolumes(services: readonly AppService[]): Set<string> {
  const used = new Set<string>();
  for (const s of services) {
    const volumes = (s.compose as Record<string, unknown>)["volumes"];
    if (!Array.isArray(volumes)) continue;
    for (const v of volumes) {
      const source = typeof v === "string" ? v.split(":")[0] : (v as { type?: string; source?: string })?.type === "volume" ? (v as { source?: string }).source : undefined;
      if (source && !source.startsWith("/") && !source.startsWith(".")) used.add(source);
    }
  }
  return used;
}

/** The model's strings are literal; Compose would interpolate a `$`, so the file writes `$$`. */
function escapeDollars(v: unknown): unknown {
  if (typeof v === "string") return v.replace(/\$/g, "$$$$");
  if (Array.isArray(v)) return v.map(escapeDollars);
  if (v !== null && typeof v === "object") return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, escapeDollars(x)]));
  return v;
}

function sha256(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}
