/**
 * The Atlas restore wait against a local HTTP server that stands in for the Atlas Administration
 * API (fake-atlas-api.ts: Digest authentication as Atlas challenges, the service-account token
 * endpoint, getBackupRestoreJob's response shape). Atlas itself cannot be reached from the build
 * machines.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { FakeAtlasApi } from "./fake-atlas-api";
import {
  createRestoreWaitProvider,
  restoreJobOutcome,
  type AtlasCredentials,
  type RestoreWaitInputs,
  type RestoreWaitOutputs,
} from "./restore-wait";

const API_KEY = { publicKey: "abcdwxyz", privateKey: "5d3c1a2b-9e8f-4a6b-8c7d-0e1f2a3b4c5d" };
const SERVICE_ACCOUNT = { clientId: "mdb_sa_id_0123456789abcdef01234567", clientSecret: "mdb_sa_sk_SECRET0123456789" };
const atlas = new FakeAtlasApi(API_KEY, SERVICE_ACCOUNT);
let baseUrl = "";
beforeAll(async () => {
  baseUrl = await atlas.start();
});
afterAll(() => atlas.stop());
beforeEach(() => atlas.reset());

const JOB: RestoreWaitInputs = {
  projectId: "65a1b2c3d4e5f60718293a4b",
  clusterName: "liftoff-prod",
  jobId: "6740a1b2c3d4e5f607182930",
};

/** A provider aimed at the stand-in, on a clock that moves by the polls' waits instead of sleeping. */
function provider(credentials: AtlasCredentials = { kind: "apiKey", ...API_KEY }, pollIntervalMs = 30_000) {
  let clock = Date.parse("2026-11-20T09:00:00Z");
  const waits: number[] = [];
  const p = createRestoreWaitProvider({
    baseUrl,
    credentials,
    pollIntervalMs,
    now: () => clock,
    sleep: async (ms) => {
      waits.push(ms);
      clock += ms;
    },
  });
  return { p, waits };
}

async function failure(work: Promise<unknown>): Promise<string> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a failure").toBeInstanceOf(Error);
  const message = (err as Error).message;
  for (const secret of [API_KEY.privateKey, SERVICE_ACCOUNT.clientSecret]) expect(message).not.toContain(secret);
  return message;
}

