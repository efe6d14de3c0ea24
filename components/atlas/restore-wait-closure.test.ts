/**
 * Pulumi stores the serialized restore-wait provider in the state and runs it in a separate
 * process. Serialized exactly as `pulumi.dynamic.Resource` does it, in a plain Node process that
 * loads the TypeScript like the program does; then run on its own in a fresh process against the
 * local stand-in for the Atlas API (fake-atlas-api.ts).
 */
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../test/harness";
import { serializedProvider } from "../../test/serialized-provider";
import { FakeAtlasApi } from "./fake-atlas-api";

const run = promisify(execFile);
const API_KEY = { publicKey: "closurek", privateKey: "9f8e7d6c-5b4a-4392-8170-6f5e4d3c2b1a" };
const atlas = new FakeAtlasApi(API_KEY, { clientId: "x", clientSecret: "y" });
let baseUrl = "";
const scratch = path.join(PROJECT_DIR, "node_modules", ".cache", `liftoff-atlas-closure-${process.pid}`);

beforeAll(async () => {
  baseUrl = await atlas.start();
  mkdirSync(scratch, { recursive: true });
});
afterAll(async () => {
  await atlas.stop();
  rmSync(scratch, { recursive: true, force: true });
});

function serialized(options: string): Promise<string> {
  return serializedProvider("./components/atlas/restore-wait.ts", "createRestoreWaitProvider", options);
}

describe("the serialized Atlas restore wait", () => {
  it("is small, requires digest-header at run time, and carries no credential", async () => {
    const text = await serialized("");
    expect(text.length).toBeLessThan(32 * 1024);
    expect(text).toContain('require("digest-header")');
    expect(text).not.toMatch(/@pulumi\/pulumi|grpc|protobuf/);
  });

  it("runs on its own in a fresh process: reads the key from the config it is given and waits for the job", async () => {
    atlas.addJob("6740a1b2c3d4e5f607182930", {
      groupId: "65a1b2c3d4e5f60718293a4b",
      clusterName: "liftoff-prod",
      pollsBeforeOutcome: 1,
    });
    const file = path.join(scratch, "provider.js");
    writeFileSync(file, await serialized(JSON.stringify({ baseUrl, pollIntervalMs: 10 })));
    const script = `
      const provider = require(${JSON.stringify(file)}).handler();
      const config = { "liftoff:atlasPublicKey": process.env.ATLAS_PUB, "liftoff:atlasPrivateKey": process.env.ATLAS_PRIV };
      provider.configure({ config: { get: (k) => config[k] } })
        .then(() => provider.create({ projectId: "65a1b2c3d4e5f60718293a4b", clusterName: "liftoff-prod", jobId: "6740a1b2c3d4e5f607182930" }))
        .then((r) => process.stdout.write(JSON.stringify(r)), (e) => { process.stderr.write(String(e && e.message)); process.exit(1); });
    `;
    const { stdout } = await run(process.execPath, ["-e", script], {
      cwd: scratch,
      env: { ...process.env, ATLAS_PUB: API_KEY.publicKey, ATLAS_PRIV: API_KEY.privateKey },
    });
    expect(JSON.parse(stdout)).toMatchObject({
      id: "6740a1b2c3d4e5f607182930",
      outs: { finishedAt: "2026-11-20T09:12:44Z" },
    });
  });
});
