import { describe, expect, it } from "vitest";
import { PROFILES } from "../../environments/profiles";
import { EXPRESSION_DATASOURCE, alertRuleGroups, type Rule } from "./alerts";

const INPUT = {
  environment: "prod",
  prometheusUid: "grafanacloud-prom",
  thresholds: PROFILES.prod.observability.alertThresholds,
  gatewayService: "api-gateway",
  healthCheckJobs: "liftoff-prod-.+-health",
  host: "h.example",
};

const all = (groups: ReturnType<typeof alertRuleGroups>) => groups.flatMap((g) => g.rules);
const model = (r: Rule, refId: string) =>
  JSON.parse(r.datas.find((d) => d.refId === refId)!.model) as Record<string, unknown>;
const threshold = (r: Rule) =>
  (model(r, "C")["conditions"] as { evaluator: { type: string; params: number[] } }[])[0]!.evaluator;

describe("alert rules", () => {
  const groups = alertRuleGroups(INPUT);
  const byUid = Object.fromEntries(all(groups).map((r) => [r.uid.replace("liftoff-prod-", ""), r]));

  it("cover the gateway's 5xx share, p95 latency, the public health checks, disk and container restarts", () => {
    expect(groups.map((g) => [g.name, g.rules.map((r) => r.uid)])).toEqual([
      ["services", ["liftoff-prod-gateway-5xx", "liftoff-prod-p95-latency", "liftoff-prod-health-check"]],
      ["host", ["liftoff-prod-disk-full", "liftoff-prod-container-restarts"]],
    ]);
  });

  it("take their thresholds from the profile", () => {
    const t = INPUT.thresholds;
    expect(threshold(byUid["gateway-5xx"]!)).toEqual({ type: "gt", params: [t.gateway5xxPercent] });
    expect(threshold(byUid["p95-latency"]!)).toEqual({ type: "gt", params: [t.p95LatencyMs] });
    expect(threshold(byUid["health-check"]!)).toEqual({ type: "lt", params: [t.healthCheckSuccessPercent] });
    expect(threshold(byUid["disk-full"]!)).toEqual({ type: "gt", params: [t.diskUsedPercent] });
    expect(threshold(byUid["container-restarts"]!)).toEqual({ type: "gt", params: [t.containerRestarts] });
  });

  it("query only the given Prometheus datasource, and chain expressions by existing refIds", () => {
    for (const rule of all(groups)) {
      const refIds = rule.datas.map((d) => d.refId);
      expect(refIds).toContain(rule.condition);
      for (const d of rule.datas) {
        const m = JSON.parse(d.model) as { refId: string; expression?: string };
        expect(m.refId).toBe(d.refId);
        if (d.datasourceUid === EXPRESSION_DATASOURCE) expect(refIds).toContain(m.expression);
        else expect(d.datasourceUid).toBe("grafanacloud-prom");
      }
    }
  });

  it("select the OTel HTTP metrics of the gateway, the checks' jobs and the collector's host labels", () => {
    expect(model(byUid["gateway-5xx"]!, "A")["expr"]).toContain('job="api-gateway"');
    expect(model(byUid["health-check"]!, "A")["expr"]).toContain('probe_success{job=~"liftoff-prod-.+-health"}');
    expect(model(byUid["disk-full"]!, "A")["expr"]).toContain(
      'job="integrations/unix",instance="h.example",mountpoint="/"',
    );
    expect(model(byUid["container-restarts"]!, "A")["expr"]).toContain("changes(container_start_time_seconds{");
  });

  it("treat a silent health check as failing, and a quiet gateway as fine", () => {
    expect(byUid["health-check"]!.noDataState).toBe("Alerting");
    expect(byUid["gateway-5xx"]!.noDataState).toBe("OK");
  });

  it("have no gateway rule without a gateway", () => {
    const { gatewayService: _, ...rest } = INPUT;
    expect(all(alertRuleGroups(rest)).map((r) => r.uid)).not.toContain("liftoff-prod-gateway-5xx");
  });
});
