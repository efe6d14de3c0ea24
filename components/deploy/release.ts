import * as posix from "node:path/posix";
import { stringify } from "yaml";
import { serviceBindings } from "../../environments/compose/bindings";
import type { AppDefinition, AppService, EnvTemplate, ReleaseAsset } from "../../environments/compose/model";
import { fileBytes, sha256, type ReleaseFile, type RenderedRelease } from "./release-files";
import { envFileLine, envNameProblem, envValueProblem, healthPathProblem } from "./rules";

export { HEALTH_PATH, HEALTH_PATH_PATTERN, envNameProblem, envValueProblem, healthPathProblem } from "./rules";

/**
 * Proxy tuning of the static upstream set (every lane of both slots); measured under load to lose
 * no request. The active health check asks the gate (see {@link caddySite}), not the service, so
 * `healthInterval` is how long a switch takes to be seen.
 */
export interface ProxyTuning {
  /** round_robin: uniform over the open lanes, which is what makes k of N lanes a k/N share. */
  readonly lbPolicy: "round_robin";
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
  healthInterval: "250ms",
  healthTimeout: "1s",
};

/**
 * The switch (components/deploy/agent/README.md, "Caddyfile"): each slot's public containers
 * publish on `lanes` loopback addresses `<LOOPBACK[slot]>.<k>`; Caddy health-checks every lane on
 * the gate port, where a file server answers 200 only for the lanes the agent opened.
 */
export const LOOPBACK = { blue: "127.77.1", green: "127.77.2" } as const;
/** The gate site's port on every lane address. */
export const GATE_PORT = 19999;
/** Public site i (endpoint-name order) sends its JSON access log to udp/127.0.0.1:<base + i>. */
export const ACCESS_LOG_PORT_BASE = 19900;
/**
 * Lanes per slot, the same for every release whatever its canary steps: a canary step runs the new
 * release's Caddyfile against the old slot, which still publishes the lanes of the compose file it
 * was started with. Were the lanes derived from each release's steps, a first canary after a
 * release without one (1 lane) would open gates on old-slot lanes nobody listens on, and Caddy
 * would fail over to the rest (the e2e measured 49.8 % for a 25 % step). 20 lanes send every whole
 * percentage within 2.5 points; each lane is one published port per public service and slot.
 */
export const LANES = 20;
/** The compose variable holding the slot's loopback network (`127.77.1`), exported by the agent. */
export const LOOPBACK_VARIABLE = "LIFTOFF_LOOPBACK";

export interface ReleaseInput {
  readonly project: string;
  readonly environment: string;
  /** The operator's application, normalized (environments/compose/model.ts). */
  readonly app: AppDefinition;
  /** The image each service runs, normally pinned by digest. */
  readonly images: Readonly<Record<string, string>>;
  /** Caddy site address per public endpoint name, e.g. `https://host.example:8443`. */
  readonly sites: Readonly<Record<string, string>>;
  /**
   * Per service, the values of the bindings its environment references (binding name -> value,
   * e.g. `LIFTOFF_POSTGRES_PASSWORD`), resolved. They reach only the service's env file (0600).
   */
  readonly bindings: Readonly<Record<string, Readonly<Record<string, string>>>>;
  readonly registry: { readonly server: string; readonly username: string } | null;
  /** Interface the proxy binds; default all (a real host). The local test host binds loopback. */
  readonly bind?: string;
  readonly healthTimeoutSeconds?: number;
  readonly keepReleases?: number;
  readonly proxy?: Partial<ProxyTuning>;
  /**
   * Bake window and canary steps after the switch (manifest `release`); {@link DEFAULT_RELEASE_POLICY} when absent.
   */
  readonly release?: ReleasePolicy;
  /**
   * The agent's root on the host (its LIFTOFF_ROOT); the proxy's gate files live in `<root>/gates`.
   * Default `/srv/liftoff`, the real host's (stacks/host.ts RELEASE_ROOT).
   */
  readonly releaseRoot?: string;
}

/**
 * How the agent moves traffic to a new release and watches it (manifest format 3, `release`):
 * canary steps (percent of requests to the new slot, ascending, ending at 100), each held for
 * `stepSeconds`, then a bake window of `bakeSeconds` with the previous slot kept warm; the release
 * is rolled back when its share of 5xx through the proxy exceeds `maxErrorRate` over at least
 * `minRequests` requests, or a container fails or restarts.
 */
export interface ReleasePolicy {
  readonly bakeSeconds: number;
  readonly canary: { readonly steps: readonly number[]; readonly stepSeconds: number };
  readonly maxErrorRate: number;
  readonly minRequests: number;
}

/** Straight to 100 % (blue/green), baked 30 s: the dev profile's policy. */
export const DEFAULT_RELEASE_POLICY: ReleasePolicy = {
  bakeSeconds: 30,
  canary: { steps: [100], stepSeconds: 30 },
  maxErrorRate: 0.02,
  minRequests: 20,
};

/** Loopback ports of the two slots, from this base up, two per public service in endpoint-name order. */
export const SLOT_PORT_BASE = 20000;
/** The internal network every app service and accessory joins (README.md of the agent). */
export const ACCESSORY_NETWORK = "liftoff-accessories";
/**
 * Named volumes of app services (not accessories) get this fixed Docker name prefix, so both
 * slots and every release use the same volume: data outlives a release, as with `compose up`.
 */
