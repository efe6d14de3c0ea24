/**
 * The health wait against real local HTTPS servers on loopback (a certificate made by openssl for
 * 127.0.0.1): one that turns healthy after some polls, one that never does, one whose certificate
 * is not trusted.
 */
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runTool } from "../../test/tools";
import { waitForHealth } from "./health";

let cert = "";
let key = "";
const servers: Server[] = [];

beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), "liftoff-health-"));
  const made = runTool(
    "openssl",
    [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1",
      "-keyout",
      path.join(dir, "key.pem"),
      "-out",
      path.join(dir, "cert.pem"),
    ],
    "openssl",
  );
  expect(made.status, made.output).toBe(0);
  cert = readFileSync(path.join(dir, "cert.pem"), "utf8");
  key = readFileSync(path.join(dir, "key.pem"), "utf8");
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
});

/** A health endpoint answering 503 for the first `unhealthyPolls` requests, then 200 (never, if Infinity). */
async function healthServer(unhealthyPolls: number): Promise<{ url: string; polls: () => number }> {
  let polls = 0;
  const server = createServer({ cert, key }, (req, res) => {
    polls++;
    res.writeHead(req.url === "/healthz" && polls > unhealthyPolls ? 200 : 503).end();
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return { url: `https://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`, polls: () => polls };
}

describe("waiting for the new stack's public health checks", () => {
  it("polls until each endpoint answers 200, with a progress line per poll", async () => {
    const api = await healthServer(3);
    const identity = await healthServer(0);
    const lines: string[] = [];
    const results = await waitForHealth(
      [
        { service: "api-gateway", url: api.url },
        { service: "identity-service", url: identity.url },
      ],
      { ca: cert, intervalMs: 20, timeoutMs: 5000, onProgress: (l) => lines.push(l) },
    );
    expect(results.map((r) => [r.service, r.healthy, r.attempts])).toEqual([
      ["api-gateway", true, 4],
      ["identity-service", true, 1],
    ]);
    expect(api.polls()).toBe(4);
    expect(lines.filter((l) => l.includes("api-gateway: HTTP 503"))).toHaveLength(3);
    expect(lines).toContainEqual(expect.stringMatching(/api-gateway: healthy after 4 polls/));
  });

  it("gives up at the timeout, naming the endpoint and its last answer", async () => {
    const broken = await healthServer(Infinity);
    const lines: string[] = [];
    const started = Date.now();
    const [result] = await waitForHealth([{ service: "api-gateway", url: broken.url }], {
      ca: cert,
      intervalMs: 50,
      timeoutMs: 600,
      onProgress: (l) => lines.push(l),
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(result).toMatchObject({ healthy: false, last: "HTTP 503" });
    expect(result!.attempts).toBeGreaterThan(3);
    expect(lines.at(-1)).toMatch(/api-gateway: still failing after \d+ polls.*HTTP 503/);
  });

  it("verifies TLS: a certificate nobody trusts never counts as healthy", async () => {
    const server = await healthServer(0);
    const [result] = await waitForHealth([{ service: "api-gateway", url: server.url }], {
      intervalMs: 20,
      timeoutMs: 100,
    });
    expect(result!.healthy).toBe(false);
    expect(result!.last).toMatch(/self[- ]signed|certificate/i);
  });
});
