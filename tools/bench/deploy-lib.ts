/**
 * The pure parts of `npm run bench:deploy` (tools/bench/deploy.ts): the service sets and release
 * specs it applies, the seed's compose project and proxy config, the agent's phase timings, the
 * goals, and the table and JSON it prints. No I/O here; tools/bench/deploy.test.ts tests it.
 */
import type { FixtureRelease, FixtureService } from "../../test/e2e/release-fixture";

/** The public endpoints through Caddy (tools/testbed: plain http on loopback). */
export const GATEWAY = "http://127.0.0.1:18443";
export const IDENTITY = "http://127.0.0.1:18444";
/** Requests per second on each public endpoint, the e2e suite's rate. */
export const RATE_PER_ENDPOINT = 250;
export const LOAD_URLS: readonly string[] = [`${GATEWAY}/version`, `${IDENTITY}/version`];

/** The seed's fixed loopback ports, one per public service, each Caddy's only upstream. */
export const SEED_PORTS: Readonly<Record<string, number>> = { "api-gateway": 28443, "identity-service": 28444 };
export const SEED_PROJECT = "liftoff-seed";

export type Images = Readonly<Record<string, Readonly<Record<string, string>>>>;
export type Tag = "v1" | "v2" | "unhealthy" | "crashloop";

/** The example system's application services; the broker accessory comes on top. */
export const BASE_SERVICES = ["api-gateway", "identity-service", "orders", "catalog"] as const;

export interface ServicePlan {
  readonly name: string;
  /** The test image it runs (extra services reuse orders' and catalog's). */
  readonly image: string;
  readonly public: { readonly address: string; readonly blue: number; readonly green: number } | null;
}

/**
 * The service set of a stack of `count` application services: the four of the example system,
 * then internal services `extra-05`, `extra-06`, … that alternately run the orders and catalog
 * test images under their own names.
 */
export function serviceSet(count: number): ServicePlan[] {
  if (!Number.isInteger(count) || count < BASE_SERVICES.length || count > 99) {
    throw new Error(`service count must be an integer from ${BASE_SERVICES.length} to 99, got ${count}`);
  }
  const plans: ServicePlan[] = [
    { name: "api-gateway", image: "api-gateway", public: { address: GATEWAY, blue: 20001, green: 20002 } },
    { name: "identity-service", image: "identity-service", public: { address: IDENTITY, blue: 20011, green: 20012 } },
    { name: "orders", image: "orders", public: null },
    { name: "catalog", image: "catalog", public: null },
  ];
  for (let n = BASE_SERVICES.length + 1; n <= count; n++) {
    plans.push({ name: `extra-${String(n).padStart(2, "0")}`, image: n % 2 === 1 ? "orders" : "catalog", public: null });
  }
  return plans;
}

export function imageRef(images: Images, name: string, tag: string): string {
  const ref = images[name]?.[tag];
  if (!ref) throw new Error(`testbed.json has no image ${name}:${tag}: run \`npm run testbed -- up\``);
  return ref;
}

/** The tag reference of a digest-pinned test image (`repo@sha256:…` -> `repo:tag`), as the seed pulls it. */
export function tagRef(images: Images, name: string, tag: string): string {
  const ref = imageRef(images, name, tag);
  return `${ref.split("@")[0]}:${tag}`;
}

export interface ReleaseOptions {
  readonly count: number;
  readonly tag: Tag;
  /** Per-service tag overrides (e.g. identity-service: "unhealthy"). */
  readonly tags?: Readonly<Record<string, Tag>>;
  readonly registry: { readonly server: string; readonly username: string };
  readonly images: Images;
}

/** A liftoff release of the service set: the e2e fixture's format, broker v1 as the accessory. */
export function benchRelease(o: ReleaseOptions): FixtureRelease {
  const services: FixtureService[] = serviceSet(o.count).map((p) => ({
    name: p.name,
    image: imageRef(o.images, p.image, o.tags?.[p.name] ?? o.tag),
    healthPath: "/healthz",
    ...(p.public
      ? { public: { address: p.public.address, containerPort: 8080, slotPorts: { blue: p.public.blue, green: p.public.green } } }
      : {}),
    env: { APP_SERVICE: p.name, APP_STACK: `bench-${o.count}` },
  }));
  return {
    project: "shop",
    environment: "bench",
    registry: o.registry,
    services,
    accessories: [{ name: "broker", image: imageRef(o.images, "broker", "v1"), volume: "broker-data", mountPath: "/data" }],
    healthTimeoutSeconds: 60,
    keepReleases: 3,
  };
}

