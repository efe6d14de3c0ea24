/**
 * The agent survives what the issue #12 review found broke it: a dropped SSH session, `kill -9`
 * during the bake, a release that fails during the bake, a live release whose containers died,
 * all under steady load through Caddy. Each case starts from a fresh host and runs alone.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { TestbedInfo } from "../../tools/testbed/render";
import { DEFAULT_RELEASE_POLICY } from "../../components/deploy";
import {
  GATEWAY,
  IDENTITY,
  exampleRelease,
  freshTestHost,
  shq,
  startLoad,
  writeReleaseDir,
  type ExampleOptions,
  type LoadResult,
  type TestHost,
} from "./harness";

const RATE = 200;

/** A release of the example system (tools/testing/example-system.ts, the real renderer); bake 0 s unless given. */
function spec(_tb: TestbedInfo, tag: "v1" | "v2", build: string, release?: { bakeSeconds: number }): ExampleOptions {
  return { tag, build, release: { ...DEFAULT_RELEASE_POLICY, bakeSeconds: 0, ...release } };
}

const localDir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-survival-"));

async function ship(host: TestHost, label: string, o: ExampleOptions): Promise<{ id: string; dir: string }> {
  const local = path.join(localDir, label);
  fs.rmSync(local, { recursive: true, force: true });
  const release = exampleRelease(host.tb, o);
  writeReleaseDir(local, release);
  await host.scp(local, `${host.root}/incoming/`);
  return { id: release.id, dir: `${host.root}/incoming/${label}` };
}

interface Status {
  live: { release: string; slot: string } | null;
  slots: Record<"blue" | "green", { service: string; state: string; health: string; container: string }[]>;
  unfinished: unknown;
}

async function status(host: TestHost): Promise<Status> {
  const r = await host.agent("status --json");
  if (r.code !== 0) throw new Error(`status failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Status;
}

async function history(
  host: TestHost,
): Promise<
  { action: string; release: string | null; result: string; exit: number | null; message: string; run?: string }[]
> {
  return JSON.parse((await host.agent("history --json")).stdout) as {
    action: string;
    release: string | null;
    result: string;
    exit: number | null;
    message: string;
  }[];
}

async function body(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  return (await res.text()).trim();
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, seconds = 60): Promise<T> {
  for (let i = 0; i < seconds * 2; i++) {
    const v = await probe();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out after ${seconds} s waiting for ${what}`);
}

async function underLoad<T>(fn: () => Promise<T>): Promise<{ result: T; load: LoadResult[] }> {
  const load = startLoad([`${GATEWAY}/version`, `${IDENTITY}/version`], RATE);
  await new Promise((r) => setTimeout(r, 1500));
  try {
    const result = await fn();
    await new Promise((r) => setTimeout(r, 1500));
    return { result, load: await load.stop() };
  } catch (err) {
    await load.stop();
    throw err;
  }
}

function expectNoFailedRequest(load: LoadResult[]): void {
  for (const l of load) {
    expect(l.requests, `${l.url} received load`).toBeGreaterThan(RATE * 3);
    expect({ url: l.url, failed: l.failed, statusCodes: l.statusCodes }).toEqual({
      url: l.url,
      failed: 0,
      statusCodes: { 200: l.requests },
    });
  }
}

/** A fresh host serving v1 (release applied, old slot none). */
async function hostWithV1(): Promise<{ host: TestHost; tb: TestbedInfo; v1: { id: string; dir: string } }> {
  const host = await freshTestHost();
  const tb = host.tb;
  const v1 = await ship(host, "v1", spec(tb, "v1", "a"));
  const r = await host.agent(`apply ${shq(v1.dir)}`, { token: tb.registry.password });
  expect(r.code, r.stderr).toBe(0);
  return { host, tb, v1 };
}

const workerPid = (host: TestHost) =>
  `"$(sed -n 's/^pid=\\([0-9]*\\) .*/\\1/p' ${shq(`${host.root}/state/lock.holder`)})"`;

