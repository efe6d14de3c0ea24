/**
 * The e2e tests' access to the local test host (tools/testbed): real SSH as the deploy user, the
 * release agent run there, steady HTTP load through Caddy, and a `ps` sampler for secret leaks.
 */
import autocannon from "autocannon";
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { agentArtifact } from "../../components/deploy";
import { COMPOSE_VERSION, DOCKER_ENGINE_VERSION, isPinnedVersion } from "../../tools/testbed/layout";
import { parseTestbedJson, type TestbedInfo } from "../../tools/testbed/render";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const TESTBED_JSON = path.join(REPO_ROOT, ".testbed", "testbed.json");
/** The agent as the component ships it (components/deploy agentArtifact), written here for scp. */
export const AGENT_SOURCE = path.join(REPO_ROOT, ".testbed", "liftoff-release.pyz");
export const START_HINT = "run `npm run testbed -- up`";

/** Reads .testbed/testbed.json; throws an error that says how to start the testbed. */
export function loadTestbed(): TestbedInfo {
  let text: string;
  try {
    text = fs.readFileSync(TESTBED_JSON, "utf8");
  } catch {
    throw new Error(`the local test host is not set up (${TESTBED_JSON} is missing): ${START_HINT}`);
  }
  try {
    return parseTestbedJson(text);
  } catch (err) {
    throw new Error(`${TESTBED_JSON} is unreadable (${(err as Error).message}): ${START_HINT}`);
  }
}

