import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { buildContext, imageCatalogue, imageRepository, renderDockerfile, type ImageSpec } from "./images";

const good: ImageSpec = { name: "api-gateway", tag: "v1", kind: "service", variant: "good" };

describe("imageCatalogue", () => {
  it("has every service in v1, v2, unhealthy and crashloop, and the broker in v1 and v2", () => {
    const keys = imageCatalogue().map((s) => `${s.name}:${s.tag}:${s.variant}`);
    for (const name of ["api-gateway", "identity-service", "orders", "catalog"]) {
      expect(keys).toEqual(
        expect.arrayContaining([
          `${name}:v1:good`,
          `${name}:v2:good`,
          `${name}:unhealthy:unhealthy`,
          `${name}:crashloop:crashloop`,
        ]),
      );
    }
    expect(keys).toEqual(expect.arrayContaining(["broker:v1:good", "broker:v2:good"]));
    expect(keys).toHaveLength(18);
  });
});

describe("renderDockerfile", () => {
  it("builds FROM scratch with busybox, exposes 8080 and checks /healthz with wget", () => {
    const lines = renderDockerfile(good).split("\n");
    expect(lines).toContain("FROM scratch");
    expect(lines).toContain("COPY busybox /bin/busybox");
    expect(lines).toContain('RUN ["/bin/busybox", "--install", "-s", "/bin"]');
    expect(lines).toContain("EXPOSE 8080");
    expect(lines.find((l) => l.startsWith("HEALTHCHECK"))).toBe(
      'HEALTHCHECK --interval=1s --timeout=2s --start-period=5s --retries=3 CMD ["/bin/timeout", "2", "/bin/wget", "-q", "-O", "/dev/null", "http://127.0.0.1:8080/healthz"]',
    );
    expect(lines).toContain('ENTRYPOINT ["/bin/sh", "/liftoff/entrypoint"]');
    expect(lines.filter((l) => l.startsWith("FROM"))).toEqual(["FROM scratch"]);
  });

  it("never uses busybox wget -T (it crashes in Debian 12's busybox-static)", () => {
    for (const spec of imageCatalogue()) {
      const ctx = buildContext(spec);
      expect(ctx.dockerfile).not.toMatch(/wget[^\n]*-T/);
      for (const f of ctx.files) expect(f.content, f.path).not.toMatch(/wget[^\n]*-T /);
    }
  });

  it("gives the crashloop variant no health check (it never runs long enough)", () => {
    expect(renderDockerfile({ ...good, tag: "crashloop", variant: "crashloop" })).not.toContain("HEALTHCHECK");
  });
});

