/**
 * The pure parts of `npm run bench:deploy`: the releases it applies (the real renderer's), the
 * seed's files, time to live from a version watch, the agent's timings line, goals and rendering.
 * No test host needed.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { exampleRelease, releaseFile, serviceNames, writeReleaseDir } from "../testing/example-system";
import {
  evaluateGoals,
  firstAnswer,
  parseTimings,
  renderJson,
  renderTable,
  seedCaddyfile,
  seedCompose,
  timeToServe,
  type Images,
  type Row,
} from "./deploy-lib";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const images: Images = Object.fromEntries(
  ["api-gateway", "identity-service", "orders", "catalog", "broker"].map((name, i) => [
    name,
    Object.fromEntries(
      ["v1", "v2", "unhealthy"].map((tag, j) => [
        tag,
        `127.0.0.1:5000/liftoff/${name}@${digest(String((i * 3 + j) % 10))}`,
      ]),
    ),
  ]),
);
const tb = {
  images,
  registry: { url: "127.0.0.1:5000", username: "liftoff", password: "not-used" },
  agentRoot: "/home/liftoff-deploy/liftoff",
};

describe("the releases the bench applies", () => {
  it("are the example system plus internal extras that reuse the orders and catalog images", () => {
    expect(serviceNames(4).map((s) => s.name)).toEqual(["api-gateway", "identity-service", "orders", "catalog"]);
    const twenty = serviceNames(20);
    expect(new Set(twenty.map((s) => s.name)).size).toBe(20);
    expect(twenty.slice(4).map((s) => s.name)).toEqual(
      Array.from({ length: 16 }, (_, i) => `extra-${String(i + 5).padStart(2, "0")}`),
    );
    expect(twenty.slice(4).every((s) => s.image === "orders" || s.image === "catalog")).toBe(true);
    expect(() => serviceNames(3)).toThrow(/from 4 to 99/);
  });

  it("are rendered by the real renderer (format 3, the bench's release policy), with per-service tag overrides", () => {
    const rel = exampleRelease(tb, {
      tag: "v2",
      services: 10,
      tags: { "identity-service": "unhealthy" },
      release: { bakeSeconds: 10, canary: { steps: [100], stepSeconds: 30 }, maxErrorRate: 0.02, minRequests: 20 },
    });
    const manifest = JSON.parse(releaseFile(rel, "manifest.json")) as {
      format: number;
      services: { name: string; image: string }[];
      accessories: { image: string }[];
      release: { bakeSeconds: number };
    };
    expect(manifest.format).toBe(3);
    expect(manifest.release.bakeSeconds).toBe(10);
    expect(manifest.services).toHaveLength(10);
    const imageOf = (n: string) => manifest.services.find((s) => s.name === n)?.image;
    expect(imageOf("identity-service")).toBe(images["identity-service"]?.unhealthy);
    expect(imageOf("extra-05")).toBe(images.orders?.v2);
    expect(imageOf("extra-06")).toBe(images.catalog?.v2);
    expect(manifest.accessories.map((a) => a.image)).toEqual([images.broker?.v1]);
    expect(() => exampleRelease(tb, { tag: "crashloop" })).toThrow(/no image api-gateway:crashloop/);
    // and the host agent accepts it, with the same id
    const dir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "bench-deploy-unit-")), "release");
    try {
      writeReleaseDir(dir, rel);
      const verify = spawnSync(
        "python3",
        [path.join(__dirname, "..", "..", "components", "deploy", "agent", "liftoff_release"), "verify", dir],
        {
          encoding: "utf8",
          env: { ...process.env, LIFTOFF_ROOT: path.join(dir, "..", "root") },
        },
      );
      expect(verify.status, verify.stderr).toBe(0);
      expect(verify.stdout.trim()).toBe(rel.id);
    } finally {
      fs.rmSync(path.dirname(dir), { recursive: true, force: true });
    }
  });
});

describe("the seed's files", () => {
  it("compose: the same services by tag, public ones on fixed loopback ports, the broker with its volume", () => {
    const doc = parse(seedCompose(images, "v2", 10)) as {
      services: Record<string, { image: string; ports?: string[] }>;
    };
    expect(Object.keys(doc.services)).toHaveLength(11);
    expect(doc.services["api-gateway"]?.image).toBe("127.0.0.1:5000/liftoff/api-gateway:v2");
    expect(doc.services["api-gateway"]?.ports).toEqual(["127.0.0.1:28443:8080"]);
    expect(doc.services["extra-05"]?.image).toBe("127.0.0.1:5000/liftoff/orders:v2");
    expect(doc.services["broker"]?.image).toBe("127.0.0.1:5000/liftoff/broker:v1");
  });

  it("Caddyfile: one upstream per endpoint", () => {
    expect(seedCaddyfile()).toContain("http://127.0.0.1:18443 {\n\tbind 127.0.0.1\n\treverse_proxy 127.0.0.1:28443\n}");
  });
});

describe("time to live", () => {
  const at = (t: number, answer: string) => ({ at: 1000 + t, answer });
  it("is the moment after the last answer of anything but the wanted release, on every endpoint", () => {
    const gw = [
      at(0, "api-gateway v1"),
      at(500, "api-gateway v1"),
      at(900, "HTTP 502"),
      at(1200, "api-gateway v2"),
      at(2000, "api-gateway v2"),
    ];
    const id = [at(0, "identity-service v1"), at(1500, "identity-service v1"), at(1600, "identity-service v2")];
    expect(timeToServe([gw, id], 1000, (a) => a.endsWith(" v2"))).toBe(1.5);
    expect(timeToServe([gw], 1000, (a) => a.endsWith(" v2"))).toBe(0.9);
  });

  it("is undefined when the wanted release is not what answers last", () => {
    expect(
      timeToServe([[at(0, "api-gateway v2"), at(100, "api-gateway v1")]], 1000, (a) => a.endsWith(" v2")),
    ).toBeUndefined();
  });

  it("finds the first failing answer", () => {
    expect(
      firstAnswer(
        [[at(0, "a v2"), at(300, "HTTP 500"), at(400, "HTTP 500")], [at(350, "error: x")]],
        1000,
        (a) => a.startsWith("HTTP 5") || a.startsWith("error"),
      ),
    ).toBe(0.3);
  });
});

describe("the agent's timings line", () => {
  it("is read into phases; the last line wins", () => {
    const stderr = [
      "liftoff-release: timings (s): lock 9.00",
      "liftoff-release: timings (s): lock 0.02, start 2.02, switch 0.3, bake 10.0",
      "seed: timings (s): pull 1.31, up 4.52",
    ].join("\n");
    expect(parseTimings(stderr)).toEqual({ pull: 1.31, up: 4.52 });
    expect(parseTimings(stderr.split("\n").slice(0, 2).join("\n"))).toEqual({
      lock: 0.02,
      start: 2.02,
      switch: 0.3,
      bake: 10,
    });
    expect(parseTimings("no such line")).toEqual({});
  });
});

const rows: Row[] = [
  {
    id: "seed-upgrade-4",
    scenario: "seed, 4",
    services: 4,
    requests: 4800,
    failed: 750,
    live: 6.4,
    seconds: 6.4,
    exitCode: 0,
    failures: { "HTTP 502": 750 },
  },
  {
    id: "upgrade-4",
    scenario: "liftoff, 4",
    services: 4,
    requests: 7000,
    failed: 0,
    live: 5.1,
    seconds: 16,
    exitCode: 0,
    phases: { start: 2, "stop-old": 4 },
  },
  {
    id: "unchanged",
    scenario: "unchanged",
    services: 4,
    requests: 2000,
    failed: 0,
    seconds: 0.4,
    exitCode: 0,
    note: "a note",
  },
  {
    id: "rollback-after-bake",
    scenario: "rollback after",
    services: 4,
    requests: 7000,
    failed: 2,
    live: 2.5,
    seconds: 2.6,
    exitCode: 0,
  },
  {
    id: "rollback-in-bake",
    scenario: "rollback in bake",
    services: 4,
    requests: 9000,
    failed: 40,
    live: 0.8,
    seconds: 20,
    exitCode: 12,
  },
  { id: "failed-gate", scenario: "failing gate", services: 4, requests: 9000, failed: 0, seconds: 15, exitCode: 6 },
];

describe("goals", () => {
  it("are judged on the rows: time to live against the seed's, stop-old off the critical path, rollbacks, unchanged", () => {
    const byGoal = Object.fromEntries(evaluateGoals(rows, [4]).map((g) => [g.goal, g]));
    expect(byGoal["4 services: time to live vs the seed's pull && up -d"]).toMatchObject({
      met: true,
      actual: "0.80x (5.10 s vs 6.40 s)",
    });
    expect(byGoal["4 services: upgrade without a failed request"]?.met).toBe(true);
    expect(byGoal["4 services: stop-old off the critical path"]).toMatchObject({
      met: true,
      actual: "live 5.10 s, done 16.00 s, stop-old 4.00 s",
    });
    expect(byGoal["rollback after the bake: back to serving the old release"]).toMatchObject({
      met: false,
      actual: "2.50 s, 2 failed",
    });
    expect(byGoal["rollback in the bake window: back to serving the old release"]).toMatchObject({
      met: false,
      actual: "0.80 s, 40 failed",
    });
    expect(byGoal["unchanged redeploy"]?.met).toBe(true);
    expect(byGoal["release failing its gate: the old one serves on"]?.met).toBe(true);
  });

  it("a missing scenario is not met", () => {
    const byGoal = Object.fromEntries(evaluateGoals(rows, [4, 10]).map((g) => [g.goal, g]));
    expect(byGoal["10 services: time to live vs the seed's pull && up -d"]).toMatchObject({
      met: false,
      actual: "not run",
    });
  });
});

describe("rendering", () => {
  const result = {
    ratePerEndpoint: 250,
    endpoints: ["http://127.0.0.1:18443/version"],
    bakeSeconds: 10,
    rows,
    goals: evaluateGoals(rows, [4]),
  };

  it("a table: live and done side by side, then failures, phases, notes and the goals", () => {
    const table = renderTable(result);
    const lines = table.split("\n");
    expect(lines[0]).toBe(
      "load: 250 req/s on each of http://127.0.0.1:18443/version (autocannon, keep-alive); liftoff's bake window 10 s",
    );
    expect(lines).toContain("scenario          services  requests  failed  live s  done s  exit");
    expect(lines).toContain("seed, 4                  4     4,800     750    6.40    6.40     0");
    expect(lines).toContain("unchanged                4     2,000       0       -    0.40     0");
    expect(table).toContain("failed requests\n  seed, 4: HTTP 502 x750\n");
    expect(table).toContain("  liftoff, 4: start 2.00, stop-old 4.00\n");
    expect(table).toContain("notes\n  unchanged: a note\n");
  });

  it("JSON: the same rows and goals, and whether all goals are met", () => {
    const parsed = JSON.parse(renderJson(result)) as { rows: Row[]; goals: unknown[]; allGoalsMet: boolean };
    expect(parsed.rows).toEqual(rows);
    expect(parsed.goals).toEqual(result.goals);
    expect(parsed.allGoalsMet).toBe(false);
  });
});
