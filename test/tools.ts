import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

/**
 * Runs a real tool that reads what liftoff renders. A missing tool is a failure with the package to
 * install, never a skipped test.
 */
export function runTool(
  tool: string,
  args: readonly string[],
  aptPackage: string,
  options: { input?: string; env?: Record<string, string> } = {},
) {
  const result = spawnSync(tool, args, {
    encoding: "utf8",
    input: options.input,
    env: { ...process.env, ...options.env },
  });
  if (result.error && (result.error as NodeJS.ErrnoException).code === "ENOENT") {
    throw new Error(
      `${tool} is not installed; it checks what liftoff renders. Install it: apt-get install -y ${aptPackage} (or run .ci/run)`,
    );
  }
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** Where tools/testbed/install-docker.sh unpacks Docker 26.1 and Compose v2.26 (Debian 13's packages). */
export const DOCKER_PREFIX = process.env["LIFTOFF_DOCKER_PREFIX"] ?? "/opt/liftoff/docker";

const composeV2Checked = new Map<string, string>();

/**
 * The Compose v2 binary, the one hosts run as `docker compose`: the CLI plugin, which also runs on
 * its own (`docker-compose config` needs no daemon). Every check of a rendered compose file uses it,
 * never Compose v1. Throws, saying how to install it, when it is missing or is not v2.
 */
export function composeV2(prefix = DOCKER_PREFIX): string {
  const checked = composeV2Checked.get(prefix);
  if (checked) return checked;
  const binary = path.join(prefix, "usr/libexec/docker/cli-plugins/docker-compose");
  const install =
    "install it with tools/testbed/install-docker.sh (Debian 13's docker-compose package, unpacked; or run .ci/run)";
  const result = spawnSync(binary, ["version", "--short"], { encoding: "utf8" });
  if (result.error)
    throw new Error(
      `Compose v2 is not at ${binary} (${result.error.message}); it checks every compose file liftoff renders: ${install}`,
    );
  const version = result.stdout.trim();
  if (result.status !== 0 || !/^v?2\./.test(version)) {
    throw new Error(
      `${binary} is not Compose v2 (\`version --short\` said ${JSON.stringify(`${version}${result.stderr}`.trim())}): ${install}`,
    );
  }
  composeV2Checked.set(prefix, binary);
  return binary;
}

/** Runs Compose v2 (`docker compose <args>`) on a rendered compose file; see composeV2. */
export function runComposeV2(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}) {
  return runTool(composeV2(), args, "docker-compose", options);
}

/** Writes content to a fresh temporary file and returns its path. */
export function tempFile(name: string, content: string): string {
  const file = path.join(mkdtempSync(path.join(tmpdir(), "liftoff-test-")), name);
  writeFileSync(file, content);
  return file;
}