export const APP_VOLUME_PREFIX = "liftoff-app_";
/** The compose profile job services are rendered under, so `up` never starts them. */
export const JOB_PROFILE = "liftoff-job";
/** Where relative bind mounts of the operator's project live inside a release. */
export const APP_ASSET_DIR = "app";
const MANIFEST_FORMAT = 3;
const DEFAULT_RELEASE_ROOT = "/srv/liftoff";
const ZERO_ID = "0".repeat(64);

export class ReleaseError extends Error {}

/** The compose variable holding a public service's loopback port in the slot being started. */
export function portVariable(service: string): string {
  return `LIFTOFF_PORT_${service.toUpperCase().replace(/-/g, "_")}`;
}

/** Blue and green loopback ports per public service; stable while the set of endpoints is. */
export function slotPorts(app: Pick<AppDefinition, "services">): Record<string, { blue: number; green: number }> {
  const publicServices = app.services
    .filter((s) => s.public)
    .sort((a, b) => a.public!.endpoint.localeCompare(b.public!.endpoint));
  return Object.fromEntries(
    publicServices.map((s, i) => [s.name, { blue: SLOT_PORT_BASE + 2 * i, green: SLOT_PORT_BASE + 2 * i + 1 }]),
  );
}

type Block = Record<string, unknown>;

/**
 * What the renderer would refuse in this application, found at validation time rather than in the
 * middle of `pulumi up`: the release is rendered with stand-ins for what only `up` knows (digests,
 * binding values, the DNS name), so whatever the model holds that the host cannot carry stops the
 * plan. `undefined` when the application renders.
 */
export function releaseProblem(app: AppDefinition): { readonly where: string; readonly message: string } | undefined {
  const digest = `sha256:${"0".repeat(64)}`;
  try {
    renderRelease({
      project: "validation",
      environment: "validation",
      app,
      images: Object.fromEntries(app.services.map((s) => [s.name, `${s.imageText.split("@")[0]}@${digest}`])),
      sites: Object.fromEntries(app.endpoints.map((e) => [e.name, `https://validation.invalid:${e.port}`])),
      bindings: Object.fromEntries(
        app.services.map((s) => [s.name, Object.fromEntries(serviceBindings(app, s).map((b) => [b.name, "x"]))]),
      ),
      registry: null,
    });
    return undefined;
  } catch (e) {
    if (!(e instanceof ReleaseError)) throw e;
    // The renderer's messages start with what they are about: `service <name>: ...` or a field path.
    const service = /^service ([^\s:]+): ([\s\S]*)$/.exec(e.message);
    if (service) return { where: `services.${service[1]}`, message: service[2]! };
    const field = /^([A-Za-z_][\w-]*(?:\.[\w.-]+)+):? [\s\S]*$/.exec(e.message);
    return { where: field ? field[1]! : "(application)", message: e.message };
  }
}

/**
 * Renders a release directory (see components/deploy/agent/README.md): the application's compose
 * project (services and jobs) with images pinned, public ports on loopback only, each service's
 * env file (secret), the accessories' compose project, the shipped files (bind-mounted files,
 * secret and config files), the proxy config and the manifest. Pure: equal inputs give equal
 * bytes and so an equal release id. Throws {@link ReleaseError} for what the validation step
 * should have refused (each message names the service and field, never a value).
 */
