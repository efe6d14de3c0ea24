/**
 * Disaster recovery into a new stack, against the local stand-in for Neon's API (fake-neon-api.ts;
 * Neon itself cannot be reached here): the new stack's branch lives in the SOURCE stack's project,
 * and deleting what the new stack created must never touch the source's data.
 */
import { describe, expect, it } from "vitest";
import { useFakeNeonApi } from "./use-fake-neon-api";
import { createNeonProvider } from "./provider";
import type { AllowedIpOutputs, BranchOutputs, LoginOutputs, ProjectOutputs, RoleOutputs } from "./provider";

const KEY = "napi_restore_test_0123456789";
const api = useFakeNeonApi(KEY);
const neon = api.neon;

const provider = () =>
  createNeonProvider({
    baseUrl: api.baseUrl,
    apiKey: KEY,
    pollIntervalMs: 0,
    baseDelayMs: 1,
    attempts: 2,
    sleep: async () => undefined,
  });
const anHourAgo = () => new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, "Z");

/** The source stack: its project, a service's role and database on the default branch. */
async function sourceStack(allowedIps?: string[]) {
  const p = provider();
  const project = (
    await p.create({
      kind: "project",
      name: "liftoff-prod",
      regionId: "aws-eu-central-1",
      pgVersion: 17,
      historyRetentionSeconds: 7 * 86400,
      ...(allowedIps ? { allowedIps } : {}),
    })
  ).outs as ProjectOutputs;
  const role = (
    await p.create({ kind: "role", projectId: project.projectId, branchId: project.defaultBranchId, name: "orders" })
  ).outs as RoleOutputs;
  await p.create({
    kind: "database",
    projectId: project.projectId,
    branchId: project.defaultBranchId,
    name: "orders",
    ownerName: "orders",
  });
  return { project, role };
}

/** What the source's project holds, to compare before and after. */
function snapshot(projectId: string, branchId: string) {
  const state = neon.projects.get(projectId);
  const main = state?.branches.get(branchId);
  return {
    project: state ? JSON.stringify(state.project) : undefined,
    roles: main ? [...main.roles.values()].map((r) => `${String(r["name"])}:${r.password}`) : undefined,
    databases: main ? [...main.databases.keys()] : undefined,
  };
}

