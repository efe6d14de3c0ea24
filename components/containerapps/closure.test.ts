/**
 * Pulumi stores the serialized job and traffic providers in the state and runs them in a separate
 * process. Serialized exactly as `pulumi.dynamic.Resource` does it, in a plain Node process that
 * loads the TypeScript like the program does; then run on their own in a fresh process against the
 * local ARM stand-in (fake-arm.ts).
 */
import { execFile } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../test/harness";
import { serializedProvider } from "../../test/serialized-provider";
import { FakeArm } from "./fake-arm";

const run = promisify(execFile);
const TOKEN = "closure-token";
const arm = new FakeArm(TOKEN);
let baseUrl = "";
const scratch = path.join(PROJECT_DIR, "node_modules", ".cache", `liftoff-containerapps-closure-${process.pid}`);

beforeAll(async () => {
  baseUrl = await arm.start();
  mkdirSync(scratch, { recursive: true });
});
afterAll(async () => {
  await arm.stop();
  rmSync(scratch, { recursive: true, force: true });
});

async function runInFreshProcess(factory: string, options: string, call: string): Promise<unknown> {
  const file = path.join(scratch, `${factory}.js`);
  writeFileSync(file, await serializedProvider("./components/containerapps/driver.ts", factory, options));
  const script = `
    const provider = require(${JSON.stringify(file)}).handler();
    ${call}.then((r) => process.stdout.write(JSON.stringify(r)), (e) => { process.stderr.write(String(e && e.message)); process.exit(1); });
  `;
  const { stdout } = await run(process.execPath, ["-e", script], { cwd: scratch });
  return JSON.parse(stdout);
}

describe("the serialized Container Apps drivers", () => {
  it("are small, require @azure/identity only at run time, and carry no credential", async () => {
    for (const factory of ["createJobRunProvider", "createTrafficReleaseProvider"]) {
      const text = await serializedProvider("./components/containerapps/driver.ts", factory, "");
      expect(text.length).toBeLessThan(48 * 1024);
      expect(text).toContain('require("@azure/identity")');
      expect(text).not.toMatch(/@pulumi\/pulumi|grpc|protobuf/);
    }
  });

  it("the job run runs on its own in a fresh process and waits for the execution", async () => {
    arm.addJob("migrate", { pollsBeforeOutcome: 1, outcome: "Succeeded" });
    const result = await runInFreshProcess(
      "createJobRunProvider",
      JSON.stringify({ baseUrl, token: TOKEN, pollIntervalMs: 10 }),
      `provider.create({ subscriptionId: "s", resourceGroupName: "rg", jobName: "migrate", releaseId: "r1", timeoutSeconds: 60 })`,
    );
    expect(result).toMatchObject({ id: "migrate/migrate-000001", outs: { status: "Succeeded" } });
  });

  it("the traffic release runs on its own in a fresh process and moves traffic", async () => {
    arm.addApp("api", {
      traffic: [{ revisionName: "api--rold", weight: 100 }],
      revisions: { "api--rold": {}, "api--rnew": {} },
    });
    const result = await runInFreshProcess(
      "createTrafficReleaseProvider",
      JSON.stringify({ baseUrl, token: TOKEN, pollIntervalMs: 10 }),
      `provider.create({ subscriptionId: "s", resourceGroupName: "rg", apps: [{ name: "api", revision: "api--rnew" }], steps: [50, 100], pauseSeconds: 0, maxErrorRate: 0.05 })`,
    );
    expect(result).toMatchObject({ outs: { live: { api: "api--rnew" } } });
    expect(arm.apps["api"]!.traffic).toEqual([{ revisionName: "api--rnew", weight: 100 }]);
  });
});