export function renderRelease(given: ReleaseInput): RenderedRelease {
  // An optional dependency (`required: false`) on a service that is not deployed (outside the
  // active profiles) is left out, as Compose does.
  const input = { ...given, app: withoutOptionalMissing(given.app) };
  const { app } = input;
  const accessories = app.services.filter((s) => s.accessory);
  const jobs = orderJobs(app.services.filter((s) => s.job && !s.accessory));
  const services = app.services.filter((s) => !s.accessory && !s.job);
  const ports = slotPorts({ services });
  checkServices(input, services, jobs, accessories);
  const policy = input.release ?? DEFAULT_RELEASE_POLICY;
  const lanes = checkedLanes(policy.canary.steps);
  const gateRoot = `${(input.releaseRoot ?? DEFAULT_RELEASE_ROOT).replace(/\/+$/, "")}/gates`;
  if (!/^\/[^\s{}"#]*$/.test(gateRoot))
    throw new ReleaseError(
      `releaseRoot: ${JSON.stringify(input.releaseRoot)} is not an absolute path without whitespace, braces, quotes or #`,
    );
  const publicServices = publicInSiteOrder(services);

  const envFiles = Object.fromEntries(
    app.services.map((s) => [s.name, renderEnvFile(s, input.bindings[s.name] ?? {})]),
  );
  const assets = assetIndex(app.assets);
  const files: ReleaseFile[] = [];
  const add = (file: ReleaseFile) => files.push(file);

  add({ path: "compose.yaml", content: renderCompose(input, services, jobs, accessories, lanes, assets), mode: 0o644 });
  const accessoryBlocks = Object.fromEntries(
    accessories.map((a) => [a.name, accessoryService(a, input.images[a.name]!, accessories, assets)]),
  );
  if (accessories.length > 0)
    add({ path: "accessories.yaml", content: renderAccessories(app, accessories, accessoryBlocks), mode: 0o644 });
  add({ path: "Caddyfile", content: renderCaddyfile(input, publicServices, ports, lanes, gateRoot), mode: 0o644 });
  for (const s of app.services)
    add({ path: `env/${s.name}.env`, content: envFiles[s.name]!, mode: 0o600, secret: true });
  for (const a of app.assets) add(assetFile(a));

  const t = { ...DEFAULT_PROXY_TUNING, ...input.proxy };
  const manifest = (id: string) =>
    `${JSON.stringify(
      {
        format: MANIFEST_FORMAT,
        id,
        project: input.project,
        environment: input.environment,
        registry: input.registry,
        services: services.map((s) => ({
          name: s.name,
          image: input.images[s.name],
          healthPath: s.healthPath ?? null,
          public: s.public
            ? {
                address: input.sites[s.public.endpoint],
                containerPort: s.public.containerPort,
                slotPorts: ports[s.name],
                upstreams: {
                  blue: laneUpstreams("blue", ports[s.name]!.blue, lanes),
                  green: laneUpstreams("green", ports[s.name]!.green, lanes),
                },
                accessLog: accessLogAddress(publicServices.indexOf(s)),
              }
            : null,
        })),
        traffic: {
          lanes,
          gatePort: GATE_PORT,
          gateRoot,
          loopback: LOOPBACK,
          healthInterval: seconds(t.healthInterval),
          bind: input.bind ?? null,
        },
        jobs: jobs.map((j) => ({
          name: j.name,
          image: input.images[j.name],
          phase: j.job!.phase,
          timeoutSeconds: j.job!.timeoutSeconds,
        })),
        accessories: accessories.map((a) => ({
          name: a.name,
          image: input.images[a.name],
          networks: accessoryNetworks(a),
          definitionHash: sha256(
            stringify(accessoryBlocks[a.name]) +
              envFiles[a.name]! +
              usedAssets(a, assets)
                .map((f) => `${sha256(fileBytes(assetFile(f)))}  ${f.path} ${f.mode}\n`)
                .join(""),
          ),
        })),
        assets: [...app.assets]
          .sort(byPath)
          .map((a) => ({ path: a.path, mode: a.secret ? 0o600 : a.mode & 0o777, secret: a.secret })),
        healthTimeoutSeconds: input.healthTimeoutSeconds ?? 120,
        keepReleases: input.keepReleases ?? 5,
        release: releasePolicyManifest(policy),
      },
      null,
      2,
    )}\n`;
  add({ path: "manifest.json", content: manifest(ZERO_ID), mode: 0o644 });
  const id = releaseId(files);
  files[files.length - 1] = { path: "manifest.json", content: manifest(id), mode: 0o644 };
  return { id, files: files.sort(byPath) };
}

/**
 * The release files a reviewer may read: everything but the secret material (env files, secret
 * files) and anything written 0600. Shown as a stack output, so the plan diff of a pull request
 * shows the compose file and proxy config the host will run, line by line. Binary shipped files
 * are shown by size and hash.
 */
export function reviewableFiles(release: RenderedRelease): Record<string, string> {
  return Object.fromEntries(
    release.files
      .filter((f) => !f.secret && (f.mode & 0o077) !== 0)
      .map((f) => [
        f.path,
        f.encoding === "base64"
          ? `[binary file: ${fileBytes(f).length} bytes, sha256 ${sha256(fileBytes(f))}]`
          : f.content,
      ]),
  );
}

/** sha256 over `<sha256 of file>  <path>\n` for every file sorted by path, the manifest's id zeroed. */
export function releaseId(files: readonly ReleaseFile[]): string {
  const listing = [...files]
    .sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)))
    .map((f) => `${sha256(fileBytes(f))}  ${f.path}\n`)
    .join("");
  return sha256(listing);
}

/** The manifest's `release` object, checked: the validation step should have refused anything else. */
function releasePolicyManifest(p: ReleasePolicy): ReleasePolicy {
  const whole = (n: number, min: number, max: number) => Number.isInteger(n) && n >= min && n <= max;
  const steps = p.canary.steps;
  if (!whole(p.bakeSeconds, 0, 3600))
    throw new ReleaseError(`release.bakeSeconds must be a whole number from 0 to 3600, not ${p.bakeSeconds}`);
  if (!whole(p.canary.stepSeconds, 0, 3600))
    throw new ReleaseError(
      `release.canary.stepSeconds must be a whole number from 0 to 3600, not ${p.canary.stepSeconds}`,
    );
  if (
    steps.length === 0 ||
    steps.some((n, i) => !whole(n, 1, 100) || (i > 0 && n <= steps[i - 1]!)) ||
    steps[steps.length - 1] !== 100
  ) {
    throw new ReleaseError(
      `release.canary.steps must be ascending whole percentages from 1 to 100 ending at 100, not ${JSON.stringify(steps)}`,
    );
  }
  if (!(p.maxErrorRate >= 0 && p.maxErrorRate <= 1))
    throw new ReleaseError(`release.maxErrorRate must be from 0 to 1, not ${p.maxErrorRate}`);
  if (!whole(p.minRequests, 0, Number.MAX_SAFE_INTEGER))
    throw new ReleaseError(`release.minRequests must be a whole number >= 0, not ${p.minRequests}`);
  return {
    bakeSeconds: p.bakeSeconds,
    canary: { steps: [...steps], stepSeconds: p.canary.stepSeconds },
    maxErrorRate: p.maxErrorRate,
    minRequests: p.minRequests,
  };
}

// ---------------------------------------------------------------------------------------------
// checks: the safety net behind the validation step

