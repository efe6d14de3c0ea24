/**
 * A stack's validated spec for the CI tools, read from its Pulumi.<stack>.yaml through the same
 * validation the program runs (offline: no secrets needed), so the tools name resources exactly as
 * the program does.
 */
import { readAppFile } from "../../environments/load";
import type { EnvironmentSpec } from "../../environments/spec";
import { DEFAULT_COMPOSE_FILE } from "../../environments/core";
import { buildEnvironmentSpec, formatProblems } from "../../environments/validate";
import { readStackFiles } from "../plan/project";

/** The stack name or its config was refused; the message says why. */
export class StackSpecError extends Error {}

export function readStackSpec(projectDir: string, stack: string): EnvironmentSpec {
  if (!/^[A-Za-z0-9_.-]+$/.test(stack))
    throw new StackSpecError(`--stack = ${JSON.stringify(stack)} is not a stack name; allowed: letters, digits, _ . -`);
  let files;
  try {
    files = readStackFiles(projectDir, stack);
  } catch (error) {
    throw new StackSpecError(`--stack = ${stack}: ${(error as Error).message}`);
  }
  const prefix = "liftoff:";
  const values = Object.fromEntries(
    Object.entries(files.config)
      .filter(([k]) => k.startsWith(prefix))
      .map(([k, v]) => [k.slice(prefix.length), v]),
  );
  const secretKeys = new Set(files.secretKeys.filter((k) => k.startsWith(prefix)).map((k) => k.slice(prefix.length)));
  const composeFile = typeof values["composeFile"] === "string" ? values["composeFile"] : DEFAULT_COMPOSE_FILE;
  const { spec, problems } = buildEnvironmentSpec({
    project: files.project,
    stack,
    values,
    secretKeys,
    mode: "plan",
    ...readAppFile(composeFile, projectDir),
  });
  if (!spec)
    throw new StackSpecError(
      `stack ${stack} has configuration errors (npm run plan -- ${stack} shows them all):\n${formatProblems(problems.filter((p) => p.severity === "error"))}`,
    );
  return spec;
}
