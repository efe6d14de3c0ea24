/**
 * A plan diff as a reviewer reads it: markdown for a pull-request comment or a job summary, plain
 * text for a terminal. Secrets only ever appear as `[secret]` with "changed".
 */
import type { PlanDiff, ResourceChange, ValueChange } from "./diff";

/** GitHub refuses comments over 65,536 characters; the details are cut to stay well under. */
export const MAX_MARKDOWN_CHARS = 60_000;

/** Rows of the resource table; the rest are counted, and listed in the details. */
const MAX_TABLE_ROWS = 100;

const ACTION_MARK: Readonly<Record<ResourceChange["action"], string>> = {
  add: "+",
  update: "~",
  replace: "-/+",
  remove: "-",
};

export function summaryLine(diff: PlanDiff): string {
  const s = diff.summary;
  if (!diff.changed) return "no changes";
  const parts = [`${s.add} to add`, `${s.update} to update`, `${s.replace} to replace`, `${s.remove} to remove`];
  if (s.outputs > 0) parts.push(`${s.outputs} output${s.outputs === 1 ? "" : "s"} changed`);
  return parts.join(", ");
}

function baseName(diff: PlanDiff): string {
  return `${diff.base.ref} (${diff.base.commit.slice(0, 7)})`;
}

/** Marker that lets a workflow find and edit its own comment instead of adding another. */
export function commentMarker(stack: string): string {
  return `<!-- liftoff-plan-diff:${stack} -->`;
}

export function diffMarkdown(diff: PlanDiff, options: { maxChars?: number } = {}): string {
  const max = options.maxChars ?? MAX_MARKDOWN_CHARS;
  const head: string[] = [commentMarker(diff.stack)];
  head.push(`### Offline plan diff for \`${diff.stack}\`: ${summaryLine(diff)}`);
  head.push("");
  head.push(
    `<sub>${diff.newStack ? `New stack: \`${diff.stack}\` does not exist at ${baseName(diff)}. ` : ""}` +
      `\`${diff.project}/${diff.stack}\` evaluated at ${baseName(diff)} and at this change, under mocks (no credentials, no cloud): ` +
      "ids are placeholders, and what the providers decide at apply time (a forced replacement, drift) shows only in `pulumi preview --diff`.</sub>",
  );
  if (diff.alerts.length > 0) {
    head.push("", "> [!WARNING]");
    for (const alert of diff.alerts) head.push(`> ${escapeMd(alert)}`);
  }
  if (diff.newWarnings.length > 0) {
    head.push("", "New warnings from the program:");
    for (const w of diff.newWarnings) head.push(`- ${escapeMd(w.split("\n")[0]!)}`);
  }
  if (!diff.changed) return `${head.join("\n")}\n`;

  const rows = diff.resources.filter((r) => r.custom);
  if (rows.length > 0) {
    head.push("", "| action | resource | type | what changes |", "|---|---|---|---|");
    for (const r of rows.slice(0, MAX_TABLE_ROWS)) {
      const what = r.action === "add" || r.action === "remove" ? "" : changedPaths(r);
      head.push(`| ${r.action}${r.protect ? " (protected)" : ""} | \`${r.name}\` | \`${r.type}\` | ${what} |`);
    }
    if (rows.length > MAX_TABLE_ROWS) head.push(`| | ${rows.length - MAX_TABLE_ROWS} more resources | | |`);
  }
  if (diff.outputs.length > 0) {
    head.push("", "| output | before | after |", "|---|---|---|");
    for (const o of diff.outputs)
      head.push(`| \`${o.path}\` | ${cell(o.before, o.secret)} | ${cell(o.after, o.secret)} |`);
  }

  const details = diffLines(diff);
  const opening = ["", "<details><summary>Every changed input</summary>", "", "```diff"];
  const closing = ["```", "", "</details>", ""];
  const fixed = [...head, ...opening, ...closing].join("\n").length;
  const kept: string[] = [];
  let used = fixed;
  for (const line of details) {
    if (used + line.length + 1 > max - 200) {
      kept.push(
        `... ${details.length - kept.length} more lines cut to fit a comment: run \`npm run plan -- ${diff.stack} --diff ${diff.base.ref}\` for all of it`,
      );
      break;
    }
    kept.push(line);
    used += line.length + 1;
  }
  return [...head, ...opening, ...kept.map(fence), ...closing].join("\n");
}

