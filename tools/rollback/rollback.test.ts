/**
 * `npm run rollback` against the local ARM stand-in (components/containerapps/fake-arm.ts).
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { armSettings } from "../../components/containerapps/driver";
import { FakeArm } from "../../components/containerapps/fake-arm";
import { parseFlags } from "./cli";
import { rollback } from "./rollback";

const TOKEN = "rollback-token";
const arm = new FakeArm(TOKEN);
let baseUrl = "";
beforeAll(async () => {
  baseUrl = await arm.start();
});
afterAll(() => arm.stop());
beforeEach(() => arm.reset());

const client = () => armSettings({ baseUrl, token: TOKEN, pollIntervalMs: 1, sleep: async () => undefined });
const REQUEST = {
  subscriptionId: "00000000-0000-0000-0000-000000000001",
  resourceGroupName: "liftoff-prod",
  stack: "prod",
};

describe("npm run rollback", () => {
  it("moves each of the stack's apps back to its previous revision, and only the stack's", async () => {
    arm.addApp("api-gateway", {
      traffic: [{ revisionName: "api-gateway--r2", weight: 100 }],
      revisions: { "api-gateway--r1": {}, "api-gateway--r2": {} },
    });
    arm.addApp("orders", {
      traffic: [{ latestRevision: true, weight: 100 }],
      revisions: { "orders--r1": {}, "orders--r2": {} },
    });
    arm.addApp("other", {
      tags: { "liftoff-stack": "dev" },
      traffic: [{ revisionName: "other--r2", weight: 100 }],
      revisions: { "other--r1": {}, "other--r2": {} },
    });
    const lines = await rollback(client(), REQUEST);
    expect(lines).toEqual([
      { app: "api-gateway", from: "api-gateway--r2", to: "api-gateway--r1", outcome: "moved" },
      { app: "orders", from: "orders--r2", to: "orders--r1", outcome: "moved" },
    ]);
    expect(arm.apps["api-gateway"]!.traffic).toEqual([{ revisionName: "api-gateway--r1", weight: 100 }]);
    expect(arm.apps["orders"]!.traffic).toEqual([{ revisionName: "orders--r1", weight: 100 }]);
    expect(arm.apps["other"]!.traffic).toEqual([{ revisionName: "other--r2", weight: 100 }]);
  });

  it("ends a release stuck mid-canary by sending everything to the older revision", async () => {
    arm.addApp("api-gateway", {
      traffic: [
        { revisionName: "api-gateway--r2", weight: 10 },
        { revisionName: "api-gateway--r1", weight: 90 },
      ],
      revisions: { "api-gateway--r1": {}, "api-gateway--r2": {} },
    });
    await rollback(client(), REQUEST);
    expect(arm.apps["api-gateway"]!.traffic).toEqual([{ revisionName: "api-gateway--r1", weight: 100 }]);
  });

  it("activates a deactivated revision before sending it traffic", async () => {
    arm.addApp("api-gateway", {
      traffic: [{ revisionName: "api-gateway--r2", weight: 100 }],
      revisions: { "api-gateway--r1": { active: false }, "api-gateway--r2": {} },
    });
    await rollback(client(), REQUEST);
    const calls = arm.requests.map((r) => `${r.method} ${r.path.split("/containerApps/")[1] ?? r.path}`);
    expect(calls.indexOf("POST api-gateway/revisions/api-gateway--r1/activate")).toBeLessThan(
      calls.indexOf("PATCH api-gateway"),
    );
    expect(arm.apps["api-gateway"]!.traffic).toEqual([{ revisionName: "api-gateway--r1", weight: 100 }]);
  });

  it("changes nothing in a dry run, or when there is nothing older", async () => {
    arm.addApp("api-gateway", {
      traffic: [{ revisionName: "api-gateway--r2", weight: 100 }],
      revisions: { "api-gateway--r1": {}, "api-gateway--r2": {} },
    });
    arm.addApp("orders", { traffic: [{ revisionName: "orders--r1", weight: 100 }], revisions: { "orders--r1": {} } });
    const lines = await rollback(client(), { ...REQUEST, dryRun: true });
    expect(lines.map((l) => l.outcome)).toEqual(["would move", "nothing older"]);
    expect(arm.requests.filter((r) => r.method !== "GET")).toEqual([]);
  });

  it("says when the stack has no apps there", async () => {
    await expect(rollback(client(), REQUEST)).rejects.toThrow(
      "no Container App tagged liftoff-stack=prod in liftoff-prod",
    );
  });

  it("reads its flags", () => {
    expect(parseFlags(["prod", "--app", "orders", "--dry-run"])).toMatchObject({
      stack: "prod",
      apps: ["orders"],
      dryRun: true,
    });
    expect(parseFlags([])).toBe("name the stack: npm run rollback -- <stack>");
    expect(parseFlags(["prod", "--bogus"])).toBe("unknown option --bogus");
  });
});
