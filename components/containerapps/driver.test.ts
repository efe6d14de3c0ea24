/**
 * The job and traffic drivers against a local stand-in for the ARM endpoints they call
 * (fake-arm.ts); Azure itself cannot be reached from the build machines.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import {
  createJobRunProvider,
  createTrafficReleaseProvider,
  type JobRunInputs,
  type TrafficReleaseInputs,
  type TrafficReleaseOutputs,
} from "./driver";
import { FakeArm } from "./fake-arm";

const TOKEN = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.fake.token";
const arm = new FakeArm(TOKEN);
let baseUrl = "";
beforeAll(async () => {
  baseUrl = await arm.start();
});
afterAll(() => arm.stop());
beforeEach(() => arm.reset());

function clock() {
  let now = Date.parse("2026-11-20T09:00:00Z");
  const waits: number[] = [];
  return {
    options: {
      baseUrl,
      token: TOKEN,
      pollIntervalMs: 10_000,
      now: () => now,
      sleep: async (ms: number) => {
        waits.push(ms);
        now += ms;
      },
    },
    waits,
  };
}

async function failure(work: Promise<unknown>): Promise<string> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a failure").toBeInstanceOf(Error);
  return (err as Error).message;
}

const JOB: JobRunInputs = {
  subscriptionId: "00000000-0000-0000-0000-000000000001",
  resourceGroupName: "liftoff-prod",
  jobName: "migrate",
  releaseId: "r0123456789ab",
  timeoutSeconds: 600,
};

describe("JobRun: start a job execution and wait for it", () => {
  it("starts the job once and returns when the execution succeeded", async () => {
    arm.addJob("migrate", { pollsBeforeOutcome: 2, outcome: "Succeeded" });
    const { options, waits } = clock();
    const { id, outs } = await createJobRunProvider(options).create(JOB);
    expect(id).toBe("migrate/migrate-000001");
    expect(outs).toMatchObject({ executionName: "migrate-000001", status: "Succeeded" });
    expect(waits).toEqual([10_000, 10_000]);
    const starts = arm.requests.filter((r) => r.path.endsWith("/jobs/migrate/start"));
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({
      method: "POST",
      path: "/subscriptions/00000000-0000-0000-0000-000000000001/resourceGroups/liftoff-prod/providers/Microsoft.App/jobs/migrate/start",
      query: "?api-version=2024-03-01",
      authorization: `Bearer ${TOKEN}`,
    });
  });

  it("fails the release with the execution's status and how to read its log", async () => {
    arm.addJob("migrate", { pollsBeforeOutcome: 1, outcome: "Failed" });
    const message = await failure(createJobRunProvider(clock().options).create(JOB));
    expect(message).toContain("the job migrate (execution migrate-000001) ended Failed");
    expect(message).toContain("before any traffic moved");
    expect(message).toContain(
      "az containerapp job logs show --name migrate --resource-group liftoff-prod --execution migrate-000001",
    );
  });

  it("stops an execution that outlives its timeout and fails", async () => {
    arm.addJob("migrate", { pollsBeforeOutcome: 0, outcome: "never" });
    const message = await failure(createJobRunProvider(clock().options).create({ ...JOB, timeoutSeconds: 60 }));
    expect(message).toContain("was still Running after 60 s, so it was stopped");
    expect(arm.requests.some((r) => r.method === "POST" && r.path.endsWith("/jobs/migrate/stop/migrate-000001"))).toBe(
      true,
    );
  });

  it("runs again only for a new release", async () => {
    const p = createJobRunProvider(clock().options);
    expect((await p.diff!("x", JOB as never, JOB)).changes).toBe(false);
    expect((await p.diff!("x", JOB as never, { ...JOB, releaseId: "r999" })).replaces).toEqual(["releaseId"]);
  });

  it("fails clearly when Azure refuses the token", async () => {
    arm.addJob("migrate");
    const message = await failure(createJobRunProvider({ ...clock().options, token: "wrong" }).create(JOB));
    expect(message).toMatch(/HTTP 401: InvalidAuthenticationToken.*az login/);
  });
});

const RELEASE: TrafficReleaseInputs = {
  subscriptionId: "00000000-0000-0000-0000-000000000001",
  resourceGroupName: "liftoff-prod",
  apps: [
    { name: "api-gateway", revision: "api-gateway--rnew" },
    { name: "identity-service", revision: "identity-service--rnew" },
  ],
  steps: [10, 50, 100],
  pauseSeconds: 120,
  maxErrorRate: 0.02,
};

function twoApps(newRevision: { errorShare?: number; healthState?: string; pollsBeforeReady?: number } = {}) {
  arm.addApp("api-gateway", {
    traffic: [{ revisionName: "api-gateway--rold", weight: 100 }],
    revisions: { "api-gateway--rolder": { active: true }, "api-gateway--rold": {}, "api-gateway--rnew": newRevision },
  });
  arm.addApp("identity-service", {
    traffic: [{ latestRevision: true, weight: 100 }],
    latestRevisionName: "identity-service--rold",
    revisions: { "identity-service--rold": {}, "identity-service--rnew": {} },
  });
}

describe("TrafficRelease: canary steps with automatic rollback", () => {
  it("waits for the new revisions, moves every app by the steps with a pause each, keeps the previous revisions warm", async () => {
    twoApps({ pollsBeforeReady: 2 });
    const { options, waits } = clock();
    const { outs } = await createTrafficReleaseProvider(options).create(RELEASE);
    expect(arm.trafficHistory["api-gateway"]).toEqual([
      [
        { revisionName: "api-gateway--rnew", weight: 10 },
        { revisionName: "api-gateway--rold", weight: 90 },
      ],
      [
        { revisionName: "api-gateway--rnew", weight: 50 },
        { revisionName: "api-gateway--rold", weight: 50 },
      ],
      [{ revisionName: "api-gateway--rnew", weight: 100 }],
    ]);
    // `latestRevision: true` was pinned to the revision it meant before anything moved.
    expect(arm.trafficHistory["identity-service"]![0]).toEqual([
      { revisionName: "identity-service--rnew", weight: 10 },
      { revisionName: "identity-service--rold", weight: 90 },
    ]);
    expect(waits.filter((w) => w === 120_000)).toHaveLength(3);
    expect((outs as TrafficReleaseOutputs).live).toEqual({
      "api-gateway": "api-gateway--rnew",
      "identity-service": "identity-service--rnew",
    });
    expect((outs as TrafficReleaseOutputs).previous["api-gateway"]).toEqual([
      { revisionName: "api-gateway--rold", weight: 100 },
    ]);
    // The previous revision stays active for a rollback in seconds; the one before it is stopped.
    expect(arm.apps["api-gateway"]!.revisions["api-gateway--rold"]!.active).toBe(true);
    expect(arm.apps["api-gateway"]!.revisions["api-gateway--rolder"]!.active).toBe(false);
    const metrics = arm.requests.filter((r) => r.path.endsWith("/providers/Microsoft.Insights/metrics"));
    expect(metrics.length).toBe(6);
    expect(decodeURIComponent(metrics[0]!.query)).toContain(
      "$filter=revisionName eq 'api-gateway--rnew' and statusCodeCategory eq '*'",
    );
  });

  it("moves traffic back when a step's error rate is too high, and fails with the figures", async () => {
    twoApps({ errorShare: 0.2 });
    const message = await failure(createTrafficReleaseProvider(clock().options).create(RELEASE));
    expect(message).toContain(
      "at 10%, api-gateway--rnew answered 20 of 100 requests with 5xx (20.0%, more than the 2.0% allowed)",
    );
    expect(message).toContain("Traffic went back to the previous revisions");
    expect(arm.apps["api-gateway"]!.traffic).toEqual([{ revisionName: "api-gateway--rold", weight: 100 }]);
    expect(arm.apps["identity-service"]!.traffic).toEqual([{ revisionName: "identity-service--rold", weight: 100 }]);
    // The revision that failed never got more than the first step.
    expect(
      arm.trafficHistory["api-gateway"]!.map((t) => t.find((w) => w.revisionName === "api-gateway--rnew")?.weight ?? 0),
    ).toEqual([10, 0]);
  });

  it("moves no traffic to a revision whose replicas fail their readiness probe", async () => {
    twoApps({ healthState: "Unhealthy" });
    const message = await failure(createTrafficReleaseProvider(clock().options).create(RELEASE));
    expect(message).toContain("api-gateway--rnew is not fit for traffic: its replicas fail their readiness probe");
    expect(arm.trafficHistory["api-gateway"]).toBeUndefined();
  });

  it("blue/green: [100] goes straight over once ready; a first release has nothing to move", async () => {
    twoApps();
    arm.addApp("orders", {
      traffic: [{ latestRevision: true, weight: 100 }],
      latestRevisionName: "orders--rnew",
      revisions: { "orders--rnew": {} },
    });
    const { outs } = await createTrafficReleaseProvider(clock().options).create({
      ...RELEASE,
      steps: [100],
      apps: [...RELEASE.apps, { name: "orders", revision: "orders--rnew" }],
    });
    expect(arm.trafficHistory["api-gateway"]).toEqual([[{ revisionName: "api-gateway--rnew", weight: 100 }]]);
    expect(arm.trafficHistory["orders"]).toBeUndefined();
    expect((outs as TrafficReleaseOutputs).live["orders"]).toBe("orders--rnew");
  });

  it("binds a custom domain's managed certificate before moving traffic", async () => {
    twoApps();
    arm.apps["api-gateway"]!.customDomains = [{ name: "api.example.com", bindingType: "Disabled" }];
    const certificateId =
      "/subscriptions/s/resourceGroups/liftoff-prod/providers/Microsoft.App/managedEnvironments/env/managedCertificates/api";
    await createTrafficReleaseProvider(clock().options).create({
      ...RELEASE,
      steps: [100],
      customDomains: [{ app: "api-gateway", name: "api.example.com", certificateId }],
    });
    expect(arm.apps["api-gateway"]!.customDomains).toEqual([
      { name: "api.example.com", bindingType: "SniEnabled", certificateId },
    ]);
  });

  it("follows a Location long-running operation to its 204", async () => {
    twoApps();
    arm.lroStyle = "location";
    await createTrafficReleaseProvider(clock().options).create({ ...RELEASE, steps: [100] });
    expect(arm.requests.filter((r) => r.path.startsWith("/locations/")).map((r) => r.status)).toEqual([
      202, 204, 202, 204,
    ]);
    expect(arm.apps["api-gateway"]!.traffic).toEqual([{ revisionName: "api-gateway--rnew", weight: 100 }]);
  });

  it("refuses steps that do not ascend to 100", async () => {
    const { failures } = await createTrafficReleaseProvider(clock().options).check!({} as never, {
      ...RELEASE,
      steps: [50, 10],
    });
    expect(failures?.[0]?.property).toBe("steps");
  });
});
