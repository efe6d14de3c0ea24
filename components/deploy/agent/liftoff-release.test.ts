/**
 * Unit-level checks of the release agent that need no test host: the release
 * directory contract (manifest validation, the content-hash id) through `liftoff-release verify`.
 * The agent's real work is tested in test/e2e/release.e2e.test.ts.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadApp, memoryReader } from "../../../environments/compose";
import { writeReleaseDir } from "../../../tools/testing/example-system";
import { releaseId, renderRelease } from "../release";
import type { RenderedRelease } from "../release-files";

const AGENT = path.join(__dirname, "liftoff_release");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-release-unit-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function agent(args: string[], env: Record<string, string> = {}): { code: number; stdout: string; stderr: string } {
  const r = spawnSync("python3", [AGENT, ...args], {
    encoding: "utf8",
    env: { ...process.env, LIFTOFF_ROOT: path.join(tmp, "root"), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** A small application (a public gateway, an internal service, an accessory) rendered by the real renderer. */
const COMPOSE = `
x-liftoff:
  endpoints:
    api: { port: 443 }
services:
  api-gateway:
    image: ghcr.io/octo/api-gateway@sha256:${"a".repeat(64)}
    environment: { APP_TOKEN: t0k3n }
    x-liftoff: { public: { endpoint: api, containerPort: 8080 }, health: /healthz }
  orders:
    image: ghcr.io/octo/orders@sha256:${"b".repeat(64)}
    environment: { APP_DATABASE_URL: "postgres://u:p@h/db" }
  broker:
    image: ghcr.io/octo/broker@sha256:${"c".repeat(64)}
    volumes: [broker-data:/data]
    x-liftoff: { accessory: true }
volumes:
  broker-data: {}
`;

function rendered(registry: { server: string; username: string } | null): RenderedRelease {
  const { app, problems } = loadApp({
    projectDir: "/app",
    files: ["compose.yaml"],
    reader: memoryReader({ "/app/compose.yaml": COMPOSE }),
  });
  if (!app) throw new Error(JSON.stringify(problems));
  return renderRelease({
    project: "shop",
    environment: "dev",
    app,
    images: Object.fromEntries(app.services.map((s) => [s.name, s.imageText])),
    sites: { api: "https://shop.example.org:443" },
    bindings: {},
    registry,
    healthTimeoutSeconds: 90,
    keepReleases: 5,
  });
}

let n = 0;
function fresh(registry: { server: string; username: string } | null = { server: "ghcr.io", username: "octo" }): {
  dir: string;
  id: string;
} {
  const dir = path.join(tmp, `release-${n++}`);
  const release = rendered(registry);
  writeReleaseDir(dir, release);
  return { dir, id: release.id };
}

function filesOf(dir: string, prefix = ""): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [k, v] of filesOf(dir, rel)) files.set(k, v);
    else files.set(rel, fs.readFileSync(path.join(dir, rel)));
  }
  return files;
}

/** Edits the manifest and stamps the new content hash, so only the edit is wrong. */
function editManifest(dir: string, edit: (m: Record<string, unknown>) => void): void {
  const file = path.join(dir, "manifest.json");
  const m = JSON.parse(fs.readFileSync(file, "utf8")) as Record<string, unknown>;
  edit(m);
  m.id = "0".repeat(64);
  fs.writeFileSync(file, JSON.stringify(m));
  m.id = releaseId(
    [...filesOf(dir)].map(([p, content]) => ({
      path: p,
      content: content.toString("base64"),
      encoding: "base64" as const,
      mode: 0o644,
    })),
  );
  fs.writeFileSync(file, JSON.stringify(m));
}