function checkServices(
  input: ReleaseInput,
  services: readonly AppService[],
  jobs: readonly AppService[],
  accessories: readonly AppService[],
): void {
  const fail = (service: string, message: string): never => {
    throw new ReleaseError(`service ${service}: ${message}`);
  };
  for (const s of input.app.services) {
    if (!input.images[s.name]) throw new ReleaseError(`no image resolved for service ${s.name}`);
    if (s.accessory && s.job) fail(s.name, "is both an accessory and a job");
    if (s.healthPath !== undefined) {
      const problem = healthPathProblem(s.healthPath);
      if (problem) fail(s.name, `x-liftoff.health ${problem}`);
    }
    if (s.compose["ports"] !== undefined && !s.public)
      fail(s.name, "ports: publishes a host port; only public services are published, through the proxy");
    if (s.compose["network_mode"] !== undefined && s.public)
      fail(s.name, "network_mode: a public service is published on a loopback port of its slot's network");
  }
  for (const s of services.filter((s) => s.public)) {
    if (!input.sites[s.public!.endpoint]) throw new ReleaseError(`no site address for endpoint ${s.public!.endpoint}`);
    const replicas = Math.max(
      Number(s.compose["scale"] ?? 1),
      Number(((s.compose["deploy"] ?? {}) as Block)["replicas"] ?? 1),
    );
    if (replicas > 1)
      fail(
        s.name,
        `deploy.replicas: ${replicas} containers cannot share the public service's one loopback port per slot`,
      );
  }
  // Links and volumes_from name services of the same compose project: in a release, app services
  // (and jobs) share the slot's project, accessories have their own.
  const project = (s: AppService) => (s.accessory ? "accessories" : "slot");
  const byName = new Map(input.app.services.map((s) => [s.name, s]));
  for (const s of input.app.services) {
    for (const field of ["links", "volumes_from"] as const) {
      const refs = s.compose[field];
      if (!Array.isArray(refs)) continue;
      for (const ref of refs.map(String)) {
        const target = ref.startsWith("container:") ? undefined : byName.get(ref.split(":")[0]!);
        if (ref.startsWith("container:")) fail(s.name, `${field}: ${ref} names a container outside the release`);
        if (!target) fail(s.name, `${field}: ${ref} is not a service of the release`);
        if (project(target!) !== project(s))
          fail(
            s.name,
            `${field}: ${ref} is ${target!.accessory ? "an accessory" : "an app service"}, which runs in another compose project; use its service name on the shared network instead`,
          );
      }
    }
  }
  for (const j of jobs) {
    if (j.public) fail(j.name, "a job cannot be public: it never receives traffic");
    const restart = j.compose["restart"];
    if (restart === "always" || restart === "unless-stopped")
      fail(j.name, `restart: ${String(restart)} never lets a job complete; use "no" or on-failure`);
  }
  for (const a of input.app.assets) {
    if (
      posix.normalize(a.path) !== a.path ||
      !/^(app|secrets|configs)\/./.test(a.path) ||
      a.path.split("/").includes("..")
    ) {
      throw new ReleaseError(
        `${a.source}: shipped as ${a.path}, which is not a normalized path under app/, secrets/ or configs/`,
      );
    }
  }
  const names = new Set(input.app.services.map((s) => s.name));
  for (const network of Object.keys(input.app.networks)) {
    const def = (input.app.networks[network] ?? {}) as Block;
    if (network === ACCESSORY_NETWORK) throw new ReleaseError(`networks.${network}: the name is liftoff's own network`);
    if (def["external"])
      throw new ReleaseError(
        `networks.${network}: external networks are shared outside the release, so the two slots would meet on it`,
      );
    if (def["name"] !== undefined)
      throw new ReleaseError(
        `networks.${network}.name fixes the network's Docker name, so the two slots would share it`,
      );
  }
  const accessoryVolumes = usedVolumes(accessories);
  for (const v of usedVolumes([...services, ...jobs])) {
    if (accessoryVolumes.has(v))
      throw new ReleaseError(
        `volumes.${v}: used by an accessory and by an app service, which run in different compose projects`,
      );
  }
  for (const s of input.app.services) {
    for (const dep of Object.keys(dependsOn(s))) {
      if (!names.has(dep)) fail(s.name, `depends_on.${dep}: no such service is deployed`);
    }
  }
}

/** Jobs in the order they run: dependencies on other jobs of the same phase first, else by name. */
function orderJobs(jobs: readonly AppService[]): AppService[] {
  const byName = new Map(jobs.map((j) => [j.name, j]));
  const ordered: AppService[] = [];
  const state = new Map<string, "visiting" | "done">();
  const visit = (j: AppService) => {
    if (state.get(j.name) === "done") return;
    if (state.get(j.name) === "visiting") throw new ReleaseError(`service ${j.name}: depends_on forms a cycle of jobs`);
    state.set(j.name, "visiting");
    for (const dep of Object.keys(dependsOn(j)).sort()) {
      const other = byName.get(dep);
      if (!other) continue;
      if (other.job!.phase !== j.job!.phase)
        throw new ReleaseError(
          `service ${j.name}: depends_on.${dep}: a ${j.job!.phase} job cannot wait for a ${other.job!.phase} job`,
        );
      visit(other);
    }
    state.set(j.name, "done");
    ordered.push(j);
  };
  for (const j of [...jobs].sort((a, b) => a.name.localeCompare(b.name))) visit(j);
  return ordered;
}

// ---------------------------------------------------------------------------------------------
// compose projects

