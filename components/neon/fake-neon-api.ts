/**
 * A local HTTP server that stands in for Neon's API (https://console.neon.tech/api/v2) in tests:
 * Neon's real API cannot be reached from the build machines. It answers the requests the official
 * client `@neondatabase/api-client` sends (paths, methods, JSON bodies, Bearer key) with the
 * response shapes of Neon's OpenAPI description shipped inside that client
 * (`public-v2-for-users.gen.yaml`): objects wrapped as `{project}`, `{branch}`, `{role}`,
 * `{database}`, mutations answered with the `operations` Neon runs asynchronously, errors as
 * `GeneralError` (`{code, message, request_id}`). Faults (401, 404, 409, 422, 423, 429, 5xx, lost
 * answers) are injected per request. It is a stand-in, not Neon: it models only what liftoff uses.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, string>>;
  readonly body: unknown;
  readonly authorization?: string;
}

export interface Fault {
  readonly method: string;
  /** Matched against the path after /api/v2. */
  readonly path: RegExp;
  readonly status: number;
  /** How many matching requests fail (default 1). */
  readonly times?: number;
  readonly headers?: Record<string, string>;
  readonly message?: string;
  /** Carry the request out first, then fail the answer: a commit whose answer was lost. */
  readonly afterHandling?: boolean;
}

interface Json {
  [key: string]: unknown;
}
interface OperationState {
  op: Json;
  pollsLeft: number;
  outcome: "finished" | "failed";
}
interface BranchState {
  branch: Json;
  endpoint: Json;
  roles: Map<string, Json & { password: string }>;
  databases: Map<string, Json>;
}
interface ProjectState {
  project: Json;
  branches: Map<string, BranchState>;
  operations: Map<string, OperationState>;
}

/** Neon's plan limit on history retention, which its API enforces at creation. */
const FREE_PLAN_MAX_RETENTION = 21600;

export class FakeNeonApi {
  readonly requests: RecordedRequest[] = [];
  readonly projects = new Map<string, ProjectState>();
  private faults: (Fault & { left: number })[] = [];
  private server: Server | undefined;
  private seq = 0;
  /** Polls an operation takes before it reports its outcome. */
  pollsPerOperation = 1;
  /** The outcome of the next operations started (to simulate a failed create_branch, say). */
  nextOperationOutcome: "finished" | "failed" = "finished";
  plan: "free" | "scale" = "scale";

