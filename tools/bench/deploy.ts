/**
 * `npm run bench:deploy [-- --json] [-- --scales 4,10,20]`: the seed's deploy against liftoff's
 * release agent on the local test host (`npm run testbed -- up`), under steady HTTP load through
 * Caddy, in one run. For each scale (4, 10 and 20 application services, plus the broker):
 *
 *   1. the seed's way, v1 -> v2: `docker compose pull && docker compose up -d` of a plain compose
 *      project of the same services, the public ones on fixed loopback ports, each Caddy's only
 *      upstream;
 *   2. liftoff's upgrade v1 -> v2 (the deploy component's apply command), from the same start.
 *
 * At 4 services, also: an unchanged redeploy; a release failing its health gate; a release whose
 * gateway turns 500 after the switch (rolled back by the agent in the bake window); and an
 * operator's `rollback` after the bake.
 *
 * "live" is read from a version watch (back-to-back GETs on each public endpoint): the time from
 * the command's start until the wanted release answers every request from then on; for the
 * rollback in the bake window, from the first failing answer. "done" is the command's wall time
 * over SSH. Failed requests are those of the load generator (autocannon, a fixed rate per endpoint).
 * Releases are rendered by the real renderer (tools/testing/example-system.ts). Progress goes to
 * stderr; the table (or JSON with --json) to stdout.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { DEFAULT_RELEASE_POLICY, type RenderedRelease } from "../../components/deploy";
import { exampleRelease, type ExampleOptions } from "../testing/example-system";
import { failureKinds, startLoad, type LoadResult } from "../testing/load";
import { checkTestbedUp, loadTestbed, resetHost, shq, TestHost, type CommandResult } from "../testing/testhost";
import type { TestbedInfo } from "../testbed/render";
import {
  evaluateGoals,
  firstAnswer,
  GATEWAY,
  IDENTITY,
  LOAD_URLS,
  parseTimings,
  RATE_PER_ENDPOINT,
  renderJson,
  renderTable,
  seedCaddyfile,
  seedCompose,
  SEED_PROJECT,
  timeToServe,
  type BenchResult,
  type Row,
  type Sample,
  type ScenarioId,
  type Tag,
} from "./deploy-lib";

const DEFAULT_SCALES = [4, 10, 20] as const;
/** liftoff's bake window in the bench (the dev profile's is 30 s; it only lengthens "done"). */
const BAKE_SECONDS = 10;
/** Load runs this long before the command starts and after it returns. */
const SETTLE_BEFORE_MS = 1000;
const SETTLE_AFTER_MS = 2000;

const began = Date.now();
function progress(message: string): void {
  process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function answer(url: string): Promise<string> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const text = (await res.text()).trim();
    return res.status === 200 ? text : `HTTP ${res.status}`;
  } catch (err) {
    return `error: ${(err as Error).message}`;
  }
}

/** Waits until both public endpoints answer with the given version (e.g. "v2"). */
async function expectServing(version: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const gw = await answer(`${GATEWAY}/version`);
    const id = await answer(`${IDENTITY}/version`);
    last = `${gw} | ${id}`;
    if (gw === `api-gateway ${version}` && id === `identity-service ${version}`) return;
    await sleep(200);
  }
  throw new Error(`the public endpoints do not serve ${version}: ${last}`);
}

/** Back-to-back GETs on each public endpoint, every answer timed: what "live" is read from. */
function startVersionWatch(): { stop(): Promise<Sample[][]> } {
  let running = true;
  const loops = LOAD_URLS.map(async (url) => {
    const samples: Sample[] = [];
    while (running) {
      const a = await answer(url);
      samples.push({ at: Date.now(), answer: a });
      await sleep(10);
    }
    return samples;
  });
  return {
    async stop() {
      running = false;
      return Promise.all(loops);
    },
  };
}

interface Measured {
  readonly result: CommandResult;
  readonly load: LoadResult[];
  readonly samples: Sample[][];
  /** When the command started (ms since epoch). */
  readonly start: number;
}

/** Runs the command under steady load on the public endpoints, with the version watch. */
async function underLoad(run: () => Promise<CommandResult>): Promise<Measured> {
  const load = startLoad(LOAD_URLS, RATE_PER_ENDPOINT);
  const watch = startVersionWatch();
  await sleep(SETTLE_BEFORE_MS);
  try {
    const start = Date.now();
    const result = await run();
    await sleep(SETTLE_AFTER_MS);
    return { result, load: await load.stop(), samples: await watch.stop(), start };
  } catch (err) {
    await load.stop();
    await watch.stop();
    throw err;
  }
}

