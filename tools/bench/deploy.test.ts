/**
 * The pure parts of `npm run bench:deploy`: service sets, release specs, the seed's files, the
 * agent's timings line, goals and rendering. No test host needed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { writeRelease } from "../../test/e2e/release-fixture";
import {
  benchRelease,
  evaluateGoals,
  parseTimings,
  renderJson,
  renderTable,
  seedCaddyfile,
  seedCompose,
  serviceSet,
  type Images,
  type Row,
} from "./deploy-lib";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const images: Images = Object.fromEntries(
  ["api-gateway", "identity-service", "orders", "catalog", "broker"].map((name, i) => [
    name,
    Object.fromEntries(["v1", "v2", "unhealthy"].map((tag, j) => [tag, `127.0.0.1:5000/liftoff/${name}@${digest(String((i * 3 + j) % 10))}`])),
  ]),
);
const registry = { server: "127.0.0.1:5000", username: "liftoff" };

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "bench-deploy-unit-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe("service sets", () => {
  it("are the example system plus internal extras that reuse the orders and catalog images", () => {
    expect(serviceSet(4).map((s) => s.name)).toEqual(["api-gateway", "identity-service", "orders", "catalog"]);
    const twenty = serviceSet(20);
    expect(twenty).toHaveLength(20);
    expect(new Set(twenty.map((s) => s.name)).size).toBe(20);
    expect(twenty.slice(4).map((s) => s.name)).toEqual(Array.from({ length: 16 }, (_, i) => `extra-${String(i + 5).padStart(2, "0")}`));
    expect(twenty.slice(4).every((s) => s.public === null && (s.image === "orders" || s.image === "catalog"))).toBe(true);
    expect(twenty.filter((s) => s.public).map((s) => s.name)).toEqual(["api-gateway", "identity-service"]);
    expect(() => serviceSet(3)).toThrow(/from 4 to 99/);
    expect(() => serviceSet(4.5)).toThrow(/integer/);
  });

  it("give releases the agent accepts, with per-service tag overrides", () => {
    const spec = benchRelease({ count: 10, tag: "v2", tags: { "identity-service": "unhealthy" }, registry, images });
    expect(spec.services).toHaveLength(10);
    expect(spec.services.find((s) => s.name === "identity-service")?.image).toBe(images["identity-service"]?.unhealthy);
    expect(spec.services.find((s) => s.name === "extra-05")?.image).toBe(images.orders?.v2);
    expect(spec.services.find((s) => s.name === "extra-06")?.image).toBe(images.catalog?.v2);
    expect(spec.accessories.map((a) => a.image)).toEqual([images.broker?.v1]);
    const dir = path.join(tmp, "release");
    const id = writeRelease(dir, spec);
    const verify = spawnSync("python3", [path.join(__dirname, "..", "..", "components", "deploy", "agent", "liftoff_release"), "verify", dir], {
      encoding: "utf8",
      env: { ...process.env, LIFTOFF_ROOT: path.join(tmp, "root") },
    });
    expect(verify.status, verify.stderr).toBe(0);
    expect(verify.stdout.trim()).toBe(id);
    expect(() => benchRelease({ count: 4, tag: "crashloop", registry, images })).toThrow(/no image api-gateway:crashloop/);
  });
});

describe("the seed's files", () => {
  it("compose: the same services by tag, public ones on fixed loopback ports, the broker with its volume", () => {
    const compose = seedCompose(images, "v2");
    expect(compose).toContain("image: 127.0.0.1:5000/liftoff/api-gateway:v2\n");
    expect(compose).toContain("image: 127.0.0.1:5000/liftoff/broker:v1\n");
    expect(compose.match(/ports:/g)).toHaveLength(2);
    expect(compose).toContain('- "127.0.0.1:28443:8080"');
    expect(compose).toContain('- "127.0.0.1:28444:8080"');
    expect(compose).toContain("      - broker-data:/data\n");
    expect(compose).not.toMatch(/healthcheck|@sha256/);
  });

  it("Caddyfile: one upstream per endpoint", () => {
    const caddy = seedCaddyfile();
    expect(caddy).toContain("http://127.0.0.1:18443 {\n\tbind 127.0.0.1\n\treverse_proxy 127.0.0.1:28443\n}");
    expect(caddy).toContain("http://127.0.0.1:18444 {\n\tbind 127.0.0.1\n\treverse_proxy 127.0.0.1:28444\n}");
    expect(caddy).not.toMatch(/health_|lb_/);
  });
});

describe("the agent's timings line", () => {
  it("is read into phases; the last line wins", () => {
    const stderr = [
      "2026-11-23T14:41:42+0000 liftoff-release: timings (s): lock 9.00",
      "2026-11-23T14:41:42+0000 liftoff-release: timings (s): validate 0.06, lock 0.02, start 2.02, stop-old 5.42",
      "2026-11-23T14:41:42+0000 liftoff-release: applied release 3a575fd64d80 in slot green in 8.0 s",
    ].join("\n");
    expect(parseTimings(stderr)).toEqual({ validate: 0.06, lock: 0.02, start: 2.02, "stop-old": 5.42 });
    expect(parseTimings("no such line")).toEqual({});
    expect(parseTimings("Recreating liftoff-seed_orders_1 ... done\nseed: timings (s): pull 1.31, up 4.52\n")).toEqual({ pull: 1.31, up: 4.52 });
  });
});

const rows: Row[] = [
  { id: "seed-upgrade", scenario: "seed", services: 4, requests: 4800, failed: 750, seconds: 6.4, exitCode: 0, failures: { "HTTP 502": 750 } },
  { id: "upgrade", scenario: "liftoff upgrade", services: 4, requests: 7000, failed: 0, seconds: 8, exitCode: 0, phases: { start: 2, "stop-old": 4 } },
  { id: "failed-release", scenario: "failing", services: 4, requests: 9000, failed: 0, seconds: 15, exitCode: 6 },
  { id: "rollback", scenario: "rollback", services: 4, requests: 7000, failed: 2, seconds: 2.5, exitCode: 0 },
  { id: "unchanged", scenario: "unchanged", services: 4, requests: 2000, failed: 0, seconds: 0.4, exitCode: 0, note: "a note" },
  { id: "upgrade-20", scenario: "liftoff upgrade, 20 services", services: 20, requests: 20000, failed: 0, seconds: 37.5, exitCode: 0 },
];

describe("goals", () => {
  it("are judged on the rows", () => {
    const goals = evaluateGoals(rows);
    const byGoal = Object.fromEntries(goals.map((g) => [g.goal, g]));
    expect(byGoal["liftoff upgrade: no failed request"]?.met).toBe(true);
    expect(byGoal["failing release: no failed request (old keeps serving)"]?.met).toBe(true);
    expect(byGoal["rollback: no failed request"]).toMatchObject({ met: false, actual: "2 failed of 7000" });
    expect(byGoal["rollback: time"]).toMatchObject({ met: true, target: "<= 3 s", actual: "2.50 s" });
    expect(byGoal["unchanged redeploy: time"]?.met).toBe(true);
    expect(byGoal["liftoff upgrade time vs the seed's pull+up"]).toMatchObject({ met: true, actual: "1.25x (8.00 s vs 6.40 s)" });
    expect(goals.some((g) => g.goal.includes("rollback again"))).toBe(false);
  });

  it("a missing scenario or a failed command is not met", () => {
    const goals = evaluateGoals(rows.filter((r) => r.id !== "seed-upgrade").map((r) => (r.id === "unchanged" ? { ...r, exitCode: 1 } : r)));
    const byGoal = Object.fromEntries(goals.map((g) => [g.goal, g]));
    expect(byGoal["liftoff upgrade time vs the seed's pull+up"]).toMatchObject({ met: false, actual: "not run" });
    expect(byGoal["unchanged redeploy: time"]?.met).toBe(false);
  });
});

describe("rendering", () => {
  const result = { ratePerEndpoint: 250, endpoints: ["http://127.0.0.1:18443/version"], rows, goals: evaluateGoals(rows) };

  it("a table: one line per scenario, then failures, phases, notes and the goals", () => {
    const table = renderTable(result);
    const lines = table.split("\n");
    expect(lines[0]).toBe("load: 250 req/s on each of http://127.0.0.1:18443/version (autocannon, keep-alive)");
    expect(lines).toContain("scenario                      services  requests  failed  seconds  exit");
    expect(lines).toContain("seed                                 4     4,800     750     6.40     0");
    expect(lines).toContain("liftoff upgrade, 20 services        20    20,000       0    37.50     0");
    expect(table).toContain("failed requests\n  seed: HTTP 502 x750\n");
    expect(table).toContain("  liftoff upgrade: start 2.00, stop-old 4.00\n");
    expect(table).toContain("notes\n  unchanged: a note\n");
    expect(table).toMatch(/\n {2}NOT MET {2}rollback: no failed request +0 failed +2 failed of 7000\n/);
    expect(table).toMatch(/\n {2}met {6}rollback: time +<= 3 s +2\.50 s\n/);
  });

  it("JSON: the same rows and goals, and whether all goals are met", () => {
    const parsed = JSON.parse(renderJson(result)) as { rows: Row[]; goals: unknown[]; allGoalsMet: boolean; ratePerEndpoint: number };
    expect(parsed.rows).toEqual(rows);
    expect(parsed.goals).toEqual(result.goals);
    expect(parsed.allGoalsMet).toBe(false);
    expect(parsed.ratePerEndpoint).toBe(250);
  });
});
