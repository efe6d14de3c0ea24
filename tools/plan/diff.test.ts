import { describe, expect, it } from "vitest";
import { aroundDifference, diffPlans, lineDiff } from "./diff";
import { MAX_MARKDOWN_CHARS, commentMarker, diffMarkdown, diffText } from "./diff-render";
import { parsePlanArgs } from "./args";
import { PlanUsageError } from "./project";
import type { PlanDocument, PlanDocumentResource } from "./render";

const NO_OPTIONS: PlanDocumentResource["options"] = {
  protect: false,
  retainOnDelete: false,
  deleteBeforeReplace: false,
  replaceOnChanges: [],
  ignoreChanges: [],
  additionalSecretOutputs: [],
};

function resource(
  name: string,
  inputs: Record<string, unknown>,
  extra: Partial<PlanDocumentResource> = {},
): PlanDocumentResource {
  return {
    urn: `urn:pulumi:dev::liftoff::test:Thing::${name}`,
    id: `${name}-id`,
    type: "test:Thing",
    name,
    parent: null,
    custom: true,
    inputs,
    secretPaths: [],
    options: NO_OPTIONS,
    ...extra,
  };
}

function plan(
  resources: PlanDocumentResource[],
  outputs: PlanDocument["outputs"] = {},
  extra: Partial<PlanDocument> = {},
): PlanDocument {
  return {
    project: "liftoff",
    stack: "dev",
    ok: true,
    summary: { resources: resources.length, components: 0, byType: {} },
    resources,
    outputs,
    warnings: [],
    notes: [],
    errors: [],
    ...extra,
  };
}

const BASE = { ref: "origin/main", commit: "0123456789abcdef0123456789abcdef01234567" };

describe("diffPlans", () => {
  it("finds nothing between equal plans", () => {
    const p = plan([resource("a", { port: 443, tags: { env: "dev" } })], {
      url: { value: "https://x", secret: false },
    });
    const diff = diffPlans(p, structuredClone(p), BASE);
    expect(diff.changed).toBe(false);
    expect(diff.resources).toEqual([]);
    expect(diffText(diff)).toContain("dev: no changes");
  });

  it("reports added, removed and updated resources with the inputs that differ", () => {
    const before = plan([resource("kept", { port: 443, name: "x" }), resource("gone", { size: 1 })]);
    const after = plan([resource("kept", { port: 8443, name: "x", extra: true }), resource("new", { size: 2 })]);
    const diff = diffPlans(before, after, BASE);
    expect(diff.summary).toMatchObject({ add: 1, update: 1, replace: 0, remove: 1 });
    const kept = diff.resources.find((r) => r.name === "kept")!;
    expect(kept.action).toBe("update");
    expect(kept.changes).toEqual([
      { path: "port", before: "443", after: "8443", secret: false },
      { path: "extra", after: "true", secret: false },
    ]);
    expect(diff.resources.find((r) => r.name === "gone")!.action).toBe("remove");
    expect(diff.resources.find((r) => r.name === "new")!.changes).toEqual([
      { path: "size", after: "2", secret: false },
    ]);
  });

  it("calls a command replaced when its triggers change: the command provider replaces (re-runs) it then", () => {
    const command = (triggers: string[]) =>
      resource(
        "deploy-agent",
        { create: "install", triggers },
        { type: "command:remote:Command", urn: "urn:pulumi:dev::liftoff::command:remote:Command::deploy-agent" },
      );
    const diff = diffPlans(plan([command(["vm-1", "agent-a"])]), plan([command(["vm-2", "agent-a"])]), BASE);
    expect(diff.resources[0]).toMatchObject({ action: "replace", replaceReasons: ["triggers[0]"] });
    expect(diff.summary).toMatchObject({ replace: 1, update: 0 });
    const same = diffPlans(
      plan([resource("x", { create: "a", triggers: ["1"] })]),
      plan([resource("x", { create: "b", triggers: ["2"] })]),
      BASE,
    );
    expect(same.resources[0]!.action).toBe("update");
  });

  it("calls a change replace when the resource's replaceOnChanges names the input, and warns when it is protected", () => {
    const options = { ...NO_OPTIONS, protect: true, replaceOnChanges: ["osProfile.customData"] };
    const before = plan([
      resource("vm", { osProfile: { customData: "YQ==", adminUsername: "ops" }, size: "B2s" }, { options }),
    ]);
    const after = plan([
      resource("vm", { osProfile: { customData: "Yg==", adminUsername: "ops" }, size: "B2s" }, { options }),
    ]);
    const diff = diffPlans(before, after, BASE);
    expect(diff.resources[0]).toMatchObject({
      action: "replace",
      replaceReasons: ["osProfile.customData"],
      protect: true,
    });
    expect(diff.alerts).toEqual([expect.stringContaining("test:Thing vm is protected and would be replaced")]);
    expect(diffMarkdown(diff)).toContain("> [!WARNING]");
  });

  it("an update of another input of the same resource is not a replacement", () => {
    const options = { ...NO_OPTIONS, replaceOnChanges: ["osProfile.customData"] };
    const diff = diffPlans(
      plan([resource("vm", { osProfile: { customData: "YQ==" }, size: "B2s" }, { options })]),
      plan([resource("vm", { osProfile: { customData: "YQ==" }, size: "D2s" }, { options })]),
      BASE,
    );
    expect(diff.resources[0]!.action).toBe("update");
  });

  it("names the resource an id input refers to on both sides, so a placeholder id is never a change", () => {
    const before = plan([resource("nsg", {}, { id: "id-1" }), resource("nic", { nsg: "id-1" })]);
    const after = plan([resource("nsg", {}, { id: "id-2" }), resource("nic", { nsg: "id-2" })]);
    expect(diffPlans(before, after, BASE).changed).toBe(false);
  });

  it("tells that a secret changed by its digest, and never shows it", () => {
    const secret = (digest: string) =>
      resource(
        "cmd",
        { stdin: "[secret]", create: "run" },
        { secretPaths: ["stdin"], secretDigests: { stdin: digest } },
      );
    const same = diffPlans(plan([secret("d1")]), plan([secret("d1")]), BASE);
    expect(same.changed).toBe(false);
    const changed = diffPlans(plan([secret("d1")]), plan([secret("d2")]), BASE);
    expect(changed.resources[0]!.changes).toEqual([
      { path: "stdin", before: "[secret]", after: "[secret]", secret: true },
    ]);
    const text = diffText(changed) + diffMarkdown(changed) + JSON.stringify(changed);
    expect(text).toContain("stdin: [secret] changed");
    expect(text).not.toMatch(/d1|d2/);
  });

  it("compares outputs by path, and secret outputs only as changed", () => {
    const before = plan(
      [],
      {
        endpoints: { value: { api: "https://h:443", identity: "https://h:8443" }, secret: false },
        databaseUrls: { value: "[secret]", secret: true },
      },
      { outputSecretDigests: { databaseUrls: "a" } },
    );
    const after = plan(
      [],
      {
        endpoints: { value: { api: "https://h:443", identity: "https://h:9443" }, secret: false },
        databaseUrls: { value: "[secret]", secret: true },
      },
      { outputSecretDigests: { databaseUrls: "b" } },
    );
    const diff = diffPlans(before, after, BASE);
    expect(diff.outputs).toEqual([
      { path: "endpoints.identity", before: "https://h:8443", after: "https://h:9443", secret: false },
      { path: "databaseUrls", before: "[secret]", after: "[secret]", secret: true },
    ]);
  });

  it("treats a stack missing at the base as new: everything is added", () => {
    const diff = diffPlans(undefined, plan([resource("a", { x: 1 })]), BASE);
    expect(diff).toMatchObject({ newStack: true, changed: true, summary: { add: 1, before: 0, after: 1 } });
    expect(diffMarkdown(diff)).toContain("New stack: `dev` does not exist at origin/main (0123456)");
  });

  it("lists only the warnings the change introduces", () => {
    const diff = diffPlans(
      plan([], {}, { warnings: ["warning: old"] }),
      plan([], {}, { warnings: ["warning: old", "warning: new"] }),
      BASE,
    );
    expect(diff.newWarnings).toEqual(["warning: new"]);
  });

  it("shows a multi-line text change as changed lines and a long one-line value around the change", () => {
    expect(lineDiff("a\nb\nc\n", "a\nB\nc\n")).toEqual(["@@ -1,3 +1,3 @@", " a", "-b", "+B", " c"]);
    expect(lineDiff("one line", "other line")).toBeUndefined();
    const long = (id: string) => `${"x".repeat(200)} release ${id} ${"y".repeat(200)}`;
    const shown = aroundDifference(long("aaa"), long("bbb"));
    expect(shown.before).toMatch(/^….*release aaa.*…$/);
    expect(shown.before.length).toBeLessThan(100);
    expect(shown.after).toContain("release bbb");
  });
});