/**
 * The seed's docker-compose.yml for the same four services and broker: images by tag, the public
 * services on fixed loopback ports, settings inline, no health checks of its own (the images'
 * HEALTHCHECK still runs, as it would on the seed's host).
 */
export function seedCompose(images: Images, tag: Tag): string {
  const lines = [`# the seed's docker-compose.yml (bench: ${tag})`, "services:"];
  for (const p of serviceSet(BASE_SERVICES.length)) {
    lines.push(`  ${p.name}:`, `    image: ${tagRef(images, p.image, tag)}`, "    restart: unless-stopped", "    environment:");
    lines.push(`      APP_SERVICE: ${p.name}`, "      APP_STACK: seed");
    const port = SEED_PORTS[p.name];
    if (port !== undefined) lines.push("    ports:", `      - "127.0.0.1:${port}:8080"`);
  }
  lines.push(
    "  broker:",
    `    image: ${tagRef(images, "broker", "v1")}`,
    "    restart: unless-stopped",
    "    volumes:",
    "      - broker-data:/data",
    "volumes:",
    "  broker-data: {}",
    "",
  );
  return lines.join("\n");
}

/** The seed's proxy config: each endpoint to its one fixed port, Caddy's defaults otherwise. */
export function seedCaddyfile(): string {
  const site = (address: string, port: number | undefined) =>
    [`${address} {`, "\tbind 127.0.0.1", `\treverse_proxy 127.0.0.1:${port}`, "}"].join("\n");
  return [
    "# bench: the seed's proxy config (one upstream per endpoint)",
    "",
    site(GATEWAY, SEED_PORTS["api-gateway"]),
    "",
    site(IDENTITY, SEED_PORTS["identity-service"]),
    "",
  ].join("\n");
}

/**
 * The last "timings (s): validate 0.05, lock 0.00, …" line (the agent's, or the one the bench
 * prints around the seed's commands), as { phase: seconds }.
 */
export function parseTimings(stderr: string): Record<string, number> {
  const lines = stderr.split("\n").filter((l) => /(?:liftoff-release|seed): timings \(s\): /.test(l));
  const line = lines.at(-1);
  if (!line) return {};
  const phases: Record<string, number> = {};
  for (const part of line.slice(line.indexOf("timings (s): ") + "timings (s): ".length).split(", ")) {
    const m = /^(\S+) (\d+(?:\.\d+)?)$/.exec(part.trim());
    if (m?.[1] && m[2]) phases[m[1]] = (phases[m[1]] ?? 0) + Number(m[2]);
  }
  return phases;
}

// ---------------------------------------------------------------------------------------------
// results

export type ScenarioId =
  | "seed-upgrade"
  | "upgrade"
  | "failed-release"
  | "rollback"
  | "rollback-again"
  | "unchanged"
  | `upgrade-${number}`;

export interface Row {
  readonly id: ScenarioId;
  readonly scenario: string;
  readonly services: number;
  readonly requests: number;
  /** Non-2xx responses plus request errors, over all public endpoints. */
  readonly failed: number;
  /** Wall time of the command as run over SSH. */
  readonly seconds: number;
  readonly exitCode: number;
  /** The agent's phases (liftoff rows), from its timings line. */
  readonly phases?: Readonly<Record<string, number>>;
  /** What the failed requests were (status codes, error kinds). */
  readonly failures?: Readonly<Record<string, number>>;
  readonly note?: string;
}

export interface Goal {
  readonly goal: string;
  readonly target: string;
  readonly actual: string;
  readonly met: boolean;
}

export const GOALS = {
  rollbackSeconds: 3,
  unchangedSeconds: 1,
  upgradeRatio: 1.25,
} as const;

const s = (x: number): string => `${x.toFixed(2)} s`;

