/**
 * Load and observation on the local test host, shared by the e2e suite and `npm run bench:deploy`:
 * steady keep-alive HTTP load from a real load generator (autocannon) and a `ps` sampler for
 * secret leaks (the test host is this machine: its process table is ours to read).
 */
import autocannon from "autocannon";
import { execFile } from "node:child_process";

export interface LoadResult {
  readonly url: string;
  readonly requests: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly failed: number;
  readonly statusCodes: Record<string, number>;
  readonly errorKinds: Record<string, number>;
  /** Response bodies (trimmed) and how often each was seen. */
  readonly bodies: Record<string, number>;
  readonly rps: number;
  readonly latencyP99Ms: number;
  readonly latencyMaxMs: number;
}

export interface Load {
  /** Bodies seen so far, per URL (while running: e.g. to wait for a version to appear). */
  bodiesSoFar(): Record<string, number>[];
  stop(): Promise<LoadResult[]>;
}

/**
 * Steady keep-alive load (autocannon, in-process) on each URL at a fixed rate, for at most
 * maxSeconds (it stops by itself), until stop() is called.
 */
export function startLoad(urls: readonly string[], ratePerUrl: number, maxSeconds = 240, connections = 10): Load {
  const runs = urls.map((url) => {
    const statusCodes: Record<string, number> = {};
    const errorKinds: Record<string, number> = {};
    const bodies: Record<string, number> = {};
    let finish: (r: LoadResult) => void = () => undefined;
    const done = new Promise<LoadResult>((resolve) => (finish = resolve));
    const instance = autocannon(
      {
        url,
        connections,
        overallRate: ratePerUrl,
        duration: maxSeconds,
        timeout: 10,
        setupClient(client) {
          client.on("body", (body: Buffer) => {
            const key = body.toString().trim().slice(0, 80);
            bodies[key] = (bodies[key] ?? 0) + 1;
          });
        },
      },
      (err, r) => {
        if (err) errorKinds[`autocannon: ${err.message}`] = 1;
        finish({
          url,
          requests: r?.requests.total ?? 0,
          non2xx: r?.non2xx ?? 0,
          errors: (r?.errors ?? 0) + (err ? 1 : 0),
          failed: (r?.non2xx ?? 0) + (r?.errors ?? 0) + (err ? 1 : 0),
          statusCodes,
          errorKinds,
          bodies,
          rps: Math.round(r?.requests.average ?? 0),
          latencyP99Ms: r?.latency.p99 ?? 0,
          latencyMaxMs: r?.latency.max ?? 0,
        });
      },
    );
    instance.on("response", (_client: unknown, status: number) => {
      statusCodes[status] = (statusCodes[status] ?? 0) + 1;
    });
    instance.on("reqError", (err: Error) => {
      errorKinds[err.message] = (errorKinds[err.message] ?? 0) + 1;
    });
    return { instance, done, bodies };
  });
  return {
    bodiesSoFar: () => runs.map((r) => ({ ...r.bodies })),
    async stop() {
      for (const r of runs) r.instance.stop();
      return Promise.all(runs.map((r) => r.done));
    },
  };
}

/** Failed requests of a load run by kind (`HTTP 502`, `ECONNRESET`, …). */
export function failureKinds(load: readonly LoadResult[]): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const l of load) {
    for (const [code, n] of Object.entries(l.statusCodes))
      if (!/^2\d\d$/.test(code)) kinds[`HTTP ${code}`] = (kinds[`HTTP ${code}`] ?? 0) + n;
    for (const [kind, n] of Object.entries(l.errorKinds)) kinds[kind] = (kinds[kind] ?? 0) + n;
  }
  return kinds;
}

export interface PsSampler {
  stop(): Promise<string[]>;
}

export function startPsSampler(intervalMs = 50): PsSampler {
  const samples: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const out = await new Promise<string>((resolve) => {
        execFile("ps", ["-eww", "-o", "pid=,user=,args="], { maxBuffer: 16 * 1024 * 1024 }, (_e, stdout) =>
          resolve(stdout ?? ""),
        );
      });
      samples.push(out);
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return samples;
    },
  };
}