function renderCompose(
  input: ReleaseInput,
  services: readonly AppService[],
  jobs: readonly AppService[],
  accessories: readonly AppService[],
  lanes: number,
  assets: AssetIndex,
): string {
  const accessoryNames = new Set(accessories.map((a) => a.name));
  const beforeJobs = new Set(jobs.filter((j) => j.job!.phase === "before-release").map((j) => j.name));
  const afterJobs = new Set(jobs.filter((j) => j.job!.phase === "after-release").map((j) => j.name));
  const appNames = new Set(services.map((s) => s.name));
  const rendered: Block = {};
  for (const s of services) {
    const deps = Object.fromEntries(
      Object.entries(dependsOn(s)).filter(([name]) => {
        if (afterJobs.has(name))
          throw new ReleaseError(
            `service ${s.name}: depends_on.${name}: an after-release job runs after the release is live, so nothing can wait for it`,
          );
        // Accessories are started (and health-gated) before the slot, before-release jobs have
        // completed before it: both dependencies hold when the slot starts, and neither is in
        // the slot's compose project.
        return !accessoryNames.has(name) && !beforeJobs.has(name);
      }),
    );
    rendered[s.name] = appBlock(s, input.images[s.name]!, deps, assets, {
      restart: "unless-stopped",
      ...(s.public ? { ports: lanePorts(portVariable(s.name), s.public.containerPort, lanes) } : {}),
    });
  }
  for (const j of jobs) {
    for (const name of Object.keys(dependsOn(j))) {
      if (appNames.has(name))
        throw new ReleaseError(
          `service ${j.name}: depends_on.${name}: a job runs on its own (docker compose run --no-deps), before or after the slot's services, so it cannot wait for one`,
        );
    }
    rendered[j.name] = appBlock(j, input.images[j.name]!, {}, assets, { restart: "no", profiles: [JOB_PROFILE] });
  }
  const all = [...services, ...jobs];
  const volumes = Object.fromEntries(
    [...usedVolumes(all)].sort().map((name) => {
      const def = (input.app.volumes[name] ?? {}) as Block;
      return [
        name,
        def["external"] || def["name"] !== undefined ? def : { ...def, name: `${APP_VOLUME_PREFIX}${name}` },
      ];
    }),
  );
  return `# liftoff release of ${input.project}/${input.environment}: the application services and jobs.\n${yaml({
    services: rendered,
    networks: { default: {}, ...escapeDollars(input.app.networks) },
    ...(Object.keys(volumes).length > 0 ? { volumes } : {}),
    ...topLevelFiles(input.app, all),
  })}`;
}

/**
 * One app service or job: its canonical definition with the image pinned, its env file, the shared
 * accessory network joined, relative bind mounts pointed into the release, liftoff's label.
 */
function appBlock(s: AppService, image: string, deps: Block, assets: AssetIndex, defaults: Block): Block {
  // `image` is the resolved one (pinned by digest), whatever the canonical form says.
  const { depends_on: _dependsOn, networks, volumes, ports: _ports, image: _image, ...rest } = withoutNulls(s.compose);
  const { ports, ...plain } = defaults;
  return {
    image: escapeDollars(image),
    ...plain,
    ...escapeDollars(rest),
    env_file: [`env/${s.name}.env`],
    ...(ports ? { ports } : {}),
    ...(Object.keys(deps).length > 0 ? { depends_on: escapeDollars(deps) } : {}),
    ...(volumes !== undefined ? { volumes: escapeDollars(releaseVolumes(s, volumes, assets)) } : {}),
    // network_mode (host, with the opt-in) excludes networks: such a service is on the host's.
    ...(rest["network_mode"] === undefined
      ? { networks: networkList(escapeDollars(networks) ?? { default: null }) }
      : {}),
    stop_grace_period: rest["stop_grace_period"] ?? "30s",
    labels: { ...(escapeDollars(rest["labels"]) as Block | undefined), "io.liftoff.service": s.name },
  };
}

function accessoryService(a: AppService, image: string, accessories: readonly AppService[], assets: AssetIndex): Block {
  const { depends_on: _dependsOn, networks: _networks, volumes, image: _image, ...rest } = withoutNulls(a.compose);
  const names = new Set(accessories.map((x) => x.name));
  const deps = Object.fromEntries(
    Object.entries(dependsOn(a)).filter(([name]) => {
      if (!names.has(name))
        throw new ReleaseError(
          `service ${a.name}: depends_on.${name}: an accessory starts before the release's services, so it can only wait for another accessory`,
        );
      return true;
    }),
  );
  return {
    image: escapeDollars(image),
    restart: "unless-stopped",
    ...escapeDollars(rest),
    env_file: [`env/${a.name}.env`],
    ...(Object.keys(deps).length > 0 ? { depends_on: escapeDollars(deps) } : {}),
    ...(volumes !== undefined ? { volumes: escapeDollars(releaseVolumes(a, volumes, assets)) } : {}),
    // Its own project's default network: the way out, and to the other accessories. The agent
    // joins it to the networks of each slot the operator put it on (manifest accessories[].networks).
  };
}

function renderAccessories(
  app: AppDefinition,
  accessories: readonly AppService[],
  blocks: Record<string, Block>,
): string {
  const used = usedVolumes(accessories);
  const volumes = Object.fromEntries([...used].sort().map((name) => [name, app.volumes[name] ?? {}]));
  return `# liftoff: the accessories, updated in place; their volumes outlive every release.\n${yaml({
    services: blocks,
    networks: { default: {} },
    ...(Object.keys(volumes).length > 0 ? { volumes: escapeDollars(volumes) } : {}),
    ...topLevelFiles(app, accessories),
  })}`;
}

