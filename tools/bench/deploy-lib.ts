/**
 * The pure parts of `npm run bench:deploy` (tools/bench/deploy.ts): the seed's compose project and
 * proxy config, time to live read from a version watch, the agent's phase timings, the goals of
 * the issue, and the table and JSON it prints. Releases come from the real renderer through
 * tools/testing/example-system.ts. No I/O here; tools/bench/deploy.test.ts tests it.
 */
import { GATEWAY, IDENTITY, imageRef, serviceNames, type Images } from "../testing/example-system";

export { GATEWAY, IDENTITY };
/** Requests per second on each public endpoint, the e2e suite's rate. */
export const RATE_PER_ENDPOINT = 250;
export const LOAD_URLS: readonly string[] = [`${GATEWAY}/version`, `${IDENTITY}/version`];

/** The seed's fixed loopback ports, one per public service, each Caddy's only upstream. */
export const SEED_PORTS: Readonly<Record<string, number>> = { "api-gateway": 28443, "identity-service": 28444 };
export const SEED_PROJECT = "liftoff-seed";

export type { Images };
export type Tag = "v1" | "v2";

/** The tag reference of a digest-pinned test image (`repo@sha256:…` -> `repo:tag`), as the seed pulls it. */
export function tagRef(images: Images, name: string, tag: string): string {
  return `${imageRef(images, name, tag).split("@")[0]}:${tag}`;
}

/**
 * The seed's docker-compose.yml for the same services and broker as liftoff's release of `count`
 * services: images by tag, the public services on fixed loopback ports, settings inline, no health
 * checks of its own (the images' HEALTHCHECK still runs, as it would on the seed's host).
 */
