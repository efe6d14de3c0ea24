import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/**
 * Runs a real tool that reads what liftoff renders. A missing tool is a failure with the package to
 * install, never a skipped test.
 */
export function runTool(tool: string, args: readonly string[], aptPackage: string, options: { input?: string; env?: Record<string, string> } = {}) {
  const result = spawnSync(tool, args, { encoding: "utf8", input: options.input, env: { ...process.env, ...options.env } });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(`${tool} is not installed; it checks what liftoff renders. Install it: apt-get install -y ${aptPackage} (or run .ci/run)`);
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Writes content to a fresh temporary file and returns its path. */
export function tempFile(name: string, content: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "liftoff-test-")), name);
  writeFileSync(file, content);
  return file;
}