  constructor(readonly apiKey: string) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/api/v2`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  fail(fault: Fault): void {
    this.faults.push({ ...fault, left: fault.times ?? 1 });
  }

  reset(): void {
    this.requests.length = 0;
    this.faults = [];
    this.projects.clear();
    this.pollsPerOperation = 1;
    this.nextOperationOutcome = "finished";
    this.plan = "scale";
  }

  /** Requests other than operation polls, as `METHOD /path`. */
  calls(): string[] {
    return this.requests.filter((r) => !r.path.includes("/operations/")).map((r) => `${r.method} ${r.path}`);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://localhost");
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const text = Buffer.concat(chunks).toString("utf8");
    const body: unknown = text ? JSON.parse(text) : undefined;
    const path = url.pathname.replace(/^\/api\/v2/, "");
    const method = req.method ?? "GET";
    this.requests.push({
      method,
      path,
      query: Object.fromEntries(url.searchParams),
      body,
      ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
    });

    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(payload));
    };
    const error = (status: number, message: string, headers: Record<string, string> = {}) =>
      send(status, { code: "", message, request_id: `req-${++this.seq}` }, headers);

    const fault = this.faults.find((f) => f.left > 0 && f.method === method && f.path.test(path));
    if (fault && !fault.afterHandling) {
      fault.left--;
      if (fault.status === 0) return void req.socket.destroy();
      return error(fault.status, fault.message ?? defaultMessage(fault.status), fault.headers);
    }
    if (req.headers.authorization !== `Bearer ${this.apiKey}`) return error(401, "authentication required");

    const [status, payload] = this.route(method, path, url.searchParams, body as Json | undefined);
    if (fault && fault.afterHandling) {
      fault.left--;
      if (fault.status === 0) return void req.socket.destroy();
      return error(fault.status, fault.message ?? defaultMessage(fault.status), fault.headers);
    }
    if (status >= 400) return error(status, String((payload as Json)["message"]));
    send(status, payload);
  }

  private route(method: string, path: string, query: URLSearchParams, body: Json | undefined): [number, unknown] {
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    const now = new Date().toISOString();
    if (parts[0] !== "projects") return [404, { message: "not found" }];
    if (parts.length === 1) {
      if (method === "POST") return this.createProject(body?.["project"] as Json, now);
      if (method === "GET") {
        const search = query.get("search") ?? "";
        return [
          200,
          {
            projects: [...this.projects.values()]
              .map((p) => p.project)
              .filter((p) => String(p["name"]).includes(search) || String(p["id"]).includes(search)),
            pagination: {},
          },
        ];
      }
    }
    const project = this.projects.get(parts[1] ?? "");
    if (!project) return [404, { message: `project ${parts[1]} not found` }];
    const id = String(project.project["id"]);
    if (parts.length === 2) {
      if (method === "GET") return [200, { project: project.project }];
      if (method === "DELETE") {
        this.projects.delete(id);
        return [200, { project: project.project }];
      }
      if (method === "PATCH") {
        const change = (body?.["project"] ?? {}) as Json;
        if (
          typeof change["history_retention_seconds"] === "number" &&
          this.plan === "free" &&
          change["history_retention_seconds"] > FREE_PLAN_MAX_RETENTION
        ) {
          return [
            422,
            { message: `history_retention_seconds must not exceed ${FREE_PLAN_MAX_RETENTION} on the Free plan` },
          ];
        }
        Object.assign(project.project, change, { updated_at: now });
        return [
          200,
          { project: project.project, operations: [this.operation(project, "apply_storage_config", undefined)] },
        ];
      }
    }
    if (parts[2] === "operations" && parts[3] && method === "GET") {
      const state = project.operations.get(parts[3]);
      if (!state) return [404, { message: "operation not found" }];
      if (state.pollsLeft > 0) state.pollsLeft--;
      if (state.pollsLeft === 0) {
        state.op["status"] = state.outcome;
        if (state.outcome === "failed") state.op["error"] = "compute failed to start";
      }
      return [200, { operation: state.op }];
    }
    if (parts[2] !== "branches") return [404, { message: "not found" }];
    if (parts.length === 3) {
      if (method === "GET") {
        const search = query.get("search") ?? "";
        return [
          200,
          {
            branches: [...project.branches.values()]
              .map((b) => b.branch)
              .filter((b) => String(b["name"]).includes(search)),
            annotations: {},
          },
        ];
      }
      if (method === "POST") return this.createBranch(project, body ?? {}, now);
    }
    const branch = project.branches.get(parts[3] ?? "");
    if (!branch) return [404, { message: `branch ${parts[3]} not found` }];
    const branchId = String(branch.branch["id"]);
    if (parts.length === 4) {
      if (method === "GET") return [200, { branch: branch.branch, annotation: {} }];
      if (method === "PATCH") {
        Object.assign(branch.branch, (body?.["branch"] ?? {}) as Json, { updated_at: now });
        return [200, { branch: branch.branch, operations: [] }];
      }
      if (method === "DELETE") {
        project.branches.delete(branchId);
        return [200, { branch: branch.branch, operations: [this.operation(project, "delete_timeline", branchId)] }];
      }
    }
    if (parts[4] === "endpoints" && method === "GET") return [200, { endpoints: [branch.endpoint] }];
    if (parts[4] === "roles") return this.roles(project, branch, method, parts.slice(5), body, now);
    if (parts[4] === "databases") return this.databases(project, branch, method, parts.slice(5), body, now);
    return [404, { message: "not found" }];
  }

  private createProject(spec: Json, now: string): [number, unknown] {
    const retention = Number(spec["history_retention_seconds"] ?? 86400);
    if (this.plan === "free" && retention > FREE_PLAN_MAX_RETENTION) {
      return [
        422,
        { message: `history_retention_seconds must not exceed ${FREE_PLAN_MAX_RETENTION} on the Free plan` },
      ];
    }
    const region = String(spec["region_id"] ?? "aws-us-east-2");
    if (!/^aws-/.test(region)) return [422, { message: `region ${region} is not available` }];
    const id = `${this.word()}-${this.word()}-${10000000 + ++this.seq}`;
    const proxyHost = `${region.replace(/^aws-/, "")}.aws.neon.tech`;
    const project: Json = {
      id,
      platform_id: "aws",
      region_id: region,
      name: spec["name"] ?? id,
      provisioner: "k8s-neonvm",
      pg_version: spec["pg_version"] ?? 17,
      proxy_host: proxyHost,
      branch_logical_size_limit: 0,
      branch_logical_size_limit_bytes: 0,
      store_passwords: spec["store_passwords"] ?? true,
      creation_source: "console",
      history_retention_seconds: retention,
      created_at: now,
      updated_at: now,
      consumption_period_start: now,
      consumption_period_end: now,
      owner_id: "user-1",
      data_storage_bytes_hour: 0,
      data_transfer_bytes: 0,
      written_data_bytes: 0,
      compute_time_seconds: 0,
      active_time_seconds: 0,
      cpu_used_sec: 0,
      ...(spec["org_id"] ? { org_id: spec["org_id"] } : {}),
      ...(spec["settings"] ? { settings: spec["settings"] } : {}),
    };
    const state: ProjectState = { project, branches: new Map(), operations: new Map() };
    this.projects.set(id, state);
    const branchName = String((spec["branch"] as Json | undefined)?.["name"] ?? "main");
    const main = this.newBranch(state, branchName, undefined, undefined, true, now);
    const owner = {
      branch_id: main.branch["id"],
      name: "neondb_owner",
      password: this.password(),
      protected: false,
      created_at: now,
      updated_at: now,
    };
    main.roles.set("neondb_owner", owner);
    const database = {
      id: ++this.seq,
      branch_id: main.branch["id"],
      name: "neondb",
      owner_name: "neondb_owner",
      created_at: now,
      updated_at: now,
    };
    main.databases.set("neondb", database);
    return [
      201,
      {
        project,
        branch: main.branch,
        endpoints: [main.endpoint],
        roles: [owner],
        databases: [database],
        operations: [
          this.operation(state, "create_timeline", String(main.branch["id"])),
          this.operation(state, "start_compute", String(main.branch["id"])),
        ],
        connection_uris: [
          {
            connection_uri: `postgresql://neondb_owner:${owner.password}@${main.endpoint["host"]}/neondb?sslmode=require`,
            connection_parameters: {
              database: "neondb",
              password: owner.password,
              role: "neondb_owner",
              host: main.endpoint["host"],
              pooler_host: String(main.endpoint["host"]).replace(/^([^.]+)/, "$1-pooler"),
            },
          },
        ],
      },
    ];
  }

  private createBranch(project: ProjectState, request: Json, now: string): [number, unknown] {
    const spec = (request["branch"] ?? {}) as Json;
    const parentId = String(
      spec["parent_id"] ?? [...project.branches.values()].find((b) => b.branch["default"])?.branch["id"],
    );
    const parent = project.branches.get(parentId);
    if (!parent) return [404, { message: `branch ${parentId} not found` }];
    const at = spec["parent_timestamp"] as string | undefined;
    if (at !== undefined) {
      const age = Date.now() - Date.parse(at);
      if (Number.isNaN(age) || age < 0 || age > Number(project.project["history_retention_seconds"]) * 1000) {
        return [422, { message: `parent_timestamp ${at} is outside the project's history retention window` }];
      }
    }
    if ([...project.branches.values()].some((b) => b.branch["name"] === spec["name"]))
      return [409, { message: `branch ${String(spec["name"])} already exists` }];
    const branch = this.newBranch(project, String(spec["name"] ?? `br-${this.word()}`), parentId, at, false, now);
    // A branch starts as a copy of its parent: same roles (and passwords) and databases.
    for (const [name, role] of parent.roles) branch.roles.set(name, { ...role, branch_id: branch.branch["id"] });
    for (const [name, db] of parent.databases) branch.databases.set(name, { ...db, branch_id: branch.branch["id"] });
    return [
      201,
      {
        branch: branch.branch,
        endpoints: [branch.endpoint],
        roles: [],
        databases: [],
        operations: [
          this.operation(project, "create_branch", String(branch.branch["id"])),
          this.operation(project, "start_compute", String(branch.branch["id"])),
        ],
      },
    ];
  }

  private roles(
    project: ProjectState,
    branch: BranchState,
    method: string,
    rest: string[],
    body: Json | undefined,
    now: string,
  ): [number, unknown] {
    const branchId = String(branch.branch["id"]);
    if (rest.length === 0 && method === "POST") {
      const name = String(((body?.["role"] ?? {}) as Json)["name"]);
      if (branch.roles.has(name)) return [409, { message: `role "${name}" already exists` }];
      const role = {
        branch_id: branchId,
        name,
        password: this.password(),
        protected: false,
        created_at: now,
        updated_at: now,
      };
      branch.roles.set(name, role);
      return [201, { role, operations: [this.operation(project, "apply_config", branchId)] }];
    }
    const role = branch.roles.get(rest[0] ?? "");
    if (!role) return [404, { message: `role ${rest[0]} not found` }];
    if (rest[1] === "reveal_password" && method === "GET") return [200, { password: role.password }];
    if (rest[1] === "reset_password" && method === "POST") {
      // Passwords are per role per branch: a reset changes this branch's only.
      role.password = this.password();
      role["updated_at"] = now;
      return [200, { role: { ...role }, operations: [this.operation(project, "apply_config", branchId)] }];
    }
    if (rest.length === 1 && method === "GET") {
      const { password: _hidden, ...visible } = role;
      return [200, { role: visible }];
    }
    if (rest.length === 1 && method === "DELETE") {
      branch.roles.delete(String(role["name"]));
      return [200, { role, operations: [this.operation(project, "apply_config", branchId)] }];
    }
    return [404, { message: "not found" }];
  }

  private databases(
    project: ProjectState,
    branch: BranchState,
    method: string,
    rest: string[],
    body: Json | undefined,
    now: string,
  ): [number, unknown] {
    const branchId = String(branch.branch["id"]);
    if (rest.length === 0 && method === "POST") {
      const spec = (body?.["database"] ?? {}) as Json;
      const name = String(spec["name"]);
      if (branch.databases.has(name)) return [409, { message: `database "${name}" already exists` }];
      if (!branch.roles.has(String(spec["owner_name"])))
        return [404, { message: `role ${String(spec["owner_name"])} not found` }];
      const database = {
        id: ++this.seq,
        branch_id: branchId,
        name,
        owner_name: spec["owner_name"],
        created_at: now,
        updated_at: now,
      };
      branch.databases.set(name, database);
      return [201, { database, operations: [this.operation(project, "apply_config", branchId)] }];
    }
    const database = branch.databases.get(rest[0] ?? "");
    if (!database) return [404, { message: `database ${rest[0]} not found` }];
    if (method === "GET") return [200, { database }];
    if (method === "PATCH") {
      const change = (body?.["database"] ?? {}) as Json;
      branch.databases.delete(String(database["name"]));
      Object.assign(database, change, { updated_at: now });
      branch.databases.set(String(database["name"]), database);
      return [200, { database, operations: [this.operation(project, "apply_config", branchId)] }];
    }
    if (method === "DELETE") {
      branch.databases.delete(String(database["name"]));
      return [200, { database, operations: [this.operation(project, "apply_config", branchId)] }];
    }
    return [404, { message: "not found" }];
  }

  private newBranch(
    project: ProjectState,
    name: string,
    parentId: string | undefined,
    parentTimestamp: string | undefined,
    isDefault: boolean,
    now: string,
  ): BranchState {
    const projectId = String(project.project["id"]);
    const id = `br-${this.word()}-${this.word()}-${100000 + ++this.seq}`;
    const endpointId = `ep-${this.word()}-${this.word()}-${100000 + ++this.seq}`;
    const branch: Json = {
      id,
      project_id: projectId,
      name,
      current_state: "ready",
      state_changed_at: now,
      creation_source: "console",
      default: isDefault,
      protected: false,
      cpu_used_sec: 0,
      compute_time_seconds: 0,
      active_time_seconds: 0,
      written_data_bytes: 0,
      data_transfer_bytes: 0,
      created_at: now,
      updated_at: now,
      init_source: "parent-data",
      ...(parentId ? { parent_id: parentId } : {}),
      ...(parentTimestamp ? { parent_timestamp: parentTimestamp } : {}),
    };
    const endpoint: Json = {
      host: `${endpointId}.${String(project.project["proxy_host"])}`,
      id: endpointId,
      project_id: projectId,
      branch_id: id,
      autoscaling_limit_min_cu: 0.25,
      autoscaling_limit_max_cu: 0.25,
      region_id: project.project["region_id"],
      type: "read_write",
      current_state: "init",
      pending_state: "active",
      settings: { pg_settings: {} },
      pooler_enabled: false,
      pooler_mode: "transaction",
      disabled: false,
      passwordless_access: true,
      creation_source: "console",
      created_at: now,
      updated_at: now,
      proxy_host: project.project["proxy_host"],
      suspend_timeout_seconds: 0,
      provisioner: "k8s-neonvm",
    };
    const state: BranchState = { branch, endpoint, roles: new Map(), databases: new Map() };
    project.branches.set(id, state);
    return state;
  }

  private operation(project: ProjectState, action: string, branchId: string | undefined): Json {
    const now = new Date().toISOString();
    const op: Json = {
      id: randomUUID(),
      project_id: project.project["id"],
      ...(branchId ? { branch_id: branchId } : {}),
      action,
      status: "running",
      failures_count: 0,
      created_at: now,
      updated_at: now,
      total_duration_ms: 0,
    };
    project.operations.set(String(op["id"]), {
      op,
      pollsLeft: this.pollsPerOperation,
      outcome: this.nextOperationOutcome,
    });
    return { ...op };
  }

  private word(): string {
    const words = ["cool", "darkness", "silent", "smoke", "wispy", "meadow", "spring", "example", "morning", "bread"];
    return words[this.seq++ % words.length]!;
  }

  private password(): string {
    return `npg_${randomUUID().replace(/-/g, "").slice(0, 12)}`;
  }
}

function defaultMessage(status: number): string {
  switch (status) {
    case 401:
      return "authentication required";
    case 404:
      return "not found";
    case 409:
      return "conflict";
    case 422:
      return "unprocessable entity";
    case 423:
      return "project already has running operations, scheduling of new ones is prohibited";
    case 429:
      return "too many requests";
    default:
      return "internal server error";
  }
}
