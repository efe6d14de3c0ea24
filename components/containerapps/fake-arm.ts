/**
 * A local HTTP server standing in for the Azure Resource Manager endpoints the Container Apps
 * drivers call (Azure cannot be reached from the build machines). It speaks the requests and
 * answers of Microsoft.App 2024-03-01 and Azure Monitor metrics 2023-10-01 as documented:
 *
 *   GET|PATCH /subscriptions/{s}/resourceGroups/{rg}/providers/Microsoft.App/containerApps/{app}
 *     (PATCH is JSON merge patch: 202 + Azure-AsyncOperation, polled to {status: Succeeded})
 *   GET  .../containerApps/{app}/revisions[/{rev}]      POST .../revisions/{rev}/activate|deactivate
 *   POST .../jobs/{job}/start -> 202 {id, name}         GET .../jobs/{job}/executions/{name}
 *   POST .../jobs/{job}/stop/{name}
 *   GET  .../containerApps/{app}/providers/Microsoft.Insights/metrics?metricnames=Requests&$filter=revisionName eq '...' and statusCodeCategory eq '*'
 *
 * Every request must carry `Authorization: Bearer <token>`; each is recorded for the tests.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

export interface FakeRevision {
  provisioningState: string;
  healthState: string;
  runningState: string;
  active: boolean;
  createdTime: string;
  replicas: number;
  /** Share of 5xx this revision answers while it takes traffic (metrics). */
  errorShare?: number;
  /** Polls answered Provisioning before Provisioned. */
  pollsBeforeReady?: number;
}

export interface FakeApp {
  traffic: { revisionName?: string; latestRevision?: boolean; weight: number }[];
  latestRevisionName: string;
  customDomains: { name: string; bindingType?: string; certificateId?: string }[];
  revisions: Record<string, FakeRevision>;
  tags?: Record<string, string>;
}

export interface FakeExecution {
  pollsBeforeOutcome: number;
  outcome: "Succeeded" | "Failed" | "never";
  status?: string;
}

export interface RecordedRequest {
  readonly method: string;
  readonly path: string;
  readonly query: string;
  readonly authorization?: string;
  readonly body?: unknown;
  readonly status: number;
}

export class FakeArm {
  readonly requests: RecordedRequest[] = [];
  readonly apps: Record<string, FakeApp> = {};
  readonly jobs: Record<string, { next: FakeExecution[]; executions: Record<string, FakeExecution> }> = {};
  /** Every traffic array set, per app, in order. */
  readonly trafficHistory: Record<string, { revisionName?: string; weight: number }[][]> = {};
  /** How PATCH reports its long-running operation: Azure-AsyncOperation (200 + status) or Location (202, then 204). */
  lroStyle: "async-operation" | "location" = "async-operation";
  private locationPolls = 0;
  private server?: http.Server;
  private executionCounter = 0;

  constructor(readonly token: string) {}

  reset(): void {
    this.requests.length = 0;
    this.executionCounter = 0;
    this.lroStyle = "async-operation";
    for (const k of Object.keys(this.apps)) delete this.apps[k];
    for (const k of Object.keys(this.jobs)) delete this.jobs[k];
    for (const k of Object.keys(this.trafficHistory)) delete this.trafficHistory[k];
  }

  addApp(
    name: string,
    app: Partial<Omit<FakeApp, "revisions">> & { revisions: Record<string, Partial<FakeRevision>> },
  ): void {
    const revisions: Record<string, FakeRevision> = {};
    let i = 0;
    for (const [rev, r] of Object.entries(app.revisions)) {
      revisions[rev] = {
        provisioningState: "Provisioned",
        healthState: "Healthy",
        runningState: "Running",
        active: true,
        createdTime: new Date(Date.UTC(2026, 10, 20, 9, i++)).toISOString(),
        replicas: 1,
        ...r,
      };
    }
    const names = Object.keys(revisions);
    this.apps[name] = {
      traffic: app.traffic ?? [],
      latestRevisionName: app.latestRevisionName ?? names[names.length - 1]!,
      customDomains: app.customDomains ?? [],
      revisions,
      ...(app.tags ? { tags: app.tags } : {}),
    };
  }

  /** The outcomes of the job's next executions, in order. */
  addJob(name: string, ...executions: FakeExecution[]): void {
    this.jobs[name] = { next: executions, executions: {} };
  }

