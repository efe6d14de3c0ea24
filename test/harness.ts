import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { vi } from "vitest";
import { evaluateProgram, revealInputs, type Evaluation, type PlannedResource } from "../tools/plan/evaluate";
import { fsReader } from "../environments/compose/files";
import { readAppFile, type Environment } from "../environments/load";
import { DEFAULT_COMPOSE_FILE } from "../environments/core";
import { buildEnvironmentSpec, formatProblems } from "../environments/validate";
import { readStackFiles } from "../tools/plan/project";
import type { ProgramContext } from "../stacks/index";

export const PROJECT_DIR = path.resolve(__dirname, "..");

export interface StackRun {
  /** `liftoff:*` settings to add or replace (structured values as objects); `undefined` removes one. */
  readonly config?: Record<string, unknown>;
  /** `liftoff:*` keys to set as secrets, with their values. */
  readonly secrets?: Record<string, string>;
  readonly mode?: "plan" | "up";
  /** Evaluate as a preview (isDryRun), as `pulumi preview` and the drift check run the program. */
  readonly preview?: boolean;
  /** What the program is told about the host (default: no SSH agent, no pinned images). */
  readonly host?: Omit<ProgramContext, "mode">;
  /** Receives the program's exports as it returns them (Outputs), for tests that look inside one. */
  readonly onExports?: (exports: Record<string, unknown>) => void;
}

/**
 * Evaluates the real program (stacks/index.ts, what `pulumi up` runs through index.ts) for a stack under the mock
 * monitor, with the stack's config from Pulumi.<stack>.yaml plus the run's changes.
 */
export async function runStack(stack: string, run: StackRun = {}): Promise<Evaluation> {
  const files = readStackFiles(PROJECT_DIR, stack);
  const config: Record<string, string> = { ...files.config };
  const secretKeys = new Set(files.secretKeys);
  for (const [key, value] of Object.entries(run.config ?? {})) {
    if (value === undefined) delete config[`liftoff:${key}`];
    else config[`liftoff:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
  }
  for (const [key, value] of Object.entries(run.secrets ?? {})) {
    config[`liftoff:${key}`] = value;
    secretKeys.add(`liftoff:${key}`);
  }
  return evaluateProgram({
    project: files.project,
    stack,
    config,
    secretKeys: [...secretKeys],
    mode: run.mode ?? "plan",
    ...(run.preview ? { preview: true } : {}),
    ...(run.host ? { host: run.host } : {}),
    load: async () => {
      vi.resetModules();
      const { liftoff } = await import("../stacks/index");
      return (context: ProgramContext) => {
        const exports = liftoff(context) as Record<string, unknown>;
        run.onExports?.(exports);
        return exports;
      };
    },
  });
}

/**
 * A stack's validated environment as the program gets it, from Pulumi.<stack>.yaml, with every
 * secret set to `test-<key>` (a secret Output), for running layers on their own.
 */
export function stackEnvironment(stack: string): Environment {
  const files = readStackFiles(PROJECT_DIR, stack);
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(files.config))
    if (key.startsWith("liftoff:")) values[key.slice("liftoff:".length)] = value;
  const { spec, problems } = buildEnvironmentSpec({
    project: files.project,
    stack,
    values,
    secretKeys: new Set(),
    mode: "plan",
    ...readAppFile(values["composeFile"] ?? DEFAULT_COMPOSE_FILE, PROJECT_DIR),
    appFiles: { projectDir: PROJECT_DIR, reader: fsReader },
  });
  if (!spec) throw new Error(formatProblems(problems));
  return { spec, mode: "plan", secret: (key) => pulumi.secret(`test-${key}`) };
}

/** Evaluates a component alone: `declare` constructs it and returns what to treat as outputs. */
export async function runComponent(declare: () => Record<string, unknown>, stack = "test"): Promise<Evaluation> {
  return evaluateProgram({ project: "liftoff", stack, config: {}, secretKeys: [], load: async () => declare() });
}

export function byType(evaluation: Evaluation, type: string): PlannedResource[] {
  return evaluation.resources.filter((r) => r.type === type);
}

export function one(evaluation: Evaluation, type: string): PlannedResource {
  const found = byType(evaluation, type);
  if (found.length !== 1) throw new Error(`expected exactly one ${type}, found ${found.length}`);
  return found[0]!;
}

/** Reads a nested input by dotted path with [i] indexes. */
export function input(resource: PlannedResource, dotted: string): unknown {
  return dotted.split(/\.|(?=\[)/).reduce<unknown>((value, part) => {
    if (value === undefined || value === null) return undefined;
    const index = /^\[(\d+)\]$/.exec(part);
    return index ? (value as unknown[])[Number(index[1])] : (value as Record<string, unknown>)[part];
  }, resource.inputs);
}

/** A resource's inputs with secrets unwrapped, for assertions about what a secret holds. */
export function reveal(resource: PlannedResource): Record<string, unknown> {
  return revealInputs(resource);
}

/** True when the input at `dotted` is secret, itself or as part of a secret parent. */
export function isSecretAt(resource: PlannedResource, dotted: string): boolean {
  return resource.secretPaths.some((p) => p === dotted || dotted.startsWith(`${p}.`) || dotted.startsWith(`${p}[`));
}
