import { describe, expect, it } from "vitest";
import { MAX_UID_LENGTH, dashboardUrl, grafanaUid, hostDashboard, servicesDashboard } from "./dashboards";

const PROM = { type: "prometheus" as const, uid: "grafanacloud-prom" };
const LOKI = { type: "loki" as const, uid: "grafanacloud-logs" };
type Panel = {
  id: number;
  type: string;
  title: string;
  datasource?: { uid: string };
  targets?: { expr: string; datasource: { uid: string } }[];
  gridPos: { x: number; y: number; w: number; h: number };
};

function panels(dashboard: object): Panel[] {
  return (JSON.parse(JSON.stringify(dashboard)) as { panels: Panel[] }).panels;
}

describe("dashboards", () => {
  const services = servicesDashboard({ environment: "prod", services: ["api-gateway", "orders"], prometheus: PROM });
  const host = hostDashboard({ environment: "prod", host: "h.example", prometheus: PROM, loki: LOKI });

  it("are pinned by a uid derived from the environment, valid JSON without a numeric id", () => {
    expect(services.uid).toBe("liftoff-prod-services");
    expect(host.uid).toBe("liftoff-prod-host");
    for (const d of [services, host]) {
      const parsed = JSON.parse(JSON.stringify(d)) as Record<string, unknown>;
      expect(parsed).not.toHaveProperty("id");
      expect(parsed["schemaVersion"]).toBe(39);
      expect(parsed["tags"]).toEqual(["liftoff", "prod"]);
    }
  });

  it("give each service a row with request rate, errors and latency from the OTel HTTP server metrics", () => {
    const all = panels(services);
    expect(all.filter((p) => p.type === "row").map((p) => p.title)).toEqual(["api-gateway", "orders"]);
    for (const service of ["api-gateway", "orders"]) {
      const mine = all.filter((p) => p.targets?.every((t) => t.expr.includes(`job="${service}"`)));
      expect(mine.map((p) => p.title)).toEqual(["Requests per second", "Errors (5xx share of requests)", "Latency"]);
      for (const p of mine)
        for (const t of p.targets!) expect(t.expr).toContain("http_server_request_duration_seconds");
    }
  });

  it("show the host's CPU, memory and disk, container restarts and recent error logs", () => {
    expect(
      panels(host)
        .filter((p) => p.type !== "row")
        .map((p) => p.title),
    ).toEqual(["CPU used", "Memory used", "Root disk used", "Restarts (15 min)", "CPU", "Memory", "Recent error logs"]);
    const logs = panels(host).find((p) => p.type === "logs")!;
    expect(logs.datasource).toEqual(LOKI);
    expect(logs.targets![0]!.expr).toBe('{environment="prod"} |~ "(?i)\\\\b(error|fatal|panic)\\\\b"');
  });

  it("query only the datasources they are given", () => {
    for (const p of [...panels(services), ...panels(host)].filter((p) => p.type !== "row")) {
      expect([PROM.uid, LOKI.uid]).toContain(p.datasource!.uid);
      for (const t of p.targets!) expect(t.datasource.uid).toBe(p.datasource!.uid);
    }
  });

  it("lay panels out on Grafana's 24-column grid without overlaps, with unique ids", () => {
    for (const d of [services, host]) {
      const all = panels(d);
      expect(new Set(all.map((p) => p.id)).size).toBe(all.length);
      const cells = new Set<string>();
      for (const p of all) {
        expect(p.gridPos.x + p.gridPos.w).toBeLessThanOrEqual(24);
        for (let x = p.gridPos.x; x < p.gridPos.x + p.gridPos.w; x++) {
          for (let y = p.gridPos.y; y < p.gridPos.y + p.gridPos.h; y++) {
            expect(cells.has(`${x},${y}`), `${p.title} overlaps at ${x},${y}`).toBe(false);
            cells.add(`${x},${y}`);
          }
        }
      }
    }
  });

  it("keep uids within Grafana's 40 characters, distinct even for long stack names", () => {
    const a = grafanaUid("prod-disaster-recovery-west-europe", "services");
    const b = grafanaUid("prod-disaster-recovery-west-europe-2", "services");
    expect(a.length).toBeLessThanOrEqual(MAX_UID_LENGTH);
    expect(a).not.toBe(b);
    expect(a).toBe(grafanaUid("prod-disaster-recovery-west-europe", "services"));
    expect(a.endsWith("-services")).toBe(true);
  });

  it("are reached at the stack's /d/<uid>", () => {
    expect(dashboardUrl("https://acme.grafana.net/", "liftoff-prod-host")).toBe(
      "https://acme.grafana.net/d/liftoff-prod-host",
    );
  });
});