/** The top-level `secrets` and `configs` the given services use. */
function topLevelFiles(app: AppDefinition, services: readonly AppService[]): Block {
  const out: Block = {};
  for (const kind of ["secrets", "configs"] as const) {
    const used = new Set<string>();
    for (const s of services) {
      const refs = s.compose[kind];
      if (!Array.isArray(refs)) continue;
      for (const r of refs) used.add(typeof r === "string" ? r : String((r as Block)["source"]));
    }
    const defs = Object.fromEntries(
      [...used].sort().map((name) => {
        const def = app[kind][name] as Block | undefined;
        if (!def) throw new ReleaseError(`${kind}.${name}: used by a service but not defined`);
        if (def["environment"] !== undefined)
          throw new ReleaseError(
            `${kind}.${name}.environment: the host has no such variable; liftoff ships ${kind} as files`,
          );
        if (def["external"])
          throw new ReleaseError(`${kind}.${name}.external: external ${kind} exist only in Docker Swarm`);
        if (
          typeof def["file"] === "string" &&
          !app.assets.some((a) => a.path === posix.normalize(def["file"] as string))
        ) {
          throw new ReleaseError(`${kind}.${name}.file: ${def["file"] as string} is not shipped with the release`);
        }
        return [name, def];
      }),
    );
    if (Object.keys(defs).length > 0) out[kind] = escapeDollars(defs);
  }
  return out;
}

/** Relative bind mounts point at the shipped copy inside the release directory. */
function releaseVolumes(s: AppService, volumes: unknown, assets: AssetIndex): unknown {
  if (!Array.isArray(volumes)) return volumes;
  return volumes.map((v) => {
    if (typeof v === "string") {
      const [source, ...rest] = v.split(":");
      if (source && isRelative(source)) return [`./${shippedPath(s, source, assets)}`, ...rest].join(":");
      return v;
    }
    const m = v as Block;
    if (m["type"] === "bind" && typeof m["source"] === "string" && isRelative(m["source"])) {
      return { ...m, source: `./${shippedPath(s, m["source"], assets)}` };
    }
    return v;
  });
}

function isRelative(source: string): boolean {
  return source.startsWith("./") || source.startsWith("../") || source === "." || source === "..";
}

/** The path in the release of a relative bind mount's source: `./hc` is shipped as `app/hc`. */
function shippedPath(s: AppService, source: string, assets: AssetIndex): string {
  const relative = posix.normalize(source);
  if (relative.startsWith("..") || relative === ".") {
    throw new ReleaseError(
      `service ${s.name}: volumes: ${source} is outside the project directory, so it is not shipped`,
    );
  }
  const inRelease = `${APP_ASSET_DIR}/${relative}`;
  if (!assets.has(inRelease))
    throw new ReleaseError(
      `service ${s.name}: volumes: ${source} is not shipped with the release (no file of the release is at or under ${inRelease})`,
    );
  return inRelease;
}

type AssetIndex = { has(path: string): boolean; under(path: string): ReleaseAsset[] };

function assetIndex(assets: readonly ReleaseAsset[]): AssetIndex {
  return {
    has: (p) => assets.some((a) => a.path === p || a.path.startsWith(`${p}/`)),
    under: (p) => assets.filter((a) => a.path === p || a.path.startsWith(`${p}/`)),
  };
}

/** The shipped files an accessory uses (its bind mounts, secret and config files): part of its definition. */
function usedAssets(a: AppService, assets: AssetIndex): ReleaseAsset[] {
  const out: ReleaseAsset[] = [];
  const volumes = a.compose["volumes"];
  if (Array.isArray(volumes)) {
    for (const v of volumes) {
      const source =
        typeof v === "string" ? v.split(":")[0] : (v as Block)["type"] === "bind" ? (v as Block)["source"] : undefined;
      if (typeof source === "string" && isRelative(source))
        out.push(...assets.under(`${APP_ASSET_DIR}/${posix.normalize(source)}`));
    }
  }
  for (const kind of ["secrets", "configs"] as const) {
    const refs = a.compose[kind];
    if (!Array.isArray(refs)) continue;
    for (const r of refs)
      out.push(...assets.under(`${kind}/${typeof r === "string" ? r : String((r as Block)["source"])}`));
  }
  return [...new Map(out.map((f) => [f.path, f])).values()].sort(byPath);
}

function assetFile(a: ReleaseAsset): ReleaseFile {
  const bytes = Buffer.from(a.contentBase64, "base64");
  const text = bytes.toString("utf8");
  const mode = a.secret ? 0o600 : a.mode & 0o777;
  // Text files travel as text (readable in the plan); anything else as base64.
  return Buffer.from(text, "utf8").equals(bytes)
    ? { path: a.path, content: text, mode, ...(a.secret ? { secret: true } : {}) }
    : { path: a.path, content: a.contentBase64, encoding: "base64", mode, ...(a.secret ? { secret: true } : {}) };
}

/** The service's `depends_on` in its long form: a plain list means `service_started` on each. */
function dependsOn(s: AppService): Block {
  const deps = s.compose["depends_on"];
  if (Array.isArray(deps)) return Object.fromEntries(deps.map((d) => [String(d), { condition: "service_started" }]));
  if (deps && typeof deps === "object") return deps as Block;
  return {};
}

