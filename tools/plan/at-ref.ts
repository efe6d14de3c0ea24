/**
 * The edge of the plan diff: plans one stack at a git ref and in the working tree, each in its own
 * Node process (the Pulumi SDK's runtime state is global, and the two sides may load different
 * code), and hands the two plan documents to the pure diff.
 */
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PlanUsageError } from "./project";
import type { PlanDocument } from "./render";

/** The environment variable that hands both sides the one-off key for secret digests. */
export const DIGEST_KEY_ENV = "LIFTOFF_PLAN_DIGEST_KEY";

export interface SidePlan {
  /** Undefined when the stack has no Pulumi.<stack>.yaml on that side. */
  readonly plan?: PlanDocument;
}

export interface RefPlans {
  readonly commit: string;
  readonly before: SidePlan;
  readonly after: SidePlan;
}

type Progress = (line: string) => void;

/** The commit a ref names, or a usage error that says how to make it resolvable. */
export function resolveCommit(projectDir: string, ref: string): string {
  if (ref.startsWith("-")) throw new PlanUsageError(`--diff needs a git ref, got ${JSON.stringify(ref)}`);
  const result = spawnSync("git", ["rev-parse", "--verify", "--quiet", "--end-of-options", `${ref}^{commit}`], {
    cwd: projectDir,
    encoding: "utf8",
  });
  if (result.error) throw new PlanUsageError(`--diff needs git, which could not run: ${result.error.message}`);
  const commit = result.stdout.trim();
  if (result.status !== 0 || !/^[0-9a-f]{40,64}$/.test(commit)) {
    throw new PlanUsageError(
      `--diff ${ref}: no such commit in this clone. Name a branch, tag or commit that exists here; in CI fetch the base first ` +
        `(actions/checkout with fetch-depth: 0, or git fetch origin ${ref.replace(/^origin\//, "")}), e.g. --diff origin/main`,
    );
  }
  return commit;
}

/** Plans `stack` at `commit` and in the working tree of `projectDir`, both with one digest key. */
export async function planBothSides(
  projectDir: string,
  stack: string,
  ref: string,
  progress: Progress,
): Promise<RefPlans> {
  const commit = resolveCommit(projectDir, ref);
  const key = randomBytes(32).toString("hex");
  const tree = mkdtempSync(path.join(os.tmpdir(), `liftoff-plan-${commit.slice(0, 12)}-`));
  try {
    progress(`extracting ${ref} (${commit.slice(0, 7)}) into a scratch tree`);
    await extractCommit(projectDir, commit, tree);
    provideDependencies(projectDir, tree, progress);
    overlayPlanTool(projectDir, tree);
    progress(`planning ${stack} at ${ref} and in the working tree`);
    // Both sides run to the end before the scratch tree goes, even when one fails early.
    const [before, after] = await Promise.allSettled([
      planIn(tree, stack, key, `${ref}`),
      planIn(projectDir, stack, key, "working tree"),
    ]);
    if (after.status === "rejected") throw after.reason;
    if (before.status === "rejected") throw before.reason;
    return { commit, before: before.value, after: after.value };
  } finally {
    rmSync(tree, { recursive: true, force: true });
  }
}

/** `git archive` of the commit, unpacked: exactly the committed files, nothing untracked. */
async function extractCommit(projectDir: string, commit: string, into: string): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const archive = spawn("git", ["archive", "--format=tar", commit], {
      cwd: projectDir,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const untar = spawn("tar", ["-x", "-C", into], { stdio: ["pipe", "ignore", "pipe"] });
    let errors = "";
    archive.stderr.on("data", (d: Buffer) => (errors += d.toString()));
    untar.stderr.on("data", (d: Buffer) => (errors += d.toString()));
    archive.stdout.pipe(untar.stdin);
    let pending = 2;
    const done = (code: number | null) => {
      if (code !== 0) reject(new Error(`could not extract ${commit}: ${errors.trim() || `exit ${code}`}`));
      else if (--pending === 0) resolve();
    };
    archive.on("close", done);
    untar.on("close", done);
    archive.on("error", reject);
    untar.on("error", reject);
  });
}

/**
 * The ref's dependencies: the working tree's node_modules when both lockfiles are identical (the
 * usual pull request), else a clean `npm ci` of the ref's own lockfile, so a dependency upgrade is
 * planned with the versions it actually pins.
 */
function provideDependencies(projectDir: string, tree: string, progress: Progress): void {
  // A committed node_modules (a symlink someone added) is never the one to use.
  rmSync(path.join(tree, "node_modules"), { recursive: true, force: true });
  const lock = (dir: string) =>
    existsSync(path.join(dir, "package-lock.json"))
      ? readFileSync(path.join(dir, "package-lock.json"), "utf8")
      : undefined;
  const ours = lock(projectDir);
  if (ours !== undefined && ours === lock(tree)) {
    symlinkSync(path.join(projectDir, "node_modules"), path.join(tree, "node_modules"), "dir");
    return;
  }
  progress("the base pins other dependency versions: npm ci in the scratch tree (this takes a minute)");
  const result = spawnSync("npm", ["ci", "--ignore-scripts", "--no-audit", "--no-fund", "--prefer-offline"], {
    cwd: tree,
    encoding: "utf8",
  });
  if (result.status !== 0) throw new Error(`npm ci of the base's lockfile failed:\n${result.stderr.trim()}`);
}

/**
 * Today's plan tool (mocks, evaluator, JSON form) over the ref's program, so both sides are judged
 * by the same rules and their documents compare field by field.
 */
function overlayPlanTool(projectDir: string, tree: string): void {
  const from = path.join(projectDir, "tools", "plan");
  const to = path.join(tree, "tools", "plan");
  mkdirSync(to, { recursive: true });
  for (const file of readdirSync(from)) {
    if (file.endsWith(".ts") && !file.endsWith(".test.ts")) cpSync(path.join(from, file), path.join(to, file));
  }
  cpSync(path.join(projectDir, "tools", "ts-register.js"), path.join(tree, "tools", "ts-register.js"));
}

/** Runs `plan <stack> --json` in a project directory and parses the document. */
async function planIn(dir: string, stack: string, key: string, label: string): Promise<SidePlan> {
  if (!existsSync(path.join(dir, `Pulumi.${stack}.yaml`))) return {};
  const { code, stdout, stderr } = await run(
    process.execPath,
    ["-r", "./tools/ts-register.js", "tools/plan/cli.ts", stack, "--json"],
    dir,
    { ...process.env, [DIGEST_KEY_ENV]: key },
  );
  let plan: PlanDocument;
  try {
    plan = JSON.parse(stdout) as PlanDocument;
  } catch {
    throw new Error(`the plan of ${stack} at ${label} did not run (exit ${code}):\n${stderr.trim()}`);
  }
  if (!plan.ok) throw new PlanSideError(label, plan.errors.join("\n"));
  return { plan };
}

/** One side's program failed (bad config, a throw): the diff cannot be trusted. */
export class PlanSideError extends Error {
  constructor(
    readonly side: string,
    readonly detail: string,
  ) {
    super(`the program fails at ${side}:\n${detail}`);
  }
}

function run(
  command: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (d: Buffer) => out.push(d));
    child.stderr.on("data", (d: Buffer) => err.push(d));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }),
    );
  });
}