const serves = (version: string) => (a: string) => a.endsWith(` ${version}`);

function row(
  id: ScenarioId,
  scenario: string,
  services: number,
  m: Measured,
  live: number | undefined,
  note?: string,
): Row {
  const failures = failureKinds(m.load);
  const phases = parseTimings(m.result.stderr);
  const pulled = /images: (\d+) pulled, (\d+) already on this host/.exec(m.result.stderr);
  const notes = [note, pulled ? `${pulled[1]} image(s) pulled, ${pulled[2]} already on the host` : undefined].filter(
    Boolean,
  );
  return {
    id,
    scenario,
    services,
    requests: m.load.reduce((n, l) => n + l.requests, 0),
    failed: m.load.reduce((n, l) => n + l.failed, 0),
    ...(live !== undefined ? { live: Number(live.toFixed(2)) } : {}),
    seconds: Number((m.result.ms / 1000).toFixed(2)),
    exitCode: m.result.code,
    ...(Object.keys(phases).length > 0 ? { phases } : {}),
    ...(Object.keys(failures).length > 0 ? { failures } : {}),
    ...(notes.length > 0 ? { note: notes.join("; ") } : {}),
  };
}

function report(r: Row): void {
  const phases = Object.entries(r.phases ?? {}).map(([k, v]) => `${k} ${v.toFixed(2)}`);
  progress(
    `${r.scenario}: live ${r.live === undefined ? "-" : `${r.live.toFixed(2)} s`}, done ${r.seconds.toFixed(2)} s, exit ${r.exitCode}, ${r.requests} requests, ${r.failed} failed${
      phases.length > 0 ? ` (phases: ${phases.join(", ")})` : ""
    }`,
  );
}

/**
 * A scenario that did not end as expected is reported (a note on its row, its output on stderr)
 * and the run goes on, so one run still gives every figure it can.
 */
function checkExit(m: Measured, code: number, what: string): string | undefined {
  if (m.result.code === code) return undefined;
  progress(`${what}: exit ${m.result.code}, expected ${code}; its output:\n${m.result.stderr}${m.result.stdout}`);
  return `UNEXPECTED: exit ${m.result.code}, expected ${code}`;
}

/** Like expectServing, but reported instead of thrown. */
async function checkServing(version: string, timeoutMs?: number): Promise<string | undefined> {
  try {
    await expectServing(version, timeoutMs);
    return undefined;
  } catch (err) {
    progress((err as Error).message);
    return `UNEXPECTED: ${(err as Error).message}`;
  }
}

const notes = (...parts: (string | undefined)[]): string | undefined => parts.filter(Boolean).join("; ") || undefined;

// ---------------------------------------------------------------------------------------------
// the seed's way

class Seed {
  readonly dir: string;
  constructor(
    private readonly host: TestHost,
    private readonly tb: TestbedInfo,
    private readonly localDir: string,
  ) {
    this.dir = `${host.root}-bench-seed`;
  }

  /** `docker compose` (v2) in the seed's directory, with its own registry login (DOCKER_CONFIG). */
  private compose(args: string): string {
    return `cd ${shq(this.dir)} && DOCKER_CONFIG=${shq(`${this.dir}/.docker`)} COMPOSE_PROJECT_NAME=${SEED_PROJECT} docker compose ${args}`;
  }

  /** What the seed's workflow copies to the VM: the compose file of this version. */
  async copyCompose(tag: Tag, count: number): Promise<void> {
    const local = path.join(this.localDir, `seed-${tag}-${count}`);
    fs.mkdirSync(local, { recursive: true });
    fs.writeFileSync(path.join(local, "docker-compose.yml"), seedCompose(this.tb.images, tag, count));
    await this.host.scp(path.join(local, "docker-compose.yml"), `${this.dir}/docker-compose.yml`);
  }