/** Drops optional dependencies (`required: false`) on services not deployed (outside the active profiles), as Compose does. */
function withoutOptionalMissing(app: AppDefinition): AppDefinition {
  const deployed = new Set(app.services.map((s) => s.name));
  return {
    ...app,
    services: app.services.map((s) => {
      const deps = dependsOn(s);
      const kept = Object.fromEntries(
        Object.entries(deps).filter(
          ([name, def]) => deployed.has(name) || (def as Block | null)?.["required"] !== false,
        ),
      );
      if (Object.keys(kept).length === Object.keys(deps).length) return s;
      const { depends_on: _dropped, ...compose } = s.compose;
      return { ...s, compose: Object.keys(kept).length > 0 ? { ...compose, depends_on: kept } : compose };
    }),
  };
}

/** A service's networks; a plain list when no network has settings. */
function networkList(networks: unknown): unknown {
  if (Array.isArray(networks) || !networks || typeof networks !== "object") return networks;
  return Object.values(networks).every((v) => v === null) ? Object.keys(networks) : networks;
}

/**
 * The slot networks an accessory joins, with its aliases on each: the operator's networks of it
 * (`default` when none). The agent connects it to them in each slot (connect_accessories).
 */
export function accessoryNetworks(a: AppService): Record<string, string[]> {
  const networks = a.compose["networks"];
  const entries: [string, unknown][] = Array.isArray(networks)
    ? networks.map((n) => [String(n), null])
    : networks && typeof networks === "object"
      ? Object.entries(networks)
      : [["default", null]];
  return Object.fromEntries(
    entries
      .sort(([x], [y]) => x.localeCompare(y))
      .map(([name, def]) => {
        const aliases = def && typeof def === "object" ? (def as Block)["aliases"] : undefined;
        return [name, Array.isArray(aliases) ? aliases.map(String) : []];
      }),
  );
}

function usedVolumes(services: readonly AppService[]): Set<string> {
  const used = new Set<string>();
  for (const s of services) {
    const volumes = s.compose["volumes"];
    if (!Array.isArray(volumes)) continue;
    for (const v of volumes) {
      const source =
        typeof v === "string"
          ? v.split(":")[0]
          : (v as Block)["type"] === "volume"
            ? (v as Block)["source"]
            : undefined;
      if (
        typeof source === "string" &&
        source !== "" &&
        !source.startsWith("/") &&
        !source.startsWith(".") &&
        !source.includes(":")
      )
        used.add(source);
    }
  }
  return used;
}

// ---------------------------------------------------------------------------------------------
// proxy

function renderCaddyfile(
  input: ReleaseInput,
  publicServices: readonly AppService[],
  ports: Record<string, { blue: number; green: number }>,
  lanes: number,
  gateRoot: string,
): string {
  const t = { ...DEFAULT_PROXY_TUNING, ...input.proxy };
  // Site blocks only: Caddy imports this file from its entry file, which holds any global options.
  const blocks: string[] = [
    `# liftoff proxy of ${input.project}/${input.environment}: each endpoint over every lane of both slots; the gates decide.`,
  ];
  publicServices.forEach((s, i) => {
    blocks.push(
      caddySite({
        address: input.sites[s.public!.endpoint]!,
        bind: input.bind,
        upstreams: [
          ...laneUpstreams("blue", ports[s.name]!.blue, lanes),
          ...laneUpstreams("green", ports[s.name]!.green, lanes),
        ],
        accessLog: accessLogAddress(i),
        tuning: t,
      }),
    );
  });
  if (publicServices.length > 0) blocks.push(gateSite(lanes, gateRoot));
  return `${blocks.join("\n\n")}\n`;
}

/** Public services in endpoint-name order: the order of sites, slot ports and access-log ports. */
function publicInSiteOrder(services: readonly AppService[]): AppService[] {
  return services.filter((s) => s.public).sort((a, b) => a.public!.endpoint.localeCompare(b.public!.endpoint));
}

/** The dial addresses of a slot's lanes for one public service, lane 1 first. */
export function laneUpstreams(slot: keyof typeof LOOPBACK, port: number, lanes: number): string[] {
  return Array.from({ length: lanes }, (_, k) => `${LOOPBACK[slot]}.${k + 1}:${port}`);
}

/** The compose `ports` of a public service: its container port on every lane of the slot. */
function lanePorts(variable: string, containerPort: number, lanes: number): string[] {
  return Array.from({ length: lanes }, (_, k) => `\${${LOOPBACK_VARIABLE}}.${k + 1}:\${${variable}}:${containerPort}`);
}

function accessLogAddress(siteIndex: number): string {
  return `udp/127.0.0.1:${ACCESS_LOG_PORT_BASE + siteIndex}`;
}

function checkedLanes(steps: readonly number[]): number {
  const valid =
    steps.length > 0 &&
    steps.every((p, i) => Number.isInteger(p) && p >= 1 && p <= 100 && (i === 0 || p > steps[i - 1]!)) &&
    steps[steps.length - 1] === 100;
  if (!valid)
    throw new ReleaseError(
      `canary steps ${JSON.stringify(steps)}: expected ascending whole percentages 1-100 ending with 100`,
    );
  return LANES;
}

/** "250ms" / "1s" / "1m" as seconds, for the manifest. */
function seconds(duration: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m)$/.exec(duration);
  if (!m) throw new ReleaseError(`proxy.healthInterval: ${duration} is not a duration like 250ms or 1s`);
  return Number(m[1]) * (m[2] === "ms" ? 0.001 : m[2] === "m" ? 60 : 1);
}

