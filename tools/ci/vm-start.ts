/**
 * vm-start: starts a stack's VM before `pulumi up` when its nightly auto-shutdown has stopped it.
 *
 *   npx tsx tools/ci/vm-start.ts --stack dev
 *
 * Idempotent: a running VM, a stack without auto-shutdown (prod) and a VM that does not exist yet
 * (a new environment, before its first `pulumi up`) are left alone. Exit status: 0 done, 1 az
 * failed, 64 usage or a refused stack. Needs a logged-in `az` (azure/login).
 */
import { spawnSync } from "node:child_process";
import { parseArgs } from "node:util";
import { vmName } from "../../components/host/names";
import { resourceGroupName } from "../../stacks/names";
import { StackSpecError, readStackSpec } from "./stack-spec";
import { decideStart, powerStateCommand, startCommand, type VmTarget } from "./vm-start/start";

const USAGE = "usage: vm-start --stack <stack>";

class Refused extends Error {}
class Failed extends Error {}

const log = (line: string) => process.stderr.write(`vm-start: ${line}\n`);

function az(args: readonly string[]): { status: number; stdout: string; stderr: string } {
  const result = spawnSync("az", args, { encoding: "utf8" });
  if (result.error)
    throw new Failed(
      `cannot run az (${result.error.message}): install the Azure CLI and log in (azure/login in a workflow)`,
    );
  return { status: result.status ?? 1, stdout: result.stdout, stderr: result.stderr };
}

function main(argv: readonly string[]): string {
  let values;
  try {
    ({ values } = parseArgs({ args: [...argv], options: { stack: { type: "string" } }, strict: true }));
  } catch (error) {
    throw new Refused(`${(error as Error).message}\n${USAGE}`);
  }
  if (!values.stack) throw new Refused(`--stack is required\n${USAGE}`);
  let spec;
  try {
    spec = readStackSpec(process.cwd(), values.stack);
  } catch (error) {
    throw error instanceof StackSpecError ? new Refused(error.message) : error;
  }
  if (spec.runtime.kind !== "vm") return `${values.stack} runs on ${spec.runtime.kind}: there is no VM to start`;
  if (!spec.host.autoShutdown) return `${values.stack} has no auto-shutdown: nothing to start`;
  const target: VmTarget = { resourceGroup: resourceGroupName(spec.namePrefix), vm: vmName(spec.namePrefix) };
  const state = az(powerStateCommand(target));
  if (state.status !== 0) {
    // az exits 3 when a `show`-like command finds nothing: a new environment, created by this up.
    if (state.status === 3 || /ResourceNotFound|ResourceGroupNotFound/.test(state.stderr))
      return `${target.vm} does not exist yet: nothing to start`;
    throw new Failed(`reading ${target.vm}'s power state failed (az exit ${state.status}): ${state.stderr.trim()}`);
  }
  const decision = decideStart(state.stdout);
  if (decision.action === "nothing") return `${target.vm}: ${decision.why}, nothing to start`;
  log(
    `starting ${target.vm} in ${target.resourceGroup}: ${decision.why} (the daily auto-shutdown at ${spec.host.autoShutdown.time} ${spec.host.autoShutdown.timeZone})`,
  );
  const started = az(startCommand(target));
  if (started.status !== 0)
    throw new Failed(`az vm start ${target.vm} failed (az exit ${started.status}): ${started.stderr.trim()}`);
  return `${target.vm} started (${decision.why} before)`;
}

if (require.main === module) {
  try {
    process.stdout.write(`vm-start: ${main(process.argv.slice(2))}\n`);
  } catch (error) {
    process.stderr.write(`vm-start: error: ${(error as Error).message}\n`);
    process.exitCode = error instanceof Refused ? 64 : 1;
  }
}
