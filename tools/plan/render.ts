import { createHash } from "node:crypto";
import type { Evaluation, PlannedResource } from "./evaluate";

export interface PlanDocumentResource {
  readonly urn: string;
  readonly id?: string;
  readonly type: string;
  readonly name: string;
  readonly parent: string | null;
  readonly custom: boolean;
  readonly inputs: Readonly<Record<string, unknown>>;
  readonly secretPaths: readonly string[];
  readonly secretDigests?: Readonly<Record<string, string>>;
  readonly options: PlannedResource["options"];
}

/** The plan as one JSON document: the contract for scripts and the PR diff. */
export interface PlanDocument {
  readonly project: string;
  readonly stack: string;
  readonly ok: boolean;
  readonly summary: ReturnType<typeof summary>;
  readonly resources: readonly PlanDocumentResource[];
  readonly outputs: Evaluation["outputs"];
  readonly outputSecretDigests?: Readonly<Record<string, string>>;
  readonly warnings: readonly string[];
  readonly notes: readonly string[];
  readonly errors: readonly string[];
}

export function planJson(evaluation: Evaluation): PlanDocument {
  return {
    project: evaluation.project,
    stack: evaluation.stack,
    ok: evaluation.error === undefined,
    summary: summary(evaluation.resources),
    resources: evaluation.resources.map((r) => ({
      urn: r.urn,
      ...(r.id ? { id: r.id } : {}),
      type: r.type,
      name: r.name,
      parent: r.parent ?? null,
      custom: r.custom,
      inputs: r.inputs,
      secretPaths: r.secretPaths,
      ...(r.secretDigests ? { secretDigests: r.secretDigests } : {}),
      options: r.options,
    })),
    outputs: evaluation.outputs,
    ...(evaluation.outputSecretDigests ? { outputSecretDigests: evaluation.outputSecretDigests } : {}),
    warnings: evaluation.log.filter((l) => l.startsWith("warning:")),
    notes: evaluation.log.filter((l) => l.startsWith("info:")),
    errors: evaluation.error ? [evaluation.error] : [],
  };
}

export function summary(resources: readonly PlannedResource[]): {
  resources: number;
  components: number;
  byType: Record<string, number>;
} {
  const byType: Record<string, number> = {};
  for (const r of resources.filter((r) => r.custom)) byType[r.type] = (byType[r.type] ?? 0) + 1;
  return {
    resources: resources.filter((r) => r.custom).length,
    components: resources.filter((r) => !r.custom).length,
    byType: Object.fromEntries(Object.entries(byType).sort(([a], [b]) => a.localeCompare(b))),
  };
}

/** The plan as a tree a reviewer reads top to bottom: each resource, its options and inputs. */
export function planText(evaluation: Evaluation): string {
  const lines: string[] = [];
  lines.push(`Offline plan for ${evaluation.project}/${evaluation.stack}`);
  lines.push(
    "(evaluated under mocks: no engine, no credentials; ids and addresses the cloud assigns are placeholders)",
  );
  lines.push("");
  const children = new Map<string | undefined, PlannedResource[]>();
  for (const r of evaluation.resources) {
    const list = children.get(r.parent) ?? [];
    list.push(r);
    children.set(r.parent, list);
  }
  for (const list of children.values())
    list.sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
  const known = new Set(evaluation.resources.map((r) => r.urn));
  const roots = evaluation.resources
    .filter((r) => r.parent === undefined || !known.has(r.parent))
    .sort((a, b) => a.name.localeCompare(b.name) || a.type.localeCompare(b.type));
  const byId = new Map(evaluation.resources.filter((r) => r.id).map((r) => [r.id!, r]));
  const walk = (resource: PlannedResource, prefix: string, last: boolean, top: boolean) => {
    const branch = top ? "" : last ? "└─ " : "├─ ";
    const flags = optionFlags(resource);
    lines.push(`${prefix}${branch}${resource.type}  ${resource.name}${flags ? `  ${flags}` : ""}`);
    const inner = top ? prefix : prefix + (last ? "   " : "│  ");
    const kids = children.get(resource.urn) ?? [];
    const inputPrefix = inner + (kids.length > 0 ? "│    " : "     ");
    for (const [key, value] of inputLines(resource.inputs, byId)) lines.push(`${inputPrefix}${key}: ${value}`);
    kids.forEach((kid, i) => walk(kid, inner, i === kids.length - 1, false));
  };
  for (const root of roots) walk(root, "", true, true);

  const s = summary(evaluation.resources);
  lines.push("");
  lines.push(`${s.resources} resources (${s.components} components):`);
  for (const [type, count] of Object.entries(s.byType)) lines.push(`  ${String(count).padStart(3)}  ${type}`);
  const outputs = Object.entries(evaluation.outputs);
  if (outputs.length > 0) {
    lines.push("");
    lines.push("Outputs:");
    for (const [key, output] of outputs) lines.push(`  ${key}: ${display(output.value, key)}`);
  }
  const notes = evaluation.log.filter((l) => l.startsWith("info:"));
  if (notes.length > 0) {
    lines.push("");
    lines.push(`Notes (${notes.length}):`);
    for (const n of notes) lines.push(...n.split("\n").map((l) => `  ${l}`));
  }
  const warnings = evaluation.log.filter((l) => l.startsWith("warning:"));
  if (warnings.length > 0) {
    lines.push("");
    lines.push(`Warnings (${warnings.length}):`);
    for (const w of warnings) lines.push(...w.split("\n").map((l) => `  ${l}`));
  }
  return lines.join("\n");
}

