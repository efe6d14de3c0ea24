import type { Problem } from "../reader";

/** Where a problem is: the file (and line), the service and the field, as the operator wrote them. */
export interface Place {
  readonly file: string;
  readonly line?: number;
  readonly service?: string;
  /** Field path inside the service (or from the top level when no service), e.g. `ports[0]`. */
  readonly field?: string;
}

export interface LoaderProblem extends Place {
  readonly value?: unknown;
  readonly message: string;
  readonly allowed: string;
  readonly fix: string;
}

/** Collects the loader's problems in the one shape every liftoff message has. */
export class Reporter {
  readonly problems: Problem[] = [];

  error(p: LoaderProblem): void {
    this.problems.push({ severity: "error", ...format(p) });
  }

  warn(p: LoaderProblem): void {
    this.problems.push({ severity: "warning", ...format(p) });
  }

  get hasErrors(): boolean {
    return this.problems.some((p) => p.severity === "error");
  }
}

function format(p: LoaderProblem): Omit<Problem, "severity"> {
  const where = [p.service !== undefined ? `services.${p.service}` : undefined, p.field]
    .filter((x) => x !== undefined && x !== "")
    .join(".");
  const key = `${p.file}${p.line !== undefined ? `:${p.line}` : ""}${where ? `: ${where}` : ""}`;
  return {
    key,
    ...(p.value !== undefined ? { value: typeof p.value === "string" ? p.value : JSON.stringify(p.value) } : {}),
    message: p.message,
    allowed: p.allowed,
    fix: p.fix,
  };
}

/** `["ports", 0, "target"]` → `ports[0].target`. */
export function fieldPath(path: readonly (string | number)[]): string {
  return path.map((p, i) => (typeof p === "number" ? `[${p}]` : i === 0 ? p : `.${p}`)).join("");
}

/** `volumes[0].source` → `["volumes", 0, "source"]`. */
export function pathOf(field: string): (string | number)[] {
  return field
    .split(/\.|\[(\d+)\]/)
    .filter((x) => x !== undefined && x !== "")
    .map((x) => (/^\d+$/.test(x) ? Number(x) : x));
}