describe("the agent survives the session, kill -9 and dead containers", () => {
  it("a dropped SSH session mid-apply: the work goes on, the outcome is recorded, v2 serves", async () => {
    const { host, tb } = await hostWithV1();
    const v2 = await ship(host, "v2", spec(tb, "v2", "a"));
    const { result, load } = await underLoad(async () => {
      const run = host.startAgent(`apply ${shq(v2.dir)}`, { token: tb.registry.password });
      await run.waitForLine(/waiting up to \d+ s for 4 service\(s\) in liftoff-green/, 60_000);
      // What sshd does when the client goes away: SIGHUP to the session's process (the follower).
      await host.sshOk(`kill -HUP "$(ps -o ppid= -p ${workerPid(host)} | tr -d ' ')"`);
      const dropped = await run.done;
      const outcome = await until("the apply's outcome in the audit log", async () =>
        (await history(host)).find((e) => e.action === "apply" && e.release === v2.id && e.result !== "started"),
      );
      return { dropped, outcome };
    });
    expect(result.dropped.code).not.toBe(0);
    expect(result.outcome.result, result.outcome.message).toBe("success");
    const st = await status(host);
    expect(st.live?.release).toBe(v2.id);
    expect(await body(`${GATEWAY}/version`)).toBe("api-gateway v2");
    expectNoFailedRequest(load);
  });

  it("kill -9 during the bake: the next repair switches back to v1, removes v2 and records the killed run", async () => {
    const { host, tb, v1 } = await hostWithV1();
    const v2 = await ship(host, "v2-bake", spec(tb, "v2", "b", { bakeSeconds: 30 }));
    const { result, load } = await underLoad(async () => {
      const run = host.startAgent(`apply ${shq(v2.dir)}`, { token: tb.registry.password });
      await run.waitForLine(/watching slot green for 30 s \(bake\)/, 90_000);
      await host.sshOk(`kill -9 ${workerPid(host)}`);
      const killed = await run.done;
      const repaired = await host.agent("repair");
      return { killed, repaired };
    });
    expect(result.killed.code).not.toBe(0);
    expect(result.repaired.code, result.repaired.stderr).toBe(0);
    expect(result.repaired.stderr).toMatch(/interrupted during the switch or bake: traffic back to slot blue/);
    const st = await status(host);
    expect(st.live?.release).toBe(v1.id);
    expect(st.slots.green).toEqual([]);
    expect(st.unfinished).toBeNull();
    expect(await body(`${GATEWAY}/version`)).toBe("api-gateway v1");
    const h = await history(host);
    expect(h.find((e) => e.result === "killed" && e.release === v2.id)?.message).toMatch(/killed .* in phase switched/);
    expectNoFailedRequest(load);
  });

  it("a release failing during the bake is rolled back automatically: exit 12 naming the service, v1 serves", async () => {
    const { host, tb, v1 } = await hostWithV1();
    const v2 = await ship(host, "v2-fails", spec(tb, "v2", "c", { bakeSeconds: 20 }));
    const { result, load } = await underLoad(async () => {
      const run = host.startAgent(`apply ${shq(v2.dir)}`, { token: tb.registry.password });
      await run.waitForLine(/watching slot green for 20 s \(bake\)/, 90_000);
      // orders of the new release dies 2 s into the bake (its restart policy brings it back: a restart).
      await new Promise((r) => setTimeout(r, 2000));
      await host.sshOk(
        "docker kill $(docker ps -q --filter label=com.docker.compose.project=liftoff-green --filter label=com.docker.compose.service=orders)",
      );
      return run.done;
    });
    expect(result.code, result.stderr).toBe(12);
    expect(result.stderr).toMatch(
      /FAILED: release [0-9a-f]{12} rolled back: service orders (of the new release (restarted|stopped|is unhealthy)|restarted or exited)/,
    );
    const st = await status(host);
    expect(st.live?.release).toBe(v1.id);
    expect(st.slots.green).toEqual([]);
    expect(await body(`${GATEWAY}/version`)).toBe("api-gateway v1");
    expect((await history(host)).pop()).toMatchObject({ result: "failed", exit: 12, release: v2.id });
    expectNoFailedRequest(load);
  });

  it("re-applying the live release when a live container died repairs it instead of saying nothing to do", async () => {
    const { host, tb, v1 } = await hostWithV1();
    await host.sshOk(
      "docker stop $(docker ps -q --filter label=com.docker.compose.project=liftoff-blue --filter label=com.docker.compose.service=orders) >/dev/null",
    );
    const r = await host.agent(`apply ${shq(v1.dir)}`, { token: tb.registry.password });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/repair: service orders: exited/);
    const st = await status(host);
    expect(st.slots.blue.map((s) => `${s.service} ${s.state} ${s.health}`).sort()).toEqual([
      "api-gateway running healthy",
      "catalog running healthy",
      "identity-service running healthy",
      "orders running healthy",
    ]);
    expect((await history(host)).pop()).toMatchObject({ result: "repaired", exit: 0 });
    const again = await host.agent(`apply ${shq(v1.dir)}`, { token: tb.registry.password });
    expect(again.stderr).toMatch(/nothing to do/);
  });
});
