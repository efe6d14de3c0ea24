import { readFileSync, existsSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";

/** What the plan needs of a Pulumi project and one of its stacks, read from the YAML files. */
export interface StackFiles {
  readonly project: string;
  /** Absolute path of the program module Pulumi.yaml's `main` names. */
  readonly main: string;
  readonly stack: string;
  /** Full config keys (`ns:key`) to values as the engine hands them to the program: strings, structured values as JSON. */
  readonly config: Readonly<Record<string, string>>;
  /** Keys the stack holds encrypted (`secure:`); their values are placeholders here. */
  readonly secretKeys: readonly string[];
}

/** Stands in for a secret the plan cannot decrypt; never a real value. */
export const SECRET_PLACEHOLDER = "[secret]";

export class PlanUsageError extends Error {}

export function readStackFiles(projectDir: string, stack: string): StackFiles {
  const projectFile = path.join(projectDir, "Pulumi.yaml");
  const projectDoc = parse(readFileSync(projectFile, "utf8")) as {
    name?: string;
    main?: string;
    config?: Record<string, unknown>;
  };
  if (!projectDoc?.name) throw new PlanUsageError(`${projectFile} has no project name`);
  const project = projectDoc.name;
  const main = path.resolve(projectDir, projectDoc.main ?? ".");

  const stackFile = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!existsSync(stackFile)) {
    throw new PlanUsageError(
      `no stack config ${path.basename(stackFile)}; create it (copy Pulumi.dev.yaml) or name an existing stack`,
    );
  }
  const stackDoc = (parse(readFileSync(stackFile, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  return { project, main, stack, ...stackConfig(project, projectDoc.config ?? {}, stackDoc.config ?? {}) };
}

/**
 * Merges project-level defaults with the stack's config the way the engine does: keys without a
 * namespace belong to the project, structured values become JSON text, `secure:` values are secrets.
 */
export function stackConfig(
  project: string,
  projectConfig: Readonly<Record<string, unknown>>,
  stackConfigValues: Readonly<Record<string, unknown>>,
): { config: Record<string, string>; secretKeys: string[] } {
  const config: Record<string, string> = {};
  const secretKeys: string[] = [];
  const put = (key: string, value: unknown) => {
    const fullKey = key.includes(":") ? key : `${project}:${key}`;
    if (isSecure(value)) {
      config[fullKey] = SECRET_PLACEHOLDER;
      secretKeys.push(fullKey);
    } else {
      config[fullKey] = typeof value === "string" ? value : JSON.stringify(value);
    }
  };
  for (const [key, decl] of Object.entries(projectConfig)) {
    // Project config is either a bare default or a declaration { type, default | value }.
    if (decl !== null && typeof decl === "object" && !Array.isArray(decl)) {
      const d = decl as Record<string, unknown>;
      const value = d["value"] ?? d["default"];
      if (value !== undefined) put(key, value);
    } else if (decl !== undefined) {
      put(key, decl);
    }
  }
  for (const [key, value] of Object.entries(stackConfigValues)) put(key, value);
  return { config, secretKeys };
}

function isSecure(value: unknown): boolean {
  return (
    value !== null &&
    typeof value === "object" &&
    !Array.isArray(value) &&
    Object.keys(value).length === 1 &&
    "secure" in value
  );
}
