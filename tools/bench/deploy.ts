/**
 * `npm run bench:deploy [-- --json]`: the seed's deploy against liftoff's release agent, on the
 * local test host (`npm run testbed -- up`), under steady HTTP load through Caddy, in one run:
 *
 *   1. the seed's way, v1 -> v2: `docker compose pull && docker compose up -d` of a plain compose
 *      project of the same services, the public ones on fixed loopback ports, each Caddy's only
 *      upstream;
 *   2. liftoff's upgrade v1 -> v2 (`liftoff-release apply`);
 *   3. a failing release (identity-service fails its health check): automatic rollback;
 *   4. `liftoff-release rollback` (v2 -> v1), and once more (v1 -> v2);
 *   5. an unchanged redeploy (apply of the live release again);
 *   6. liftoff's upgrade v1 -> v2 at 5, 10 and 20 services.
 *
 * Every figure is the wall time of the command as an operator runs it over SSH, and the requests
 * (and failed ones: non-2xx or errors) that autocannon sent meanwhile at a fixed rate on each
 * public endpoint. Progress goes to stderr; the table (or JSON with --json) to stdout. It reuses
 * the e2e harness (test/e2e/harness.ts) and release fixture; the pure parts are in deploy-lib.ts.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import {
  checkTestbedUp,
  loadTestbed,
  resetHost,
  shq,
  startLoad,
  TestHost,
  type CommandResult,
  type LoadResult,
} from "../../test/e2e/harness";
import { writeRelease, type FixtureRelease } from "../../test/e2e/release-fixture";
import type { TestbedInfo } from "../testbed/render";
import {
  benchRelease,
  evaluateGoals,
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
  type BenchResult,
  type Row,
  type ScenarioId,
  type Tag,
} from "./deploy-lib";

const SCALES = [5, 10, 20] as const;
/** Load runs this long before the command starts and after it returns. */
const SETTLE_BEFORE_MS = 1000;
const SETTLE_AFTER_MS = 2000;

const began = Date.now();
function progress(message: string): void {
  process.stderr.write(`[bench ${((Date.now() - began) / 1000).toFixed(1).padStart(6)} s] ${message}\n`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function get(url: string): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
    return { status: res.status, body: (await res.text()).trim() };
  } catch (err) {
    return { status: 0, body: (err as Error).message };
  }
}

/** Waits until both public endpoints answer with the given version (e.g. "v2"). */
async function expectServing(version: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = "";
  while (Date.now() < deadline) {
    const gw = await get(`${GATEWAY}/version`);
    const id = await get(`${IDENTITY}/version`);
    last = `${gw.status} ${gw.body} | ${id.status} ${id.body}`;
    if (gw.body === `api-gateway ${version}` && id.body === `identity-service ${version}`) return;
    await sleep(200);
  }
  throw new Error(`the public endpoints do not serve ${version}: ${last}`);
}

interface Measured {
  readonly result: CommandResult;
  readonly load: LoadResult[];
}

/** Runs the command under steady load on the public endpoints. */
async function underLoad(run: () => Promise<CommandResult>): Promise<Measured> {
  const load = startLoad(LOAD_URLS, RATE_PER_ENDPOINT);
  await sleep(SETTLE_BEFORE_MS);
  try {
    const result = await run();
    await sleep(SETTLE_AFTER_MS);
    return { result, load: await load.stop() };
  } catch (err) {
    await load.stop();
    throw err;
  }
}

function row(id: ScenarioId, scenario: string, services: number, m: Measured, note?: string): Row {
  const failures: Record<string, number> = {};
  for (const l of m.load) {
    for (const [code, n] of Object.entries(l.statusCodes)) if (!/^2\d\d$/.test(code)) failures[`HTTP ${code}`] = (failures[`HTTP ${code}`] ?? 0) + n;
    for (const [kind, n] of Object.entries(l.errorKinds)) failures[kind] = (failures[kind] ?? 0) + n;
  }
  const phases = parseTimings(m.result.stderr);
  const pulled = /images: (\d+) pulled, (\d+) already on this host/.exec(m.result.stderr);
  const notes = [note, pulled ? `${pulled[1]} image(s) pulled, ${pulled[2]} already on the host` : undefined].filter(Boolean);
  note = notes.length > 0 ? notes.join("; ") : undefined;
  return {
    id,
    scenario,
    services,
    requests: m.load.reduce((n, l) => n + l.requests, 0),
    failed: m.load.reduce((n, l) => n + l.failed, 0),
    seconds: Number((m.result.ms / 1000).toFixed(2)),
    exitCode: m.result.code,
    ...(Object.keys(phases).length > 0 ? { phases } : {}),
    ...(Object.keys(failures).length > 0 ? { failures } : {}),
    ...(note ? { note } : {}),
  };
}