/**
 * One endpoint's Caddy site: every lane of both slots as one static upstream set, round robin over
 * the available ones. The active health check goes to the gate port of each lane's address
 * (`health_port`), so an upstream is in rotation exactly while the agent keeps its gate open; a
 * switch never reloads Caddy. The access log goes to a loopback UDP port the agent reads while it
 * watches a release (nothing is written when nobody listens).
 */
export function caddySite(site: {
  readonly address: string;
  readonly bind?: string;
  readonly upstreams: readonly string[];
  readonly accessLog?: string;
  readonly tuning: ProxyTuning;
}): string {
  const t = site.tuning;
  const lines = [`${site.address} {`];
  if (site.bind) lines.push(`\tbind ${site.bind}`);
  if (site.accessLog) lines.push("\tlog {", `\t\toutput net ${site.accessLog}`, "\t\tformat json", "\t}");
  lines.push(
    `\treverse_proxy ${site.upstreams.join(" ")} {`,
    `\t\tlb_policy ${t.lbPolicy}`,
    `\t\tlb_try_duration ${t.tryDuration}`,
    `\t\tlb_try_interval ${t.tryInterval}`,
    `\t\tfail_duration ${t.failDuration}`,
    "\t\tmax_fails 1",
    "\t\thealth_uri /liftoff-gate",
    `\t\thealth_port ${GATE_PORT}`,
    `\t\thealth_interval ${t.healthInterval}`,
    `\t\thealth_timeout ${t.healthTimeout}`,
    "\t\thealth_status 2xx",
    "\t}",
    "}",
  );
  return lines.join("\n");
}

/**
 * The gate: on every lane address, answers 200 when `<gateRoot>/<lane address>` exists, else 404.
 * `gateRoot` is a symlink the agent replaces in one rename, so a decision reaches Caddy whole.
 */
export function gateSite(lanes: number, gateRoot: string): string {
  const addresses = (["blue", "green"] as const).flatMap((slot) =>
    Array.from({ length: lanes }, (_, k) => `${LOOPBACK[slot]}.${k + 1}`),
  );
  return [
    `http://:${GATE_PORT} {`,
    `\tbind ${addresses.join(" ")}`,
    `\troot * ${gateRoot}`,
    "\trewrite * /{http.request.host}",
    "\tfile_server",
    "}",
  ].join("\n");
}

// ---------------------------------------------------------------------------------------------
// env files

/** A service's environment with its bindings filled in, in name order. */
export function resolveEnvironment(
  service: Pick<AppService, "name" | "environment">,
  bindings: Readonly<Record<string, string>>,
): [string, string][] {
  return Object.keys(service.environment)
    .sort()
    .map((name) => [name, resolveTemplate(service.name, name, service.environment[name]!, bindings)]);
}

function resolveTemplate(
  service: string,
  variable: string,
  template: EnvTemplate,
  bindings: Readonly<Record<string, string>>,
): string {
  return template
    .map((part) => {
      if (typeof part === "string") return part;
      const value = bindings[part.binding];
      if (value === undefined)
        throw new ReleaseError(
          `service ${service}: environment.${variable} uses \${${part.binding}}, which liftoff did not provide to this service`,
        );
      return value;
    })
    .join("");
}

/**
 * The service's env file: its environment (env files and `environment` already merged by the
 * loader) with bindings filled in, one `NAME="value"` line each ({@link envFileLine}), so every
 * value reaches the container byte for byte. Never quotes a value in an error: it may be secret.
 */
export function renderEnvFile(
  service: Pick<AppService, "name" | "environment">,
  bindings: Readonly<Record<string, string>>,
): string {
  return resolveEnvironment(service, bindings)
    .map(([name, value]) => {
      const nameProblem = envNameProblem(name);
      if (nameProblem)
        throw new ReleaseError(
          `service ${service.name}: environment variable name ${JSON.stringify(name)} ${nameProblem}`,
        );
      const valueProblem = envValueProblem(value);
      if (valueProblem)
        throw new ReleaseError(`service ${service.name}: the value of environment.${name} ${valueProblem}`);
      return envFileLine(name, value);
    })
    .join("");
}

// ---------------------------------------------------------------------------------------------
// helpers

/**
 * YAML Compose reads back exactly: every string double-quoted, so no value is ever read as a
 * boolean or number (`restart: "no"`, `"0o12"`, `"1:20"`), keys plain where unambiguous.
 */
function yaml(doc: unknown): string {
  return stringify(doc, { lineWidth: 0, defaultStringType: "QUOTE_DOUBLE", defaultKeyType: "PLAIN" });
}

/** Canonical strings are literal; a compose file interpolates `$`, so each becomes `$$`. */
function escapeDollars<T>(value: T): T {
  if (typeof value === "string") return value.replace(/\$/g, "$$$$") as T;
  if (Array.isArray(value)) return value.map((v) => escapeDollars(v as unknown)) as T;
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, escapeDollars(v as unknown)])) as T;
  return value;
}

/** Compose's canonical JSON prints unset fields as null (`command: null`); they mean "not set". */
function withoutNulls(block: Readonly<Record<string, unknown>>): Block {
  return Object.fromEntries(Object.entries(block).filter(([, v]) => v !== null && v !== undefined));
}

function byPath(a: { path: string }, b: { path: string }): number {
  return a.path < b.path ? -1 : a.path > b.path ? 1 : 0;
}