describe("waiting for an Atlas point-in-time restore", () => {
  it("polls the job with Digest auth until Atlas reports finishedAt, then returns it", async () => {
    atlas.addJob(JOB.jobId, { groupId: JOB.projectId, clusterName: JOB.clusterName, pollsBeforeOutcome: 3 });
    const { p, waits } = provider();
    const { id, outs } = await p.create(JOB);
    expect(id).toBe(JOB.jobId);
    expect((outs as RestoreWaitOutputs).finishedAt).toBe("2026-11-20T09:12:44Z");
    expect(waits).toEqual([30_000, 30_000, 30_000]);
    const gets = atlas.requests.filter((r) => r.status === 200);
    expect(gets).toHaveLength(4);
    for (const r of gets) {
      expect(r.path).toBe(
        `/api/atlas/v2/groups/${JOB.projectId}/clusters/${JOB.clusterName}/backup/restoreJobs/${JOB.jobId}`,
      );
      expect(r.accept).toBe("application/vnd.atlas.2023-01-01+json");
      expect(r.authorization).toMatch(
        /^Digest username="abcdwxyz", realm="MMS Public API", nonce="[^"]+", uri="\/api\/atlas\/v2\/groups\/[^"]+", response="[0-9a-f]{32}", qop=auth, nc=\d{8}, cnonce="[0-9a-f]+"$/,
      );
      expect(r.authorization).not.toContain(API_KEY.privateKey);
    }
    // Every answered request first drew Atlas's challenge.
    expect(atlas.requests.filter((r) => r.status === 401)).toHaveLength(4);
  });

  it("with a service account: a Bearer token from /api/oauth/token, fetched once", async () => {
    atlas.addJob(JOB.jobId, { groupId: JOB.projectId, clusterName: JOB.clusterName, pollsBeforeOutcome: 2 });
    const { p } = provider({ kind: "serviceAccount", ...SERVICE_ACCOUNT });
    expect(((await p.create(JOB)).outs as RestoreWaitOutputs).finishedAt).toBe("2026-11-20T09:12:44Z");
    expect(atlas.requests.filter((r) => r.path === "/api/oauth/token")).toHaveLength(1);
    expect(
      atlas.requests
        .filter((r) => r.status === 200 && r.path.includes("restoreJobs"))
        .every((r) => /^Bearer atlas-sa-/.test(r.authorization ?? "")),
    ).toBe(true);
  });

  it.each([
    ["failed", /Atlas reports the restore job failed/],
    ["cancelled", /was cancelled/],
    ["expired", /expired before it finished/],
  ] as const)(
    "fails clearly when the job %s, saying the services were not started and how to look",
    async (outcome, said) => {
      atlas.addJob(JOB.jobId, { groupId: JOB.projectId, clusterName: JOB.clusterName, pollsBeforeOutcome: 1, outcome });
      const message = await failure(provider().p.create(JOB));
      expect(message).toMatch(said);
      expect(message).toContain("The services were not started on partial data");
      expect(message).toContain(
        `atlas backups restores describe ${JOB.jobId} --clusterName liftoff-prod --projectId ${JOB.projectId}`,
      );
    },
  );

  it("gives up after its bounded wait with a message that says what to check and that a re-run only waits again", async () => {
    atlas.addJob(JOB.jobId, { groupId: JOB.projectId, clusterName: JOB.clusterName, outcome: "never" });
    const { p, waits } = provider();
    const message = await failure(p.create({ ...JOB, timeoutMinutes: 10 }));
    expect(message).toMatch(/had not finished after 10 min/);
    expect(message).toMatch(/run `pulumi up` again \(this wait is retried; the restore is not requested again\)/);
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(10 * 60_000);
    expect(waits.length).toBeGreaterThanOrEqual(19);
  });

  it("rides out Atlas's 503s, and refuses wrong credentials with what to fix", async () => {
    atlas.addJob(JOB.jobId, { groupId: JOB.projectId, clusterName: JOB.clusterName, pollsBeforeOutcome: 0 });
    atlas.unavailableFor = 2;
    expect(((await provider().p.create(JOB)).outs as RestoreWaitOutputs).finishedAt).toBe("2026-11-20T09:12:44Z");
    const wrong = await failure(
      provider({
        kind: "apiKey",
        publicKey: API_KEY.publicKey,
        privateKey: "00000000-0000-0000-0000-000000000000",
      }).p.create(JOB),
    );
    expect(wrong).toMatch(/Atlas refused the credentials \(401 Unauthorized\): UNAUTHORIZED/);
    const sa = await failure(provider({ kind: "serviceAccount", clientId: "x", clientSecret: "y" }).p.create(JOB));
    expect(sa).toMatch(/refused the service account's client id and secret \(HTTP 401\)/);
  });

  it("names a job Atlas does not know", async () => {
    expect(await failure(provider().p.create(JOB))).toMatch(
      /no such restore job \(404 Not Found\): RESTORE_JOB_NOT_FOUND/,
    );
  });

  it("reads its credentials from the stack config (never from its serialized code), service account first", async () => {
    atlas.addJob(JOB.jobId, { groupId: JOB.projectId, clusterName: JOB.clusterName, pollsBeforeOutcome: 0 });
    const p = createRestoreWaitProvider({ baseUrl, pollIntervalMs: 0, sleep: async () => undefined });
    const config = {
      "liftoff:atlasPublicKey": API_KEY.publicKey,
      "liftoff:atlasPrivateKey": API_KEY.privateKey,
    } as Record<string, string>;
    await p.configure!({ config: { get: (k: string) => config[k] } } as never);
    expect(((await p.create(JOB)).outs as RestoreWaitOutputs).finishedAt).toBe("2026-11-20T09:12:44Z");
    const bare = createRestoreWaitProvider({ baseUrl });
    expect(await failure(bare.create(JOB))).toMatch(
      /no Atlas credentials.*liftoff:atlasPublicKey and liftoff:atlasPrivateKey/,
    );
  });

  it("replaces only for another job, and never asks Atlas again on refresh", async () => {
    const p = createRestoreWaitProvider({ baseUrl });
    expect(
      await p.diff!(JOB.jobId, { ...JOB, finishedAt: "x" }, { ...JOB, jobId: "6740a1b2c3d4e5f607182931" }),
    ).toMatchObject({ changes: true, replaces: ["jobId"] });
    expect(await p.diff!(JOB.jobId, { ...JOB, finishedAt: "x" }, JOB)).toMatchObject({ changes: false, replaces: [] });
    expect(await p.read!(JOB.jobId, { ...JOB, finishedAt: "x" })).toEqual({
      id: JOB.jobId,
      props: { ...JOB, finishedAt: "x" },
    });
    expect(atlas.requests).toEqual([]);
  });
});

describe("restoreJobOutcome", () => {
  it("reads Atlas's DiskBackupSnapshotRestoreJob fields", () => {
    expect(
      restoreJobOutcome({ finishedAt: "2026-11-20T09:12:44Z", failed: false, cancelled: false, expired: false }),
    ).toEqual({ done: true, finishedAt: "2026-11-20T09:12:44Z" });
    expect(restoreJobOutcome({ failed: false, cancelled: false, expired: false })).toEqual({ done: false });
    expect(restoreJobOutcome({ finishedAt: null })).toEqual({ done: false });
    expect(restoreJobOutcome({ failed: true, finishedAt: "2026-11-20T09:12:44Z" })).toMatchObject({
      failed: expect.stringContaining("failed"),
    });
  });
});
