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
import { PlanUsageError, readStackFiles } from "./project";
import { planJson, planText } from "./render";

const USAGE = [
  "usage: npm run plan -- <stack> [--json]",
  "       npm run plan -- <stack> --diff <git-ref> [--markdown | --json]",
  "exit: 0 planned (with --diff: no change), 2 with --diff: changes, 1 the program or its config failed, 64 usage",
].join("\n");

export const EXIT = { ok: 0, failed: 1, changed: 2, usage: 64 } as const;

export interface PlanArgs {
  readonly stack: string;
  readonly format: "text" | "json" | "markdown";
  readonly diffRef?: string;
}

/** Parses the command line; a usage error names what was wrong. */
export function parsePlanArgs(argv: readonly string[]): PlanArgs {
  let format: PlanArgs["format"] = "text";
  let diffRef: string | undefined;
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--json" || arg === "--markdown") {
      if (format !== "text") throw new PlanUsageError("--json and --markdown exclude each other");
      format = arg === "--json" ? "json" : "markdown";
    } else if (arg === "--diff" || arg.startsWith("--diff=")) {
      const value = arg === "--diff" ? argv[++i] : arg.slice("--diff=".length);
      if (!value || value.startsWith("--")) throw new PlanUsageError("--diff needs a git ref, e.g. --diff origin/main");
      diffRef = value;
    } else if (arg.startsWith("-")) {
      throw new PlanUsageError(`unknown option ${arg}`);
    } else {
      positional.push(arg);
    }
  }
  if (positional.length !== 1) throw new PlanUsageError(positional.length === 0 ? "name the stack to plan, e.g. dev" : `one stack at a time, got ${positional.join(", ")}`);
  if (format === "markdown" && diffRef === undefined) throw new PlanUsageError("--markdown is the form of a diff: add --diff <git-ref>");
  return { stack: positional[0]!, format, ...(diffRef !== undefined ? { diffRef } : {}) };
}

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
    const sides = await planBothSides(projectDir, args.stack, args.diffRef, (line) => process.stderr.write(`plan: ${line}\n`));
    const result = diffPlans(sides.before.plan, sides.after.plan!, { ref: args.diffRef, commit: sides.commit });
    if (args.format === "json") process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
    else if (args.format === "markdown") process.stdout.write(render.diffMarkdown(result));
    else process.stdout.write(`${render.diffText(result)}\n`);
    return result.changed ? EXIT.changed : EXIT.ok;
  } catch (err) {
    if (!(err instanceof PlanSideError)) throw err;
    const message = `The plan of \`${args.stack}\` cannot be compared: ${err.message}`;
    if (args.format === "markdown") process.stdout.write(`${render.commentMarker(args.stack)}\n### Offline plan diff for \`${args.stack}\`: failed\n\n\`\`\`\n${err.message}\n\`\`\`\n`);
    else if (args.format === "json") process.stdout.write(`${JSON.stringify({ stack: args.stack, error: err.message }, null, 2)}\n`);
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

if (require.main === module) {
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
}
