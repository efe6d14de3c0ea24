/**
 * The Compose Specification's JSON schema (vendored, see compose-spec.json's `$comment`), checked
 * with ajv; ajv's errors are turned into one readable problem per field.
 */
import type { ErrorObject } from "ajv";
import { closest } from "../reader";
// ajv's code for compose-spec.json, generated ahead (tools/compose-schema/generate.ts): compiling
// the schema at start-up would cost every plan about 200 ms.
import validate from "./compose-spec-validator";

export interface SchemaProblem {
  /** Path in the file, e.g. `["services", "web", "ports", 0]`. */
  readonly path: readonly (string | number)[];
  readonly value: unknown;
  readonly message: string;
  readonly allowed: string;
  readonly fix: string;
}

type Def = { properties?: Record<string, unknown>; type?: unknown; enum?: unknown[] };

/** Problems of one file's data against the schema; empty when valid. */
export function checkSchema(data: unknown): SchemaProblem[] {
  if (validate(data)) return [];
  const errors = validate.errors ?? [];
  // One problem per field: the most specific errors win, oneOf/anyOf summaries only when alone.
  const byPath = new Map<string, ErrorObject[]>();
  for (const e of errors) {
    const at =
      e.keyword === "additionalProperties"
        ? `${e.instancePath}/${String((e.params as { additionalProperty: string }).additionalProperty)}`
        : e.instancePath;
    byPath.set(at, [...(byPath.get(at) ?? []), e]);
  }
  const paths = [...byPath.keys()];
  const out: SchemaProblem[] = [];
  for (const at of paths) {
    if (paths.some((p) => p !== at && p.startsWith(`${at}/`))) continue;
    const errs = byPath.get(at)!;
    const path = at
      .split("/")
      .slice(1)
      .map((s) => (/^\d+$/.test(s) ? Number(s) : s.replace(/~1/g, "/").replace(/~0/g, "~")));
    const value = valueAt(data, path);
    const add = errs.find((e) => e.keyword === "additionalProperties");
    if (add) {
      const name = String(path.at(-1));
      const known = Object.keys(((add.parentSchema ?? {}) as Def).properties ?? {});
      const near = closest(name, known);
      out.push({
        path,
        value: undefined,
        message: "is not a field Compose knows",
        allowed: `${known.join(", ")}, or x-* extensions`,
        fix: near ? `rename it to ${near}` : `remove ${name}`,
      });
      continue;
    }
    const types = new Set<string>();
    const enums: unknown[] = [];
    const other: string[] = [];
    for (const e of errs) {
      if (e.keyword === "type") for (const t of [(e.params as { type: string | string[] }).type].flat()) types.add(t);
      else if (e.keyword === "enum") enums.push(...(e.params as { allowedValues: unknown[] }).allowedValues);
      else if (e.keyword === "required")
        other.push(`needs ${(e.params as { missingProperty: string }).missingProperty}`);
      else if (e.keyword !== "oneOf" && e.keyword !== "anyOf" && e.keyword !== "if") other.push(e.message ?? e.keyword);
    }
    // A map that misses a required key: say that, not that a number was expected instead.
    const needs = other.filter((o) => o.startsWith("needs "));
    if (needs.length > 0 && value !== null && typeof value === "object") {
      out.push({
        path,
        value,
        message: `${needs.join(", ")}`,
        allowed: `a ${String(path.at(-1))} with ${needs.map((n) => n.slice(6)).join(", ")}`,
        fix: `add ${needs.map((n) => n.slice(6)).join(", ")} to ${String(path.at(-1))}`,
      });
      continue;
    }
    const allowed =
      enums.length > 0
        ? enums.map((v) => JSON.stringify(v)).join(", ")
        : types.size > 0
          ? [...types].join(" or ")
          : other.join("; ") || "a value of the form the Compose Specification gives";
    const message =
      enums.length > 0
        ? "is not one of the values Compose allows"
        : types.size > 0
          ? `has the wrong type (${describe(value)})`
          : `is not valid Compose: ${other.join("; ") || "no form of this field matches"}`;
    const field = String(path.at(-1));
    const fix =
      enums.length > 0
        ? `set ${field} to one of the allowed values`
        : types.size > 0
          ? `write ${field} as ${[...types].map((t) => (t === "array" ? "a list" : t === "object" ? "a map" : `a ${t}`)).join(" or ")}, as the Compose Specification describes (https://docs.docker.com/reference/compose-file/services/)`
          : `correct ${field} as the Compose Specification describes (https://docs.docker.com/reference/compose-file/services/)`;
    out.push({ path, value, message, allowed, fix });
  }
  return out;
}

function describe(v: unknown): string {
  return v === null ? "null" : Array.isArray(v) ? "a list" : typeof v === "object" ? "a map" : `a ${typeof v}`;
}

function valueAt(v: unknown, path: readonly (string | number)[]): unknown {
  let cur = v;
  for (const p of path) {
    if (cur === null || typeof cur !== "object") return undefined;
    cur = (cur as Record<string | number, unknown>)[p];
  }
  return cur;
}
