/**
 * Waits until every public health URL of the new stack answers 200, polling each with a bounded
 * timeout per request and overall. TLS is verified (Caddy holds a real certificate for the FQDN);
 * tests pass their own CA.
 */
import * as http from "node:http";
import * as https from "node:https";
import type { HealthTarget } from "./plan";

export interface HealthWaitOptions {
  /** Give up after this long overall (default 15 min: a new VM's cloud-init plus the first release). */
  readonly timeoutMs?: number;
  /** Between polls of one URL (default 10 s). */
  readonly intervalMs?: number;
  /** One request's limit (default 10 s). */
  readonly requestTimeoutMs?: number;
  /** Extra CA certificates (PEM) to trust, for tests. */
  readonly ca?: string;
  readonly onProgress?: (line: string) => void;
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface HealthResult {
  readonly service: string;
  readonly url: string;
  readonly healthy: boolean;
  readonly attempts: number;
  /** Seconds from the start of the wait until it answered 200 (or until giving up). */
  readonly seconds: number;
  /** The last failure: a status or an error. */
  readonly last?: string;
}

/** One GET: the status, or the error's message. Never follows redirects: a health URL answers itself. */
export function probe(
  url: string,
  options: { timeoutMs: number; ca?: string },
): Promise<{ status?: number; error?: string }> {
  return new Promise((resolve) => {
    const target = new URL(url);
    const client = target.protocol === "https:" ? https : http;
    const request = client.get(
      target,
      { timeout: options.timeoutMs, ...(options.ca ? { ca: options.ca } : {}) },
      (response) => {
        response.resume();
        response.on("end", () => resolve({ status: response.statusCode ?? 0 }));
        response.on("error", (err) => resolve({ error: err.message }));
      },
    );
    request.on("timeout", () =>
      request.destroy(new Error(`no answer within ${Math.round(options.timeoutMs / 1000)} s`)),
    );
    request.on("error", (err) => resolve({ error: err.message }));
  });
}

export async function waitForHealth(
  targets: readonly HealthTarget[],
  options: HealthWaitOptions = {},
): Promise<HealthResult[]> {
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  const intervalMs = options.intervalMs ?? 10_000;
  const requestTimeoutMs = options.requestTimeoutMs ?? 10_000;
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const say = options.onProgress ?? (() => undefined);
  const started = now();
  const elapsed = () => Math.round((now() - started) / 100) / 10;

  return Promise.all(
    targets.map(async (target): Promise<HealthResult> => {
      let attempts = 0;
      let last: string | undefined;
      for (;;) {
        attempts++;
        const answer = await probe(target.url, {
          timeoutMs: requestTimeoutMs,
          ...(options.ca ? { ca: options.ca } : {}),
        });
        if (answer.status === 200) {
          say(
            `  ${target.service}: healthy after ${attempts} poll${attempts === 1 ? "" : "s"}, ${elapsed()} s (${target.url})`,
          );
          return { service: target.service, url: target.url, healthy: true, attempts, seconds: elapsed() };
        }
        last = answer.status !== undefined ? `HTTP ${answer.status}` : (answer.error ?? "no answer");
        if (now() - started + intervalMs > timeoutMs) {
          say(`  ${target.service}: still failing after ${attempts} polls, ${elapsed()} s: ${last} (${target.url})`);
          return { service: target.service, url: target.url, healthy: false, attempts, seconds: elapsed(), last };
        }
        say(
          `  ${target.service}: ${last}; polling again in ${Math.round(intervalMs / 1000)} s (${elapsed()} s so far)`,
        );
        await sleep(intervalMs);
      }
    }),
  );
}