  async start(): Promise<string> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        const url = new URL(req.url ?? "/", "http://localhost");
        const text = Buffer.concat(chunks).toString("utf8");
        const body = text ? (JSON.parse(text) as unknown) : undefined;
        const answer =
          req.headers.authorization === `Bearer ${this.token}`
            ? this.handle(req.method ?? "GET", url, body)
            : {
                status: 401,
                body: { error: { code: "InvalidAuthenticationToken", message: "The access token is invalid." } },
              };
        this.requests.push({
          method: req.method ?? "GET",
          path: url.pathname,
          query: url.search,
          ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
          ...(body !== undefined ? { body } : {}),
          status: answer.status,
        });
        res.writeHead(answer.status, { "Content-Type": "application/json", ...(answer.headers ?? {}) });
        res.end(answer.body === undefined ? "" : JSON.stringify(answer.body));
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  private base(): string {
    const { port } = this.server!.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  private handle(
    method: string,
    url: URL,
    body: unknown,
  ): { status: number; body?: unknown; headers?: Record<string, string> } {
    const path = url.pathname;
    if (path.startsWith("/operations/")) return { status: 200, body: { status: "Succeeded" } };
    if (path.startsWith("/locations/")) return (this.locationPolls += 1) % 2 === 1 ? { status: 202 } : { status: 204 };
    const apiVersion = url.searchParams.get("api-version");
    if (
      /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.App\/containerApps$/.test(path) &&
      method === "GET"
    ) {
      return {
        status: 200,
        body: { value: Object.entries(this.apps).map(([name, app]) => this.appBody(`${path}/${name}`, name, app)) },
      };
    }
    const m =
      /^\/subscriptions\/[^/]+\/resourceGroups\/[^/]+\/providers\/Microsoft\.App\/(containerApps|jobs)\/([^/]+)(.*)$/.exec(
        path,
      );
    if (!m) return { status: 404, body: { error: { code: "NotFound", message: path } } };
    const [, kind, name, rest] = m as unknown as [string, string, string, string];
    if (kind === "jobs") {
      if (apiVersion !== "2024-03-01")
        return { status: 400, body: { error: { code: "InvalidApiVersion", message: String(apiVersion) } } };
      return this.job(method, name, rest);
    }
    const app = this.apps[name];
    if (!app)
      return {
        status: 404,
        body: {
          error: {
            code: "ResourceNotFound",
            message: `The Resource 'Microsoft.App/containerApps/${name}' was not found.`,
          },
        },
      };
    const appId = path.replace(/\/providers\/Microsoft\.Insights\/metrics$/, "").replace(/\/revisions.*$/, "");
    if (rest === "/providers/Microsoft.Insights/metrics") return this.metrics(app, url);
    if (apiVersion !== "2024-03-01")
      return { status: 400, body: { error: { code: "InvalidApiVersion", message: String(apiVersion) } } };
    if (rest === "" && method === "GET") return { status: 200, body: this.appBody(appId, name, app) };
    if (rest === "" && method === "PATCH") {
      const ingress =
        (
          body as {
            properties?: {
              configuration?: { ingress?: { traffic?: FakeApp["traffic"]; customDomains?: FakeApp["customDomains"] } };
            };
          }
        )?.properties?.configuration?.ingress ?? {};
      if (ingress.traffic) {
        const sum = ingress.traffic.reduce((s, t) => s + t.weight, 0);
        const unknown = ingress.traffic.find((t) => t.revisionName && !app.revisions[t.revisionName]?.active);
        if (sum !== 100)
          return {
            status: 400,
            body: { error: { code: "ContainerAppInvalidTrafficWeight", message: `weights add up to ${sum}` } },
          };
        if (unknown)
          return {
            status: 400,
            body: {
              error: { code: "ContainerAppRevisionNotActive", message: `${unknown.revisionName} is not active` },
            },
          };
        app.traffic = ingress.traffic;
        (this.trafficHistory[name] ??= []).push(ingress.traffic);
      }
      if (ingress.customDomains) app.customDomains = ingress.customDomains;
      const poll: Record<string, string> =
        this.lroStyle === "location"
          ? { Location: `${this.base()}/locations/${name}-${this.requests.length}` }
          : { "Azure-AsyncOperation": `${this.base()}/operations/${name}-${this.requests.length}` };
      return { status: 202, body: this.appBody(appId, name, app), headers: poll };
    }
    if (rest === "/revisions" && method === "GET")
      return { status: 200, body: { value: Object.keys(app.revisions).map((r) => this.revisionBody(app, r)) } };
    const r = /^\/revisions\/([^/]+)(\/(activate|deactivate))?$/.exec(rest);
    if (r) {
      const revision = app.revisions[r[1]!];
      if (!revision) return { status: 404, body: { error: { code: "ContainerAppRevisionNotFound", message: r[1] } } };
      if (r[3] && method === "POST") {
        revision.active = r[3] === "activate";
        return { status: 200 };
      }
      if (revision.pollsBeforeReady && revision.pollsBeforeReady > 0) {
        revision.pollsBeforeReady -= 1;
        return {
          status: 200,
          body: {
            ...this.revisionBody(app, r[1]!),
            properties: {
              ...this.revisionBody(app, r[1]!).properties,
              provisioningState: "Provisioning",
              healthState: "None",
            },
          },
        };
      }
      return { status: 200, body: this.revisionBody(app, r[1]!) };
    }
    return { status: 404, body: { error: { code: "NotFound", message: rest } } };
  }

  private appBody(id: string, name: string, app: FakeApp) {
    return {
      id,
      name,
      type: "Microsoft.App/containerApps",
      tags: app.tags ?? { "liftoff-stack": "prod" },
      properties: {
        provisioningState: "Succeeded",
        latestRevisionName: app.latestRevisionName,
        configuration: {
          activeRevisionsMode: "Multiple",
          ingress: { external: true, traffic: app.traffic, customDomains: app.customDomains },
        },
      },
    };
  }

  private weightOf(app: FakeApp, revision: string): number {
    return app.traffic
      .filter((t) => (t.latestRevision ? app.latestRevisionName : t.revisionName) === revision)
      .reduce((s, t) => s + t.weight, 0);
  }

  private revisionBody(app: FakeApp, revision: string) {
    const r = app.revisions[revision]!;
    return {
      name: revision,
      properties: {
        active: r.active,
        createdTime: r.createdTime,
        provisioningState: r.provisioningState,
        healthState: r.healthState,
        runningState: r.runningState,
        replicas: r.replicas,
        trafficWeight: this.weightOf(app, revision),
      },
    };
  }

  private metrics(app: FakeApp, url: URL) {
    if (url.searchParams.get("api-version") !== "2023-10-01" || url.searchParams.get("metricnames") !== "Requests")
      return { status: 400, body: { error: { code: "BadRequest", message: "metrics" } } };
    const filter = url.searchParams.get("$filter") ?? "";
    const revision = /revisionName eq '([^']+)'/.exec(filter)?.[1] ?? "";
    const r = app.revisions[revision];
    const weight = this.weightOf(app, revision);
    const total = weight * 10;
    const errors = Math.round(total * (r?.errorShare ?? 0));
    const series = (category: string, count: number) => ({
      metadatavalues: [
        { name: { value: "statuscodecategory", localizedValue: "statusCodeCategory" }, value: category },
      ],
      data: [{ timeStamp: "2026-11-20T09:00:00Z", total: count }],
    });
    return {
      status: 200,
      body: {
        value: [
          {
            name: { value: "Requests" },
            unit: "Count",
            timeseries: total > 0 ? [series("2xx", total - errors), series("5xx", errors)] : [],
          },
        ],
      },
    };
  }

  private job(method: string, name: string, rest: string): { status: number; body?: unknown } {
    const job = this.jobs[name];
    if (!job)
      return {
        status: 404,
        body: {
          error: { code: "ResourceNotFound", message: `The Resource 'Microsoft.App/jobs/${name}' was not found.` },
        },
      };
    if (rest === "/start" && method === "POST") {
      const execution = job.next.shift() ?? { pollsBeforeOutcome: 0, outcome: "Succeeded" };
      const execName = `${name}-${(++this.executionCounter).toString().padStart(6, "0")}`;
      job.executions[execName] = { ...execution };
      return { status: 202, body: { id: `/jobs/${name}/executions/${execName}`, name: execName } };
    }
    const stop = /^\/stop\/([^/]+)$/.exec(rest);
    if (stop && method === "POST") {
      const e = job.executions[stop[1]!];
      if (e) e.status = "Stopped";
      return { status: 202 };
    }
    const ex = /^\/executions\/([^/]+)$/.exec(rest);
    if (ex && method === "GET") {
      const e = job.executions[ex[1]!];
      if (!e) return { status: 404, body: { error: { code: "NotFound", message: ex[1] } } };
      let status = e.status ?? "Running";
      if (!e.status) {
        if (e.pollsBeforeOutcome > 0) e.pollsBeforeOutcome -= 1;
        else if (e.outcome !== "never") status = e.outcome;
      }
      return { status: 200, body: { name: ex[1], properties: { status, startTime: "2026-11-20T09:00:00Z" } } };
    }
    return { status: 404, body: { error: { code: "NotFound", message: rest } } };
  }
}