function report(r: Row): void {
  const phases = Object.entries(r.phases ?? {}).map(([k, v]) => `${k} ${v.toFixed(2)}`);
  progress(
    `${r.scenario}: ${r.seconds.toFixed(2)} s, exit ${r.exitCode}, ${r.requests} requests, ${r.failed} failed${phases.length > 0 ? ` (phases: ${phases.join(", ")})` : ""}`,
  );
}

function expectExit(m: Measured, code: number, what: string): void {
  if (m.result.code !== code) {
    throw new Error(`${what}: exit ${m.result.code}, expected ${code}:\n${m.result.stderr}${m.result.stdout}`);
  }
}

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
  async copyCompose(tag: Tag): Promise<void> {
    const local = path.join(this.localDir, `seed-${tag}`);
    fs.mkdirSync(local, { recursive: true });
    fs.writeFileSync(path.join(local, "docker-compose.yml"), seedCompose(this.tb.images, tag));
    await this.host.scp(path.join(local, "docker-compose.yml"), `${this.dir}/docker-compose.yml`);
  }

  async setUp(): Promise<void> {
    await this.tearDown();
    await this.host.sshOk(`mkdir -p ${shq(`${this.dir}/.docker`)} && chmod 700 ${shq(this.dir)} ${shq(`${this.dir}/.docker`)}`);
    // `docker login`, the password on stdin, into the seed's own config directory.
    await this.host.sshOk(
      `docker --config ${shq(`${this.dir}/.docker`)} login --username ${shq(this.tb.registry.username)} --password-stdin ${shq(this.tb.registry.url)} >/dev/null`,
      this.tb.registry.password,
    );
    await this.copyCompose("v1");
    const started = Date.now();
    await this.host.sshOk(this.compose("pull --quiet && ") + this.compose("up -d"));
    progress(`seed: v1 pulled and up (setup, no load) in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    // The seed's Caddy config: written where the agent's would be, then one reload (no load yet).
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
// liftoff

class Liftoff {
  private readonly shipped = new Map<string, { id: string; dir: string }>();
  constructor(
    private readonly host: TestHost,
    private readonly tb: TestbedInfo,
    private readonly localDir: string,
  ) {}

  spec(count: number, tag: Tag, tags?: Record<string, Tag>): FixtureRelease {
    return benchRelease({ count, tag, ...(tags ? { tags } : {}), registry: { server: this.tb.registry.url, username: this.tb.registry.username }, images: this.tb.images });
  }

  /** Writes the release locally and copies it to the host (as the Pulumi component would ship it). */
  async ship(label: string, spec: FixtureRelease): Promise<{ id: string; dir: string }> {
    const known = this.shipped.get(label);
    if (known) return known;
    const local = path.join(this.localDir, label);
    const id = writeRelease(local, spec);
    await this.host.scp(local, `${this.host.root}/incoming/`);
    const entry = { id, dir: `${this.host.root}/incoming/${label}` };
    this.shipped.set(label, entry);
    return entry;
  }

  apply(dir: string): Promise<CommandResult> {
    return this.host.agent(`apply ${shq(dir)}`, { token: this.tb.registry.password });
  }

  rollback(): Promise<CommandResult> {
    return this.host.agent("rollback");
  }

  /** An untimed apply without load (setting up the next scenario). */
  async setUp(label: string, spec: FixtureRelease): Promise<void> {
    const rel = await this.ship(label, spec);
    const r = await this.apply(rel.dir);
    if (r.code !== 0) throw new Error(`setting up ${label}: apply failed (exit ${r.code}):\n${r.stderr}`);
    progress(`liftoff: ${label} applied (setup, no load) in ${(r.ms / 1000).toFixed(1)} s`);
  }
}

// ---------------------------------------------------------------------------------------------

async function main(argv: readonly string[]): Promise<number> {
  const json = argv.includes("--json");
  const unknown = argv.filter((a) => a !== "--json");
  if (unknown.length > 0) {
    process.stderr.write("usage: npm run bench:deploy [-- --json]\n");
    return 2;
  }
  const tb = loadTestbed();
  const host = new TestHost(tb);
  await checkTestbedUp(host);
  const localDir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-bench-deploy-"));
  const seed = new Seed(host, tb, localDir);
  const liftoff = new Liftoff(host, tb, localDir);
  const rows: Row[] = [];
  const add = (r: Row) => {
    rows.push(r);
    report(r);
  };

  try {
    // 1. The seed's way. A host without liftoff and without any test image: both ways pull v2.
    progress("resetting the test host (no release, no test image)");
    await seed.tearDown();
    await resetHost(host);
    await seed.setUp();
    await seed.copyCompose("v2");
    const seedRun = await underLoad(() => seed.upgrade());
    expectExit(seedRun, 0, "the seed's pull && up -d");
    await expectServing("v2");
    add(row("seed-upgrade", "seed: compose pull && up -d (v1 -> v2)", 4, seedRun, "Compose v2 (docker compose); Caddy: one upstream per endpoint, its defaults; copying the compose file and docker login not timed (liftoff's apply includes its login)"));
    await seed.tearDown();

    // 2. liftoff's upgrade, from the same starting point.
    progress("resetting the test host for liftoff (no release, no test image; agent installed)");
    await resetHost(host);
    await liftoff.setUp("v1", liftoff.spec(4, "v1"));
    await expectServing("v1");
    const v2 = await liftoff.ship("v2", liftoff.spec(4, "v2"));
    const up = await underLoad(() => liftoff.apply(v2.dir));
    expectExit(up, 0, "liftoff's upgrade");
    await expectServing("v2");
    add(row("upgrade", "liftoff: apply (v1 -> v2)", 4, up));

    // 3. A release whose identity-service fails its health check: v2 keeps serving.
    const bad = await liftoff.ship("v2-identity-unhealthy", liftoff.spec(4, "v2", { "identity-service": "unhealthy" }));
    const failed = await underLoad(() => liftoff.apply(bad.dir));
    expectExit(failed, 6, "the failing release");
    if (!/FAILED: service identity-service is unhealthy/.test(failed.result.stderr)) {
      throw new Error(`the failing release did not fail on identity-service's health check:\n${failed.result.stderr}`);
    }
    await expectServing("v2", 3000);
    add(row("failed-release", "liftoff: failing release (exit 6, v2 kept)", 4, failed));

    // 4. rollback to v1, then forth again to v2.
    const back = await underLoad(() => liftoff.rollback());
    expectExit(back, 0, "rollback");
    await expectServing("v1", 3000);
    add(row("rollback", "liftoff: rollback (v2 -> v1)", 4, back));
    const forth = await underLoad(() => liftoff.rollback());
    expectExit(forth, 0, "rollback again");
    await expectServing("v2", 3000);
    add(row("rollback-again", "liftoff: rollback again (v1 -> v2)", 4, forth));

    // 5. apply the live release again.
    const same = await underLoad(() => liftoff.apply(v2.dir));
    expectExit(same, 0, "unchanged redeploy");
    if (!/is already live in slot \w+: nothing to do/.test(same.result.stderr)) {
      throw new Error(`the unchanged redeploy was not a no-op:\n${same.result.stderr}`);
    }
    add(row("unchanged", "liftoff: unchanged redeploy (v2 again)", 4, same));

    // 6. the upgrade at more services (extra internal ones share the test images).
    for (const count of SCALES) {
      await liftoff.setUp(`v1-x${count}`, liftoff.spec(count, "v1"));
      const rel = await liftoff.ship(`v2-x${count}`, liftoff.spec(count, "v2"));
      const m = await underLoad(() => liftoff.apply(rel.dir));
      expectExit(m, 0, `upgrade at ${count} services`);
      await expectServing("v2");
      add(row(`upgrade-${count}`, `liftoff: apply (v1 -> v2), ${count} services`, count, m));
    }
    // 40 containers with a health check every second keep both cores of the test host busy.
    progress("resetting the test host (no release left running)");
    await resetHost(host);
  } finally {
    await seed.tearDown().catch(() => undefined);
    fs.rmSync(localDir, { recursive: true, force: true });
  }
  progress("done");

  const result: BenchResult = { ratePerEndpoint: RATE_PER_ENDPOINT, endpoints: LOAD_URLS, rows, goals: evaluateGoals(rows) };
  process.stdout.write(json ? renderJson(result) : renderTable(result));
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    process.stderr.write(`bench:deploy failed: ${err.message}\n`);
    process.exit(1);
  },
);