  async setUp(count: number): Promise<void> {
    await this.tearDown();
    await this.host.sshOk(
      `mkdir -p ${shq(`${this.dir}/.docker`)} && chmod 700 ${shq(this.dir)} ${shq(`${this.dir}/.docker`)}`,
    );
    await this.host.sshOk(
      `docker --config ${shq(`${this.dir}/.docker`)} login --username ${shq(this.tb.registry.username)} --password-stdin ${shq(this.tb.registry.url)} >/dev/null`,
      this.tb.registry.password,
    );
    await this.copyCompose("v1", count);
    const started = Date.now();
    await this.host.sshOk(this.compose("pull --quiet && ") + this.compose("up -d"));
    progress(`seed: v1 pulled and up (setup, no load) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    const proxyFile = this.tb.agentEnv.LIFTOFF_PROXY_FILE ?? `${this.host.root}/proxy/Caddyfile`;
    await this.host.sshOk(`cat > ${shq(proxyFile)}`, seedCaddyfile());
    await this.host.sshOk(
      `caddy reload --config ${shq(this.tb.caddy.entryCaddyfile)} --adapter caddyfile --address ${shq(this.tb.caddy.admin)} >/dev/null 2>&1`,
    );
    await expectServing("v1");
  }

  /** The timed part of the seed's deploy: pull, then up -d (each one's time on a last line). */
  upgrade(): Promise<CommandResult> {
    const seconds = (from: string, to: string) => `$(awk "BEGIN { printf \\"%.2f\\", ${to} - ${from} }")`;
    return this.host.ssh(
      [
        "t0=$EPOCHREALTIME",
        `${this.compose("pull")} && { t1=$EPOCHREALTIME; ${this.compose("up -d")}; rc=$?; t2=$EPOCHREALTIME;`,
        `echo "seed: timings (s): pull ${seconds("$t0", "$t1")}, up ${seconds("$t1", "$t2")}" >&2; exit $rc; }`,
      ].join("\n"),
    );
  }

  async tearDown(): Promise<void> {
    await this.host.ssh(
      `if [ -f ${shq(`${this.dir}/docker-compose.yml`)} ]; then ${this.compose("down --volumes --remove-orphans")} >/dev/null 2>&1; fi; rm -rf ${shq(this.dir)}`,
    );
  }
}

// ---------------------------------------------------------------------------------------------

function parseArgs(argv: readonly string[]): { json: boolean; scales: number[] } | undefined {
  let json = false;
  let scales: number[] = [...DEFAULT_SCALES];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--json") json = true;
    else if (argv[i] === "--scales" && argv[i + 1]) scales = argv[++i]!.split(",").map(Number);
    else return undefined;
  }
  if (scales.some((n) => !Number.isInteger(n) || n < 4 || n > 99)) return undefined;
  return { json, scales };
}

async function main(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (!args) {
    process.stderr.write("usage: npm run bench:deploy [-- --json] [-- --scales 4,10,20]\n");
    return 2;
  }
  const tb = loadTestbed();
  const host = new TestHost(tb);
  await checkTestbedUp(host);
  const localDir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-bench-deploy-"));
  const seed = new Seed(host, tb, localDir);
  const policy = { ...DEFAULT_RELEASE_POLICY, bakeSeconds: BAKE_SECONDS };
  const release = (o: ExampleOptions): RenderedRelease =>
    exampleRelease(tb, { environment: "bench", release: policy, ...o });
  const rows: Row[] = [];
  const add = (r: Row) => {
    rows.push(r);
    report(r);
  };
  const setUp = async (label: string, rel: RenderedRelease) => {
    const r = await host.apply(rel);
    if (r.code !== 0) throw new Error(`setting up ${label}: apply failed (exit ${r.code}):\n${r.stderr}`);
    if (!(await host.isOnlyLive(rel, 60_000)))
      throw new Error(`setting up ${label}: the release is not alone and healthy after the apply`);
    progress(`liftoff: ${label} applied (setup, no load) in ${(r.ms / 1000).toFixed(1)} s`);
  };

  try {
    for (const n of args.scales) {
      // 1. The seed's way. A host without liftoff and without any test image: both ways pull v2.
      progress(`${n} services: resetting the test host (no release, no test image)`);
      await seed.tearDown();
      await resetHost(host);
      await seed.setUp(n);
      await seed.copyCompose("v2", n);
      const seedRun = await underLoad(() => seed.upgrade());
      const seedNote = notes(
        checkExit(seedRun, 0, "the seed's pull && up -d"),
        await checkServing("v2"),
        "Caddy: one upstream per endpoint, its defaults; copying the compose file and docker login not timed",
      );
      add(
        row(
          `seed-upgrade-${n}`,
          `seed: compose pull && up -d (v1 -> v2), ${n} services`,
          n,
          seedRun,
          timeToServe(seedRun.samples, seedRun.start, serves("v2")),
          seedNote,
        ),
      );
      await seed.tearDown();

      // 2. liftoff's upgrade, from the same starting point.
      progress(`${n} services: resetting the test host for liftoff (no release, no test image; agent installed)`);
      await resetHost(host);
      const v1 = release({ tag: "v1", services: n });
      const v2 = release({ tag: "v2", services: n });
      await setUp(`v1, ${n} services`, v1);
      const up = await underLoad(() => host.apply(v2));
      const upNote = notes(checkExit(up, 0, `liftoff's upgrade at ${n} services`), await checkServing("v2"));
      add(
        row(
          `upgrade-${n}`,
          `liftoff: apply (v1 -> v2), ${n} services`,
          n,
          up,
          timeToServe(up.samples, up.start, serves("v2")),
          upNote,
        ),
      );

      if (n !== 4) continue;
      await host.isOnlyLive(v2, 60_000);

      // 3. apply the live release again.
      const same = await underLoad(() => host.apply(v2));
      add(
        row(
          "unchanged",
          "liftoff: unchanged redeploy (v2 again)",
          n,
          same,
          undefined,
          checkExit(same, 0, "unchanged redeploy"),
        ),
      );

      // 4. An operator's rollback after the bake (the old slot stopped, its containers kept).
      const back = await underLoad(() => host.agent("rollback"));
      const backNote = notes(checkExit(back, 0, "rollback after the bake"), await checkServing("v1"));
      add(
        row(
          "rollback-after-bake",
          "liftoff: rollback after the bake (v2 -> v1)",
          n,
          back,
          timeToServe(back.samples, back.start, serves("v1")),
          backNote,
        ),
      );
      await host.isOnlyLive(v1, 60_000);

      // 5. A release failing its health gate: v1 keeps serving.
      const gate = await underLoad(() =>
        host.apply(release({ tag: "v2", services: n, tags: { "identity-service": "unhealthy" } })),
      );
      const gateNote = notes(checkExit(gate, 6, "the release failing its gate"), await checkServing("v1", 3000));
      add(row("failed-gate", "liftoff: release failing its gate (exit 6, v1 kept)", n, gate, undefined, gateNote));

      // 6. A gateway that turns 500 8 s after it starts: the agent switches back in the bake window.
      const turns = release({
        tag: "v2",
        services: n,
        build: "turns-500",
        release: { ...policy, bakeSeconds: 30 },
        env: { "api-gateway": { LIFTOFF_FAIL_AFTER_SECONDS: "8" } },
      });
      const baked = await underLoad(() => host.apply(turns));
      const bakedNote = notes(
        checkExit(baked, 12, "the release rolled back in the bake window"),
        await checkServing("v1", 3000),
      );
      const firstFailure = firstAnswer(
        baked.samples,
        baked.start,
        (a) => a.startsWith("HTTP 5") || a.startsWith("error"),
      );
      const backAt = timeToServe(baked.samples, baked.start, serves("v1"));
      const toServe =
        firstFailure !== undefined && backAt !== undefined ? Math.max(0, backAt - firstFailure) : undefined;
      add(
        row(
          "rollback-in-bake",
          "liftoff: gateway turns 500 in the bake, rolled back (exit 12)",
          n,
          baked,
          toServe,
          notes(
            bakedNote,
            `live = from the first failing answer (${firstFailure?.toFixed(2) ?? "-"} s) to v1 answering every request (${backAt?.toFixed(2) ?? "-"} s)`,
          ),
        ),
      );
    }
    // 40 containers with a health check every second keep both cores of the test host busy.
    progress("resetting the test host (no release left running)");
    await resetHost(host);
  } finally {
    await seed.tearDown().catch(() => undefined);
    fs.rmSync(localDir, { recursive: true, force: true });
  }
  progress("done");

  const result: BenchResult = {
    ratePerEndpoint: RATE_PER_ENDPOINT,
    endpoints: LOAD_URLS,
    bakeSeconds: BAKE_SECONDS,
    rows,
    goals: evaluateGoals(rows, args.scales),
  };
  process.stdout.write(args.json ? renderJson(result) : renderTable(result));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`bench:deploy failed: ${err.message}\n`);
    process.exit(1);
  },
);
