/** The plan command line, parsed and checked before anything runs. */
import { PlanUsageError } from "./project";

export const USAGE = [
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
  if (positional.length !== 1)
    throw new PlanUsageError(
      positional.length === 0
        ? "name the stack to plan, e.g. dev"
        : `one stack at a time, got ${positional.join(", ")}`,
    );
  if (format === "markdown" && diffRef === undefined)
    throw new PlanUsageError("--markdown is the form of a diff: add --diff <git-ref>");
  return { stack: positional[0]!, format, ...(diffRef !== undefined ? { diffRef } : {}) };
}
