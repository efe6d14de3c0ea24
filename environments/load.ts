import { readFileSync } from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { fsReader, type FileReader } from "./compose/files";
import type { EnvironmentSpec } from "./spec";
import { DEFAULT_COMPOSE_FILE } from "./core";
import { NAMESPACE, type EvaluationMode } from "./reader";
import { buildEnvironmentSpec, formatProblems } from "./validate";

/** The stack's validated spec plus its secrets as Pulumi secret outputs. */
export interface Environment {
  readonly spec: EnvironmentSpec;
  /**
   * How the program is being evaluated: `up` by the Pulumi engine (`pulumi up`, `pulumi preview`),
   * `plan` by the offline plan (`npm run plan`), under mocks and without the stack's secrets.
   */
  readonly mode: EvaluationMode;
  /** Secret config by key (without namespace); absent when not set (only possible in the offline plan). */
  readonly secret: (key: string) => pulumi.Output<string> | undefined;
}

/**
 * The edge between Pulumi config and the pure validation: reads every `liftoff:*` setting, validates
 * them all at once, logs warnings, and stops the program with every error before any resource is
 * declared. In `plan` mode a missing secret is a warning rather than an error.
 */
export function loadEnvironment(mode: EvaluationMode): Environment {
  const prefix = `${NAMESPACE}:`;
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  const otherKeys: string[] = [];
  const runtime = pulumi.runtime as typeof pulumi.runtime & { isConfigSecret?: (key: string) => boolean };
  for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (!fullKey.startsWith(prefix)) {
      // Only the key: the validation looks for a mistyped namespace such as `liftof:`.
      otherKeys.push(fullKey);
      continue;
    }
    const key = fullKey.slice(prefix.length);
    values[key] = value;
    // isConfigSecret is the SDK's own test; when an SDK lacks it, trust the operator.
    if (runtime.isConfigSecret ? runtime.isConfigSecret(fullKey) : true) secretKeys.add(key);
  }
  const { spec, problems } = buildEnvironmentSpec({
    project: pulumi.getProject(),
    stack: pulumi.getStack(),
    values,
    secretKeys,
    otherKeys,
    mode,
    ...readAppFile(values["composeFile"] ?? DEFAULT_COMPOSE_FILE, process.cwd()),
    appFiles: { projectDir: process.cwd(), reader: fsReader },
  });
  for (const warning of problems.filter((p) => p.severity === "warning")) {
    pulumi.log.warn(formatProblems([warning], { withSeverity: false }));
  }
  if (!spec) {
    const errors = problems.filter((p) => p.severity === "error");
    throw new pulumi.RunError(
      `stack ${pulumi.getStack()} has ${errors.length} configuration error${errors.length === 1 ? "" : "s"}; nothing was declared.\n${formatProblems(errors)}`,
    );
  }
  const config = new pulumi.Config(NAMESPACE);
  return { spec, mode, secret: (key) => config.getSecret(key) };
}

/**
 * The compose file's text and the project's files, for the validation step. Pulumi runs the
 * program in the project directory, so a relative path is relative to it. `app` is absent when the
 * file cannot be read; the loader then names the file (or `liftoff:composeFile` without `appFiles`).
 */
export function readAppFile(
  file: string,
  projectDir: string,
): { app?: { file: string; text: string }; appFiles: { projectDir: string; reader: FileReader } } {
  const appFiles = { projectDir: path.resolve(projectDir), reader: fsReader };
  try {
    return { app: { file, text: readFileSync(path.resolve(projectDir, file), "utf8") }, appFiles };
  } catch {
    return { appFiles };
  }
}