describe("diff markdown", () => {
  it("starts with the per-stack marker a workflow edits its comment by", () => {
    const diff = diffPlans(plan([]), plan([resource("a", {})]), BASE);
    expect(diffMarkdown(diff).startsWith(`${commentMarker("dev")}\n### Offline plan diff for \`dev\`: 1 to add`)).toBe(
      true,
    );
  });

  it("stays under GitHub's comment limit, saying how to see the rest", () => {
    const many = Array.from({ length: 3000 }, (_, i) => resource(`r${i}`, { value: `v${i}`.padEnd(60, "x") }));
    const diff = diffPlans(plan([]), plan(many), BASE);
    const md = diffMarkdown(diff);
    expect(md.length).toBeLessThanOrEqual(MAX_MARKDOWN_CHARS);
    expect(md).toContain("more lines cut to fit a comment: run `npm run plan -- dev --diff origin/main`");
    expect(md.trimEnd().endsWith("</details>")).toBe(true);
  });

  it("cannot be broken out of its code fence by a value", () => {
    const diff = diffPlans(plan([]), plan([resource("a", { script: "```\n# heading" })]), BASE);
    const body = diffMarkdown(diff).split("```diff")[1]!.split("\n```")[0]!;
    expect(body).not.toContain("```");
  });
});

describe("plan command line", () => {
  it("accepts a stack, --json, --diff and --markdown", () => {
    expect(parsePlanArgs(["dev"])).toEqual({ stack: "dev", format: "text" });
    expect(parsePlanArgs(["prod", "--diff", "origin/main", "--markdown"])).toEqual({
      stack: "prod",
      format: "markdown",
      diffRef: "origin/main",
    });
    expect(parsePlanArgs(["--diff=HEAD~1", "dev", "--json"])).toEqual({
      stack: "dev",
      format: "json",
      diffRef: "HEAD~1",
    });
  });

  it.each([
    [[], /name the stack/],
    [["dev", "prod"], /one stack at a time/],
    [["dev", "--diff"], /--diff needs a git ref/],
    [["dev", "--diff", "--json"], /--diff needs a git ref/],
    [["dev", "--markdown"], /--markdown is the form of a diff/],
    [["dev", "--json", "--markdown", "--diff", "x"], /exclude each other/],
    [["dev", "--jsno"], /unknown option --jsno/],
  ])("refuses %j", (argv, message) => {
    expect(() => parsePlanArgs(argv)).toThrow(PlanUsageError);
    expect(() => parsePlanArgs(argv)).toThrow(message);
  });
});