describe("restoring into a new stack from another stack's Neon project", () => {
  it("branches from the source's branch at the instant, and gives the new stack its own password on the inherited role", async () => {
    const { project, role } = await sourceStack();
    const p = provider();
    const at = anHourAgo();
    const branch = await p.create({
      kind: "branch",
      projectId: project.projectId,
      name: "liftoff-prod-dr-restore-x",
      parentId: project.defaultBranchId,
      parentTimestamp: at,
    });
    const post = neon.requests.find(
      (r) => r.method === "POST" && r.path === `/projects/${project.projectId}/branches`,
    )!;
    expect(post.body).toEqual({
      branch: { name: "liftoff-prod-dr-restore-x", parent_id: project.defaultBranchId, parent_timestamp: at },
      endpoints: [{ type: "read_write" }],
    });

    const login = await p.create({
      kind: "login",
      projectId: project.projectId,
      branchId: (branch.outs as BranchOutputs).branchId,
      name: "orders",
    });
    const outs = login.outs as LoginOutputs;
    expect(neon.calls()).toContain(
      `POST /projects/${project.projectId}/branches/${outs.branchId}/roles/orders/reset_password`,
    );
    expect(outs.password).toMatch(/^npg_/);
    expect(outs.password).not.toBe(role.password);
    // The source's role keeps its password: the source's services are not locked out.
    expect(snapshot(project.projectId, project.defaultBranchId).roles).toContain(`orders:${role.password}`);
    // A refresh reads the branch's password, not the source's.
    expect((await p.read!(login.id, outs)).props).toMatchObject({ password: outs.password });
  });

  it("deleting the new stack's branch and logins deletes the branch only, never the source's project, roles or databases", async () => {
    const { project } = await sourceStack(["198.51.100.10"]);
    const before = snapshot(project.projectId, project.defaultBranchId);
    const p = provider();
    const branch = await p.create({
      kind: "branch",
      projectId: project.projectId,
      name: "dr",
      parentId: project.defaultBranchId,
      parentTimestamp: anHourAgo(),
    });
    const branchId = (branch.outs as BranchOutputs).branchId;
    const login = await p.create({ kind: "login", projectId: project.projectId, branchId, name: "orders" });
    const allowed = await p.create({ kind: "allowedIp", projectId: project.projectId, ip: "203.0.113.50" });
    const countBefore = neon.requests.length;

    // What `pulumi destroy` of the new stack runs, in reverse order of creation.
    await p.delete!(allowed.id, allowed.outs!);
    await p.delete!(login.id, login.outs!);
    await p.delete!(branch.id, branch.outs!);

    const deletes = neon.requests
      .slice(countBefore)
      .filter((r) => r.method === "DELETE")
      .map((r) => r.path);
    expect(deletes).toEqual([`/projects/${project.projectId}/branches/${branchId}`]);
    expect(neon.projects.get(project.projectId)!.branches.has(branchId)).toBe(false);
    const after = snapshot(project.projectId, project.defaultBranchId);
    expect(after.roles).toEqual(before.roles);
    expect(after.databases).toEqual(before.databases);
    expect(JSON.parse(after.project!).settings).toEqual(JSON.parse(before.project!).settings);
  });

  it("names the role a restore branch lacks instead of a generic not-found", async () => {
    const { project } = await sourceStack();
    const p = provider();
    const branch = await p.create({
      kind: "branch",
      projectId: project.projectId,
      name: "dr",
      parentTimestamp: anHourAgo(),
    });
    const err = await p
      .create({
        kind: "login",
        projectId: project.projectId,
        branchId: (branch.outs as BranchOutputs).branchId,
        name: "identity",
      })
      .catch((e: unknown) => e as Error);
    expect((err as Error).message).toMatch(/has no role identity.*restore point.*Restore from a later instant/s);
    expect((err as Error).message).not.toContain(KEY);
  });
});

describe("the new host on the source project's IP Allow list", () => {
  it("leaves a project that allows every address alone: one entry would shut everyone else out", async () => {
    const { project } = await sourceStack();
    const p = provider();
    const created = await p.create({ kind: "allowedIp", projectId: project.projectId, ip: "203.0.113.50" });
    expect(created.outs).toEqual({ kind: "allowedIp", projectId: project.projectId, ip: "203.0.113.50", added: false });
    expect(neon.requests.filter((r) => r.method === "PATCH")).toEqual([]);
    await p.delete!(created.id, created.outs!);
    expect(neon.requests.filter((r) => r.method === "PATCH")).toEqual([]);
  });

  it("adds the address to a restricted list, keeps the source's entries, and removes only its own", async () => {
    const { project } = await sourceStack(["198.51.100.10", "203.0.113.0/28"]);
    const p = provider();
    const created = await p.create({ kind: "allowedIp", projectId: project.projectId, ip: "192.0.2.44" });
    expect((created.outs as AllowedIpOutputs).added).toBe(true);
    expect(neon.requests.find((r) => r.method === "PATCH")!.body).toEqual({
      project: {
        settings: {
          allowed_ips: { ips: ["198.51.100.10", "203.0.113.0/28", "192.0.2.44"], protected_branches_only: false },
        },
      },
    });
    await p.delete!(created.id, created.outs!);
    const ips = (neon.projects.get(project.projectId)!.project["settings"] as { allowed_ips: { ips: string[] } })
      .allowed_ips.ips;
    expect(ips).toEqual(["198.51.100.10", "203.0.113.0/28"]);
  });

  it("never removes an address it did not add", async () => {
    const { project } = await sourceStack(["198.51.100.10"]);
    const p = provider();
    const created = await p.create({ kind: "allowedIp", projectId: project.projectId, ip: "198.51.100.10" });
    expect((created.outs as AllowedIpOutputs).added).toBe(false);
    await p.delete!(created.id, created.outs!);
    const ips = (neon.projects.get(project.projectId)!.project["settings"] as { allowed_ips: { ips: string[] } })
      .allowed_ips.ips;
    expect(ips).toEqual(["198.51.100.10"]);
  });
});
