/**
 * The local test host (tools/testbed) as the e2e suite and `npm run bench:deploy` use it: real SSH
 * as the deploy user, the release agent installed and releases applied exactly as the deploy
 * component does it (components/deploy: its install command, its apply command line and stdin),
 * and the host brought to a known state ({@link TestHost.ensureLive}) so that any one e2e case can
 * run alone.
 */
import { execFile, spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import {
  agentArtifact,
  applyReleaseCommand,
  applyReleaseStdin,
  hostPaths,
  installAgentCommand,
  sha256,
  type RenderedRelease,
} from "../../components/deploy";
import { COMPOSE_VERSION, DOCKER_ENGINE_VERSION, isPinnedVersion } from "../testbed/layout";
import { parseTestbedJson, type TestbedInfo } from "../testbed/render";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");
export const TESTBED_JSON = path.join(REPO_ROOT, ".testbed", "testbed.json");
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
  /** Ends the local ssh client abruptly (SIGKILL): the session drops as when a laptop's network goes. */
  dropSession(): void;
}

/** What the agent's `status --json` says (the fields the tests read). */
export interface AgentStatus {
  live: { release: string; slot: string } | null;
  previous: { release: string; slot: string } | null;
  slots: Record<
    "blue" | "green",
    { service: string; state: string; health: string; container: string; startedAt: string; image: string }[]
  >;
  accessories: {
    service: string;
    state: string;
    health: string;
    container: string;
    startedAt: string;
    image: string;
    definitionHash: string | null;
  }[];
  /** The journal of a run that has not finished (killed, or still stopping the old slot). */
  unfinished?: { run: string; pid: number; action: string; release: string; phase: string } | null;
}

export interface AuditEntry {
  action: string;
  release: string | null;
  result: string;
  exit: number;
  seconds: number;
  user: string;
  client: string | null;
  message: string;
}

export class TestHost {
  constructor(readonly tb: TestbedInfo) {}

  get root(): string {
    return this.tb.agentRoot;
  }

