import type { z } from "zod";

export const NAMESPACE = "liftoff";

/** How the program is being evaluated: a missing secret stops `up`, and only warns in the offline plan. */
export type EvaluationMode = "up" | "plan";

export interface ConfigInput {
  readonly project: string;
  readonly stack: string;
  /** The config namespace the values come from; `liftoff` unless another project (bootstrap/) reads its own. */
  readonly namespace?: string;
  /** `liftoff:*` settings without the namespace, as Pulumi hands them over (structured values as JSON text). */
  readonly values: Readonly<Record<string, unknown>>;
  /** Keys among `values` that Pulumi holds as secrets. */
  readonly secretKeys: ReadonlySet<string>;
  /**
   * The stack's config keys in other namespaces, in full (`liftof:autoShutdown`), so a mistyped
   * namespace is caught; their values are never read (they may be another program's secrets).
   */
  readonly otherKeys?: readonly string[];
  readonly mode: EvaluationMode;
  /** The application's compose file, read by the caller; undefined when it could not be read. */
  readonly app?: { readonly file: string; readonly text: string };
  /**
   * The project's files, for the compose loader: override files, `extends`, env files, `.env`,
   * secret and config files and bind-mounted files are read through it. Without it only `app`'s
   * text is read (no override file, nothing else on disk).
   */
  readonly appFiles?: { readonly projectDir: string; readonly reader: import("./compose/files").FileReader };
}

export interface Problem {
  readonly severity: "error" | "warning";
  /** Full config key, e.g. `liftoff:sshAllowedCidrs[0]`. */
  readonly key: string;
  /** The offending value as given, absent when the key is not set. */
  readonly value?: string;
  readonly message: string;
  readonly allowed: string;
  readonly fix: string;
}

export type ProblemInput = Omit<Problem, "severity">;

export interface SecretDefinition {
  /** Key without namespace. */
  readonly key: string;
  /** What it is for, completing "it ...". */
  readonly purpose: string;
  /** Where the value comes from; the command that sets it follows from the key. */
  readonly obtain: string;
}

/** A secret the stack needs, and whether the operator has set it. */
export interface SecretRequirement {
  readonly key: string;
  readonly purpose: string;
  /** How to obtain it, then the exact command that sets it on this stack. */
  readonly howToSet: string;
  readonly isSet: boolean;
}

/** The command that sets a secret: Pulumi prompts for the value, so it stays out of argv and history. */
export function setSecretCommand(fullKey: string, stack: string): string {
  return `pulumi config set --secret ${fullKey} --stack ${stack}`;
}

/**
 * Reads one stack's `liftoff:*` settings for validation and collects problems. Every section of
 * the validation reads through it, so messages share one shape: key, value, allowed, fix.
 */
export class ConfigReader {
  readonly problems: Problem[] = [];

  constructor(readonly input: ConfigInput) {}

  get stack(): string {
    return this.input.stack;
  }

  /** The full key, `liftoff:<key>` (or the input's own namespace). */
  key(key: string): string {
    return `${this.input.namespace ?? NAMESPACE}:${key}`;
  }

  /** A command that sets `key` to `example` on this stack. */
  setCommand(key: string, example: string): string {
    return `pulumi config set ${this.key(key)} ${example} --stack ${this.stack}`;
  }

  /** A command that sets a nested value, e.g. `sshAllowedCidrs[0]`. */
  pathCommand(path: string, example: string): string {
    return `pulumi config set --path '${this.key(path)}' ${example} --stack ${this.stack}`;
  }

  /** A fix that edits the stack file, for structured values. */
  yamlFix(example: string): string {
    return `set it in Pulumi.${this.stack}.yaml, e.g. ${example}`;
  }

  error(problem: ProblemInput): void {
    this.problems.push({ severity: "error", ...problem });
  }

  warn(problem: ProblemInput): void {
    this.problems.push({ severity: "warning", ...problem });
  }

  get hasErrors(): boolean {
    return this.problems.some((p) => p.severity === "error");
  }

  isSet(key: string): boolean {
    return this.input.values[key] !== undefined && this.input.values[key] !== null;
  }

  /** A scalar setting as text, or undefined when unset. */
  text(key: string): string | undefined {
    const v = this.input.values[key];
    if (v === undefined || v === null) return undefined;
    return typeof v === "string" ? v : JSON.stringify(v);
  }

  /** A whole number in [min, max], the fallback when unset, undefined (and an error) when invalid. */
  integer(key: string, fallback: number | undefined, min: number, max: number, example: string): number | undefined {
    const v = this.text(key);
    if (v === undefined) return fallback;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      this.error({
        key: this.key(key),
        value: v,
        message: "is out of range",
        allowed: `a whole number from ${min} to ${max}`,
        fix: this.setCommand(key, example),
      });
      return undefined;
    }
    return n;
  }

  /** `true`/`false`, the fallback when unset. */
  boolean(key: string, fallback: boolean): boolean {
    const v = this.text(key);
    if (v === undefined) return fallback;
    if (v === "true" || v === "false") return v === "true";
    this.error({
      key: this.key(key),
      value: v,
      message: "is not a boolean",
      allowed: "true or false",
      fix: this.setCommand(key, String(fallback)),
    });
    return fallback;
  }

  /**
   * A structured setting (list or map) checked against a zod schema; each shape problem names the
   * exact nested key. Undefined when unset or invalid.
   */
  structured<T>(key: string, schema: z.ZodType<T>, allowed: string, example: string): T | undefined {
    const v = this.input.values[key];
    if (v === undefined) return undefined;
    let parsed: unknown = v;
    if (typeof v === "string") {
      try {
        parsed = JSON.parse(v);
      } catch {
        this.error({
          key: this.key(key),
          value: v,
          message: "is not a list or map",
          allowed,
          fix: this.yamlFix(example),
        });
        return undefined;
      }
    }
    const result = schema.safeParse(parsed);
    if (!result.success) {
      for (const issue of result.error.issues) {
        const path = issue.path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("");
        this.error({
          key: this.key(key) + path,
          value: JSON.stringify(valueAt(parsed, issue.path)),
          message: issue.message,
          allowed,
          fix: this.yamlFix(example),
        });
      }
      return undefined;
    }
    return result.data;
  }

  /**
   * Checks a secret the stack needs: missing is an error under `pulumi up` and a warning in the
   * offline plan; stored in plain text is always an error (it would sit readable in the stack file).
   */
  requireSecret(definition: SecretDefinition): SecretRequirement {
    const isSet = this.isSet(definition.key);
    const key = this.key(definition.key);
    const howToSet = `${definition.obtain}, then: ${setSecretCommand(key, this.stack)}`;
    if (!isSet) {
      const problem = {
        key,
        message: `is not set; \`pulumi up\` will need it: it ${definition.purpose}`,
        allowed: "a secret value",
        fix: howToSet,
      };
      if (this.input.mode === "up") this.error(problem);
      else this.warn(problem);
    } else if (!this.input.secretKeys.has(definition.key)) {
      this.error({
        key,
        value: "(hidden)",
        message: "is stored in plain text in the stack config",
        allowed: "a value set with --secret",
        fix: howToSet,
      });
    }
    return { key: definition.key, purpose: definition.purpose, howToSet, isSet };
  }
}

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let v: unknown = value;
  for (const p of path) {
    if (v === null || typeof v !== "object") return undefined;
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v;
}

/** The candidate nearest to a typo, when it is near enough to be a likely meaning. */
export function closest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) {
      best = c;
      bestDistance = d;
    }
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
