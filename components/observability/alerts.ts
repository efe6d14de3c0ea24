/**
 * Grafana-managed alert rules, as the provider's RuleGroup takes them. Each rule is a PromQL query
 * (A) on the stack's Prometheus datasource, reduced to its last value per series (B) and compared
 * with the profile's threshold (C), so the threshold is visible in Grafana's rule editor.
 */
import type { AlertThresholds } from "../../environments/profiles";
import { CONTAINER_JOB, HOST_JOB } from "./alloy";
import { grafanaUid, promString } from "./dashboards";

/** Grafana's id for server-side expressions (reduce, threshold) in a rule's data. */
export const EXPRESSION_DATASOURCE = "__expr__";

export interface RuleData {
  readonly refId: string;
  readonly datasourceUid: string;
  readonly relativeTimeRange: { readonly from: number; readonly to: number };
  /** The query or expression model, as JSON text. */
  readonly model: string;
}

export interface Rule {
  readonly uid: string;
  readonly name: string;
  readonly condition: string;
  readonly for: string;
  readonly noDataState: "NoData" | "Alerting" | "OK";
  readonly execErrState: "Error" | "Alerting" | "OK";
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, string>>;
  readonly datas: readonly RuleData[];
}

export interface RuleGroup {
  readonly name: (typeof RULE_GROUPS)[number];
  readonly intervalSeconds: number;
  readonly rules: readonly Rule[];
}

export interface AlertInput {
  readonly environment: string;
  /** Uid of the stack's Prometheus datasource (`grafanacloud-<slug>-prom`). */
  readonly prometheusUid: string;
  readonly thresholds: AlertThresholds;
  /** The service whose 5xx share is alerted on; no such rule without one. */
  readonly gatewayService?: string;
  /** `job` of the synthetic checks, a regular expression. */
  readonly healthCheckJobs: string;
  /** `instance` label of the host's metrics. */
  readonly host: string;
}

const HTTP = "http_server_request_duration_seconds";

/** The rule groups, in Grafana's folder: what users feel, and the host under them. */
export const RULE_GROUPS = ["services", "host"] as const;