describe("buildContext", () => {
  const paths = (spec: ImageSpec): string[] =>
    buildContext(spec)
      .files.map((f) => f.path)
      .sort();

  it("good service: healthz, version, entrypoint and the CGIs", () => {
    expect(paths(good)).toEqual([
      "rootfs/liftoff/entrypoint",
      "rootfs/liftoff/healthz",
      "rootfs/liftoff/respond-500",
      "rootfs/www/cgi-bin/broker",
      "rootfs/www/cgi-bin/call",
      "rootfs/www/cgi-bin/env",
      "rootfs/www/cgi-bin/slow",
      "rootfs/www/version",
    ]);
    const version = buildContext(good).files.find((f) => f.path === "rootfs/www/version");
    expect(version?.content).toBe("api-gateway v1\n");
  });

  it("broker: appends to /data/messages", () => {
    const ctx = buildContext({ name: "broker", tag: "v2", kind: "broker", variant: "good" });
    const cgi = ctx.files.find((f) => f.path === "rootfs/www/cgi-bin/messages");
    expect(cgi?.mode).toBe(0o755);
    expect(cgi?.content).toContain(">>/data/messages");
  });

  it("CGIs are executable, static files are not", () => {
    for (const f of buildContext(good).files) {
      expect(f.mode, f.path).toBe(
        f.path.includes("/cgi-bin/") ||
          f.path === "rootfs/liftoff/entrypoint" ||
          f.path === "rootfs/liftoff/respond-500"
          ? 0o755
          : 0o644,
      );
    }
  });

  it("the good entrypoint fails /healthz first on SIGTERM, then stops listening, then waits for in-flight requests", () => {
    const entry = buildContext(good).files.find((f) => f.path === "rootfs/liftoff/entrypoint")?.content ?? "";
    const order = [
      "trap on_term TERM INT",
      "rm -f /www/healthz",
      'sleep "$lame_duck"',
      'kill -TERM "$server"',
      "while busy",
    ];
    const positions = order.map((s) => entry.indexOf(s));
    for (const p of positions) expect(p).toBeGreaterThan(-1);
    expect(positions.slice(1)).toEqual([...positions.slice(1)].sort((a, b) => a - b));
  });

  it("the lame duck does not outlive its process: each start of the entrypoint serves /healthz again before listening", () => {
    // A container restarted after SIGTERM (docker restart, dockerd restart, reboot) keeps its
    // filesystem; were the lame duck a file deleted for good, it would be unhealthy forever.
    const files = buildContext(good).files;
    expect(files.map((f) => f.path)).not.toContain("rootfs/www/healthz");
    expect(files.find((f) => f.path === "rootfs/liftoff/healthz")?.content).toBe("ok\n");
    const entry = files.find((f) => f.path === "rootfs/liftoff/entrypoint")?.content ?? "";
    const restore = entry.indexOf("cp /liftoff/healthz /www/healthz");
    expect(restore).toBeGreaterThan(entry.indexOf("trap on_term TERM INT"));
    expect(restore).toBeLessThan(entry.indexOf("httpd -f -p 8080"));
  });

  it("the lame duck, run for real: /healthz is gone after SIGTERM and back when the entrypoint starts again", () => {
    // The entrypoint with its absolute paths moved into a scratch directory, run by this machine's sh.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "testbed-lame-duck-"));
    try {
      for (const f of buildContext(good).files) {
        fs.mkdirSync(path.dirname(path.join(dir, f.path)), { recursive: true });
        fs.writeFileSync(path.join(dir, f.path), f.content, { mode: f.mode });
      }
      const root = path.join(dir, "rootfs");
      const bin = path.join(dir, "bin");
      fs.mkdirSync(bin);
      // httpd stands in as a sleeper: the test is about the health file, not the server.
      fs.writeFileSync(path.join(bin, "httpd"), "#!/bin/sh\nexec sleep 30\n", { mode: 0o755 });
      const script = (buildContext(good).files.find((f) => f.path === "rootfs/liftoff/entrypoint")?.content ?? "")
        .replaceAll("/www/", `${root}/www/`)
        .replaceAll("/liftoff/", `${root}/liftoff/`)
        .replaceAll("/proc/[0-9]*", `${dir}/no-proc/[0-9]*`);
      fs.writeFileSync(path.join(dir, "entry.sh"), script);
      const healthz = path.join(root, "www", "healthz");
      const run = () =>
        execFileSync(
          "sh",
          [
            "-c",
            `sh ${dir}/entry.sh & pid=$!; sleep 0.5; test -f ${healthz} && echo started-healthy; kill -TERM $pid; sleep 0.5; test -f ${healthz} || echo lame-duck; wait $pid; test -f ${healthz} || echo stopped-unhealthy`,
          ],
          {
            env: { PATH: `${bin}:/usr/bin:/bin`, LIFTOFF_LAME_DUCK_SECONDS: "1", LIFTOFF_DRAIN_SECONDS: "0" },
            encoding: "utf8",
            timeout: 20_000,
          },
        );
      expect(run().trim().split("\n")).toEqual(["started-healthy", "lame-duck", "stopped-unhealthy"]);
      // The same filesystem started again: a restarted container.
      expect(run().trim().split("\n")).toEqual(["started-healthy", "lame-duck", "stopped-unhealthy"]);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it("a good image can be told to break after its health gate: 500 to everything, or exit 1", () => {
    const files = buildContext(good).files;
    const entry = files.find((f) => f.path === "rootfs/liftoff/entrypoint")?.content ?? "";
    expect(entry).toContain("fail_after=${LIFTOFF_FAIL_AFTER_SECONDS:-0}");
    expect(entry).toContain("exit_after=${LIFTOFF_EXIT_AFTER_SECONDS:-0}");
    expect(entry).toContain("nc -ll -p 8080 -e /bin/sh /liftoff/respond-500 &");
    expect(files.find((f) => f.path === "rootfs/liftoff/respond-500")?.content).toContain(
      "HTTP/1.0 500 Internal Server Error",
    );
  });

  it("the unhealthy variant answers /healthz with 500 and /version with 200", () => {
    const responder = buildContext({ ...good, tag: "unhealthy", variant: "unhealthy" }).files.find(
      (f) => f.path === "rootfs/liftoff/respond",
    );
    expect(responder?.content).toMatch(/\/healthz\) respond "500 Internal Server Error"/);
    expect(responder?.content).toMatch(/\/version\) respond "200 OK"/);
  });

  it("every shell script parses (sh -n)", () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "testbed-images-"));
    try {
      for (const spec of imageCatalogue()) {
        for (const f of buildContext(spec).files) {
          if (!f.content.startsWith("#!/bin/sh")) continue;
          const file = path.join(dir, "script");
          fs.writeFileSync(file, f.content);
          expect(
            () => execFileSync("sh", ["-n", file], { stdio: "pipe" }),
            `${spec.name}:${spec.tag} ${f.path}`,
          ).not.toThrow();
        }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("imageRepository", () => {
  it("names the image under the registry and namespace", () => {
    expect(imageRepository("127.0.0.1:5000", "liftoff", "orders")).toBe("127.0.0.1:5000/liftoff/orders");
  });
});
