/**
 * `npm run plan -- <stack> [--json]`: what `pulumi up` would declare for a stack, without the Pulumi
 * CLI, credentials or network. It evaluates the very module Pulumi.yaml's `main` names, with the
 * stack's config from Pulumi.<stack>.yaml, under the SDK's mock monitor.
 */
import * as path from "node:path";
import { evaluateProgram } from "./evaluate";
import { PlanUsageError, readStackFiles } from "./project";
import { planJson, planText } from "./render";

const USAGE = "usage: npm run plan -- <stack> [--json]";

async function main(argv: string[]): Promise<number> {
  const json = argv.includes("--json");
  const positional = argv.filter((a) => !a.startsWith("--"));
  const unknown = argv.filter((a) => a.startsWith("--") && a !== "--json");
  if (positional.length !== 1 || unknown.length > 0) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const projectDir = path.resolve(__dirname, "..", "..");
  const files = readStackFiles(projectDir, positional[0]!);
  const evaluation = await evaluateProgram({
    project: files.project,
    stack: files.stack,
    config: files.config,
    secretKeys: files.secretKeys,
    // require, not import(): the program is CommonJS TypeScript, loaded through tools/ts-register.js.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: async () => require(files.main) as Record<string, unknown>,
  });
  if (json) {
    process.stdout.write(`${JSON.stringify(planJson(evaluation), null, 2)}\n`);
  } else if (evaluation.error) {
    process.stderr.write(`${evaluation.error}\n`);
  } else {
    process.stdout.write(`${planText(evaluation)}\n`);
  }
  return evaluation.error ? 1 : 0;
}

// Exit only once stdout has drained: a pipe takes 64 KiB at a time, and exiting earlier would cut
// a large JSON plan short.
const exitAfterOutput = (code: number) => process.stdout.write("", () => process.exit(code));

main(process.argv.slice(2)).then(
  (code) => exitAfterOutput(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof PlanUsageError ? err.message : err instanceof Error ? err.stack : String(err)}\n${USAGE}\n`);
    process.exit(2);
  },
);