export interface CommandResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Single-quotes a value for the remote shell. */
export function shq(value: string): string {
  return `'${value.replace(/'/g, `'\\''`)}'`;
}

export interface RunningCommand {
  readonly done: Promise<CommandResult>;
  /** Resolves with the first stderr line matching the pattern. */
  waitForLine(pattern: RegExp, timeoutMs: number): Promise<string>;
}

export class TestHost {
  constructor(readonly tb: TestbedInfo) {}

  get root(): string {
    return this.tb.agentRoot;
  }

  private sshArgs(): string[] {
    const { ssh } = this.tb;
    return [
      "-i", ssh.keyPath,
      "-o", `UserKnownHostsFile=${ssh.knownHostsPath}`,
      "-o", "StrictHostKeyChecking=yes",
      "-o", "BatchMode=yes",
      "-o", "ConnectTimeout=10",
      "-o", "LogLevel=ERROR",
    ];
  }

  /** Runs a command on the test host as the deploy user, streaming its stderr. */
  start(command: string, input?: string): RunningCommand {
    const { ssh } = this.tb;
    const started = Date.now();
    const child = spawn("ssh", [...this.sshArgs(), "-p", String(ssh.port), `${ssh.user}@${ssh.host}`, command], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    let pending = "";
    const waiters: { pattern: RegExp; resolve: (line: string) => void }[] = [];
    const lines: string[] = [];
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => {
      const text = d.toString();
      stderr += text;
      pending += text;
      let nl: number;
      while ((nl = pending.indexOf("\n")) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        lines.push(line);
        for (const w of [...waiters]) {
          if (w.pattern.test(line)) {
            waiters.splice(waiters.indexOf(w), 1);
            w.resolve(line);
          }
        }
      }
    });
    child.stdin.end(input ?? "");
    const done = new Promise<CommandResult>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => {
        resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: Date.now() - started });
      });
    });
    return {
      done,
      waitForLine(pattern, timeoutMs) {
        const seen = lines.find((l) => pattern.test(l));
        if (seen !== undefined) return Promise.resolve(seen);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${stderr}`)), timeoutMs);
          waiters.push({
            pattern,
            resolve: (line) => {
              clearTimeout(timer);
              resolve(line);
            },
          });
          void done.then(() => {
            clearTimeout(timer);
            reject(new Error(`the command ended before a line matching ${pattern}:\n${stderr}`));
          });
        });
      },
    };
  }

  ssh(command: string, input?: string): Promise<CommandResult> {
    return this.start(command, input).done;
  }

  async sshOk(command: string, input?: string): Promise<string> {
    const r = await this.ssh(command, input);
    if (r.code !== 0) throw new Error(`ssh ${command} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
    return r.stdout;
  }

  /** Copies a local file or directory to the test host with scp, as the deploy user. */
  scp(local: string, remote: string): Promise<void> {
    const { ssh } = this.tb;
    return new Promise((resolve, reject) => {
      execFile(
        "scp",
        [...this.sshArgs(), "-q", "-r", "-P", String(ssh.port), local, `${ssh.user}@${ssh.host}:${remote}`],
        (err, _stdout, stderr) => (err ? reject(new Error(`scp ${local} failed: ${stderr}`)) : resolve()),
      );
    });
  }

  /** The command line that runs the agent on the test host with the testbed's configuration. */
  agentCommand(args: string, env: Readonly<Record<string, string>> = {}): string {
    const all = { ...this.tb.agentEnv, ...env };
    const assignments = Object.entries(all).map(([k, v]) => `${k}=${shq(v)}`);
    return `env ${assignments.join(" ")} ${shq(`${this.root}/bin/liftoff-release`)} ${args}`;
  }

  /** Starts the agent; the token (if any) goes on stdin, never in the command line. */
  startAgent(args: string, opts: { token?: string; env?: Record<string, string> } = {}): RunningCommand {
    return this.start(this.agentCommand(args, opts.env), opts.token === undefined ? undefined : `${opts.token}\n`);
  }

  agent(args: string, opts: { token?: string; env?: Record<string, string> } = {}): Promise<CommandResult> {
    return this.startAgent(args, opts).done;
  }
}

/** Fails (never skips) with the start hint when the testbed's services do not answer. */
export async function checkTestbedUp(host: TestHost): Promise<void> {
  const problems: string[] = [];
  const login = await host.ssh("id -nG").catch((e: Error) => ({ code: 255, stdout: "", stderr: e.message, ms: 0 }));
  if (login.code !== 0) problems.push(`ssh to ${host.tb.ssh.user}@${host.tb.ssh.host}:${host.tb.ssh.port} failed: ${login.stderr.trim()}`);
  else if (!login.stdout.split(/\s+/).includes("docker")) problems.push(`${host.tb.ssh.user} is not in the docker group`);
  else {
    // The suite proves the agent on what hosts run: Docker Engine 26.1 with Compose v2.
    const docker = await host.ssh("docker version --format '{{.Server.Version}}' && docker compose version --short");
    const [engine = "", compose = ""] = docker.stdout.trim().split("\n");
    if (docker.code !== 0) problems.push(`docker does not answer on the test host: ${docker.stderr.trim()}`);
    else if (!isPinnedVersion(engine, DOCKER_ENGINE_VERSION) || !isPinnedVersion(compose, COMPOSE_VERSION)) {
      problems.push(`the test host runs Docker ${engine} with Compose ${compose}, not Docker ${DOCKER_ENGINE_VERSION} with Compose v${COMPOSE_VERSION} (tools/testbed/install-docker.sh)`);
    }
  }
  const get = async (url: string): Promise<number> => {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(3000) });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0;
    }
  };
  const registry = await get(`http://${host.tb.registry.url}/v2/`);
  if (registry !== 401) problems.push(`the registry at ${host.tb.registry.url} does not answer (status ${registry})`);
  const caddy = await get(`http://${host.tb.caddy.admin}/config/`);
  if (caddy !== 200) problems.push(`Caddy's admin API at ${host.tb.caddy.admin} does not answer (status ${caddy})`);
  if (problems.length > 0) {
    throw new Error(`the local test host is down:\n  ${problems.join("\n  ")}\n${START_HINT}`);
  }
}

/** The test host, checked to be up and reset to one that never saw a release: each suite's first step. */
export async function freshTestHost(): Promise<TestHost> {
  const host = new TestHost(loadTestbed());
  await checkTestbedUp(host);
  await resetHost(host);
  return host;
}

/** Brings the test host back to a host that never saw a release, and installs the agent. */
export async function resetHost(host: TestHost): Promise<void> {
  const root = host.root;
  const projects = ["liftoff-blue", "liftoff-green", "liftoff-accessories"];
  const filters = projects.map((p) => `--filter label=com.docker.compose.project=${p}`);
  const script = [
    "set -e",
    ...filters.map((f) => `ids=$(docker ps -aq ${f}); [ -z "$ids" ] || docker rm -f $ids >/dev/null`),
    "for n in liftoff-blue_default liftoff-green_default liftoff-accessories; do docker network rm $n >/dev/null 2>&1 || true; done",
    "docker volume rm liftoff-accessories_broker-data >/dev/null 2>&1 || true",
    // A fresh host has none of the test images: the first release must pull them.
    "imgs=$(docker images --filter 'reference=127.0.0.1:5000/liftoff/*' -q | sort -u); [ -z \"$imgs\" ] || docker rmi -f $imgs >/dev/null",
    `rm -rf ${shq(root)}/releases ${shq(root)}/state ${shq(root)}/tmp ${shq(root)}/incoming ${shq(root)}/bin ${shq(`${root}-empty`)}`,
    `mkdir -p ${shq(root)}/bin ${shq(root)}/incoming ${shq(root)}/proxy`,
    `printf '# liftoff: no release has been applied yet.\\n' > ${shq(host.tb.agentEnv.LIFTOFF_PROXY_FILE ?? `${root}/proxy/Caddyfile`)}`,
    `caddy reload --config ${shq(host.tb.caddy.entryCaddyfile)} --adapter caddyfile --address ${shq(host.tb.caddy.admin)} >/dev/null 2>&1`,
  ].join("\n");
  await host.sshOk(script);
  fs.mkdirSync(path.dirname(AGENT_SOURCE), { recursive: true });
  fs.writeFileSync(AGENT_SOURCE, agentArtifact());
  await host.scp(AGENT_SOURCE, `${root}/bin/liftoff-release`);
  await host.sshOk(`chmod 755 ${shq(`${root}/bin/liftoff-release`)}`);
}

// ---------------------------------------------------------------------------------------------
// load

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
  stop(): Promise<LoadResult[]>;
}

