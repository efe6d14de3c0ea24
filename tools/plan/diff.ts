/**
 * What changes between two offline plans of one stack: resources added, removed and changed (by
 * input and option), and stack outputs. Pure: it compares two plan documents (`planJson`), so the
 * same function serves the PR comment, the job summary and scripts.
 */
import { structuredPatch } from "diff";
import { SECRET_PLACEHOLDER } from "./project";
import { display, readableText, type PlanDocument, type PlanDocumentResource } from "./render";

export type ResourceAction = "add" | "remove" | "update" | "replace";

export interface ValueChange {
  /** Dotted input path (`securityRules[2].destinationPortRange`), or `options.protect`. */
  readonly path: string;
  /** Display text of the old value; absent when the path is new. */
  readonly before?: string;
  /** Display text of the new value; absent when the path was removed. */
  readonly after?: string;
  /** True when the value is a secret: only the fact that it changed is known, never the value. */
  readonly secret: boolean;
  /** For long or multi-line text (scripts, cloud-init, rendered files): the changed lines, unified. */
  readonly lines?: readonly string[];
}

export interface ResourceChange {
  readonly action: ResourceAction;
  readonly urn: string;
  readonly type: string;
  readonly name: string;
  readonly custom: boolean;
  /** Protected or retained resources that would be removed or replaced: `pulumi up` stops or leaves them behind. */
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  /** Inputs and options that differ (for update and replace); every input for add and remove. */
  readonly changes: readonly ValueChange[];
  /** Why this change replaces the resource (the input paths that match its replaceOnChanges). */
  readonly replaceReasons: readonly string[];
}

export interface PlanDiff {
  readonly project: string;
  readonly stack: string;
  /** What the old side is (a git ref and its commit), for the heading. */
  readonly base: { readonly ref: string; readonly commit: string };
  /** The old side had no such stack: everything is new. */
  readonly newStack: boolean;
  readonly changed: boolean;
  readonly summary: {
    readonly add: number;
    readonly update: number;
    readonly replace: number;
    readonly remove: number;
    readonly outputs: number;
    readonly before: number;
    readonly after: number;
  };
  /** Custom resources and components that differ, in plan order (removed ones last). */
  readonly resources: readonly ResourceChange[];
  /** Stack outputs that differ, by path (`endpoints.api.url`). */
  readonly outputs: readonly ValueChange[];
  /** Warnings the new side prints that the old side did not. */
  readonly newWarnings: readonly string[];
  /** Things a reviewer must not miss: protected resources removed or replaced. */
  readonly alerts: readonly string[];
}

/**
 * Compares the plan at `base` with the plan of the working tree. `before` is undefined when the
 * stack does not exist at the base (a pull request that adds a stack).
 */
export function diffPlans(
  before: PlanDocument | undefined,
  after: PlanDocument,
  base: { ref: string; commit: string },
): PlanDiff {
  const old = new Map((before?.resources ?? []).map((r) => [r.urn, r]));
  const now = new Map(after.resources.map((r) => [r.urn, r]));
  const oldNames = idNames(before?.resources ?? []);
  const newNames = idNames(after.resources);
  const resources: ResourceChange[] = [];

  for (const r of after.resources) {
    const previous = old.get(r.urn);
    if (!previous) {
      resources.push(
        change(
          "add",
          r,
          flatten(r, newNames).map(([path, v]) => ({ path, after: v.text, secret: v.secret })),
          [],
        ),
      );
      continue;
    }
    const changes = compareResource(previous, r, oldNames, newNames);
    if (changes.length === 0) continue;
    const reasons = replaceReasons(r, changes);
    resources.push(change(reasons.length > 0 ? "replace" : "update", r, changes, reasons));
  }
  for (const r of before?.resources ?? []) {
    if (now.has(r.urn)) continue;
    resources.push(
      change(
        "remove",
        r,
        flatten(r, oldNames).map(([path, v]) => ({ path, before: v.text, secret: v.secret })),
        [],
      ),
    );
  }

  const outputs = diffOutputs(
    before?.outputs ?? {},
    after.outputs,
    before?.outputSecretDigests ?? {},
    after.outputSecretDigests ?? {},
  );
  const customs = resources.filter((r) => r.custom);
  const count = (action: ResourceAction) => customs.filter((r) => r.action === action).length;
  const oldWarnings = new Set(before?.warnings ?? []);
  const alerts = customs
    .filter((r) => (r.action === "remove" || r.action === "replace") && (r.protect || r.retainOnDelete))
    .map((r) =>
      r.protect
        ? `${r.type} ${r.name} is protected and would be ${r.action === "remove" ? "deleted" : "replaced"}: \`pulumi up\` will stop until protection is lifted on purpose`
        : `${r.type} ${r.name} is retained on delete and would be ${r.action === "remove" ? "removed from the stack" : "replaced"}: the old one stays in the cloud, unmanaged`,
    );
  const summary = {
    add: count("add"),
    update: count("update"),
    replace: count("replace"),
    remove: count("remove"),
    outputs: outputs.length,
    before: (before?.resources ?? []).filter((r) => r.custom).length,
    after: after.resources.filter((r) => r.custom).length,
  };
  return {
    project: after.project,
    stack: after.stack,
    base,
    newStack: before === undefined,
    changed: resources.length > 0 || outputs.length > 0,
    summary,
    resources,
    outputs,
    newWarnings: after.warnings.filter((w) => !oldWarnings.has(w)),
    alerts,
  };
}

