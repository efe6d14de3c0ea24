/**
 * A Pulumi dynamic provider for Neon over Neon's official client, `@neondatabase/api-client`.
 *
 * Pulumi serializes this provider's closure into the state of every resource it manages and runs it
 * in a separate process. So this file keeps to itself: no module-level imports are used by the
 * provider at run time (the client is required inside the methods), and every helper below is a
 * small plain function that the serializer copies by value. The API key is never part of the
 * closure: `configure` reads it from the stack config when the provider starts.
 */
import type { Api, EndpointType } from "@neondatabase/api-client";
import type * as pulumi from "@pulumi/pulumi";

export type NeonKind = "project" | "branch" | "role" | "database" | "login" | "allowedIp";

export interface ProjectInputs {
  readonly kind: "project";
  readonly name: string;
  readonly regionId: string;
  readonly pgVersion: number;
  readonly historyRetentionSeconds: number;
  readonly orgId?: string;
  /** Neon's IP Allow: only these addresses or CIDRs may connect (Scale plan). Absent: any address. */
  readonly allowedIps?: readonly string[];
}
export interface ProjectOutputs extends ProjectInputs {
  readonly projectId: string;
  readonly defaultBranchId: string;
  /** Host of the default branch's read-write compute. */
  readonly host: string;
}
export interface BranchInputs {
  readonly kind: "branch";
  readonly projectId: string;
  readonly name: string;
  /** Parent branch; the project's default branch when absent. */
  readonly parentId?: string;
  /** Point in time on the parent the branch starts from (RFC 3339); its head when absent. */
  readonly parentTimestamp?: string;
}
export interface BranchOutputs extends BranchInputs {
  readonly branchId: string;
  readonly host: string;
}
export interface RoleInputs {
  readonly kind: "role";
  readonly projectId: string;
  readonly branchId: string;
  readonly name: string;
}
export interface RoleOutputs extends RoleInputs {
  readonly password: string;
}
export interface DatabaseInputs {
  readonly kind: "database";
  readonly projectId: string;
  readonly branchId: string;
  readonly name: string;
  readonly ownerName: string;
}
export type DatabaseOutputs = DatabaseInputs;

/**
 * A login on a role a branch inherited from its parent (a restore branch in another stack's project):
 * the role is not created but its password is reset, so this stack's credentials are its own and the
 * parent's stay as they were. Deleting it leaves the role alone: it goes with its branch.
 */
export interface LoginInputs {
  readonly kind: "login";
  readonly projectId: string;
  readonly branchId: string;
  /** The inherited role's name. */
  readonly name: string;
}
export interface LoginOutputs extends LoginInputs {
  readonly password: string;
}
/**
 * One address added to the IP Allow list of a project another stack owns (a disaster-recovery host
 * reaching its restore branch in the source's project). Added only when the project restricts
 * addresses at all: adding one to an empty list would shut every other address out. Deleting it
 * removes exactly this address, and only if it was added here.
 */
export interface AllowedIpInputs {
  readonly kind: "allowedIp";
  readonly projectId: string;
  readonly ip: string;
}
export interface AllowedIpOutputs extends AllowedIpInputs {
  /** False when the project allows every address, so nothing was (or is to be) changed. */
  readonly added: boolean;
}

export type NeonInputs = ProjectInputs | BranchInputs | RoleInputs | DatabaseInputs | LoginInputs | AllowedIpInputs;
export type NeonOutputs =
  ProjectOutputs | BranchOutputs | RoleOutputs | DatabaseOutputs | LoginOutputs | AllowedIpOutputs;