/** The goals, judged on the rows; a goal whose scenario is missing is not met. */
export function evaluateGoals(rows: readonly Row[]): Goal[] {
  const goals: Goal[] = [];
  const find = (id: ScenarioId) => rows.find((r) => r.id === id);
  const zero = (id: ScenarioId, goal: string) => {
    const r = find(id);
    goals.push({ goal, target: "0 failed", actual: r ? `${r.failed} failed of ${r.requests}` : "not run", met: !!r && r.failed === 0 });
  };
  zero("upgrade", "liftoff upgrade: no failed request");
  zero("failed-release", "failing release: no failed request (old keeps serving)");
  for (const id of ["rollback", "rollback-again"] as const) {
    const r = find(id);
    if (!r && id === "rollback-again") continue;
    zero(id, `${r?.scenario ?? "rollback"}: no failed request`);
    goals.push({
      goal: `${r?.scenario ?? "rollback"}: time`,
      target: `<= ${GOALS.rollbackSeconds} s`,
      actual: r ? s(r.seconds) : "not run",
      met: !!r && r.exitCode === 0 && r.seconds <= GOALS.rollbackSeconds,
    });
  }
  const unchanged = find("unchanged");
  goals.push({
    goal: "unchanged redeploy: time",
    target: `<= ${GOALS.unchangedSeconds} s`,
    actual: unchanged ? s(unchanged.seconds) : "not run",
    met: !!unchanged && unchanged.exitCode === 0 && unchanged.seconds <= GOALS.unchangedSeconds,
  });
  const seed = find("seed-upgrade");
  const upgrade = find("upgrade");
  const ratio = seed && upgrade && seed.seconds > 0 ? upgrade.seconds / seed.seconds : undefined;
  goals.push({
    goal: "liftoff upgrade time vs the seed's pull+up",
    target: `<= ${GOALS.upgradeRatio}x`,
    actual: ratio === undefined ? "not run" : `${ratio.toFixed(2)}x (${s(upgrade!.seconds)} vs ${s(seed!.seconds)})`,
    met: ratio !== undefined && upgrade!.exitCode === 0 && ratio <= GOALS.upgradeRatio,
  });
  return goals;
}

export interface BenchResult {
  readonly ratePerEndpoint: number;
  readonly endpoints: readonly string[];
  readonly rows: readonly Row[];
  readonly goals: readonly Goal[];
}

export function renderJson(result: BenchResult): string {
  return `${JSON.stringify({ ...result, allGoalsMet: result.goals.every((g) => g.met) }, null, 2)}\n`;
}

const thousands = (n: number): string => n.toLocaleString("en-US");

export function renderTable(result: BenchResult): string {
  const width = Math.max(8, ...result.rows.map((r) => r.scenario.length));
  const header = `${"scenario".padEnd(width)}  services  requests  failed  seconds  exit`;
  const lines = [
    `load: ${result.ratePerEndpoint} req/s on each of ${result.endpoints.join(", ")} (autocannon, keep-alive)`,
    "",
    header,
    "-".repeat(header.length),
  ];
  for (const r of result.rows) {
    lines.push(
      `${r.scenario.padEnd(width)}  ${String(r.services).padStart(8)}  ${thousands(r.requests).padStart(8)}  ${thousands(r.failed).padStart(6)}  ${r.seconds
        .toFixed(2)
        .padStart(7)}  ${String(r.exitCode).padStart(4)}`,
    );
  }
  const withFailures = result.rows.filter((r) => r.failures && Object.keys(r.failures).length > 0);
  if (withFailures.length > 0) {
    lines.push("", "failed requests");
    for (const r of withFailures) {
      const kinds = Object.entries(r.failures ?? {}).map(([k, v]) => `${k} x${v}`);
      lines.push(`  ${r.scenario}: ${kinds.join(", ")}`);
    }
  }
  const withPhases = result.rows.filter((r) => r.phases && Object.keys(r.phases).length > 0);
  if (withPhases.length > 0) {
    lines.push("", "phases (s, from the agent's timings line, or timed around the seed's two commands; the rest of the wall time is SSH and process start)");
    for (const r of withPhases) {
      const phases = Object.entries(r.phases ?? {}).map(([k, v]) => `${k} ${v.toFixed(2)}`);
      lines.push(`  ${r.scenario}: ${phases.join(", ")}`);
    }
  }
  const notes = result.rows.filter((r) => r.note);
  if (notes.length > 0) {
    lines.push("", "notes");
    for (const r of notes) lines.push(`  ${r.scenario}: ${r.note}`);
  }
  const gw = Math.max(...result.goals.map((g) => g.goal.length), 4);
  const tw = Math.max(...result.goals.map((g) => g.target.length), 6);
  lines.push("", "goals");
  for (const g of result.goals) {
    lines.push(`  ${(g.met ? "met" : "NOT MET").padEnd(7)}  ${g.goal.padEnd(gw)}  ${g.target.padEnd(tw)}  ${g.actual}`);
  }
  lines.push("");
  return lines.join("\n");
}
