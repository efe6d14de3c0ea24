/**
 * Pulumi stores the serialized Neon provider in the state of every Neon resource and runs it in a
 * separate process. These tests serialize it exactly as `pulumi.dynamic.Resource` does, in a plain
 * Node process that loads the TypeScript like the program does, check it stays small and carries
 * no secret, then load the text in a fresh process and create a project with it, against the
 * local stand-in for Neon's API (fake-neon-api.ts).
 */
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../test/harness";
import { serializedProvider } from "../../test/serialized-provider";
import { FakeNeonApi } from "./fake-neon-api";

const run = promisify(execFile);
const KEY = "napi_closure_test_key_0123456789";
const neon = new FakeNeonApi(KEY);
let baseUrl = "";
const scratch = path.join(PROJECT_DIR, "node_modules", ".cache", `liftoff-closure-${process.pid}`);

beforeAll(async () => {
  baseUrl = await neon.start();
  mkdirSync(scratch, { recursive: true });
});
afterAll(async () => {
  await neon.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function serialized(options: string): Promise<string> {
  return serializedProvider("./components/neon/provider.ts", "createNeonProvider", options);
}

describe("the serialized Neon provider", () => {
  it("is small: no client, no SDK, no HTTP library captured, and no API key", async () => {
    const text = await serialized("");
    expect(text.length).toBeLessThan(48 * 1024);
    expect(text).toContain('require("@neondatabase/api-client")');
    expect(text).not.toMatch(/axios|@pulumi\/pulumi|grpc|protobuf/);
    expect(text).not.toContain("napi_");
  });

  it("runs on its own in a fresh process: requires the client there and creates a project", async () => {
    const file = path.join(scratch, "provider.js");
    writeFileSync(file, await serialized(JSON.stringify({ baseUrl, pollIntervalMs: 0 })));
    const script = `
      const provider = require(${JSON.stringify(file)}).handler();
      provider.configure({ config: { get: (k) => (k === "liftoff:neonApiKey" ? process.env.NEON_KEY : undefined) } })
        .then(() => provider.create({ kind: "project", name: "closure-test", regionId: "aws-eu-central-1", pgVersion: 17, historyRetentionSeconds: 21600 }))
        .then((r) => process.stdout.write(JSON.stringify(r)), (e) => { process.stderr.write(String(e && e.message)); process.exit(1); });
    `;
    const { stdout } = await run(process.execPath, ["-e", script], {
      cwd: scratch,
      env: { ...process.env, NEON_KEY: KEY },
    });
    const created = JSON.parse(stdout) as { id: string; outs: { name: string; host: string } };
    expect(created.outs.name).toBe("closure-test");
    expect(created.outs.host).toMatch(/\.aws\.neon\.tech$/);
    expect([...neon.projects.keys()]).toEqual([created.id]);
  });
});