export interface NeonProviderOptions {
  /** Neon's API unless a test stands in for it, e.g. `http://127.0.0.1:4010/api/v2`. */
  readonly baseUrl?: string;
  /** Tests only: production reads `liftoff:neonApiKey` in `configure`, so no key is serialized. */
  readonly apiKey?: string;
  /** Attempts per request when Neon answers 429, 423 or 5xx (default 6). */
  readonly attempts?: number;
  /** First retry delay, doubled per attempt up to 30 s (default 1 s). */
  readonly baseDelayMs?: number;
  /** How often to poll a running operation (default 2 s). */
  readonly pollIntervalMs?: number;
  /** Give up on an operation after this long (default 10 min). */
  readonly operationTimeoutMs?: number;
  /** Tests record waits instead of sleeping. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** Inputs whose change needs a new Neon object (the API cannot change them in place). */
export const REPLACE_ON: Readonly<Record<NeonKind, readonly string[]>> = {
  project: ["regionId", "pgVersion", "orgId"],
  branch: ["projectId", "parentId", "parentTimestamp"],
  role: ["projectId", "branchId", "name"],
  database: ["projectId", "branchId"],
  login: ["projectId", "branchId", "name"],
  allowedIp: ["projectId", "ip"],
};
/** Inputs Neon changes in place. */
export const UPDATE_IN_PLACE: Readonly<Record<NeonKind, readonly string[]>> = {
  project: ["name", "historyRetentionSeconds", "allowedIps"],
  branch: ["name"],
  role: [],
  database: ["name", "ownerName"],
  login: [],
  allowedIp: [],
};

interface Settings {
  apiKey?: string;
  readonly baseUrl?: string;
  readonly attempts: number;
  readonly baseDelayMs: number;
  readonly pollIntervalMs: number;
  readonly operationTimeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** How an HTTP failure surfaces from the client (axios), read structurally. */
interface HttpFailure {
  readonly response?: { readonly status: number; readonly data?: unknown; readonly headers?: Record<string, unknown> };
}
type Method = "GET" | "POST" | "PATCH" | "DELETE";
interface Operation {
  readonly id: string;
  readonly status: string;
  readonly action?: string;
  readonly error?: string;
}

/** The provider. `options` are for tests; `pulumi up` uses the defaults and the stack's config. */
export function createNeonProvider(
  options: NeonProviderOptions = {},
): pulumi.dynamic.ResourceProvider<NeonInputs, NeonOutputs> {
  const settings: Settings = {
    ...(options.apiKey ? { apiKey: options.apiKey } : {}),
    ...(options.baseUrl ? { baseUrl: options.baseUrl } : {}),
    attempts: options.attempts ?? 6,
    baseDelayMs: options.baseDelayMs ?? 1000,
    pollIntervalMs: options.pollIntervalMs ?? 2000,
    operationTimeoutMs: options.operationTimeoutMs ?? 600_000,
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
  };
  return {
    configure: async (req) => {
      settings.apiKey = req.config.get("liftoff:neonApiKey") ?? settings.apiKey;
    },
    check: async (_olds, news) => {
      const failures = missingInputs(news).map((property) => ({
        property,
        reason: `${property} is required for a Neon ${news.kind}`,
      }));
      return { inputs: news, failures };
    },
    diff: async (_id, olds, news) => {
      const replaces = REPLACE_ON[news.kind].filter((key) => !sameValue(field(olds, key), field(news, key)));
      const updates = UPDATE_IN_PLACE[news.kind].filter((key) => !sameValue(field(olds, key), field(news, key)));
      return { changes: replaces.length + updates.length > 0, replaces, deleteBeforeReplace: false };
    },
    create: async (inputs) => {
      const api = neonClient(settings);
      switch (inputs.kind) {
        case "project":
          return createProject(settings, api, inputs);
        case "branch":
          return createBranch(settings, api, inputs);
        case "role":
          return createRole(settings, api, inputs);
        case "database":
          return createDatabase(settings, api, inputs);
        case "login":
          return createLogin(settings, api, inputs);
        case "allowedIp":
          return addAllowedIp(settings, api, inputs);
      }
    },
    read: async (id, props) => {
      if (!props) return {};
      const api = neonClient(settings);
      const outs = await readObject(settings, api, id, props);
      return outs ? { id, props: outs } : {};
    },
    update: async (id, olds, news) => {
      const api = neonClient(settings);
      return { outs: await updateObject(settings, api, id, olds, news) };
    },
    delete: async (id, props) => {
      const api = neonClient(settings);
      await deleteObject(settings, api, id, props);
    },
  };
}

function neonClient(settings: Settings): Api<unknown> {
  if (!settings.apiKey) {
    throw new Error(
      "liftoff:neonApiKey is not set, so liftoff cannot call Neon. Create an API key in the Neon Console (Organization settings → API keys), then: pulumi config set --secret liftoff:neonApiKey",
    );
  }
  // Required here, not at the top of the file: the serialized provider must not carry the client.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { createApiClient } = require("@neondatabase/api-client") as typeof import("@neondatabase/api-client");
  return createApiClient({
    apiKey: settings.apiKey,
    ...(settings.baseUrl ? { baseURL: settings.baseUrl } : {}),
    timeout: 60_000,
  });
}

function missingInputs(inputs: NeonInputs): string[] {
  const required: Record<NeonKind, string[]> = {
    project: ["name", "regionId", "pgVersion", "historyRetentionSeconds"],
    branch: ["projectId", "name"],
    role: ["projectId", "branchId", "name"],
    database: ["projectId", "branchId", "name", "ownerName"],
    login: ["projectId", "branchId", "name"],
    allowedIp: ["projectId", "ip"],
  };
  return (required[inputs.kind] ?? ["kind"]).filter(
    (key) => field(inputs, key) === undefined || field(inputs, key) === "",
  );
}

function field(value: object, key: string): unknown {
  return (value as Record<string, unknown>)[key];
}

/** Equal as Neon sees them: an absent list and an empty one both mean "no restriction". */
function sameValue(a: unknown, b: unknown): boolean {
  const normal = (v: unknown) => JSON.stringify(Array.isArray(v) && v.length === 0 ? null : (v ?? null));
  return normal(a) === normal(b);
}

/** Project settings for Neon's IP Allow; an empty list lets every address in. */
function ipAllow(allowedIps: readonly string[] | undefined) {
  return { allowed_ips: { ips: [...(allowedIps ?? [])], protected_branches_only: false } };
}

/**
 * Runs one API request. Retries what Neon documents as safe to retry (429, 423 Locked, 503) and
 * other 5xx or lost answers for reads, updates and deletes. A POST that may have been carried out
 * before the failure (500, 502, 504, no answer) is never blindly repeated: `probe` first looks for
 * what it would have created, so nothing is created twice. Every other failure becomes an error
 * that says what to do.
 */
async function call<T, P = never>(
  settings: Settings,
  what: string,
  method: Method,
  run: () => Promise<{ data: T }>,
  probe?: () => Promise<P | undefined>,
): Promise<T | P> {
  let last: HttpFailure | undefined;
  for (let attempt = 1; attempt <= settings.attempts; attempt++) {
    try {
      return (await run()).data;
    } catch (err) {
      const failure = err as HttpFailure;
      const status = failure.response?.status;
      const transient = status === undefined || status === 429 || status === 423 || status >= 500;
      if (!transient) throw Object.assign(new Error(explain(what, failure)), { status });
      last = failure;
      const maybeDone = method === "POST" && status !== 429 && status !== 423 && status !== 503;
      if (maybeDone && probe) {
        const found = await probe();
        if (found !== undefined) return found;
      }
      if (attempt < settings.attempts) await settings.sleep(retryDelay(settings, attempt, failure));
    }
  }
  throw Object.assign(new Error(explain(what, last ?? {}, settings.attempts)), { status: last?.response?.status });
}

function retryDelay(settings: Settings, attempt: number, failure: HttpFailure): number {
  const header = failure.response?.headers?.["retry-after"];
  const seconds = typeof header === "string" || typeof header === "number" ? Number(header) : NaN;
  if (Number.isFinite(seconds) && seconds >= 0) return Math.min(seconds * 1000, 120_000);
  const backoff = Math.min(settings.baseDelayMs * 2 ** (attempt - 1), 30_000);
  // Jitter spreads the retries of resources created in parallel.
  return Math.round(backoff * (0.75 + Math.random() * 0.5));
}

/** An operator-facing message for a failed request; never the request itself (it holds the key). */
function explain(what: string, failure: HttpFailure, attempts?: number): string {
  const status = failure.response?.status;
  const body = (failure.response?.data ?? {}) as { message?: unknown; request_id?: unknown };
  const said = typeof body.message === "string" && body.message ? `: ${body.message}` : "";
  const request = typeof body.request_id === "string" ? ` (Neon request id ${body.request_id})` : "";
  switch (status) {
    case 401:
      return `${what}: Neon refused the API key (401 Unauthorized)${request}. Create a valid key in the Neon Console (Organization settings → API keys), then: pulumi config set --secret liftoff:neonApiKey`;
    case 403:
      return `${what}: the API key may not do this (403 Forbidden)${said}${request}. Use an organization API key, or set liftoff:neonOrgId when using a personal key.`;
    case 404:
      return `${what}: Neon has no such object (404 Not Found)${said}${request}. It was probably deleted outside Pulumi; run \`pulumi refresh\` so the stack forgets it, then \`pulumi up\`.`;
    case 409:
      return `${what}: it already exists or conflicts with another change (409 Conflict)${said}${request}. liftoff does not take over Neon objects it did not create. If it is left over from an interrupted \`pulumi up\`, delete it in the Neon Console (a database only once you know it holds nothing you need) and run \`pulumi up\` again; otherwise choose another name.`;
    case 400:
    case 422:
      return `${what}: Neon refused the request as invalid (${status})${said}${request}. Check the liftoff:neon* settings (region, plan, history retention, restore point) against your Neon plan.`;
    case 429:
      return `${what}: Neon kept rate-limiting the requests (429 Too Many Requests) through ${attempts ?? 1} attempts${request}. Nothing was recorded; wait a minute and run \`pulumi up\` again.`;
    case 423:
      return `${what}: the Neon project stayed locked by another operation (423 Locked) through ${attempts ?? 1} attempts${request}. Run \`pulumi up\` again once it finishes.`;
    case undefined:
      return `${what}: no answer from Neon${attempts ? ` in ${attempts} attempts` : ""}. Check the network and https://neonstatus.com, then run \`pulumi up\` again.`;
    default:
      return status >= 500
        ? `${what}: Neon failed (HTTP ${status}) ${attempts ?? 1} times in a row${said}${request}. Nothing was recorded; check https://neonstatus.com and run \`pulumi up\` again.`
        : `${what}: Neon answered HTTP ${status}${said}${request}.`;
  }
}

/** Waits until Neon has carried out `operations`; a failed operation is an error. */
async function settle(
  settings: Settings,
  api: Api<unknown>,
  projectId: string,
  operations: readonly Operation[] | undefined,
  what: string,
): Promise<void> {
  const deadline = Date.now() + settings.operationTimeoutMs;
  for (const op of operations ?? []) {
    let current: Operation = op;
    while (!["finished", "skipped"].includes(current.status)) {
      if (["failed", "error", "cancelled", "cancelling"].includes(current.status)) {
        throw new Error(
          `${what}: Neon's ${current.action ?? "operation"} ${current.id} ended ${current.status}${current.error ? `: ${current.error}` : ""}`,
        );
      }
      if (Date.now() > deadline) {
        throw new Error(
          `${what}: Neon's ${current.action ?? "operation"} ${current.id} was still ${current.status} after ${Math.round(settings.operationTimeoutMs / 1000)} s`,
        );
      }
      await settings.sleep(settings.pollIntervalMs);
      current = (
        await call(settings, `${what} (waiting for operation ${op.id})`, "GET", () =>
          api.getProjectOperation(projectId, op.id),
        )
      ).operation;
    }
  }
}

/**
 * Once Neon has an object, any later failure must not leave it behind unrecorded: delete it, then
 * fail with both stories.
 */
async function undoing<T>(what: string, undo: () => Promise<void>, rest: () => Promise<T>): Promise<T> {
  try {
    return await rest();
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    try {
      await undo();
    } catch (undoErr) {
      throw new Error(
        `${reason}\nDeleting the half-created ${what} failed too (${undoErr instanceof Error ? undoErr.message : String(undoErr)}); delete it in the Neon Console.`,
      );
    }
    throw new Error(`${reason}\nThe half-created ${what} was deleted; nothing was recorded.`);
  }
}

async function createProject(
  settings: Settings,
  api: Api<unknown>,
  inputs: ProjectInputs,
): Promise<{ id: string; outs: ProjectOutputs }> {
  const what = `create Neon project ${inputs.name}`;
  const startedAt = Date.now();
  // A project found by this probe has our name and was created after our first attempt: it is ours.
  const probe = async () => {
    const list = await call(settings, `${what} (looking for a project created by a failed attempt)`, "GET", () =>
      api.listProjects({ search: inputs.name, ...(inputs.orgId ? { org_id: inputs.orgId } : {}) }),
    );
    const mine = list.projects.filter((p) => p.name === inputs.name && Date.parse(p.created_at) >= startedAt - 60_000);
    return mine.length === 1 ? { project: { id: mine[0]!.id }, operations: [] as Operation[] } : undefined;
  };
  const created = await call(
    settings,
    what,
    "POST",
    () =>
      api.createProject({
        project: {
          name: inputs.name,
          region_id: inputs.regionId,
          pg_version: inputs.pgVersion,
          history_retention_seconds: inputs.historyRetentionSeconds,
          // Roles' passwords stay retrievable, so `read` can return a role's password after a refresh.
          store_passwords: true,
          branch: { name: "main" },
          ...(inputs.allowedIps?.length ? { settings: ipAllow(inputs.allowedIps) } : {}),
          ...(inputs.orgId ? { org_id: inputs.orgId } : {}),
        },
      }),
    probe,
  );
  const projectId = created.project.id;
  return undoing(
    `project ${projectId}`,
    () => removeProject(settings, api, projectId),
    async () => {
      await settle(settings, api, projectId, created.operations, what);
      const outs = await describeProject(settings, api, projectId, inputs);
      if (!outs) throw new Error(`${what}: the new project ${projectId} vanished while it was being set up`);
      return { id: projectId, outs };
    },
  );
}

async function describeProject(
  settings: Settings,
  api: Api<unknown>,
  projectId: string,
  inputs: ProjectInputs,
): Promise<ProjectOutputs | undefined> {
  const what = `read Neon project ${projectId}`;
  const project = await found(() => call(settings, what, "GET", () => api.getProject(projectId)));
  if (!project) return undefined;
  const branches = await call(settings, what, "GET", () => api.listProjectBranches({ projectId }));
  const main = branches.branches.find((b) => b.default) ?? branches.branches[0];
  if (!main) throw new Error(`${what}: the project has no branch`);
  const endpoints = await call(settings, what, "GET", () => api.listProjectBranchEndpoints(projectId, main.id));
  const p = project.project;
  const allowed = p.settings?.allowed_ips?.ips ?? [];
  return {
    ...inputs,
    kind: "project",
    ...(allowed.length > 0 ? { allowedIps: allowed } : { allowedIps: undefined }),
    name: p.name,
    regionId: p.region_id,
    pgVersion: Number(p.pg_version),
    historyRetentionSeconds: p.history_retention_seconds,
    projectId,
    defaultBranchId: main.id,
    host: readWriteHost(endpoints.endpoints),
  };
}

function readWriteHost(endpoints: readonly { type: string; host: string }[]): string {
  return (endpoints.find((e) => e.type === "read_write") ?? endpoints[0])?.host ?? "";
}

/** Undefined for a 404, so reads can say "gone" instead of failing. */
async function found<T>(get: () => Promise<T>): Promise<T | undefined> {
  try {
    return await get();
  } catch (err) {
    if ((err as { status?: number }).status === 404) return undefined;
    throw err;
  }
}

async function removeProject(settings: Settings, api: Api<unknown>, projectId: string): Promise<void> {
  await found(() => call(settings, `delete Neon project ${projectId}`, "DELETE", () => api.deleteProject(projectId)));
}

async function createBranch(
  settings: Settings,
  api: Api<unknown>,
  inputs: BranchInputs,
): Promise<{ id: string; outs: BranchOutputs }> {
  const what = `create Neon branch ${inputs.name}${inputs.parentTimestamp ? ` from ${inputs.parentTimestamp}` : ""}`;
  const probe = async () => {
    const list = await call(settings, `${what} (looking for a branch created by a failed attempt)`, "GET", () =>
      api.listProjectBranches({ projectId: inputs.projectId, search: inputs.name }),
    );
    const mine = list.branches.find((b) => b.name === inputs.name);
    return mine ? { branch: mine, endpoints: [], operations: [] as Operation[] } : undefined;
  };
  const created = await call(
    settings,
    what,
    "POST",
    () =>
      api.createProjectBranch(inputs.projectId, {
        branch: {
          name: inputs.name,
          ...(inputs.parentId ? { parent_id: inputs.parentId } : {}),
          ...(inputs.parentTimestamp ? { parent_timestamp: inputs.parentTimestamp } : {}),
        },
        // A branch is only reachable through a compute endpoint of its own.
        endpoints: [{ type: "read_write" as EndpointType }],
      }),
    probe,
  );
  const branchId = created.branch.id;
  return undoing(
    `branch ${branchId}`,
    () => removeBranch(settings, api, inputs.projectId, branchId),
    async () => {
      await settle(settings, api, inputs.projectId, created.operations, what);
      const outs = await describeBranch(settings, api, inputs, branchId);
      if (!outs) throw new Error(`${what}: the new branch ${branchId} vanished while it was being set up`);
      return { id: branchId, outs };
    },
  );
}

async function describeBranch(
  settings: Settings,
  api: Api<unknown>,
  inputs: BranchInputs,
  branchId: string,
): Promise<BranchOutputs | undefined> {
  const what = `read Neon branch ${branchId}`;
  const branch = await found(() => call(settings, what, "GET", () => api.getProjectBranch(inputs.projectId, branchId)));
  if (!branch) return undefined;
  const endpoints = await call(settings, what, "GET", () => api.listProjectBranchEndpoints(inputs.projectId, branchId));
  return { ...inputs, name: branch.branch.name, branchId, host: readWriteHost(endpoints.endpoints) };
}

async function removeBranch(settings: Settings, api: Api<unknown>, projectId: string, branchId: string): Promise<void> {
  const what = `delete Neon branch ${branchId}`;
  const deleted = await found(() =>
    call(settings, what, "DELETE", () => api.deleteProjectBranch({ projectId, branchId })),
  );
  if (deleted) await settle(settings, api, projectId, deleted.operations, what);
}

async function createRole(
  settings: Settings,
  api: Api<unknown>,
  inputs: RoleInputs,
): Promise<{ id: string; outs: RoleOutputs }> {
  const what = `create Neon role ${inputs.name}`;
  const probe = async () => {
    const role = await found(() =>
      call(settings, `${what} (looking for a role created by a failed attempt)`, "GET", () =>
        api.getProjectBranchRole(inputs.projectId, inputs.branchId, inputs.name),
      ),
    );
    return role ? { role: role.role, operations: [] as Operation[] } : undefined;
  };
  const created = await call(
    settings,
    what,
    "POST",
    () => api.createProjectBranchRole(inputs.projectId, inputs.branchId, { role: { name: inputs.name } }),
    probe,
  );
  const id = `${inputs.projectId}/${inputs.branchId}/${inputs.name}`;
  return undoing(
    `role ${inputs.name}`,
    () => removeRole(settings, api, inputs),
    async () => {
      await settle(settings, api, inputs.projectId, created.operations, what);
      const password = created.role.password ?? (await revealPassword(settings, api, inputs));
      if (!password) throw new Error(`${what}: Neon returned no password for the role`);
      return { id, outs: { ...inputs, password } };
    },
  );
}

async function revealPassword(
  settings: Settings,
  api: Api<unknown>,
  inputs: Pick<RoleInputs, "projectId" | "branchId" | "name">,
): Promise<string> {
  return (
    await call(settings, `read the password of Neon role ${inputs.name}`, "GET", () =>
      api.getProjectBranchRolePassword(inputs.projectId, inputs.branchId, inputs.name),
    )
  ).password;
}

async function removeRole(settings: Settings, api: Api<unknown>, inputs: RoleInputs): Promise<void> {
  const what = `delete Neon role ${inputs.name}`;
  const deleted = await found(() =>
    call(settings, what, "DELETE", () => api.deleteProjectBranchRole(inputs.projectId, inputs.branchId, inputs.name)),
  );
  if (deleted) await settle(settings, api, inputs.projectId, deleted.operations, what);
}

async function createDatabase(
  settings: Settings,
  api: Api<unknown>,
  inputs: DatabaseInputs,
): Promise<{ id: string; outs: DatabaseOutputs }> {
  const what = `create Neon database ${inputs.name}`;
  const probe = async () => {
    const database = await found(() =>
      call(settings, `${what} (looking for a database created by a failed attempt)`, "GET", () =>
        api.getProjectBranchDatabase(inputs.projectId, inputs.branchId, inputs.name),
      ),
    );
    return database ? { database: database.database, operations: [] as Operation[] } : undefined;
  };
  const created = await call(
    settings,
    what,
    "POST",
    () =>
      api.createProjectBranchDatabase(inputs.projectId, inputs.branchId, {
        database: { name: inputs.name, owner_name: inputs.ownerName },
      }),
    probe,
  );
  const id = `${inputs.projectId}/${inputs.branchId}/${inputs.name}`;
  return undoing(
    `database ${inputs.name}`,
    () => removeDatabase(settings, api, inputs),
    async () => {
      await settle(settings, api, inputs.projectId, created.operations, what);
      return { id, outs: { ...inputs, name: created.database.name, ownerName: created.database.owner_name } };
    },
  );
}

async function removeDatabase(settings: Settings, api: Api<unknown>, inputs: DatabaseInputs): Promise<void> {
  const what = `delete Neon database ${inputs.name}`;
  const deleted = await found(() =>
    call(settings, what, "DELETE", () =>
      api.deleteProjectBranchDatabase(inputs.projectId, inputs.branchId, inputs.name),
    ),
  );
  if (deleted) await settle(settings, api, inputs.projectId, deleted.operations, what);
}

async function createLogin(
  settings: Settings,
  api: Api<unknown>,
  inputs: LoginInputs,
): Promise<{ id: string; outs: LoginOutputs }> {
  const what = `reset the password of Neon role ${inputs.name} on branch ${inputs.branchId}`;
  let reset;
  try {
    reset = await call(settings, what, "POST", () =>
      api.resetProjectBranchRolePassword(inputs.projectId, inputs.branchId, inputs.name),
    );
  } catch (err) {
    if ((err as { status?: number }).status !== 404) throw err;
    throw Object.assign(
      new Error(
        `${what}: the branch has no role ${inputs.name}. A restore branch holds the roles its parent had at the restore point; this one was created later. Restore from a later instant, or give the service its database on the source first.`,
      ),
      { status: 404 },
    );
  }
  await settle(settings, api, inputs.projectId, reset.operations, what);
  const password = reset.role.password ?? (await revealPassword(settings, api, inputs));
  if (!password) throw new Error(`${what}: Neon returned no password for the role`);
  return { id: `${inputs.projectId}/${inputs.branchId}/${inputs.name}`, outs: { ...inputs, password } };
}

async function projectAllowList(
  settings: Settings,
  api: Api<unknown>,
  projectId: string,
  what: string,
): Promise<{ ips: string[]; protectedBranchesOnly: boolean }> {
  const project = await call(settings, what, "GET", () => api.getProject(projectId));
  const allowed = project.project.settings?.allowed_ips;
  return { ips: [...(allowed?.ips ?? [])], protectedBranchesOnly: allowed?.protected_branches_only ?? false };
}

async function addAllowedIp(
  settings: Settings,
  api: Api<unknown>,
  inputs: AllowedIpInputs,
): Promise<{ id: string; outs: AllowedIpOutputs }> {
  const what = `allow ${inputs.ip} in Neon project ${inputs.projectId}`;
  const id = `${inputs.projectId}/${inputs.ip}`;
  const list = await projectAllowList(settings, api, inputs.projectId, what);
  if (list.ips.length === 0 || list.ips.includes(inputs.ip)) return { id, outs: { ...inputs, added: false } };
  const updated = await call(settings, what, "PATCH", () =>
    api.updateProject(inputs.projectId, {
      project: {
        settings: {
          allowed_ips: { ips: [...list.ips, inputs.ip], protected_branches_only: list.protectedBranchesOnly },
        },
      },
    }),
  );
  await settle(settings, api, inputs.projectId, updated.operations, what);
  return { id, outs: { ...inputs, added: true } };
}

async function removeAllowedIp(settings: Settings, api: Api<unknown>, props: AllowedIpOutputs): Promise<void> {
  if (!props.added) return;
  const what = `remove ${props.ip} from the IP Allow list of Neon project ${props.projectId}`;
  const project = await found(() => projectAllowList(settings, api, props.projectId, what));
  if (!project || !project.ips.includes(props.ip)) return;
  const ips = project.ips.filter((ip) => ip !== props.ip);
  // Never leave an empty list behind: to Neon that means every address, not none.
  if (ips.length === 0)
    throw new Error(
      `${what}: it is the project's last allowed address, and an empty list would let every address in. Add the owner's addresses to the project first.`,
    );
  const updated = await call(settings, what, "PATCH", () =>
    api.updateProject(props.projectId, {
      project: { settings: { allowed_ips: { ips, protected_branches_only: project.protectedBranchesOnly } } },
    }),
  );
  await settle(settings, api, props.projectId, updated.operations, what);
}

/** The object as Neon has it now, or undefined when it is gone. */
async function readObject(
  settings: Settings,
  api: Api<unknown>,
  id: string,
  props: NeonOutputs,
): Promise<NeonOutputs | undefined> {
  switch (props.kind) {
    case "project":
      return describeProject(settings, api, id, props);
    case "branch":
      return describeBranch(settings, api, props, id);
    case "role": {
      const what = `read Neon role ${props.name}`;
      const role = await found(() =>
        call(settings, what, "GET", () => api.getProjectBranchRole(props.projectId, props.branchId, props.name)),
      );
      if (!role) return undefined;
      return { ...props, password: await revealPassword(settings, api, props) };
    }
    case "database": {
      const what = `read Neon database ${props.name}`;
      const database = await found(() =>
        call(settings, what, "GET", () => api.getProjectBranchDatabase(props.projectId, props.branchId, props.name)),
      );
      return database ? { ...props, name: database.database.name, ownerName: database.database.owner_name } : undefined;
    }
    case "login": {
      const role = await found(() =>
        call(settings, `read Neon role ${props.name}`, "GET", () =>
          api.getProjectBranchRole(props.projectId, props.branchId, props.name),
        ),
      );
      if (!role) return undefined;
      return { ...props, password: await revealPassword(settings, api, props) };
    }
    case "allowedIp": {
      const project = await found(() =>
        call(settings, `read Neon project ${props.projectId}`, "GET", () => api.getProject(props.projectId)),
      );
      if (!project) return undefined;
      const listed = (project.project.settings?.allowed_ips?.ips ?? []).includes(props.ip);
      // An address this stack added and someone removed is gone; one never added stays "not added".
      return props.added && !listed ? undefined : { ...props };
    }
  }
}

/** Changes what Neon changes in place; `diff` has sent everything else to a replacement. */
async function updateObject(
  settings: Settings,
  api: Api<unknown>,
  id: string,
  olds: NeonOutputs,
  news: NeonInputs,
): Promise<NeonOutputs> {
  if (news.kind === "project" && olds.kind === "project") {
    const what = `update Neon project ${id}`;
    // IP Allow is sent only when it changes: plans without the feature refuse the setting.
    const allowChanged = !sameValue(olds.allowedIps, news.allowedIps);
    const updated = await call(settings, what, "PATCH", () =>
      api.updateProject(id, {
        project: {
          name: news.name,
          history_retention_seconds: news.historyRetentionSeconds,
          ...(allowChanged ? { settings: ipAllow(news.allowedIps) } : {}),
        },
      }),
    );
    await settle(settings, api, id, updated.operations, what);
    return (await describeProject(settings, api, id, news)) ?? { ...olds, ...news };
  }
  if (news.kind === "branch" && olds.kind === "branch") {
    const what = `rename Neon branch ${id}`;
    const updated = await call(settings, what, "PATCH", () =>
      api.updateProjectBranch(news.projectId, id, { branch: { name: news.name } }),
    );
    await settle(settings, api, news.projectId, updated.operations, what);
    return { ...olds, ...news };
  }
  if (news.kind === "database" && olds.kind === "database") {
    const what = `update Neon database ${olds.name}`;
    const updated = await call(settings, what, "PATCH", () =>
      api.updateProjectBranchDatabase(news.projectId, news.branchId, olds.name, {
        database: { name: news.name, owner_name: news.ownerName },
      }),
    );
    await settle(settings, api, news.projectId, updated.operations, what);
    return { ...news };
  }
  return { ...olds, ...news } as NeonOutputs;
}

async function deleteObject(settings: Settings, api: Api<unknown>, id: string, props: NeonOutputs): Promise<void> {
  switch (props.kind) {
    case "project":
      return removeProject(settings, api, id);
    case "branch":
      return removeBranch(settings, api, props.projectId, id);
    case "role":
      return removeRole(settings, api, props);
    case "database":
      return removeDatabase(settings, api, props);
    // The role belongs to its branch and goes with it; a login never deletes a role.
    case "login":
      return;
    case "allowedIp":
      return removeAllowedIp(settings, api, props);
  }
}