function change(
  action: ResourceAction,
  r: PlanDocumentResource,
  changes: ValueChange[],
  replaceReasons: string[],
): ResourceChange {
  return {
    action,
    urn: r.urn,
    type: r.type,
    name: r.name,
    custom: r.custom,
    protect: r.options.protect,
    retainOnDelete: r.options.retainOnDelete,
    changes,
    replaceReasons,
  };
}

interface Leaf {
  readonly text: string;
  readonly secret: boolean;
  /** What decides equality: the value, or the secret's keyed digest. */
  readonly identity: string;
  /** The full text behind a summarised display, for a line diff. Never set for a secret. */
  readonly raw?: string;
}

function compareResource(
  before: PlanDocumentResource,
  after: PlanDocumentResource,
  oldNames: ReadonlyMap<string, string>,
  newNames: ReadonlyMap<string, string>,
): ValueChange[] {
  const changes = compareLeaves(flatten(before, oldNames), flatten(after, newNames));
  const options: (keyof PlanDocumentResource["options"])[] = [
    "protect",
    "retainOnDelete",
    "deleteBeforeReplace",
    "replaceOnChanges",
    "ignoreChanges",
    "additionalSecretOutputs",
  ];
  for (const key of options) {
    const x = JSON.stringify(before.options[key]);
    const y = JSON.stringify(after.options[key]);
    if (x !== y) changes.push({ path: `options.${key}`, before: x, after: y, secret: false });
  }
  return changes;
}

/** Paths added, removed, or whose value (or secret digest) differs, in the new side's order. */
function compareLeaves(before: [string, Leaf][], after: [string, Leaf][]): ValueChange[] {
  const a = new Map(before);
  const b = new Map(after);
  const changes: ValueChange[] = [];
  for (const [path, v] of b) {
    const old = a.get(path);
    if (!old) changes.push({ path, after: v.text, secret: v.secret });
    else if (old.identity !== v.identity || old.secret !== v.secret) {
      const lines = old.raw !== undefined && v.raw !== undefined ? lineDiff(old.raw, v.raw) : undefined;
      const shown =
        !v.secret && !old.secret && !lines && old.raw !== undefined && v.raw !== undefined
          ? aroundDifference(old.raw, v.raw)
          : undefined;
      changes.push({
        path,
        before: shown?.before ?? old.text,
        after: shown?.after ?? v.text,
        secret: v.secret || old.secret,
        ...(lines ? { lines } : {}),
      });
    }
  }
  for (const [path, v] of a) if (!b.has(path)) changes.push({ path, before: v.text, secret: v.secret });
  return changes;
}

/**
 * Inputs whose change makes the provider itself replace the resource (its schema marks them
 * replaceOnChanges), beyond the program's own replaceOnChanges option. Only those liftoff relies on:
 * a command's `triggers` (pulumi-command: "Trigger replacements on changes to this input"), which
 * is how a new host or a new release re-runs the deploy commands.
 */
export const PROVIDER_REPLACE_ON_CHANGES: Readonly<Record<string, readonly string[]>> = {
  "command:remote:Command": ["triggers"],
  "command:local:Command": ["triggers"],
  "command:remote:CopyToRemote": ["triggers"],
};

/** Input paths that the resource's (or its provider's) replaceOnChanges names (`*` names them all). */
function replaceReasons(r: PlanDocumentResource, changes: readonly ValueChange[]): string[] {
  const patterns = [...r.options.replaceOnChanges, ...(PROVIDER_REPLACE_ON_CHANGES[r.type] ?? [])];
  if (patterns.length === 0) return [];
  return changes
    .filter((c) => !c.path.startsWith("options."))
    .filter((c) =>
      patterns.some((p) => p === "*" || c.path === p || c.path.startsWith(`${p}.`) || c.path.startsWith(`${p}[`)),
    )
    .map((c) => c.path);
}

