/**
 * The environment's dashboards as Grafana dashboard JSON (schema 39), built from the list of
 * services, so every service that runs has its panels and nothing else does. Pinned by uid: the URL
 * an operator bookmarks survives every `pulumi up`.
 */
import { createHash } from "node:crypto";
import { CONTAINER_JOB, HOST_JOB } from "./alloy";

/** Grafana caps uids (dashboards, folders, alert rules) at 40 characters. */
export const MAX_UID_LENGTH = 40;

/**
 * `liftoff-<environment>-<kind>`, shortened with a hash of the environment name when the stack
 * name is too long, so two long stack names cannot collide.
 */
export function grafanaUid(environment: string, kind: string): string {
  const uid = `liftoff-${environment}-${kind}`;
  if (uid.length <= MAX_UID_LENGTH) return uid;
  const hash = createHash("sha256").update(environment).digest("hex").slice(0, 6);
  const room = MAX_UID_LENGTH - "liftoff--".length - kind.length - hash.length - 1;
  return `liftoff-${environment.slice(0, Math.max(room, 1))}-${hash}-${kind}`.slice(0, MAX_UID_LENGTH);
}

/** A dashboard's address in the stack: Grafana redirects `/d/<uid>` to its current title. */
export function dashboardUrl(stackUrl: string, uid: string): string {
  return `${stackUrl.replace(/\/+$/, "")}/d/${uid}`;
}

export interface DatasourceRef {
  readonly type: "prometheus" | "loki";
  readonly uid: string;
}

export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly [key: string]: unknown;
}

/** The OTel HTTP server histogram (stable semantic conventions) as Grafana Cloud stores it. */
const HTTP = "http_server_request_duration_seconds";

export interface ServicesDashboardInput {
  readonly environment: string;
  readonly services: readonly string[];
  readonly prometheus: DatasourceRef;
}

/** Per service: request rate, share of 5xx answers, and latency percentiles. */
export function servicesDashboard(input: ServicesDashboardInput): Dashboard {
  const panels = new PanelLayout();
  for (const service of input.services) {
    const selector = `job=${promString(service)}`;
    panels.row(service);
    panels.add(
      timeseries(input.prometheus, "Requests per second", "reqps", [
        {
          expr: `sum by (http_request_method) (rate(${HTTP}_count{${selector}}[$__rate_interval]))`,
          legend: "{{http_request_method}}",
        },
      ]),
    );
    panels.add(
      timeseries(input.prometheus, "Errors (5xx share of requests)", "percent", [
        {
          expr: `100 * sum(rate(${HTTP}_count{${selector},http_response_status_code=~"5.."}[$__rate_interval])) / sum(rate(${HTTP}_count{${selector}}[$__rate_interval]))`,
          legend: "5xx %",
        },
      ]),
    );
    panels.add(
      timeseries(
        input.prometheus,
        "Latency",
        "s",
        [0.5, 0.95, 0.99].map((q) => ({
          expr: `histogram_quantile(${q}, sum by (le) (rate(${HTTP}_bucket{${selector}}[$__rate_interval])))`,
          legend: `p${Math.round(q * 100)}`,
        })),
      ),
    );
  }
  return dashboard(
    grafanaUid(input.environment, "services"),
    `liftoff ${input.environment}: services`,
    input.environment,
    panels.panels,
    "Request rate, errors and latency per service, from the services' OpenTelemetry HTTP server metrics.",
  );
}

export interface HostDashboardInput {
  readonly environment: string;
  /** The `instance` label the collector gives the host. */
  readonly host: string;
  readonly prometheus: DatasourceRef;
  readonly loki: DatasourceRef;
}

