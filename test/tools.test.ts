import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { composeV2, runComposeV2, tempFile } from "./tools";

/** A prefix whose compose plugin is a script printing `version`. */
function fakePrefix(version: string): string {
  const prefix = mkdtempSync(path.join(tmpdir(), "liftoff-prefix-"));
  const dir = path.join(prefix, "usr/libexec/docker/cli-plugins");
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "docker-compose"), `#!/bin/sh\necho ${version}\n`);
  chmodSync(path.join(dir, "docker-compose"), 0o755);
  return prefix;
}

describe("composeV2", () => {
  it("is the Compose v2 plugin of the Docker prefix, and it checks a compose file", () => {
    expect(composeV2()).toMatch(/\/usr\/libexec\/docker\/cli-plugins\/docker-compose$/);
    const file = tempFile("compose.yaml", 'services:\n  web:\n    image: busybox\n    restart: "no"\n');
    const result = runComposeV2(["-f", file, "config", "--format", "json"]);
    expect(result.status).toBe(0);
    expect(JSON.parse(result.output).services.web.restart).toBe("no");
  });

  it("fails loudly, with how to install it, when it is missing", () => {
    expect(() => composeV2("/nonexistent/liftoff-docker")).toThrow(/Compose v2 is not at .*install-docker\.sh/);
  });

  it("refuses Compose v1 in its place", () => {
    expect(() => composeV2(fakePrefix("1.29.2"))).toThrow(/is not Compose v2 .*1\.29\.2.*install-docker\.sh/);
    expect(composeV2(fakePrefix("2.26.1"))).toMatch(/docker-compose$/);
  });
});