/**
 * Flattens a resource's inputs to `path → leaf`. An input holding another resource's id names that
 * resource, so an id that the mocks derive from a name never shows as a raw placeholder; a secret
 * is compared by its keyed digest when the plans carry one, and is never shown.
 */
function flatten(r: PlanDocumentResource, names: ReadonlyMap<string, string>): [string, Leaf][] {
  const digests = r.secretDigests ?? {};
  return flattenValue(
    r.inputs,
    "",
    (path, value) =>
      value === SECRET_PLACEHOLDER && r.secretPaths.includes(path) ? (digests[path] ?? "unknown") : undefined,
    names,
  );
}

function flattenValue(
  root: unknown,
  rootPath: string,
  secretAt: (path: string, value: unknown) => string | undefined,
  names: ReadonlyMap<string, string>,
): [string, Leaf][] {
  const out: [string, Leaf][] = [];
  const visit = (value: unknown, path: string) => {
    if (value === undefined) return;
    const digest = secretAt(path, value);
    if (digest !== undefined) {
      out.push([path, { text: SECRET_PLACEHOLDER, secret: true, identity: `secret:${digest}` }]);
      return;
    }
    if (Array.isArray(value)) {
      if (value.length === 0) out.push([path, { text: "[]", secret: false, identity: "[]" }]);
      value.forEach((v, i) => visit(v, `${path}[${i}]`));
      return;
    }
    if (value !== null && typeof value === "object") {
      const entries = Object.entries(value).filter(([, v]) => v !== undefined);
      if (entries.length === 0 && path !== "") out.push([path, { text: "{}", secret: false, identity: "{}" }]);
      for (const [k, v] of entries) visit(v, path ? `${path}.${k}` : k);
      return;
    }
    const named = typeof value === "string" ? names.get(value) : undefined;
    const text = named ?? display(value, path);
    const raw = typeof value === "string" && !named && text !== value ? readableText(value, path) : undefined;
    out.push([
      path,
      { text, secret: false, identity: named ?? JSON.stringify(value), ...(raw !== undefined ? { raw } : {}) },
    ]);
  };
  visit(root, rootPath);
  return out;
}

/** Resource ids (placeholders the mocks assign) to a readable reference. */
function idNames(resources: readonly PlanDocumentResource[]): Map<string, string> {
  return new Map(resources.filter((r) => r.id).map((r) => [r.id!, `(id of ${r.type} ${r.name})`]));
}

/** Stack outputs compared path by path, like inputs; a secret output only as changed or not. */
function diffOutputs(
  before: PlanDocument["outputs"],
  after: PlanDocument["outputs"],
  oldDigests: Readonly<Record<string, string>>,
  newDigests: Readonly<Record<string, string>>,
): ValueChange[] {
  const leaves = (outputs: PlanDocument["outputs"], digests: Readonly<Record<string, string>>) =>
    Object.entries(outputs).flatMap(([name, o]) =>
      flattenValue(
        o.value,
        name,
        (path) => (path === name && o.secret ? (digests[name] ?? "unknown") : undefined),
        new Map(),
      ),
    );
  return compareLeaves(leaves(before, oldDigests), leaves(after, newDigests));
}

/** Largest text compared line by line; beyond it only the hashes are shown. */
const MAX_LINE_DIFF_CHARS = 200_000;

/** Changed lines with two lines of context, `@@` hunk headers, `+`/`-` prefixed. */
export function lineDiff(before: string, after: string): string[] | undefined {
  if (before.length + after.length > MAX_LINE_DIFF_CHARS) return undefined;
  if (!before.includes("\n") && !after.includes("\n")) return undefined;
  const patch = structuredPatch("before", "after", before, after, "", "", { context: 2 });
  return patch.hunks.flatMap((h) => [
    `@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`,
    ...h.lines.filter((l) => !l.startsWith("\\")),
  ]);
}

/** Characters of context kept on each side of the first difference in a long one-line value. */
const CONTEXT_CHARS = 40;

/**
 * A long one-line value (a command, a URL list) shown around where the two versions start to
 * differ, so the change is visible without the whole line.
 */
export function aroundDifference(before: string, after: string): { before: string; after: string } {
  let start = 0;
  while (start < before.length && start < after.length && before[start] === after[start]) start++;
  let end = 0;
  while (
    end < before.length - start &&
    end < after.length - start &&
    before[before.length - 1 - end] === after[after.length - 1 - end]
  )
    end++;
  const cut = (text: string) => {
    const from = Math.max(0, start - CONTEXT_CHARS);
    const to = Math.min(text.length, text.length - end + CONTEXT_CHARS);
    return `${from > 0 ? "…" : ""}${text.slice(from, to)}${to < text.length ? "…" : ""}`;
  };
  return { before: cut(before), after: cut(after) };
}
