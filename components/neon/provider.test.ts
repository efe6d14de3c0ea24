/**
 * The Neon dynamic provider against a local HTTP server that stands in for Neon's API (see
 * fake-neon-api.ts): Neon itself cannot be reached from the build machines. The provider runs the
 * real official client, `@neondatabase/api-client`, so the requests the server sees are the ones
 * `pulumi up` would send to Neon.
 */
import { describe, expect, it } from "vitest";
import { useFakeNeonApi } from "./use-fake-neon-api";
import { createNeonProvider, type NeonProviderOptions } from "./provider";
import type { BranchOutputs, DatabaseInputs, ProjectInputs, ProjectOutputs, RoleInputs, RoleOutputs } from "./provider";

const KEY = "napi_test_0123456789abcdefghij";
const api = useFakeNeonApi(KEY);
const neon = api.neon;

const PROJECT: ProjectInputs = {
  kind: "project",
  name: "liftoff-prod",
  regionId: "aws-eu-central-1",
  pgVersion: 17,
  historyRetentionSeconds: 7 * 86400,
};

/** A provider aimed at the stand-in, recording retry waits instead of sleeping through them. */
function provider(options: NeonProviderOptions = {}) {
  const waits: number[] = [];
  const p = createNeonProvider({
    baseUrl: api.baseUrl,
    apiKey: KEY,
    pollIntervalMs: 0,
    baseDelayMs: 10,
    attempts: 3,
    sleep: async (ms) => void waits.push(ms),
    ...options,
  });
  return { p, waits };
}

async function projectWithRole() {
  const { p } = provider();
  const project = await p.create(PROJECT);
  const outs = project.outs as ProjectOutputs;
  const roleInputs: RoleInputs = {
    kind: "role",
    projectId: outs.projectId,
    branchId: outs.defaultBranchId,
    name: "orders",
  };
  const role = await p.create(roleInputs);
  return { p, project: outs, roleInputs, role: role.outs as RoleOutputs, roleId: role.id };
}

/** Runs `work` expecting it to fail; returns the message, checked never to carry the API key. */
async function failure(work: Promise<unknown>): Promise<string> {
  const err = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, "expected a failure").toBeInstanceOf(Error);
  const message = (err as Error).message;
  expect(message).not.toContain(KEY);
  return message;
}