/** The environment's alert rules, by group (see `RULE_GROUPS`). */
export function alertRuleGroups(input: AlertInput): RuleGroup[] {
  const t = input.thresholds;
  const rule = (
    kind: string,
    name: string,
    spec: Omit<Rule, "uid" | "name" | "condition" | "datas" | "labels"> & {
      expr: string;
      evaluator: "gt" | "lt";
      threshold: number;
      severity: "critical" | "warning";
    },
  ): Rule => ({
    uid: grafanaUid(input.environment, kind),
    name,
    condition: "C",
    for: spec.for,
    noDataState: spec.noDataState,
    execErrState: spec.execErrState,
    labels: { severity: spec.severity, environment: input.environment, managed_by: "liftoff" },
    annotations: spec.annotations,
    datas: thresholdQuery(input.prometheusUid, spec.expr, spec.evaluator, spec.threshold),
  });

  const services: Rule[] = [];
  if (input.gatewayService) {
    const gw = `job=${promString(input.gatewayService)}`;
    services.push(
      rule("gateway-5xx", `${input.gatewayService} answers too many 5xx`, {
        expr: `100 * sum(rate(${HTTP}_count{${gw},http_response_status_code=~"5.."}[5m])) / sum(rate(${HTTP}_count{${gw}}[5m]))`,
        evaluator: "gt",
        threshold: t.gateway5xxPercent,
        severity: "critical",
        for: "5m",
        // No requests, no errors: quiet traffic is not an incident.
        noDataState: "OK",
        execErrState: "Error",
        annotations: {
          summary: `More than ${t.gateway5xxPercent}% of ${input.gatewayService}'s requests fail with 5xx`,
          description: `{{ humanize $values.A.Value }}% of requests to ${input.gatewayService} in ${input.environment} were answered 5xx over the last 5 minutes.`,
        },
      }),
    );
  }
  services.push(
    rule("p95-latency", "Requests are slow (p95)", {
      expr: `1000 * histogram_quantile(0.95, sum by (job, le) (rate(${HTTP}_bucket[5m])))`,
      evaluator: "gt",
      threshold: t.p95LatencyMs,
      severity: "warning",
      for: "10m",
      noDataState: "OK",
      execErrState: "Error",
      annotations: {
        summary: `A service's 95th-percentile latency is above ${t.p95LatencyMs} ms`,
        description: `{{ $labels.job }} in ${input.environment}: p95 latency {{ humanize $values.A.Value }} ms over the last 5 minutes.`,
      },
    }),
  );
  services.push(
    rule("health-check", "Public health check failing", {
      expr: `100 * avg by (job, instance) (avg_over_time(probe_success{job=~${promString(input.healthCheckJobs)}}[5m]))`,
      evaluator: "lt",
      threshold: t.healthCheckSuccessPercent,
      severity: "critical",
      for: "5m",
      // No probe results means nobody can tell whether the service is up: treat as down.
      noDataState: "Alerting",
      execErrState: "Error",
      annotations: {
        summary: `A public health endpoint succeeds less than ${t.healthCheckSuccessPercent}% of the time`,
        description: `{{ $labels.instance }} ({{ $labels.job }}) in ${input.environment} succeeded in {{ humanize $values.A.Value }}% of probes over the last 5 minutes.`,
      },
    }),
  );

  const host = `job=${promString(HOST_JOB)},instance=${promString(input.host)},mountpoint="/"`;
  const containers = `job=${promString(CONTAINER_JOB)},instance=${promString(input.host)},name!=""`;
  const hostRules: Rule[] = [
    rule("disk-full", "Host disk almost full", {
      expr: `100 * (1 - node_filesystem_avail_bytes{${host}} / node_filesystem_size_bytes{${host}})`,
      evaluator: "gt",
      threshold: t.diskUsedPercent,
      severity: "warning",
      for: "15m",
      noDataState: "NoData",
      execErrState: "Error",
      annotations: {
        summary: `The host's root disk is more than ${t.diskUsedPercent}% full`,
        description: `${input.host}: {{ humanize $values.A.Value }}% of / used. Old images and releases are pruned by the deploy layer; look for logs or volumes growing.`,
      },
    }),
    rule("container-restarts", "Container restarting repeatedly", {
      expr: `max by (name) (changes(container_start_time_seconds{${containers}}[15m]))`,
      evaluator: "gt",
      threshold: t.containerRestarts,
      severity: "critical",
      for: "0s",
      noDataState: "OK",
      execErrState: "Error",
      annotations: {
        summary: `A container restarted more than ${t.containerRestarts} times in 15 minutes`,
        description: `{{ $labels.name }} on ${input.host} restarted {{ humanize $values.A.Value }} times in 15 minutes; its logs are on the host dashboard.`,
      },
    }),
  ];

  return [
    { name: "services", intervalSeconds: 60, rules: services },
    { name: "host", intervalSeconds: 60, rules: hostRules },
  ];
}

/** A (instant PromQL query) → B (last value per series) → C (threshold): Grafana's rule shape. */
function thresholdQuery(prometheusUid: string, expr: string, evaluator: "gt" | "lt", threshold: number): RuleData[] {
  return [
    {
      refId: "A",
      datasourceUid: prometheusUid,
      relativeTimeRange: { from: 900, to: 0 },
      model: JSON.stringify({
        refId: "A",
        expr,
        instant: true,
        range: false,
        intervalMs: 60_000,
        maxDataPoints: 43_200,
      }),
    },
    {
      refId: "B",
      datasourceUid: EXPRESSION_DATASOURCE,
      relativeTimeRange: { from: 0, to: 0 },
      model: JSON.stringify({
        refId: "B",
        type: "reduce",
        expression: "A",
        reducer: "last",
        settings: { mode: "dropNN" },
      }),
    },
    {
      refId: "C",
      datasourceUid: EXPRESSION_DATASOURCE,
      relativeTimeRange: { from: 0, to: 0 },
      model: JSON.stringify({
        refId: "C",
        type: "threshold",
        expression: "B",
        conditions: [{ evaluator: { type: evaluator, params: [threshold] } }],
      }),
    },
  ];
}
