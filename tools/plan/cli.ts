/**
 * `npm run plan -- <stack> [--json]`: what `pulumi up` would declare for a stack, without the Pulumi
 * CLI, credentials or network. It evaluates the very module Pulumi.yaml's `main` names, with the
 * stack's config from Pulumi.<stack>.yaml, under the SDK's mock monitor.
 *
 * `npm run plan -- <stack> --diff <git-ref> [--markdown|--json]`: what a change does to that plan,
 * the program at the ref against the working tree. Exit status as `terraform plan
 * -detailed-exitcode`: 0 no change, 2 changes, 1 error; 64 for a usage mistake.
 */
import { existsSync } from "node:fs";
import * as path from "node:path";
import { evaluateProgram } from "./evaluate";
import { EXIT, USAGE, parsePlanArgs, type PlanArgs } from "./args";
import { PlanUsageError, readStackFiles } from "./project";
import { planJson, planText } from "./render";

const projectDir = path.resolve(__dirname, "..", "..");

async function plan(args: PlanArgs): Promise<number> {
  const files = readStackFiles(projectDir, args.stack);
  const digestKey = process.env["LIFTOFF_PLAN_DIGEST_KEY"];
  const evaluation = await evaluateProgram({
    project: files.project,
    stack: files.stack,
    config: files.config,
    secretKeys: files.secretKeys,
    ...(digestKey ? { secretDigestKey: digestKey } : {}),
    // require, not import(): the program is CommonJS TypeScript, loaded through tools/ts-register.js.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: async () => require(files.main) as Record<string, unknown>,
  });
  if (args.format === "json") {
    process.stdout.write(`${JSON.stringify(planJson(evaluation), null, 2)}\n`);
  } else if (evaluation.error) {
    process.stderr.write(`${evaluation.error}\n`);
  } else {
    process.stdout.write(`${planText(evaluation)}\n`);
  }
  return evaluation.error ? EXIT.failed : EXIT.ok;
}

async function diff(args: PlanArgs & { diffRef: string }): Promise<number> {
  // Loaded only here: a plan of one side (the child processes of a diff) needs none of it. require,
  // not import(): these are TypeScript files that only the CommonJS hook can load.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { planBothSides, PlanSideError } = require("./at-ref") as typeof import("./at-ref");
  const { diffPlans } = require("./diff") as typeof import("./diff");
  const render = require("./diff-render") as typeof import("./diff-render");
  /* eslint-enable @typescript-eslint/no-require-imports */
  if (!existsSync(path.join(projectDir, `Pulumi.${args.stack}.yaml`))) {
    throw new PlanUsageError(`no stack config Pulumi.${args.stack}.yaml in the working tree; name an existing stack`);
  }
  try {
    const sides = await planBothSides(projectDir, args.stack, args.diffRef, (line) =>
      process.stderr.write(`plan: ${line}\n`),
    );
    const result = diffPlans(sides.before.plan, sides.after.plan!, { ref: args.diffRef, commit: sides.commit });
    if (args.format === "json") process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (args.format === "markdown") process.stdout.write(render.diffMarkdown(result));
    else process.stdout.write(`${render.diffText(result)}\n`);
    return result.changed ? EXIT.changed : EXIT.ok;
  } catch (err) {
    if (!(err instanceof PlanSideError)) throw err;
    const message = `The plan of \`${args.stack}\` cannot be compared: ${err.message}`;
    if (args.format === "markdown")
      process.stdout.write(
        `${render.commentMarker(args.stack)}\n### Offline plan diff for \`${args.stack}\`: failed\n\n\`\`\`\n${err.message}\n\`\`\`\n`,
      );
    else if (args.format === "json")
      process.stdout.write(`${JSON.stringify({ stack: args.stack, error: err.message }, null, 2)}\n`);
    process.stderr.write(`${message}\n`);
    return EXIT.failed;
  }
}

async function main(argv: string[]): Promise<number> {
  const args = parsePlanArgs(argv);
  return args.diffRef !== undefined ? diff({ ...args, diffRef: args.diffRef }) : plan(args);
}

// Exit only once stdout has drained: a pipe takes 64 KiB at a time, and exiting earlier would cut
// a large JSON plan short.
const exitAfterOutput = (code: number) => process.stdout.write("", () => process.exit(code));

main(process.argv.slice(2)).then(
  (code) => exitAfterOutput(code),
  (err: unknown) => {
    if (err instanceof PlanUsageError) {
      process.stderr.write(`${err.message}\n${USAGE}\n`);
      process.exit(EXIT.usage);
    }
    process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
    process.exit(EXIT.failed);
  },
);