/**
 * Steady keep-alive load (autocannon, in-process) on each URL at a fixed rate, for at most
 * maxSeconds (it stops by itself), until stop() is called.
 */
export function startLoad(urls: readonly string[], ratePerUrl: number, maxSeconds = 240): Load {
  const runs = urls.map((url) => {
    const statusCodes: Record<string, number> = {};
    const errorKinds: Record<string, number> = {};
    const bodies: Record<string, number> = {};
    let finish: (r: LoadResult) => void = () => undefined;
    const done = new Promise<LoadResult>((resolve) => (finish = resolve));
    const instance = autocannon(
      {
        url,
        connections: 10,
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
    return { instance, done };
  });
  return {
    async stop() {
      for (const r of runs) r.instance.stop();
      return Promise.all(runs.map((r) => r.done));
    },
  };
}

// ---------------------------------------------------------------------------------------------
// ps sampling (the test host is this machine: its process table is ours to read)

export interface PsSampler {
  stop(): Promise<string[]>;
}

export function startPsSampler(intervalMs = 50): PsSampler {
  const samples: string[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const out = await new Promise<string>((resolve) => {
        execFile("ps", ["-eww", "-o", "pid=,user=,args="], { maxBuffer: 16 * 1024 * 1024 }, (_e, stdout) => resolve(stdout ?? ""));
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

// ---------------------------------------------------------------------------------------------
// report

export interface ScenarioFigures {
  scenario: string;
  exitCode: number;
  wallSeconds: number;
  agentSeconds?: number;
  load?: { url: string; requests: number; failed: number; rps: number }[];
  note?: string;
}

export const report: ScenarioFigures[] = [];

export function renderReport(figures: readonly ScenarioFigures[]): string {
  const lines = ["", "liftoff-release e2e figures", "scenario".padEnd(46) + "exit  wall s  agent s  load (requests / failed per endpoint)"];
  for (const f of figures) {
    const load = (f.load ?? []).map((l) => `${l.url.replace("http://127.0.0.1:", ":")} ${l.requests}/${l.failed}`).join("  ");
    lines.push(
      `${f.scenario.padEnd(46)}${String(f.exitCode).padEnd(6)}${f.wallSeconds.toFixed(2).padStart(6)}  ${
        f.agentSeconds === undefined ? "      -" : f.agentSeconds.toFixed(1).padStart(7)
      }  ${load || "-"}${f.note ? `  (${f.note})` : ""}`,
    );
  }
  return lines.join("\n");
}
