/**
 * Measures the switch of components/deploy/agent (traffic.py) under keep-alive load, on this
 * machine, without the test host: Caddy 2.6.2 runs the renderer's own Caddyfile (site + gate,
 * through the testbed's Caddy entry), two backends stand in for the blue and green slots on their
 * loopback lanes, autocannon drives keep-alive load, and the gates are switched by
 * tools/traffic/gate.py with the agent's traffic.py. Prints, as JSON lines and a table:
 *
 * - failed requests (errors, non-2xx) per switch, and how long the old slot still answered;
 * - the share the new slot gets at each canary step, against the target;
 * - for comparison, failed requests per `caddy reload` under the same load.
 *
 * usage: npx tsx tools/traffic/measure.ts [--rate 1000] [--connections 10] [--switches 10]
 *        [--steps 10,25,50,90] [--reloads 5] [--old-lanes N [--uncapped]]
 *
 * --old-lanes N: the blue slot listens on only its first N lanes, as a live release rendered with
 * N lanes does (the e2e's first canary after a release without one); the gates then open only
 * those (the agent's `traffic.with_published`), or every lane with --uncapped (the agent before).
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import autocannon from "autocannon";
import type { AppDefinition, AppService } from "../../environments/compose/model";
import { DEFAULT_RELEASE_POLICY, renderRelease } from "../../components/deploy/release";
import { renderCaddyEntry } from "../testbed/render";

const { values } = parseArgs({
  options: {
    rate: { type: "string", default: "1000" },
    connections: { type: "string", default: "10" },
    switches: { type: "string", default: "10" },
    steps: { type: "string", default: "10,25,50,90" },
    reloads: { type: "string", default: "5" },
    seconds: { type: "string", default: "5" },
    "old-lanes": { type: "string" },
    uncapped: { type: "boolean", default: false },
  },
});
const RATE = Number(values.rate);
const CONNECTIONS = Number(values.connections);
const SWITCHES = Number(values.switches);
const STEPS = values.steps!.split(",").map(Number);
const RELOADS = Number(values.reloads);
const STEP_SECONDS = Number(values.seconds);
const OLD_LANES = values["old-lanes"] === undefined ? undefined : Number(values["old-lanes"]);
/** gate.py's optional 5th argument: the lanes the blue slot publishes. */
const PUBLISHED = OLD_LANES !== undefined && !values.uncapped ? [String(OLD_LANES)] : [];

// Its own loopback network, ports and admin address, so it can run beside a test host that
// applies real releases (127.77.x.y, 19999, 2019).
const NET = { from: /127\.77\./g, to: "127.78." };
const SITE_PORT = 28080;
const ADMIN = "127.0.0.1:2999";
const REPO = path.resolve(__dirname, "..", "..");

function app(): AppDefinition {
  const web = {
    name: "web",
    imageText: "example.invalid/web:1",
    image: {} as AppService["image"],
    accessory: false,
    public: { endpoint: "web", containerPort: 8080 },
    healthPath: "/",
    databases: [],
    hostAccess: [],
    environment: {},
    compose: {},
  } as AppService;
  return {
    files: ["compose.yaml"],
    file: "compose.yaml",
    endpoints: [{ name: "web", port: SITE_PORT }],
    services: [web],
    volumes: {},
    networks: {},
    secrets: {},
    configs: {},
    assets: [],
  };
}

interface Sample {
  readonly t: number;
  readonly slot: string | null;
  readonly ok: boolean;
}

class Load {
  readonly samples: Sample[] = [];
  readonly done: Promise<autocannon.Result>;