describe("Neon provider: create, read, update, delete", () => {
  it("creates a project the way the official client sends it, and waits for Neon's operations", async () => {
    const { p } = provider();
    const { id, outs } = await p.create(PROJECT);
    const post = neon.requests.find((r) => r.method === "POST" && r.path === "/projects")!;
    expect(post.authorization).toBe(`Bearer ${KEY}`);
    expect(post.body).toEqual({
      project: {
        name: "liftoff-prod",
        region_id: "aws-eu-central-1",
        pg_version: 17,
        history_retention_seconds: 604800,
        store_passwords: true,
        branch: { name: "main" },
      },
    });
    expect(neon.requests.filter((r) => r.path.includes("/operations/")).length).toBeGreaterThanOrEqual(2);
    const project = outs as ProjectOutputs;
    expect(id).toBe(project.projectId);
    expect(project.defaultBranchId).toMatch(/^br-/);
    expect(project.host).toMatch(/^ep-[a-z-]+-\d+\.eu-central-1\.aws\.neon\.tech$/);
  });

  it("creates a role with Neon's generated password and a database that role owns", async () => {
    const { p, project, role } = await projectWithRole();
    expect(role.password).toMatch(/^npg_/);
    const db: DatabaseInputs = {
      kind: "database",
      projectId: project.projectId,
      branchId: project.defaultBranchId,
      name: "orders",
      ownerName: "orders",
    };
    const created = await p.create(db);
    expect(created.id).toBe(`${project.projectId}/${project.defaultBranchId}/orders`);
    expect(neon.requests.find((r) => r.method === "POST" && r.path.endsWith("/databases"))!.body).toEqual({
      database: { name: "orders", owner_name: "orders" },
    });
  });

  it("reads what Neon has now, including the role's password, and reports a deleted object as gone", async () => {
    const { p, project, role, roleId } = await projectWithRole();
    expect(await p.read!(roleId, role)).toEqual({ id: roleId, props: role });
    expect((await p.read!(project.projectId, project)).props).toEqual(project);
    neon.projects.clear();
    expect(await p.read!(project.projectId, project)).toEqual({});
    expect(await p.read!(roleId, role)).toEqual({});
  });

  it("changes the restore window and name in place", async () => {
    const { p } = provider();
    const { id, outs } = await p.create(PROJECT);
    const news = { ...PROJECT, name: "liftoff-prod-eu", historyRetentionSeconds: 14 * 86400 };
    const updated = await p.update!(id, outs!, news);
    expect(neon.requests.find((r) => r.method === "PATCH")!.body).toEqual({
      project: { name: "liftoff-prod-eu", history_retention_seconds: 1209600 },
    });
    expect(updated.outs).toMatchObject({ name: "liftoff-prod-eu", historyRetentionSeconds: 1209600, projectId: id });
  });

  it("restricts connections with IP Allow, and changes the list in place", async () => {
    const { p } = provider();
    const { id, outs } = await p.create({ ...PROJECT, allowedIps: ["198.51.100.10", "203.0.113.0/28"] });
    expect((neon.requests.find((r) => r.method === "POST")!.body as { project: object }).project).toMatchObject({
      settings: { allowed_ips: { ips: ["198.51.100.10", "203.0.113.0/28"], protected_branches_only: false } },
    });
    expect(outs).toMatchObject({ allowedIps: ["198.51.100.10", "203.0.113.0/28"] });
    expect(await p.diff!(id, outs!, { ...PROJECT, allowedIps: ["198.51.100.11"] })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const moved = await p.update!(id, outs!, { ...PROJECT, allowedIps: ["198.51.100.11"] });
    expect(neon.requests.find((r) => r.method === "PATCH")!.body).toMatchObject({
      project: { settings: { allowed_ips: { ips: ["198.51.100.11"] } } },
    });
    expect(moved.outs).toMatchObject({ allowedIps: ["198.51.100.11"] });
  });

  it("leaves IP Allow alone on updates that do not change it (plans without it refuse the setting)", async () => {
    const { p } = provider();
    const { id, outs } = await p.create(PROJECT);
    expect(await p.diff!(id, outs!, { ...PROJECT, allowedIps: [] })).toMatchObject({ changes: false });
    await p.update!(id, outs!, { ...PROJECT, historyRetentionSeconds: 86400 });
    expect(neon.requests.find((r) => r.method === "PATCH")!.body).toEqual({
      project: { name: "liftoff-prod", history_retention_seconds: 86400 },
    });
  });

  it("renames a database in place and deletes it", async () => {
    const { p, project } = await projectWithRole();
    const db: DatabaseInputs = {
      kind: "database",
      projectId: project.projectId,
      branchId: project.defaultBranchId,
      name: "orders",
      ownerName: "orders",
    };
    const { id, outs } = await p.create(db);
    const renamed = await p.update!(id, outs!, { ...db, name: "orders_v2" });
    expect(renamed.outs).toMatchObject({ name: "orders_v2" });
    await p.delete!(id, renamed.outs!);
    expect(neon.calls().at(-1)).toBe(
      `DELETE /projects/${project.projectId}/branches/${project.defaultBranchId}/databases/orders_v2`,
    );
  });

  it("says which changes replace: region, Postgres version, a role's name; not the restore window", async () => {
    const { p } = provider();
    const outs = { ...PROJECT, projectId: "p", defaultBranchId: "b", host: "h" } as ProjectOutputs;
    expect(await p.diff!("p", outs, { ...PROJECT, regionId: "aws-eu-west-2" })).toEqual({
      changes: true,
      replaces: ["regionId"],
      deleteBeforeReplace: false,
    });
    expect(await p.diff!("p", outs, { ...PROJECT, pgVersion: 18 })).toMatchObject({ replaces: ["pgVersion"] });
    expect(await p.diff!("p", outs, { ...PROJECT, historyRetentionSeconds: 86400 })).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(await p.diff!("p", outs, { ...PROJECT })).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    const role = { kind: "role", projectId: "p", branchId: "b", name: "orders", password: "x" } as RoleOutputs;
    expect(await p.diff!("r", role, { kind: "role", projectId: "p", branchId: "b", name: "orders2" })).toMatchObject({
      changes: true,
      replaces: ["name"],
    });
  });

  it("branches from a point in time with a compute of its own, for disaster recovery", async () => {
    const { p } = provider();
    const project = (await p.create(PROJECT)).outs as ProjectOutputs;
    const at = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, "Z");
    const { outs } = await p.create({
      kind: "branch",
      projectId: project.projectId,
      name: "restore",
      parentId: project.defaultBranchId,
      parentTimestamp: at,
    });
    expect(neon.requests.find((r) => r.method === "POST" && r.path.endsWith("/branches"))!.body).toEqual({
      branch: { name: "restore", parent_id: project.defaultBranchId, parent_timestamp: at },
      endpoints: [{ type: "read_write" }],
    });
    const branch = outs as BranchOutputs;
    expect(branch.host).not.toBe(project.host);
    expect(branch.host).toMatch(/\.eu-central-1\.aws\.neon\.tech$/);
  });

  it("treats deleting what is already gone as done", async () => {
    const { p, project, role, roleId } = await projectWithRole();
    await p.delete!(project.projectId, project);
    await expect(p.delete!(project.projectId, project)).resolves.toBeUndefined();
    await expect(p.delete!(roleId, role)).resolves.toBeUndefined();
  });

  it("takes the API key from the stack config, where `pulumi config set --secret` put it", async () => {
    const p = createNeonProvider({ baseUrl: api.baseUrl, pollIntervalMs: 0 });
    await p.configure!({
      config: { get: (key) => (key === "liftoff:neonApiKey" ? KEY : undefined), require: () => KEY },
    });
    await expect(p.create(PROJECT)).resolves.toMatchObject({ outs: { name: "liftoff-prod" } });
  });
});