function optionFlags(r: PlannedResource): string {
  const flags: string[] = [];
  if (r.options.protect) flags.push("protected");
  if (r.options.retainOnDelete) flags.push("retained on delete");
  if (r.options.replaceOnChanges.length > 0)
    flags.push(`replaced when ${r.options.replaceOnChanges.join(", ")} changes`);
  if (r.options.deleteBeforeReplace) flags.push("delete before replace");
  if (r.secretPaths.length > 0) flags.push(`secret: ${r.secretPaths.join(", ")}`);
  return flags.length > 0 ? `[${flags.join("; ")}]` : "";
}

/**
 * Flattens inputs into `path: value` lines; tags stay on one line, and an input holding another
 * resource's id names that resource instead.
 */
export function inputLines(
  inputs: Readonly<Record<string, unknown>>,
  byId: ReadonlyMap<string, PlannedResource> = new Map(),
): [string, string][] {
  const out: [string, string][] = [];
  const visit = (value: unknown, path: string) => {
    if (value === undefined) return;
    if (Array.isArray(value)) {
      if (value.length === 0) out.push([path, "[]"]);
      else if (value.every((v) => v === null || typeof v !== "object"))
        out.push([path, value.map((v) => reference(v) ?? display(v, path)).join(", ")]);
      else value.forEach((v, i) => visit(v, `${path}[${i}]`));
      return;
    }
    if (value !== null && typeof value === "object") {
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      if (entries.length > 0 && entries.every(([, v]) => typeof v === "string") && /(^|\.)tags$/.test(path)) {
        out.push([path, entries.map(([k, v]) => `${k}=${String(v)}`).join(", ")]);
        return;
      }
      for (const [k, v] of entries) visit(v, path ? `${path}.${k}` : k);
      return;
    }
    out.push([path, reference(value) ?? display(value, path)]);
  };
  function reference(value: unknown): string | undefined {
    const referenced = typeof value === "string" ? byId.get(value) : undefined;
    return referenced ? `(id of ${referenced.type} ${referenced.name})` : undefined;
  }
  visit(inputs, "");
  return out;
}

/** One line per value: cloud-init by its size, long or multi-line text by its length and hash. */
export function display(value: unknown, path: string): string {
  if (typeof value !== "string") return JSON.stringify(value);
  if (/customData$/.test(path) && value !== "[secret]") {
    const text = readableText(value, path);
    return `cloud-init document, ${text.split("\n").length} lines, sha256 ${sha(text)}`;
  }
  if (value.length > 100 || value.includes("\n")) return `<${value.length} characters, sha256 ${sha(value)}>`;
  return value;
}

/** The text a reviewer reads: a VM's customData is base64 of the cloud-init document. */
export function readableText(value: string, path: string): string {
  return /customData$/.test(path) ? Buffer.from(value, "base64").toString("utf8") : value;
}

function sha(text: string): string {
  return createHash("sha256").update(text).digest("hex").slice(0, 12);
}