  constructor(seconds: number) {
    this.done = new Promise((resolve, reject) => {
      const instance = autocannon(
        {
          url: `http://127.0.0.1:${SITE_PORT}/`,
          connections: CONNECTIONS,
          overallRate: RATE,
          duration: seconds,
          timeout: 10,
          setupClient: (client) => {
            client.on("body", (body: Buffer) =>
              this.samples.push({ t: Date.now(), slot: body.toString("utf8"), ok: true }),
            );
          },
        },
        (err, result) => (err ? reject(err) : resolve(result)),
      );
      instance.on("response", (_client, status) => {
        if (status < 200 || status > 299) this.samples.push({ t: Date.now(), slot: null, ok: false });
      });
      instance.on("reqError", () => this.samples.push({ t: Date.now(), slot: null, ok: false }));
    });
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function backend(slot: string, addresses: readonly string[]): ChildProcess {
  const code = `
    const http = require("node:http");
    for (const a of ${JSON.stringify(addresses)}) {
      const [host, port] = a.split(":");
      const server = http.createServer((req, res) => { res.writeHead(200, { "content-type": "text/plain" }); res.end(${JSON.stringify(slot)}); });
      server.keepAliveTimeout = 65000;
      server.listen(Number(port), host);
    }`;
  return spawn(process.execPath, ["-e", code], { stdio: "inherit" });
}

function gate(manifest: string, gates: string, blue: number, green: number): { decided: number; seen: number } {
  const r = spawnSync(
    "python3",
    [path.join(REPO, "tools", "traffic", "gate.py"), manifest, gates, String(blue), String(green), ...PUBLISHED],
    { encoding: "utf8" },
  );
  if (r.status !== 0) throw new Error(`gate.py failed: ${r.stderr}`);
  const [decided, seen] = r.stdout.trim().split("\n").map(Number);
  return { decided: decided!, seen: seen! };
}

async function gateAsync(
  manifest: string,
  gates: string,
  blue: number,
  green: number,
): Promise<{ decided: number; seen: number }> {
  return new Promise((resolve, reject) => {
    const child = spawn("python3", [
      path.join(REPO, "tools", "traffic", "gate.py"),
      manifest,
      gates,
      String(blue),
      String(green),
      ...PUBLISHED,
    ]);
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`gate.py exit ${code}`));
      const [decided, seen] = out.trim().split("\n").map(Number);
      resolve({ decided: decided!, seen: seen! });
    });
  });
}