  private sshArgs(): string[] {
    const { ssh } = this.tb;
    return [
      "-i",
      ssh.keyPath,
      "-o",
      `UserKnownHostsFile=${ssh.knownHostsPath}`,
      "-o",
      "StrictHostKeyChecking=yes",
      "-o",
      "BatchMode=yes",
      "-o",
      "ConnectTimeout=10",
      "-o",
      "LogLevel=ERROR",
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
    child.stdin.on("error", () => undefined);
    child.stdin.end(input ?? "");
    const done = new Promise<CommandResult>((resolve, reject) => {
      child.once("error", reject);
      child.once("close", (code, signal) => {
        resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr, ms: Date.now() - started });
      });
    });
    return {
      done,
      dropSession: () => child.kill("SIGKILL"),
      waitForLine(pattern, timeoutMs) {
        const seen = lines.find((l) => pattern.test(l));
        if (seen !== undefined) return Promise.resolve(seen);
        return new Promise((resolve, reject) => {
          const timer = setTimeout(
            () => reject(new Error(`no line matching ${pattern} within ${timeoutMs} ms:\n${stderr}`)),
            timeoutMs,
          );
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

  /** `export`s of the testbed's agent settings (a real host needs none), then the command. */
  private withAgentEnv(command: string, env: Readonly<Record<string, string>> = {}): string {
    const all = { ...this.tb.agentEnv, ...env };
    return `${Object.entries(all)
      .map(([k, v]) => `export ${k}=${shq(v)}`)
      .join("; ")}; ${command}`;
  }

  /** The command line that runs the agent on the test host with the testbed's configuration. */
  agentCommand(args: string, env: Readonly<Record<string, string>> = {}): string {
    return this.withAgentEnv(`${shq(hostPaths(this.root).agent)} ${args}`, env);
  }

  /** Starts the agent; the token (if any) goes on stdin, never in the command line. */
  startAgent(args: string, opts: { token?: string; env?: Record<string, string> } = {}): RunningCommand {
    return this.start(this.agentCommand(args, opts.env), opts.token === undefined ? undefined : `${opts.token}\n`);
  }

  agent(args: string, opts: { token?: string; env?: Record<string, string> } = {}): Promise<CommandResult> {
    return this.startAgent(args, opts).done;
  }

  /** Installs the agent as the deploy component does (its install command, the agent on stdin). */
  async installAgent(): Promise<void> {
    // The component sends the agent (a zipapp) base64-encoded on stdin.
    await this.sshOk(
      `mkdir -p ${shq(`${this.root}/bin`)} && ${installAgentCommand(this.root)}`,
      `${agentArtifact().toString("base64")}\n`,
    );
  }

  /** Installs the agent unless the host already runs this checkout's. */
  async ensureAgent(): Promise<void> {
    const installed = await this.ssh(`sha256sum ${shq(hostPaths(this.root).agent)}`);
    if (installed.code !== 0 || installed.stdout.split(" ")[0] !== sha256(agentArtifact())) await this.installAgent();
  }

  /**
   * Ships and applies a release as the deploy component does: its command line, the registry
   * token and the release archive on stdin. `env` adds agent settings for this run only.
   */
  async startApply(
    release: RenderedRelease,
    opts: { token?: string; env?: Record<string, string> } = {},
  ): Promise<RunningCommand> {
    const stdin = await applyReleaseStdin(release, opts.token ?? this.tb.registry.password);
    return this.start(this.withAgentEnv(applyReleaseCommand(this.root, release.id), opts.env), stdin);
  }

  async apply(
    release: RenderedRelease,
    opts: { token?: string; env?: Record<string, string> } = {},
  ): Promise<CommandResult> {
    return (await this.startApply(release, opts)).done;
  }

  async status(): Promise<AgentStatus> {
    const r = await this.agent("status --json");
    if (r.code !== 0) throw new Error(`status failed (exit ${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as AgentStatus;
  }

  async history(): Promise<AuditEntry[]> {
    const r = await this.agent("history --json");
    if (r.code !== 0) throw new Error(`history failed (exit ${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout) as AuditEntry[];
  }

  /**
   * True when the release is live, every service of it healthy, nothing runs in the idle slot (the
   * agent may keep the old slot's containers stopped, for a fast rollback) and no run is unfinished.
   * The old slot is stopped after the outcome is recorded: this waits up to `settleMs` for that.
   */
  async isOnlyLive(release: RenderedRelease, settleMs = 0): Promise<boolean> {
    const deadline = Date.now() + settleMs;
    for (;;) {
      const st = await this.status().catch(() => undefined);
      if (!st?.live || st.live.release !== release.id) return false;
      const slot = st.live.slot as "blue" | "green";
      const idle = slot === "blue" ? "green" : "blue";
      const healthy =
        st.slots[slot].length > 0 && st.slots[slot].every((s) => s.state === "running" && s.health === "healthy");
      const settled = !st.slots[idle].some((s) => s.state === "running") && !st.unfinished;
      if (healthy && settled) return true;
      if (Date.now() >= deadline) return false;
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  /**
   * Brings the host to "this release live, alone and healthy", whatever an earlier case left
   * (another release, a killed apply's leftovers, a host that never saw a release): an apply when
   * needed, and a reset and apply when that apply does not get there. Each e2e case starts here.
   */
  async ensureLive(release: RenderedRelease, opts: { env?: Record<string, string> } = {}): Promise<void> {
    await checkTestbedUp(this);
    await this.ensureAgent();
    if (await this.isOnlyLive(release, 30_000)) return;
    const first = await this.apply(release, opts);
    if (first.code === 0 && (await this.isOnlyLive(release, 60_000))) return;
    await resetHost(this);
    const again = await this.apply(release, opts);
    if (again.code !== 0 || !(await this.isOnlyLive(release, 60_000))) {
      throw new Error(
        `could not bring the test host to release ${release.id.slice(0, 12)} (exit ${again.code}):\n${again.stderr}`,
      );
    }
  }

  /** {@link ensureLive} of `previous`, then `release` applied on top: two releases, the second live. */
  async ensureLiveAfter(previous: RenderedRelease, release: RenderedRelease): Promise<void> {
    const st = await this.status().catch(() => undefined);
    if (st?.previous?.release === previous.id && (await this.isOnlyLive(release, 30_000))) return;
    await this.ensureLive(previous);
    const r = await this.apply(release);
    if (r.code !== 0 || !(await this.isOnlyLive(release, 60_000)))
      throw new Error(
        `could not apply ${release.id.slice(0, 12)} over ${previous.id.slice(0, 12)} (exit ${r.code}):\n${r.stderr}`,
      );
  }
}

/** Fails (never skips) with the start hint when the testbed's services do not answer. */
export async function checkTestbedUp(host: TestHost): Promise<void> {
  const problems: string[] = [];
  const login = await host.ssh("id -nG").catch((e: Error) => ({ code: 255, stdout: "", stderr: e.message, ms: 0 }));
  if (login.code !== 0)
    problems.push(`ssh to ${host.tb.ssh.user}@${host.tb.ssh.host}:${host.tb.ssh.port} failed: ${login.stderr.trim()}`);
  else if (!login.stdout.split(/\s+/).includes("docker"))
    problems.push(`${host.tb.ssh.user} is not in the docker group`);
  else {
    // The suite proves the agent on what hosts run: Docker Engine 26.1 with Compose v2.
    const docker = await host.ssh("docker version --format '{{.Server.Version}}' && docker compose version --short");
    const [engine = "", compose = ""] = docker.stdout.trim().split("\n");
    if (docker.code !== 0) problems.push(`docker does not answer on the test host: ${docker.stderr.trim()}`);
    else if (!isPinnedVersion(engine, DOCKER_ENGINE_VERSION) || !isPinnedVersion(compose, COMPOSE_VERSION)) {
      problems.push(
        `the test host runs Docker ${engine} with Compose ${compose}, not Docker ${DOCKER_ENGINE_VERSION} with Compose v${COMPOSE_VERSION} (tools/testbed/install-docker.sh)`,
      );
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

/** The test host, checked to be up and reset to one that never saw a release. */
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
    // A detached apply of an earlier case (one whose session dropped) must finish first, not go on underneath.
    `if [ -f ${shq(`${root}/state/lock`)} ]; then flock -w 300 ${shq(`${root}/state/lock`)} true || true; fi`,
    ...filters.map((f) => `ids=$(docker ps -aq ${f}); [ -z "$ids" ] || docker rm -f $ids >/dev/null`),
    "for n in liftoff-blue_default liftoff-green_default liftoff-accessories; do docker network rm $n >/dev/null 2>&1 || true; done",
    "docker volume rm liftoff-accessories_broker-data >/dev/null 2>&1 || true",
    // A fresh host has none of the test images: the first release must pull them.
    "imgs=$(docker images --filter 'reference=127.0.0.1:5000/liftoff/*' -q | sort -u); [ -z \"$imgs\" ] || docker rmi -f $imgs >/dev/null",
    `rm -rf ${shq(root)}/releases ${shq(root)}/state ${shq(root)}/tmp ${shq(root)}/incoming ${shq(root)}/bin ${shq(root)}/log ${shq(root)}/run ${shq(`${root}-empty`)}`,
    `mkdir -p ${shq(root)}/bin ${shq(root)}/incoming ${shq(root)}/proxy`,
    `printf '# liftoff: no release has been applied yet.\\n' > ${shq(host.tb.agentEnv.LIFTOFF_PROXY_FILE ?? `${root}/proxy/Caddyfile`)}`,
    `caddy reload --config ${shq(host.tb.caddy.entryCaddyfile)} --adapter caddyfile --address ${shq(host.tb.caddy.admin)} >/dev/null 2>&1`,
  ].join("\n");
  await host.sshOk(script);
  await host.installAgent();
}
