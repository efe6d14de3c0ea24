/**
 * Modes and host facts are arguments: the program's entry (index.ts) reads the process's
 * environment, and everything below it gets what it needs through its args. A component or layer
 * that read `process.env` itself would behave differently in the offline plan, a test and
 * `pulumi up` without anything in its signature saying so.
 */
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "./harness";

/** `process.env`, `process["env"]`, and `{ env } = process`. */
const AMBIENT = /\bprocess\s*(?:\.\s*env\b|\[\s*["'`]env["'`]\s*\])|\{[^}]*\benv\b[^}]*\}\s*=\s*process\b/;

function sourceFiles(dir: string): string[] {
  return readdirSync(path.join(PROJECT_DIR, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && /\.(ts|js|mjs|cjs)$/.test(e.name) && !/\.test\.ts$/.test(e.name))
    .map((e) => path.relative(PROJECT_DIR, path.join(e.parentPath, e.name)));
}

function ambientReads(files: readonly string[]): string[] {
  return files.flatMap((file) =>
    readFileSync(path.join(PROJECT_DIR, file), "utf8")
      .split("\n")
      .flatMap((line, i) => (AMBIENT.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [])),
  );
}

describe("modes and host facts are arguments", () => {
  it("no component or layer reads the process's environment (components/, stacks/)", () => {
    const files = [...sourceFiles("components"), ...sourceFiles("stacks")];
    expect(files.length).toBeGreaterThan(30);
    expect(ambientReads(files)).toEqual([]);
  });

  it("the offline plan tells the program its mode as an argument, not through an environment variable", () => {
    expect(ambientReads(["tools/plan/evaluate.ts"])).toEqual([]);
  });

  it("the pattern catches every way of reading it", () => {
    for (const line of [
      'const s = process.env["SSH_AUTH_SOCK"];',
      "process.env.X = '1'",
      'process["env"].X',
      "const { env } = process;",
    ]) {
      expect(AMBIENT.test(line), line).toBe(true);
    }
    expect(AMBIENT.test("what no process environment can hold")).toBe(false);
  });
});