export function seedCompose(images: Images, tag: Tag, count = 4): string {
  const lines = [`# the seed's docker-compose.yml (bench: ${tag}, ${count} services)`, "services:"];
  for (const p of serviceNames(count)) {
    lines.push(
      `  ${p.name}:`,
      `    image: ${tagRef(images, p.image, tag)}`,
      "    restart: unless-stopped",
      "    environment:",
    );
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
 * The last "timings (s): lock 0.00, pull 1.2, …" line (the agent's, or the one the bench prints
 * around the seed's commands), as { phase: seconds }.
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
// time to live

/** One answer of the version watch: when (ms since epoch), and what (body, or `HTTP <code>` / an error). */
export interface Sample {
  readonly at: number;
  readonly answer: string;
}

/**
 * Seconds from `start` until every endpoint answers only `want` (a body) from then on: the moment
 * after the last answer of anything else. `undefined` when the watch never saw `want` last on
 * every endpoint. 0 when nothing else was seen after start.
 */
export function timeToServe(
  samplesByEndpoint: readonly (readonly Sample[])[],
  start: number,
  want: (answer: string) => boolean,
): number | undefined {
  let lastOther = start;
  for (const samples of samplesByEndpoint) {
    const after = samples.filter((s) => s.at >= start);
    const last = after.at(-1);
    if (!last || !want(last.answer)) return undefined;
    for (const s of after) if (!want(s.answer)) lastOther = Math.max(lastOther, s.at);
  }
  return (lastOther - start) / 1000;
}

/** The first answer at or after `start` that `bad` matches, in seconds from `start`. */
export function firstAnswer(
  samplesByEndpoint: readonly (readonly Sample[])[],
  start: number,
  bad: (answer: string) => boolean,
): number | undefined {
  const times = samplesByEndpoint.flatMap((samples) =>
    samples.filter((s) => s.at >= start && bad(s.answer)).map((s) => s.at),
  );
  return times.length > 0 ? (Math.min(...times) - start) / 1000 : undefined;
}

// ---------------------------------------------------------------------------------------------
// results

export type ScenarioId =
  | `seed-upgrade-${number}`
  | `upgrade-${number}`
  | "unchanged"
  | "failed-gate"
  | "rollback-in-bake"
  | "rollback-after-bake";

export interface Row {
  readonly id: ScenarioId;
  readonly scenario: string;
  readonly services: number;
  readonly requests: number;
  /** Non-2xx responses plus request errors, over all public endpoints. */
  readonly failed: number;
  /** Seconds until the wanted release served every request (from the command's start, or from `liveFrom`). */
  readonly live?: number;
  /** Wall time of the command as run over SSH ("time to done"). */
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

/** The goals of the issue (#12 item 6). */
export const GOALS = {
  liveRatio: 1.0,
  rollbackInBakeSeconds: 1,
  rollbackAfterBakeSeconds: 3,
  unchangedSeconds: 1,
} as const;

const s = (x: number): string => `${x.toFixed(2)} s`;

/** The issue's goals, judged on the rows; a goal whose scenario is missing is not met. */
export function evaluateGoals(rows: readonly Row[], scales: readonly number[]): Goal[] {
  const goals: Goal[] = [];
  const find = (id: ScenarioId) => rows.find((r) => r.id === id);
  for (const n of scales) {
    const seed = find(`seed-upgrade-${n}`);
    const up = find(`upgrade-${n}`);
    const ratio = seed?.live !== undefined && up?.live !== undefined && seed.live > 0 ? up.live / seed.live : undefined;
    goals.push({
      goal: `${n} services: time to live vs the seed's pull && up -d`,
      target: `<= ${GOALS.liveRatio.toFixed(2)}x`,
      actual: ratio === undefined ? "not run" : `${ratio.toFixed(2)}x (${s(up!.live!)} vs ${s(seed!.live!)})`,
      met: ratio !== undefined && up!.exitCode === 0 && ratio <= GOALS.liveRatio,
    });
    goals.push({
      goal: `${n} services: upgrade without a failed request`,
      target: "0 failed",
      actual: up ? `${up.failed} failed of ${up.requests}` : "not run",
      met: !!up && up.exitCode === 0 && up.failed === 0,
    });
    const stopOld = up?.phases?.["stop-old"];
    goals.push({
      goal: `${n} services: stop-old off the critical path`,
      target: "live before stop-old ends",
      actual:
        up?.live === undefined
          ? "not run"
          : `live ${s(up.live)}, done ${s(up.seconds)}${stopOld === undefined ? "" : `, stop-old ${s(stopOld)}`}`,
      met: !!up && up.live !== undefined && up.live < up.seconds,
    });
  }
  const timed = (id: ScenarioId, goal: string, max: number, field: "live" | "seconds") => {
    const r = find(id);
    const value = r?.[field];
    goals.push({
      goal,
      target: `<= ${max} s, 0 failed`,
      actual: r && value !== undefined ? `${s(value)}, ${r.failed} failed` : "not run",
      met: !!r && value !== undefined && value <= max && r.failed === 0,
    });
  };
  timed(
    "rollback-in-bake",
    "rollback in the bake window: back to serving the old release",
    GOALS.rollbackInBakeSeconds,
    "live",
  );
  timed(
    "rollback-after-bake",
    "rollback after the bake: back to serving the old release",
    GOALS.rollbackAfterBakeSeconds,
    "live",
  );
  timed("unchanged", "unchanged redeploy", GOALS.unchangedSeconds, "seconds");
  const gate = find("failed-gate");
  goals.push({
    goal: "release failing its gate: the old one serves on",
    target: "exit 6, 0 failed",
    actual: gate ? `exit ${gate.exitCode}, ${gate.failed} failed` : "not run",
    met: !!gate && gate.exitCode === 6 && gate.failed === 0,
  });
  return goals;
}

export interface BenchResult {
  readonly ratePerEndpoint: number;
  readonly endpoints: readonly string[];
  readonly bakeSeconds: number;
  readonly rows: readonly Row[];
  readonly goals: readonly Goal[];
}

export function renderJson(result: BenchResult): string {
  return `${JSON.stringify({ ...result, allGoalsMet: result.goals.every((g) => g.met) }, null, 2)}\n`;
}

const thousands = (n: number): string => n.toLocaleString("en-US");

export function renderTable(result: BenchResult): string {
  const width = Math.max(8, ...result.rows.map((r) => r.scenario.length));
  const header = `${"scenario".padEnd(width)}  services  requests  failed  live s  done s  exit`;
  const lines = [
    `load: ${result.ratePerEndpoint} req/s on each of ${result.endpoints.join(", ")} (autocannon, keep-alive); liftoff's bake window ${result.bakeSeconds} s`,
    "live s: until the new release (for rollbacks: the old one) answers every request; done s: until the command returned",
    "",
    header,
    "-".repeat(header.length),
  ];
  for (const r of result.rows) {
    lines.push(
      `${r.scenario.padEnd(width)}  ${String(r.services).padStart(8)}  ${thousands(r.requests).padStart(8)}  ${thousands(r.failed).padStart(6)}  ${(r.live === undefined ? "-" : r.live.toFixed(2)).padStart(6)}  ${r.seconds
        .toFixed(2)
        .padStart(6)}  ${String(r.exitCode).padStart(4)}`,
    );
  }
  const withFailures = result.rows.filter((r) => r.failures && Object.keys(r.failures).length > 0);
  if (withFailures.length > 0) {
    lines.push("", "failed requests");
    for (const r of withFailures)
      lines.push(
        `  ${r.scenario}: ${Object.entries(r.failures ?? {})
          .map(([k, v]) => `${k} x${v}`)
          .join(", ")}`,
      );
  }
  const withPhases = result.rows.filter((r) => r.phases && Object.keys(r.phases).length > 0);
  if (withPhases.length > 0) {
    lines.push("", "phases (s, from the agent's timings line, or timed around the seed's two commands)");
    for (const r of withPhases)
      lines.push(
        `  ${r.scenario}: ${Object.entries(r.phases ?? {})
          .map(([k, v]) => `${k} ${v.toFixed(2)}`)
          .join(", ")}`,
      );
  }
  const notes = result.rows.filter((r) => r.note);
  if (notes.length > 0) {
    lines.push("", "notes");
    for (const r of notes) lines.push(`  ${r.scenario}: ${r.note}`);
  }
  const gw = Math.max(...result.goals.map((g) => g.goal.length), 4);
  const tw = Math.max(...result.goals.map((g) => g.target.length), 6);
  lines.push("", "goals");
  for (const g of result.goals)
    lines.push(`  ${(g.met ? "met" : "NOT MET").padEnd(7)}  ${g.goal.padEnd(gw)}  ${g.target.padEnd(tw)}  ${g.actual}`);
  lines.push("");
  return lines.join("\n");
}