export function diffText(diff: PlanDiff): string {
  const lines: string[] = [];
  lines.push(`Offline plan diff for ${diff.project}/${diff.stack}: ${baseName(diff)} -> working tree`);
  if (diff.newStack) lines.push(`(the stack does not exist at ${diff.base.ref}: everything is new)`);
  lines.push("");
  lines.push(...diffLines(diff));
  if (diff.alerts.length > 0) {
    lines.push("", "WARNING:");
    for (const a of diff.alerts) lines.push(`  ${a}`);
  }
  if (diff.newWarnings.length > 0) {
    lines.push("", "New warnings:");
    for (const w of diff.newWarnings) lines.push(...w.split("\n").map((l) => `  ${l}`));
  }
  lines.push("", `${diff.stack}: ${summaryLine(diff)} (${diff.summary.before} -> ${diff.summary.after} resources)`);
  return lines.join("\n");
}

/** The `diff`-fenced body: `+` added, `-` removed, `~` changed, each input on its own line(s). */
export function diffLines(diff: PlanDiff): string[] {
  const out: string[] = [];
  for (const r of diff.resources) {
    const flags = [
      r.custom ? "" : "component",
      r.protect ? "protected" : "",
      r.retainOnDelete ? "retained on delete" : "",
      r.replaceReasons.length > 0 ? `replaced because of ${r.replaceReasons.join(", ")}` : "",
    ].filter(Boolean);
    out.push(`${ACTION_MARK[r.action]} ${r.type}  ${r.name}${flags.length > 0 ? `  [${flags.join("; ")}]` : ""}`);
    for (const c of r.changes) out.push(...valueLines(c, r.action));
  }
  if (diff.outputs.length > 0) {
    out.push("  Outputs:");
    for (const o of diff.outputs) out.push(...valueLines(o, "update"));
  }
  return out;
}

function valueLines(c: ValueChange, action: ResourceChange["action"]): string[] {
  if (action === "add") return [`+     ${c.path}: ${c.after}`];
  if (action === "remove") return [`-     ${c.path}: ${c.before}`];
  if (c.before === undefined) return [`+     ${c.path}: ${c.after}`];
  if (c.after === undefined) return [`-     ${c.path}: ${c.before}`];
  if (c.secret)
    return [`~     ${c.path}: [secret] changed${c.before !== c.after ? ` (${c.before} -> ${c.after})` : ""}`];
  const lines = [`-     ${c.path}: ${c.before}`, `+     ${c.path}: ${c.after}`];
  if (c.lines)
    lines.push(
      ...c.lines.map((l) =>
        l.startsWith("+") || l.startsWith("-") ? `${l[0]}         ${l.slice(1)}` : `          ${l}`,
      ),
    );
  return lines;
}

function changedPaths(r: ResourceChange): string {
  const paths = r.changes.map((c) => c.path);
  const shown = paths
    .slice(0, 4)
    .map((p) => `\`${p}\``)
    .join(", ");
  return paths.length > 4 ? `${shown} and ${paths.length - 4} more` : shown;
}

function cell(value: string | undefined, secret: boolean): string {
  if (value === undefined) return "";
  if (secret) return "[secret]";
  return `\`${value.replace(/\|/g, "\\|").replace(/`/g, "'")}\``;
}

/** A line inside the fence must not close it. */
function fence(line: string): string {
  return line.replace(/```/g, "'''");
}

function escapeMd(text: string): string {
  return text.replace(/([<>])/g, "\\$1");
}