describe("Neon provider: Neon's error answers", () => {
  it("401: a clear message naming the setting to fix, and nothing created", async () => {
    const { p } = provider({ apiKey: "napi_revoked" });
    const message = await failure(p.create(PROJECT));
    expect(message).toContain("create Neon project liftoff-prod: Neon refused the API key (401 Unauthorized)");
    expect(message).toContain("pulumi config set --secret liftoff:neonApiKey");
    expect(neon.projects.size).toBe(0);
  });

  it("no key at all: says how to set one before calling Neon", async () => {
    const p = createNeonProvider({ baseUrl: api.baseUrl });
    expect(await failure(p.create(PROJECT))).toContain("liftoff:neonApiKey is not set");
    expect(neon.requests).toEqual([]);
  });

  it("404 while updating: the object was deleted outside Pulumi; says to refresh", async () => {
    const { p } = provider();
    const { id, outs } = await p.create(PROJECT);
    neon.projects.clear();
    const message = await failure(p.update!(id, outs!, { ...PROJECT, historyRetentionSeconds: 86400 }));
    expect(message).toContain("(404 Not Found)");
    expect(message).toContain("pulumi refresh");
  });

  it("409: a role that already exists is not taken over; says what to do, and creates nothing", async () => {
    const { p, roleInputs } = await projectWithRole();
    const message = await failure(p.create(roleInputs));
    expect(message).toContain(
      'create Neon role orders: it already exists or conflicts with another change (409 Conflict): role "orders" already exists',
    );
    expect(message).toContain("does not take over Neon objects it did not create");
    expect(message).toContain("delete it in the Neon Console");
    const roles = neon.projects.values().next().value!.branches.values().next().value!.roles;
    expect([...roles.keys()].filter((r) => r === "orders")).toHaveLength(1);
  });

  it("422: a restore window the plan refuses, with Neon's reason, and no project left behind", async () => {
    neon.plan = "free";
    const { p } = provider();
    const message = await failure(p.create({ ...PROJECT, historyRetentionSeconds: 86400 }));
    expect(message).toContain(
      "Neon refused the request as invalid (422): history_retention_seconds must not exceed 21600 on the Free plan",
    );
    expect(message).toMatch(/\(Neon request id req-\d+\)/);
    expect(neon.projects.size).toBe(0);
  });

  it("429: waits as long as Neon's Retry-After says, then succeeds, creating one project", async () => {
    neon.fail({ method: "POST", path: /^\/projects$/, status: 429, times: 2, headers: { "Retry-After": "2" } });
    const { p, waits } = provider();
    await p.create(PROJECT);
    expect(waits.slice(0, 2)).toEqual([2000, 2000]);
    expect(neon.projects.size).toBe(1);
  });

  it("429 without Retry-After: backs off exponentially", async () => {
    neon.fail({ method: "GET", path: /^\/projects\/[^/]+$/, status: 429, times: 2 });
    const { p, waits } = provider({ baseDelayMs: 1000, attempts: 4 });
    await p.create(PROJECT);
    const [first, second] = waits.filter((w) => w > 0);
    expect(first).toBeGreaterThanOrEqual(750);
    expect(first).toBeLessThanOrEqual(1250);
    expect(second).toBeGreaterThanOrEqual(1500);
    expect(second).toBeLessThanOrEqual(2500);
  });

  it("429 that never stops: gives up with a message, nothing recorded", async () => {
    neon.fail({ method: "POST", path: /^\/projects$/, status: 429, times: 10 });
    const { p } = provider();
    expect(await failure(p.create(PROJECT))).toContain(
      "kept rate-limiting the requests (429 Too Many Requests) through 3 attempts",
    );
    expect(neon.projects.size).toBe(0);
  });

  it("423 Locked while another operation runs: retried, as Neon documents", async () => {
    const { p, project } = await projectWithRole();
    neon.fail({ method: "POST", path: /\/databases$/, status: 423 });
    await p.create({
      kind: "database",
      projectId: project.projectId,
      branchId: project.defaultBranchId,
      name: "orders",
      ownerName: "orders",
    });
    expect(neon.calls().filter((c) => c.endsWith("/databases"))).toHaveLength(2);
  });

  it("503 then success: retried", async () => {
    neon.fail({ method: "GET", path: /\/endpoints$/, status: 503, times: 2 });
    const { p } = provider();
    await expect(p.create(PROJECT)).resolves.toMatchObject({ outs: { name: "liftoff-prod" } });
  });

  it("500 after Neon carried out the POST: finds the role it made instead of making a second", async () => {
    const { p, project } = await projectWithRole();
    neon.fail({ method: "POST", path: /\/roles$/, status: 500, afterHandling: true });
    const { outs } = await p.create({
      kind: "role",
      projectId: project.projectId,
      branchId: project.defaultBranchId,
      name: "catalog",
    });
    expect((outs as RoleOutputs).password).toMatch(/^npg_/);
    // One POST for orders, one for catalog: the failed answer was not followed by a second POST.
    expect(neon.calls().filter((c) => c.startsWith("POST") && c.endsWith("/roles"))).toHaveLength(2);
    const roles = [...neon.projects.get(project.projectId)!.branches.get(project.defaultBranchId)!.roles.keys()];
    expect(roles.filter((r) => r === "catalog")).toHaveLength(1);
  });

  it("an answer lost after the project was made: finds it rather than making a second", async () => {
    neon.fail({ method: "POST", path: /^\/projects$/, status: 0, afterHandling: true });
    const { p } = provider();
    const { id } = await p.create(PROJECT);
    expect(neon.projects.size).toBe(1);
    expect([...neon.projects.keys()]).toEqual([id]);
  });

  it("5xx that persists: gives up after the retries with Neon's request id; nothing recorded", async () => {
    neon.fail({ method: "POST", path: /^\/projects$/, status: 502, times: 10 });
    const { p } = provider();
    const message = await failure(p.create(PROJECT));
    expect(message).toContain("Neon failed (HTTP 502) 3 times in a row");
    expect(message).toContain("Nothing was recorded");
    expect(neon.projects.size).toBe(0);
  });

  it("an operation that fails after creation: deletes the half-created project before failing", async () => {
    neon.nextOperationOutcome = "failed";
    const { p } = provider();
    const message = await failure(p.create(PROJECT));
    expect(message).toContain("ended failed: compute failed to start");
    expect(message).toMatch(/The half-created project [a-z0-9-]+ was deleted; nothing was recorded\./);
    expect(neon.projects.size).toBe(0);
  });

  it("a restore point outside the history window: Neon's 422, and no branch left behind", async () => {
    const { p } = provider();
    const project = (await p.create({ ...PROJECT, historyRetentionSeconds: 3600 })).outs as ProjectOutputs;
    const message = await failure(
      p.create({
        kind: "branch",
        projectId: project.projectId,
        name: "restore",
        parentTimestamp: "2020-01-01T00:00:00Z",
      }),
    );
    expect(message).toContain("outside the project's history retention window");
    expect(neon.projects.get(project.projectId)!.branches.size).toBe(1);
  });
});