async function main(): Promise<void> {
  const dir = mkdtempSync(path.join(tmpdir(), "liftoff-traffic-"));
  const lanesFor = STEPS.every((p) => p === 100) ? [100] : [...STEPS.filter((p) => p < 100), 100];
  const release = renderRelease({
    project: "measure",
    environment: "local",
    app: app(),
    images: { web: `example.invalid/web@sha256:${"0".repeat(64)}` },
    sites: { web: `http://127.0.0.1:${SITE_PORT}` },
    bindings: {},
    registry: null,
    bind: "127.0.0.1",
    releaseRoot: dir,
    release: { ...DEFAULT_RELEASE_POLICY, canary: { steps: lanesFor, stepSeconds: 30 } },
  });
  const text = (p: string) =>
    release.files
      .find((f) => f.path === p)!
      .content.replace(NET.from, NET.to)
      .replace(/19999/g, "19998");
  const proxyFile = path.join(dir, "Caddyfile.release");
  const entry = path.join(dir, "Caddyfile");
  const manifestFile = path.join(dir, "manifest.json");
  writeFileSync(proxyFile, text("Caddyfile"));
  writeFileSync(manifestFile, text("manifest.json"));
  writeFileSync(entry, renderCaddyEntry({ admin: ADMIN, proxyFile }));
  const manifest = JSON.parse(text("manifest.json")) as {
    traffic: { lanes: number };
    services: { public: { upstreams: Record<string, string[]> } }[];
  };
  const upstreams = manifest.services[0]!.public.upstreams;
  const gates = path.join(dir, "gates");
  console.error(
    `# ${manifest.traffic.lanes} lane(s) per slot${OLD_LANES === undefined ? "" : `, blue listens on ${OLD_LANES}${values.uncapped ? " (gates uncapped)" : ""}`}; Caddyfile ${proxyFile}`,
  );

  const children: ChildProcess[] = [
    backend("blue", upstreams["blue"]!.slice(0, OLD_LANES)),
    backend("green", upstreams["green"]!),
  ];
  gate(manifestFile, gates, 100, 0);
  const caddy = spawn("caddy", ["run", "--config", entry, "--adapter", "caddyfile"], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, HOME: dir, XDG_DATA_HOME: dir, XDG_CONFIG_HOME: dir },
  });
  let caddyLog = "";
  caddy.stderr!.on("data", (d: Buffer) => (caddyLog = (caddyLog + d.toString()).slice(-4000)));
  children.push(caddy);
  const report: Record<string, unknown>[] = [];
  try {
    await sleep(1500);
    if (caddy.exitCode !== null) throw new Error(`caddy exited: ${caddyLog}`);

    // 1. switches back and forth under load
    const gap = 2000;
    const load = new Load((SWITCHES * gap) / 1000 + 2);
    await sleep(1000);
    const decisions: { decided: number; seen: number; to: string }[] = [];
    for (let i = 0; i < SWITCHES; i++) {
      const to = i % 2 === 0 ? "green" : "blue";
      const d = await gateAsync(manifestFile, gates, to === "blue" ? 100 : 0, to === "green" ? 100 : 0);
      decisions.push({ ...d, to });
      await sleep(gap - (Date.now() - d.decided));
    }
    const result = await load.done;
    decisions.forEach((d, i) => {
      const end = decisions[i + 1]?.decided ?? Infinity;
      const inWindow = load.samples.filter((s) => s.t >= d.decided && s.t < end);
      const from = d.to === "green" ? "blue" : "green";
      const lastOld = Math.max(d.decided, ...inWindow.filter((s) => s.slot === from).map((s) => s.t));
      const afterSeen = inWindow.filter((s) => s.t > d.seen + 50);
      const row = {
        kind: "switch",
        n: i + 1,
        to: d.to,
        requests: inWindow.length,
        failed: inWindow.filter((s) => !s.ok).length,
        oldSlotAnsweredForMs: lastOld - d.decided,
        waitSeenMs: Math.round(d.seen - d.decided),
        oldSlotAfterWaitSeen: afterSeen.filter((s) => s.slot === from).length,
      };
      report.push(row);
      console.log(JSON.stringify(row));
    });
    const before = load.samples.filter((s) => s.t < decisions[0]!.decided);
    console.log(
      JSON.stringify({
        kind: "switch-total",
        requests: result.requests.total,
        errors: result.errors,
        non2xx: result.non2xx,
        failedBeforeFirstSwitch: before.filter((s) => !s.ok).length,
        rate: result.requests.average,
      }),
    );

    // 2. canary shares
    for (const p of STEPS) {
      const d = gate(manifestFile, gates, 100 - p, p);
      await sleep(Math.max(0, d.seen - Date.now()));
      const l = new Load(STEP_SECONDS);
      const r = await l.done;
      const ok = l.samples.filter((s) => s.ok);
      const green = ok.filter((s) => s.slot === "green").length;
      const achieved = (100 * green) / Math.max(1, ok.length);
      const lanesShare = (100 * Math.max(1, Math.round((p * manifest.traffic.lanes) / 100))) / manifest.traffic.lanes;
      const row = {
        kind: "canary",
        target: p,
        lanesShare,
        achieved: Number(achieved.toFixed(2)),
        deltaPoints: Number((achieved - p).toFixed(2)),
        requests: ok.length,
        failed: r.errors + r.non2xx,
      };
      report.push(row);
      console.log(JSON.stringify(row));
    }

    // 3. control: caddy reload under the same load (what the switch avoids)
    if (RELOADS > 0) {
      gate(manifestFile, gates, 100, 0);
      const l = new Load((RELOADS * gap) / 1000 + 2);
      await sleep(1000);
      const times: number[] = [];
      for (let i = 0; i < RELOADS; i++) {
        times.push(Date.now());
        const r = spawnSync(
          "caddy",
          ["reload", "--config", entry, "--adapter", "caddyfile", "--address", ADMIN, "--force"],
          { encoding: "utf8" },
        );
        if (r.status !== 0) throw new Error(`caddy reload failed: ${r.stderr}`);
        await sleep(gap - (Date.now() - times[i]!));
      }
      const r = await l.done;
      times.forEach((t, i) => {
        const end = times[i + 1] ?? Infinity;
        const w = l.samples.filter((s) => s.t >= t && s.t < end);
        const row = { kind: "reload", n: i + 1, requests: w.length, failed: w.filter((s) => !s.ok).length };
        report.push(row);
        console.log(JSON.stringify(row));
      });
      console.log(
        JSON.stringify({ kind: "reload-total", requests: r.requests.total, errors: r.errors, non2xx: r.non2xx }),
      );
    }
  } finally {
    for (const c of children) c.kill("SIGTERM");
    await sleep(300);
    rmSync(dir, { recursive: true, force: true });
  }
  const switches = report.filter((r) => r["kind"] === "switch");
  console.error(
    `\nswitches: ${switches.length}, failed requests per switch: ${switches.map((r) => r["failed"]).join(" ")}; old slot answered for up to ${Math.max(...switches.map((r) => Number(r["oldSlotAnsweredForMs"])))} ms after the decision`,
  );
  for (const c of report.filter((r) => r["kind"] === "canary"))
    console.error(
      `canary ${String(c["target"])} %: achieved ${String(c["achieved"])} % (${String(c["deltaPoints"])} points, lanes give ${String(c["lanesShare"])} %)`,
    );
  const reloads = report.filter((r) => r["kind"] === "reload");
  if (reloads.length)
    console.error(`caddy reload (control): failed requests per reload: ${reloads.map((r) => r["failed"]).join(" ")}`);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