/** The host's CPU, memory and disk, its containers' restarts and resources, and recent error logs. */
export function hostDashboard(input: HostDashboardInput): Dashboard {
  const host = `job=${promString(HOST_JOB)},instance=${promString(input.host)}`;
  const containers = `job=${promString(CONTAINER_JOB)},instance=${promString(input.host)},name!=""`;
  const root = `${host},mountpoint="/"`;
  const errorLogs = `{environment=${promString(input.environment)}} |~ "(?i)\\\\b(error|fatal|panic)\\\\b"`;
  const panels = new PanelLayout();
  panels.row("Host");
  panels.add(
    timeseries(input.prometheus, "CPU used", "percent", [
      { expr: `100 * (1 - avg(rate(node_cpu_seconds_total{${host},mode="idle"}[$__rate_interval])))`, legend: "cpu %" },
    ]),
  );
  panels.add(
    timeseries(input.prometheus, "Memory used", "percent", [
      {
        expr: `100 * (1 - node_memory_MemAvailable_bytes{${host}} / node_memory_MemTotal_bytes{${host}})`,
        legend: "memory %",
      },
    ]),
  );
  panels.add(
    timeseries(input.prometheus, "Root disk used", "percent", [
      {
        expr: `100 * (1 - node_filesystem_avail_bytes{${root}} / node_filesystem_size_bytes{${root}})`,
        legend: "disk %",
      },
    ]),
  );
  panels.row("Containers");
  panels.add(
    timeseries(input.prometheus, "Restarts (15 min)", "short", [
      { expr: `sum by (name) (changes(container_start_time_seconds{${containers}}[15m]))`, legend: "{{name}}" },
    ]),
  );
  panels.add(
    timeseries(input.prometheus, "CPU", "cores", [
      {
        expr: `sum by (name) (rate(container_cpu_usage_seconds_total{${containers}}[$__rate_interval]))`,
        legend: "{{name}}",
      },
    ]),
  );
  panels.add(
    timeseries(input.prometheus, "Memory", "bytes", [
      { expr: `sum by (name) (container_memory_working_set_bytes{${containers}})`, legend: "{{name}}" },
    ]),
  );
  panels.row("Logs");
  panels.add(
    {
      type: "logs",
      title: "Recent error logs",
      datasource: input.loki,
      targets: [{ refId: "A", datasource: input.loki, expr: errorLogs }],
      options: {
        showTime: true,
        sortOrder: "Descending",
        wrapLogMessage: true,
        enableLogDetails: true,
        dedupStrategy: "none",
      },
    },
    { w: 24, h: 12 },
  );
  return dashboard(
    grafanaUid(input.environment, "host"),
    `liftoff ${input.environment}: host and containers`,
    input.environment,
    panels.panels,
    "The host's CPU, memory and root disk, its containers' restarts and resources, and the most recent error lines of every container's logs.",
  );
}

function dashboard(
  uid: string,
  title: string,
  environment: string,
  panels: readonly object[],
  description: string,
): Dashboard {
  return {
    uid,
    title,
    description: `${description} Managed by liftoff: edits made in Grafana are replaced by the next pulumi up.`,
    tags: ["liftoff", environment],
    timezone: "utc",
    editable: false,
    graphTooltip: 1,
    schemaVersion: 39,
    time: { from: "now-6h", to: "now" },
    refresh: "1m",
    templating: { list: [] },
    annotations: { list: [] },
    panels,
  };
}

interface Query {
  readonly expr: string;
  readonly legend: string;
}

function timeseries(datasource: DatasourceRef, title: string, unit: string, queries: readonly Query[]): object {
  return {
    type: "timeseries",
    title,
    datasource,
    targets: queries.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource,
      expr: q.expr,
      legendFormat: q.legend,
      range: true,
    })),
    fieldConfig: { defaults: { unit, min: 0 }, overrides: [] },
    options: {
      legend: { displayMode: "list", placement: "bottom", showLegend: true },
      tooltip: { mode: "multi", sort: "desc" },
    },
  };
}

/** Places panels three to a row of Grafana's 24-column grid, under row headers, with unique ids. */
class PanelLayout {
  readonly panels: object[] = [];
  private y = 0;
  private x = 0;
  private id = 1;
  private height = 0;

  row(title: string): void {
    this.newline();
    this.panels.push({
      id: this.id++,
      type: "row",
      title,
      collapsed: false,
      gridPos: { h: 1, w: 24, x: 0, y: this.y },
      panels: [],
    });
    this.y += 1;
  }

  add(panel: object, size: { w: number; h: number } = { w: 8, h: 8 }): void {
    if (this.x + size.w > 24) this.newline();
    this.panels.push({ id: this.id++, ...panel, gridPos: { h: size.h, w: size.w, x: this.x, y: this.y } });
    this.x += size.w;
    this.height = Math.max(this.height, size.h);
  }

  private newline(): void {
    if (this.x === 0) return;
    this.y += this.height;
    this.x = 0;
    this.height = 0;
  }
}

/** A PromQL/LogQL string literal. */
export function promString(value: string): string {
  return JSON.stringify(value);
}
