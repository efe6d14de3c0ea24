/**
 * `npm run policy -- <stack>`: runs the policy pack over the stack's offline plan (no Pulumi CLI,
 * credentials or network) and prints every violation. Exit 1 on any mandatory violation or when the
 * plan itself fails, 2 on bad usage, 0 otherwise (advisory violations are printed, not fatal).
 */
import * as path from "node:path";
import { evaluateProgram } from "../tools/plan/evaluate";
import { PlanUsageError, readStackFiles } from "../tools/plan/project";
import { stackFacts } from "./facts";
import { checkPlan, type Violation } from "./offline";
import { POLICIES } from "./pack";

const USAGE = "usage: npm run policy -- <stack>";

/** The report a person reads: violations by policy, then one summary line. */
function renderReport(stack: string, resources: number, violations: readonly Violation[]): string {
  const lines: string[] = [];
  const byPolicy = new Map<string, Violation[]>();
  for (const v of violations) byPolicy.set(v.policy, [...(byPolicy.get(v.policy) ?? []), v]);
  for (const [policy, list] of byPolicy) {
    lines.push(`${list[0]!.enforcement} ${policy}`);
    for (const v of list) lines.push(`  ${v.resource}\n    ${v.message}`);
  }
  const mandatory = violations.filter((v) => v.enforcement === "mandatory").length;
  const advisory = violations.length - mandatory;
  lines.push(
    `${mandatory === 0 ? "ok" : "FAILED"}: stack ${stack}, ${resources} resources, ${POLICIES.length} policies + 2 offline secret checks: ` +
      `${mandatory} mandatory and ${advisory} advisory violation${advisory === 1 ? "" : "s"}`,
  );
  return lines.join("\n");
}

async function main(argv: string[]): Promise<number> {
  if (argv.length !== 1 || argv[0]!.startsWith("-")) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const projectDir = path.resolve(__dirname, "..");
  const files = readStackFiles(projectDir, argv[0]!);
  process.stderr.write(`evaluating the offline plan of stack ${files.stack} ...\n`);
  const evaluation = await evaluateProgram({
    project: files.project,
    stack: files.stack,
    config: files.config,
    secretKeys: files.secretKeys,
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    load: async () => require(files.main) as Record<string, unknown>,
  });
  if (evaluation.error) {
    process.stderr.write(`${evaluation.error}\nthe plan failed, so no policy could judge it\n`);
    return 1;
  }
  process.stderr.write(`running ${POLICIES.length} policies over ${evaluation.resources.length} resources ...\n`);
  const violations = await checkPlan(evaluation, stackFacts(files.stack, files.config, projectDir));
  process.stdout.write(`${renderReport(files.stack, evaluation.resources.length, violations)}\n`);
  return violations.some((v) => v.enforcement === "mandatory") ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.stdout.write("", () => process.exit(code)),
  (err: unknown) => {
    process.stderr.write(
      `${err instanceof PlanUsageError ? err.message : err instanceof Error ? err.stack : String(err)}\n${USAGE}\n`,
    );
    process.exit(2);
  },
);