describe("liftoff-release", () => {
  it("accepts a release written to the contract and prints its content-hash id", () => {
    const { dir, id } = fresh();
    const r = agent(["verify", dir]);
    expect(r.stderr).toMatch(/is valid: 2 services, 0 jobs, 1 accessories/);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`${id}\n`);
  });

  it("rejects a release whose content does not match its id (edited or half-copied)", () => {
    const { dir } = fresh();
    fs.appendFileSync(path.join(dir, "env", "orders.env"), "APP_EXTRA=1\n");
    const r = agent(["verify", dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/release id mismatch: manifest says [0-9a-f]{64}, content hashes to [0-9a-f]{64}/);
  });

  it("rejects an extra file, since every file is part of the id", () => {
    const { dir } = fresh();
    fs.writeFileSync(path.join(dir, "stray.txt"), "x");
    expect(agent(["verify", dir]).code).toBe(3);
  });

  it.each([
    [
      "an unknown format",
      (m: Record<string, unknown>) => (m.format = 1),
      /unsupported manifest format 1 \(this agent reads format 3\)/,
    ],
    [
      "a health path outside the renderer's rule",
      (m: Record<string, unknown>) => ((m.services as { healthPath: string }[])[0]!.healthPath = "/healthz;x"),
      /services\[api-gateway\]\.healthPath is missing or malformed/,
    ],
    [
      "a job with an unknown phase",
      (m: Record<string, unknown>) =>
        (m.jobs = [{ name: "migrate", image: "ghcr.io/octo/m:1", phase: "during", timeoutSeconds: 60 }]),
      /jobs\[migrate\]\.phase must be before-release or after-release/,
    ],
    [
      "a shipped file outside app/, secrets/ and configs/",
      (m: Record<string, unknown>) => (m.assets = [{ path: "../etc/passwd", mode: 420, secret: false }]),
      /must be a normalized path under app\/, secrets\/ or configs\//,
    ],
    [
      "a secret file not 0600",
      (m: Record<string, unknown>) => (m.assets = [{ path: "secrets/x", mode: 420, secret: true }]),
      /is secret but not mode 0600/,
    ],
    [
      "a bad service name",
      (m: Record<string, unknown>) => ((m.services as { name: string }[])[0]!.name = "Api_Gateway"),
      /services\[0\]\.name is missing or malformed/,
    ],
    [
      "keepReleases below 2",
      (m: Record<string, unknown>) => (m.keepReleases = 1),
      /keepReleases must be an integer from 2 to 100/,
    ],
    [
      "a reused slot port",
      (m: Record<string, unknown>) => {
        const pub = (m.services as { public: { slotPorts: { blue: number; green: number } } }[])[0]!.public;
        pub.slotPorts.green = pub.slotPorts.blue;
      },
      /slot port 20000 is used twice/,
    ],
  ])("rejects %s with exit 3 and a message", (_what, edit, message) => {
    const { dir } = fresh();
    editManifest(dir, edit);
    const r = agent(["verify", dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(message);
  });

  it("rejects a release missing a service's env file", () => {
    const { dir } = fresh();
    fs.rmSync(path.join(dir, "env", "orders.env"));
    editManifest(dir, () => undefined);
    const r = agent(["verify", dir]);
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/env\/orders\.env is missing/);
  });

  it("answers usage errors with exit 2", () => {
    expect(agent([]).code).toBe(2);
    expect(agent(["apply"]).code).toBe(2);
    expect(agent(["status", "--yaml"]).code).toBe(2);
    const missing = agent(["verify", path.join(tmp, "nope")]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("release directory not found");
  });

  it("runs Compose v2 only: without `docker compose` it fails saying so, and never falls back to docker-compose (v1)", () => {
    // A docker whose CLI has no compose plugin, and a Compose v1 beside it that records any use.
    const bin = path.join(tmp, "no-compose-v2-bin");
    const v1Used = path.join(tmp, "docker-compose-v1-used");
    fs.mkdirSync(bin, { recursive: true });
    fs.writeFileSync(
      path.join(bin, "docker"),
      [
        "#!/bin/sh",
        'if [ "$1" = --config ]; then shift 2; fi',
        'case "$1" in',
        "compose) echo \"docker: 'compose' is not a docker command.\" >&2; exit 1 ;;",
        'network) [ "$2" = inspect ] && echo true; exit 0 ;;',
        "*) exit 0 ;;",
        "esac",
        "",
      ].join("\n"),
      { mode: 0o755 },
    );
    fs.writeFileSync(path.join(bin, "docker-compose"), `#!/bin/sh\necho "$*" >> ${v1Used}\necho 1.29.2\n`, {
      mode: 0o755,
    });
    const { dir } = fresh(null);
    const r = agent(["apply", dir], {
      PATH: `${bin}:${process.env["PATH"] ?? ""}`,
      LIFTOFF_ROOT: path.join(tmp, "root-no-compose-v2"),
    });
    expect(r.stderr).toContain(
      "'docker compose version' does not run (docker: 'compose' is not a docker command.): this host needs Compose v2, the docker CLI plugin (Docker's package docker-compose-plugin)",
    );
    expect(r.code).toBe(1);
    expect(fs.existsSync(v1Used)).toBe(false);
  });

  it("prints an empty history as [] in JSON", () => {
    const r = agent(["history", "--json"], { LIFTOFF_ROOT: path.join(tmp, "never-used") });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("[]\n");
  });
});
