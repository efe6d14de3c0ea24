/**
 * ssh-window: lets the CI runner reach the environment's host over SSH for the length of one job,
 * so the deploy layer can run while SSH is never open to the internet.
 *
 *   npx tsx tools/ci/ssh-window.ts open  --stack dev --run <run id>-<attempt> --ip <a.b.c.d> [--confirm-ip <a.b.c.d>]
 *                                        [--ttl-minutes 90] [--wait-for-nsg-minutes 0]
 *   npx tsx tools/ci/ssh-window.ts close --stack dev --run <run id>-<attempt>
 *
 * Exit status: 0 done, 1 failed (az, or a rule that did not go away), 64 usage or a refused value.
 * The environment's NSG and SSH port come from the stack's own config (Pulumi.<stack>.yaml) through
 * the same validation and naming the program uses. Needs a logged-in `az` (azure/login).
 */
import { spawn, spawnSync } from "node:child_process";
import { existsSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { networkSecurityGroupName } from "../../components/network/firewall";
import { resourceGroupName } from "../../stacks/names";
import { StackSpecError, readStackSpec } from "./stack-spec";
import {
  createRuleCommand,
  deleteRuleCommand,
  listRulesCommand,
  parseRuleList,
  planClose,
  planOpen,
  runId,
  runnerSource,
  showNsgCommand,
  ttlMinutes,
  type ExistingRule,
  type WindowTarget,
} from "./ssh-window/window";

const USAGE = `usage: ssh-window open  --stack <stack> --run <run id>-<attempt> --ip <address> [--confirm-ip <address>] [--ttl-minutes N] [--wait-for-nsg-minutes N]
       ssh-window close --stack <stack> --run <run id>-<attempt>`;

class Refused extends Error {}
class Failed extends Error {}

const log = (line: string) => process.stderr.write(`ssh-window: ${line}\n`);

/** The NSG and SSH port of a stack, from its config, named as the program names them. */
export function stackTarget(projectDir: string, stack: string): WindowTarget {
  let spec;
  try {
    spec = readStackSpec(projectDir, stack);
  } catch (error) {
    if (error instanceof StackSpecError) throw new Refused(error.message);
    throw error;
  }
  return {
    resourceGroup: resourceGroupName(spec.namePrefix),
    networkSecurityGroup: networkSecurityGroupName(spec.namePrefix),
    sshPort: spec.network.sshPort,
  };
}

function az(args: readonly string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync("az", args, { encoding: "utf8" });
  if (result.error)
    throw new Failed(
      `cannot run az (${result.error.message}): install the Azure CLI and log in (azure/login in a workflow)`,
    );
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

function azOrFail(args: readonly string[], what: string): string {
  const result = az(args);
  if (result.status !== 0) throw new Failed(`${what} failed (az exit ${result.status}): ${result.stderr.trim()}`);
  return result.stdout;
}

/** False when the NSG does not exist yet: a new environment before its first `pulumi up`. */
function nsgExists(target: WindowTarget): boolean {
  const result = az(showNsgCommand(target));
  if (result.status === 0) return true;
  // az exits 3 when a `show` finds nothing; the error code says which.
  if (result.status === 3 || /ResourceNotFound|ResourceGroupNotFound/.test(result.stderr)) return false;
  throw new Failed(`az network nsg show failed (az exit ${result.status}): ${result.stderr.trim()}`);
}

function listRules(target: WindowTarget): ExistingRule[] {
  const parsed = parseRuleList(azOrFail(listRulesCommand(target), "listing the NSG's rules"));
  if (!parsed.ok) throw new Failed(parsed.problem);
  return parsed.value;
}

function removeRules(target: WindowTarget, names: readonly string[], why: string) {
  for (const name of names) {
    log(`removing ${why} rule ${name}`);
    azOrFail(deleteRuleCommand(target, name), `deleting rule ${name}`);
  }
}

interface OpenOptions {
  readonly run: string;
  readonly source: string;
  readonly ttlMinutes: number;
}

function openNow(target: WindowTarget, options: OpenOptions, now = new Date()): string {
  const rules = listRules(target);
  const plan = planOpen({
    rules,
    run: options.run,
    source: options.source,
    port: target.sshPort,
    now,
    ttlMinutes: options.ttlMinutes,
  });
  if (!plan.ok) throw new Failed(plan.problem);
  removeRules(target, plan.value.remove, "expired");
  if (plan.value.alreadyOpen) return `already open for run ${options.run}: ${plan.value.alreadyOpen}`;
  const rule = plan.value.create!;
  log(`adding ${rule.name}: ${rule.source} → port ${rule.port}, priority ${rule.priority}`);
  azOrFail(createRuleCommand(target, rule), `creating rule ${rule.name}`);
  return `open: ${rule.source} may reach port ${rule.port} on ${target.networkSecurityGroup} until ${rule.description.match(/expires (\S+);/)?.[1]} (rule ${rule.name}, priority ${rule.priority})`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function statePaths(stateDir: string, stack: string) {
  return {
    pid: path.join(stateDir, `liftoff-ssh-window-${stack}.pid`),
    log: path.join(stateDir, `liftoff-ssh-window-${stack}.log`),
  };
}

/** Stops a watcher this job started (and everything it runs), so it cannot open a window after close. */
async function stopWatcher(stateDir: string, stack: string) {
  const files = statePaths(stateDir, stack);
  if (!existsSync(files.pid)) return;
  const pid = Number(readFileSync(files.pid, "utf8").trim());
  const alive = () => {
    try {
      process.kill(-pid, 0);
      return true;
    } catch {
      return false;
    }
  };
  if (Number.isInteger(pid) && pid > 1 && alive()) {
    log(`stopping the watcher (pid ${pid}) that was waiting for the NSG`);
    try {
      process.kill(-pid, "SIGTERM");
    } catch {
      /* already gone */
    }
    for (let i = 0; i < 50 && alive(); i++) await sleep(100);
    if (alive())
      try {
        process.kill(-pid, "SIGKILL");
      } catch {
        /* already gone */
      }
  }
  if (existsSync(files.log)) process.stderr.write(readFileSync(files.log, "utf8").replace(/^/gm, "  watcher| "));
  rmSync(files.pid, { force: true });
}

async function main(argv: readonly string[]): Promise<string> {
  const [command, ...rest] = argv;
  if (command !== "open" && command !== "close" && command !== "watch") throw new Refused(USAGE);
  let values;
  try {
    ({ values } = parseArgs({
      args: [...rest],
      options: {
        stack: { type: "string" },
        run: { type: "string" },
        ip: { type: "string" },
        "confirm-ip": { type: "string" },
        "ttl-minutes": { type: "string" },
        "wait-for-nsg-minutes": { type: "string" },
        "poll-seconds": { type: "string" },
        "state-dir": { type: "string" },
        until: { type: "string" },
      },
      strict: true,
    }));
  } catch (error) {
    throw new Refused(`${(error as Error).message}\n${USAGE}`);
  }
  const need = (name: "stack" | "run" | "ip") =>
    values[name] ??
    (() => {
      throw new Refused(`--${name} is required\n${USAGE}`);
    })();
  const checked = <T>(c: { ok: true; value: T } | { ok: false; problem: string }): T => {
    if (!c.ok) throw new Refused(c.problem);
    return c.value;
  };
  const stack = need("stack");
  const run = checked(runId(need("run")));
  const stateDir = values["state-dir"] ?? process.env["RUNNER_TEMP"] ?? tmpdir();

  if (command === "close") {
    const target = stackTarget(process.cwd(), stack);
    await stopWatcher(stateDir, stack);
    if (!nsgExists(target)) return `nothing to close: ${target.networkSecurityGroup} does not exist`;
    const remove = planClose({ rules: listRules(target), run, now: new Date() });
    removeRules(target, remove, "window");
    const left = planClose({ rules: listRules(target), run, now: new Date() });
    if (left.length > 0)
      throw new Failed(
        `rules still present after deleting them: ${left.join(", ")}; remove them by hand (az network nsg rule delete -g ${target.resourceGroup} --nsg-name ${target.networkSecurityGroup} -n <name>)`,
      );
    return remove.length > 0
      ? `closed: removed ${remove.join(", ")} from ${target.networkSecurityGroup}`
      : `closed: no window rule of run ${run} on ${target.networkSecurityGroup}`;
  }

  const options: OpenOptions = {
    run,
    source: checked(runnerSource(need("ip"), values["confirm-ip"])),
    ttlMinutes: checked(ttlMinutes(values["ttl-minutes"])),
  };
  const pollMs = Number(values["poll-seconds"] ?? "15") * 1000;
  // Every value checked before the stack is read or az is called.
  const target = stackTarget(process.cwd(), stack);

  if (command === "watch") {
    // The background half of `open --wait-for-nsg-minutes`: poll until the NSG exists, then open.
    const until = Number(values["until"]);
    while (Date.now() < until) {
      if (nsgExists(target)) return openNow(target, options);
      await sleep(pollMs);
    }
    throw new Failed(
      `${target.networkSecurityGroup} did not appear before ${new Date(until).toISOString()}; the deploy layer cannot reach the host`,
    );
  }

  if (nsgExists(target)) return openNow(target, options);
  const waitMinutes = Number(values["wait-for-nsg-minutes"] ?? "0");
  if (!Number.isInteger(waitMinutes) || waitMinutes < 0 || waitMinutes > 120) {
    throw new Refused(
      `--wait-for-nsg-minutes = ${JSON.stringify(values["wait-for-nsg-minutes"])}; allowed: a whole number from 0 to 120`,
    );
  }
  if (waitMinutes === 0) return `nothing to open: ${target.networkSecurityGroup} does not exist yet`;
  // A new environment: the NSG appears during `pulumi up`, before the VM answers SSH. A detached
  // watcher opens the window then; the deploy layer's long dial retry covers the gap.
  const files = statePaths(stateDir, stack);
  const out = openSync(files.log, "w", 0o600);
  const watcher = spawn(
    process.execPath,
    [
      ...process.execArgv,
      process.argv[1]!,
      "watch",
      "--stack",
      stack,
      "--run",
      run,
      "--ip",
      options.source,
      "--ttl-minutes",
      String(options.ttlMinutes),
      "--poll-seconds",
      String(pollMs / 1000),
      "--until",
      String(Date.now() + waitMinutes * 60_000),
    ],
    { detached: true, stdio: ["ignore", out, out] },
  );
  watcher.unref();
  writeFileSync(files.pid, String(watcher.pid), { mode: 0o600 });
  return `${target.networkSecurityGroup} does not exist yet (a new environment): watcher pid ${watcher.pid} opens the window as soon as pulumi up creates it (up to ${waitMinutes} min); close stops it`;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (summary) => {
      process.stdout.write(`ssh-window: ${summary}\n`);
    },
    (error: unknown) => {
      process.stderr.write(`ssh-window: error: ${(error as Error).message}\n`);
      process.exitCode = error instanceof Refused ? 64 : 1;
    },
  );
}
