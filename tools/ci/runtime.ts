/**
 * runtime: which runtime a stack runs on, for a workflow to skip what only a VM needs (starting
 * it, the SSH window, the deploy key) on a `containerapps` stack.
 *
 *   npx tsx tools/ci/runtime.ts --stack dev >> "$GITHUB_OUTPUT"    # kind=vm | kind=containerapps
 *
 * Read from Pulumi.<stack>.yaml through the one validation step (offline, no secrets). Exit status:
 * 0 done, 64 usage or a refused stack.
 */
import { parseArgs } from "node:util";
import { StackSpecError, readStackSpec } from "./stack-spec";

const USAGE = "usage: runtime --stack <stack>";

export function runtimeLine(projectDir: string, stack: string): string {
  return `kind=${readStackSpec(projectDir, stack).runtime.kind}`;
}

if (require.main === module) {
  try {
    const { values } = parseArgs({ args: process.argv.slice(2), options: { stack: { type: "string" } }, strict: true });
    if (!values.stack) throw new StackSpecError(`--stack is required\n${USAGE}`);
    process.stdout.write(`${runtimeLine(process.cwd(), values.stack)}\n`);
  } catch (error) {
    process.stderr.write(`runtime: error: ${(error as Error).message}\n`);
    process.exitCode = 64;
  }
}
