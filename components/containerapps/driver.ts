/**
 * The two steps of a Container Apps release that no declarative resource can express, as Pulumi
 * dynamic providers over plain ARM REST (`fetch`), authenticated with a token from
 * `@azure/identity`'s DefaultAzureCredential (az login, a CI's OIDC federation, a managed identity:
 * the same chain the azure-native provider accepts):
 *
 * - JobRun: `POST .../jobs/{job}/start`, then `GET .../jobs/{job}/executions/{name}` until the
 *   execution is Succeeded (the release goes on) or Failed/Stopped/Degraded or past its timeout (the
 *   release fails with the status and the command that shows its logs).
 * - TrafficRelease: waits for each new revision to be provisioned and healthy
 *   (`GET .../containerApps/{app}/revisions/{rev}`), binds managed certificates to custom domains,
 *   then for each canary step PATCHes `configuration.ingress.traffic` (JSON merge patch: only the
 *   traffic array is replaced), pauses, and checks the new revision's health and its share of 5xx
 *   (Azure Monitor metric `Requests` of the app, dimensions `revisionName` and `statusCodeCategory`,
 *   `GET {app}/providers/Microsoft.Insights/metrics`). A failed check puts the previous weights back
 *   and fails the release with the reason. Once at 100 % and checked, revisions older than the
 *   previous ones are deactivated; the previous ones stay active for `npm run rollback`.
 *
 * Pulumi serializes these providers into the state and runs them in another process, so this file
 * keeps to itself (like components/neon/provider.ts): libraries are required inside functions, no
 * credential is captured, helpers are small plain functions. tools/rollback uses the same client.
 */
import type * as pulumi from "@pulumi/pulumi";

/** ARM API version of Microsoft.App used for every call. */
export const APP_API_VERSION = "2024-03-01";
export const METRICS_API_VERSION = "2023-10-01";

export interface ArmOptions {
  /** ARM's endpoint unless a test stands in for it, e.g. `http://127.0.0.1:4012`. */
  readonly baseUrl?: string;
  /** Tests only: a fixed bearer token instead of DefaultAzureCredential. */
  readonly token?: string;
  /** How often to poll (default 10 s). */
  readonly pollIntervalMs?: number;
  /** Tests record waits instead of sleeping, and move the clock. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
  /** How long a new revision may take to become ready (default 15 min). */
  readonly readyTimeoutMs?: number;
}

export interface Arm {
  readonly baseUrl: string;
  readonly pollIntervalMs: number;
  readonly readyTimeoutMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
  readonly token?: string;
}

export function armSettings(options: ArmOptions = {}): Arm {
  return {
    baseUrl: (options.baseUrl ?? "https://management.azure.com").replace(/\/+$/, ""),
    pollIntervalMs: options.pollIntervalMs ?? 10_000,
    readyTimeoutMs: options.readyTimeoutMs ?? 15 * 60_000,
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    now: options.now ?? (() => Date.now()),
    ...(options.token ? { token: options.token } : {}),
  };
}

/** A bearer token for ARM: the test's, else DefaultAzureCredential's (cached by the library). */
export async function armToken(arm: Arm): Promise<string> {
  if (arm.token) return arm.token;
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { DefaultAzureCredential } = require("@azure/identity") as typeof import("@azure/identity");
  const g = globalThis as { __liftoffAzureCredential?: InstanceType<typeof DefaultAzureCredential> };
  g.__liftoffAzureCredential ??= new DefaultAzureCredential();
  const token = await g.__liftoffAzureCredential.getToken("https://management.azure.com/.default");
  if (!token)
    throw new Error(
      "no Azure token: sign in with `az login` (or set the AZURE_* / ARM_* variables of a service principal)",
    );
  return token.token;
}

export interface ArmAnswer {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
}

/** One ARM request; 429 and 5xx and lost answers are retried (Retry-After honoured). */
export async function armRequest(arm: Arm, method: string, path: string, body?: unknown): Promise<ArmAnswer> {
  const url = /^https?:/.test(path) ? path : `${arm.baseUrl}${path}`;
  let last = "";
  for (let attempt = 1; attempt <= 6; attempt++) {
    let answer: ArmAnswer;
    try {
      const response = await fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${await armToken(arm)}`,
          Accept: "application/json",
          ...(body !== undefined ? { "Content-Type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(60_000),
      });
      const text = await response.text();
      answer = { status: response.status, headers: response.headers, body: parseBody(text) };
    } catch (err) {
      last = `no answer (${(err as Error).message})`;
      await arm.sleep(Math.min(1000 * 2 ** attempt, 30_000));
      continue;
    }
    if (answer.status !== 429 && answer.status < 500) return answer;
    last = `HTTP ${answer.status}${armError(answer.body)}`;
    const retryAfter = Number(answer.headers.get("retry-after"));
    await arm.sleep(
      Number.isFinite(retryAfter) && retryAfter > 0
        ? Math.min(retryAfter * 1000, 120_000)
        : Math.min(1000 * 2 ** attempt, 30_000),
    );
  }
  throw new Error(
    `${method} ${path.split("?")[0]}: Azure did not answer in 6 attempts (last: ${last}). Check https://status.azure.com and run again.`,
  );
}

/** A JSON body, or the text itself when it is not JSON (a gateway's HTML error page). */
function parseBody(text: string): unknown {
  if (!text) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return { error: { message: text.slice(0, 200) } };
  }
}

/** ARM's error body (`{error: {code, message}}`) as a short suffix. */
export function armError(body: unknown): string {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | undefined)?.error;
  const parts = [error?.code, error?.message].filter((p): p is string => typeof p === "string" && p !== "");
  return parts.length > 0 ? `: ${parts.join(": ")}` : "";
}

/** An answer that must be 2xx, else an error naming what was asked and what ARM said. */
export function expectOk(answer: ArmAnswer, what: string): unknown {
  if (answer.status >= 200 && answer.status < 300) return answer.body;
  const hint =
    answer.status === 401
      ? " (sign in again: `az login`)"
      : answer.status === 403
        ? " (the identity needs Contributor on the resource group, or Container Apps Contributor)"
        : "";
  throw Object.assign(new Error(`${what}: Azure answered HTTP ${answer.status}${armError(answer.body)}${hint}`), {
    status: answer.status,
  });
}

/** Waits for a long-running ARM operation (Azure-AsyncOperation, else Location) to finish. */
export async function armSettle(arm: Arm, answer: ArmAnswer, what: string): Promise<void> {
  const poll = answer.headers.get("azure-asyncoperation") ?? answer.headers.get("location");
  if (answer.status !== 201 && answer.status !== 202) return;
  if (!poll) return;
  const deadline = arm.now() + arm.readyTimeoutMs;
  for (;;) {
    await arm.sleep(Math.max(1000, Math.min(arm.pollIntervalMs, 5000)));
    const state = await armRequest(arm, "GET", poll);
    const status = (state.body as { status?: string } | undefined)?.status;
    // Azure-AsyncOperation answers 200 with a status; a Location URL answers 202 until done, then 200 or 204.
    if (state.status === 204 || (state.status === 200 && (status === undefined || status === "Succeeded"))) return;
    if (status === "Failed" || status === "Canceled" || state.status >= 400)
      throw new Error(`${what}: the operation ended ${status ?? `HTTP ${state.status}`}${armError(state.body)}`);
    if (arm.now() > deadline)
      throw new Error(`${what}: the operation was still running after ${Math.round(arm.readyTimeoutMs / 1000)} s`);
  }
}

export function appPath(subscriptionId: string, resourceGroupName: string, app: string): string {
  return `/subscriptions/${encodeURIComponent(subscriptionId)}/resourceGroups/${encodeURIComponent(resourceGroupName)}/providers/Microsoft.App/containerApps/${encodeURIComponent(app)}`;
}

// ---------------------------------------------------------------------------------------------
// JobRun

export interface JobRunInputs {
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  readonly jobName: string;
  /** Changes once per release: a new value starts the job again. */
  readonly releaseId: string;
  readonly timeoutSeconds: number;
}

export interface JobRunOutputs extends JobRunInputs {
  readonly executionName: string;
  readonly status: string;
}

/** What an execution's status means: done, keep waiting, or failed. */
export function executionOutcome(status: string | undefined): "succeeded" | "running" | "failed" {
  if (status === "Succeeded") return "succeeded";
  if (status === "Failed" || status === "Stopped" || status === "Degraded") return "failed";
  return "running";
}

export function createJobRunProvider(
  options: ArmOptions = {},
): pulumi.dynamic.ResourceProvider<JobRunInputs, JobRunOutputs> {
  const arm = armSettings(options);
  return {
    check: async (_olds, news) => {
      const failures = (["subscriptionId", "resourceGroupName", "jobName", "releaseId"] as const)
        .filter((k) => typeof news[k] !== "string" || news[k] === "")
        .map((property) => ({ property, reason: `${property} is required to run a Container Apps job` }));
      return { inputs: news, failures };
    },
    diff: async (_id, olds, news) => {
      const replaces = (["subscriptionId", "resourceGroupName", "jobName", "releaseId"] as const).filter(
        (k) => olds[k] !== news[k],
      );
      return {
        changes: replaces.length > 0 || olds.timeoutSeconds !== news.timeoutSeconds,
        replaces,
        deleteBeforeReplace: false,
      };
    },
    create: async (inputs) => {
      const run = await runJob(arm, inputs);
      return { id: `${inputs.jobName}/${run.executionName}`, outs: { ...inputs, ...run } };
    },
    read: async (id, props) => (props ? { id, props } : {}),
    update: async (_id, olds, news) => ({ outs: { ...news, executionName: olds.executionName, status: olds.status } }),
    // A finished execution is history; there is nothing to undo.
    delete: async () => undefined,
  };
}

export async function runJob(arm: Arm, inputs: JobRunInputs): Promise<{ executionName: string; status: string }> {
  const jobPath = `/subscriptions/${encodeURIComponent(inputs.subscriptionId)}/resourceGroups/${encodeURIComponent(inputs.resourceGroupName)}/providers/Microsoft.App/jobs/${encodeURIComponent(inputs.jobName)}`;
  const what = `the job ${inputs.jobName}`;
  const started = expectOk(
    await armRequest(arm, "POST", `${jobPath}/start?api-version=${APP_API_VERSION}`, {}),
    `start ${what}`,
  ) as { name?: string } | undefined;
  const executionName = started?.name;
  if (!executionName) throw new Error(`start ${what}: Azure accepted the start but named no execution`);
  const logs = `az containerapp job logs show --name ${inputs.jobName} --resource-group ${inputs.resourceGroupName} --execution ${executionName} --container ${inputs.jobName} --tail 100`;
  const deadline = arm.now() + inputs.timeoutSeconds * 1000;
  for (;;) {
    const execution = expectOk(
      await armRequest(
        arm,
        "GET",
        `${jobPath}/executions/${encodeURIComponent(executionName)}?api-version=${APP_API_VERSION}`,
      ),
      `read ${what}'s execution ${executionName}`,
    ) as { properties?: { status?: string } };
    const status = execution.properties?.status ?? "Unknown";
    const outcome = executionOutcome(status);
    if (outcome === "succeeded") return { executionName, status };
    if (outcome === "failed") {
      throw new Error(
        `${what} (execution ${executionName}) ended ${status}: the release stopped before any traffic moved, and the previous revisions keep serving. Its log: \`${logs}\` (or the environment's logs in Grafana). Fix the job, then run \`pulumi up\` again.`,
      );
    }
    if (arm.now() + arm.pollIntervalMs > deadline) {
      await armRequest(
        arm,
        "POST",
        `${jobPath}/stop/${encodeURIComponent(executionName)}?api-version=${APP_API_VERSION}`,
        {},
      ).catch(() => undefined);
      throw new Error(
        `${what} (execution ${executionName}) was still ${status} after ${inputs.timeoutSeconds} s, so it was stopped: the release stopped before any traffic moved. Its log: \`${logs}\`. Raise the job's x-liftoff timeout if it needs longer.`,
      );
    }
    await arm.sleep(arm.pollIntervalMs);
  }
}

// ---------------------------------------------------------------------------------------------
// TrafficRelease

export interface TrafficReleaseInputs {
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  /** Each app with ingress and its new revision (`<app>--<suffix>`). */
  readonly apps: readonly { readonly name: string; readonly revision: string }[];
  readonly steps: readonly number[];
  readonly pauseSeconds: number;
  readonly maxErrorRate: number;
  readonly customDomains?: readonly { readonly app: string; readonly name: string; readonly certificateId: string }[];
}

export interface TrafficReleaseOutputs extends TrafficReleaseInputs {
  /** Per app: the revision serving 100 %. */
  readonly live: Record<string, string>;
  /** Per app: the weights before this release (where `npm run rollback` goes). */
  readonly previous: Record<string, { revisionName: string; weight: number }[]>;
}

interface Weight {
  readonly revisionName: string;
  readonly weight: number;
}

export function createTrafficReleaseProvider(
  options: ArmOptions = {},
): pulumi.dynamic.ResourceProvider<TrafficReleaseInputs, TrafficReleaseOutputs> {
  const arm = armSettings(options);
  return {
    check: async (_olds, news) => {
      const failures: { property: string; reason: string }[] = [];
      const steps = news.steps ?? [];
      if (
        steps.length === 0 ||
        steps.some((s, i) => !Number.isInteger(s) || s < 1 || s > 100 || (i > 0 && s <= steps[i - 1]!)) ||
        steps[steps.length - 1] !== 100
      ) {
        failures.push({
          property: "steps",
          reason: `canary steps ${JSON.stringify(steps)} must be ascending whole percentages ending at 100`,
        });
      }
      return { inputs: news, failures };
    },
    diff: async (_id, olds, news) => {
      const key = (i: TrafficReleaseInputs) =>
        JSON.stringify([i.subscriptionId, i.resourceGroupName, i.apps, i.customDomains ?? []]);
      return {
        changes:
          key(olds) !== key(news) ||
          JSON.stringify([olds.steps, olds.pauseSeconds, olds.maxErrorRate]) !==
            JSON.stringify([news.steps, news.pauseSeconds, news.maxErrorRate]),
        replaces: [],
        deleteBeforeReplace: false,
      };
    },
    create: async (inputs) => ({
      id: `${inputs.resourceGroupName}/release`,
      outs: { ...inputs, ...(await releaseTraffic(arm, inputs)) },
    }),
    read: async (id, props) => (props ? { id, props } : {}),
    update: async (_id, olds, news) => {
      // Only a new revision of some app is a release; a changed pause or threshold applies next time.
      const unchanged =
        JSON.stringify([olds.apps, olds.customDomains ?? []]) === JSON.stringify([news.apps, news.customDomains ?? []]);
      if (unchanged) return { outs: { ...news, live: olds.live, previous: olds.previous } };
      return { outs: { ...news, ...(await releaseTraffic(arm, news)) } };
    },
    // Forgetting the driver changes nothing: the apps keep serving as they are.
    delete: async () => undefined,
  };
}

interface RevisionState {
  readonly properties?: {
    readonly provisioningState?: string;
    readonly healthState?: string;
    readonly runningState?: string;
    readonly active?: boolean;
    readonly replicas?: number;
    readonly provisioningError?: string;
    readonly createdTime?: string;
    readonly trafficWeight?: number;
  };
  readonly name?: string;
}

/** Why a revision is not (yet) fit to take traffic: "wait", "ok", or a failure to report. */
export function revisionReadiness(revision: RevisionState): "ok" | "wait" | { readonly failed: string } {
  const p = revision.properties ?? {};
  if (p.provisioningState === "Failed")
    return { failed: `its provisioning failed${p.provisioningError ? `: ${p.provisioningError}` : ""}` };
  if (p.runningState === "Failed" || p.runningState === "Degraded")
    return { failed: `it is ${p.runningState}${p.provisioningError ? `: ${p.provisioningError}` : ""}` };
  if (p.provisioningState !== "Provisioned") return "wait";
  if (p.healthState === "Unhealthy")
    return { failed: "its replicas fail their readiness probe (healthState Unhealthy)" };
  if (p.healthState === "Healthy") return "ok";
  // An app scaled to zero has no replica to be healthy; it is provisioned and will start on demand.
  if (p.runningState === "ScaledToZero" || p.replicas === 0) return "ok";
  return "wait";
}

async function getRevision(arm: Arm, base: string, revision: string): Promise<RevisionState> {
  return expectOk(
    await armRequest(arm, "GET", `${base}/revisions/${encodeURIComponent(revision)}?api-version=${APP_API_VERSION}`),
    `read revision ${revision}`,
  ) as RevisionState;
}

export async function waitReady(arm: Arm, base: string, revision: string): Promise<void> {
  const deadline = arm.now() + arm.readyTimeoutMs;
  for (;;) {
    const answer = await armRequest(
      arm,
      "GET",
      `${base}/revisions/${encodeURIComponent(revision)}?api-version=${APP_API_VERSION}`,
    );
    if (answer.status !== 404) {
      const readiness = revisionReadiness(expectOk(answer, `read revision ${revision}`) as RevisionState);
      if (readiness === "ok") return;
      if (readiness !== "wait")
        throw new Error(
          `the new revision ${revision} is not fit for traffic: ${readiness.failed}. No traffic moved; the previous revisions keep serving. See its logs with \`az containerapp logs show --name ${revision.split("--")[0]} --revision ${revision} --resource-group <rg> --tail 100\`.`,
        );
    }
    if (arm.now() > deadline)
      throw new Error(
        `the new revision ${revision} was not ready after ${Math.round(arm.readyTimeoutMs / 1000)} s. No traffic moved; the previous revisions keep serving.`,
      );
    await arm.sleep(arm.pollIntervalMs);
  }
}

interface AppState {
  readonly properties?: {
    readonly latestRevisionName?: string;
    readonly configuration?: {
      readonly ingress?: {
        readonly traffic?: { revisionName?: string; latestRevision?: boolean; weight?: number }[];
        readonly customDomains?: { name: string; bindingType?: string; certificateId?: string }[];
      };
    };
  };
  readonly id?: string;
}

/** The app's weights by revision name (`latestRevision` resolved, 0 % dropped); see traffic.ts pinTraffic. */
function currentWeights(app: AppState): Weight[] {
  const latest = app.properties?.latestRevisionName;
  const byName = new Map<string, number>();
  for (const entry of app.properties?.configuration?.ingress?.traffic ?? []) {
    const name = entry.latestRevision ? latest : entry.revisionName;
    if (!name || !entry.weight) continue;
    byName.set(name, (byName.get(name) ?? 0) + entry.weight);
  }
  return [...byName.entries()].map(([revisionName, weight]) => ({ revisionName, weight }));
}

/** See traffic.ts stepWeights (the same rule, copied so the serialized provider carries it). */
function weightsAt(newRevision: string, previous: readonly Weight[], percent: number): Weight[] {
  const others = previous.filter((w) => w.revisionName !== newRevision && w.weight > 0);
  if (others.length === 0 || percent >= 100) return [{ revisionName: newRevision, weight: 100 }];
  const rest = 100 - percent;
  const total = others.reduce((sum, w) => sum + w.weight, 0);
  const floors = others.map((w) => {
    const exact = (w.weight / total) * rest;
    return { revisionName: w.revisionName, weight: Math.floor(exact), remainder: exact - Math.floor(exact) };
  });
  let missing = rest - floors.reduce((sum, f) => sum + f.weight, 0);
  for (const f of [...floors].sort((a, b) => b.remainder - a.remainder)) {
    if (missing <= 0) break;
    f.weight += 1;
    missing -= 1;
  }
  return [
    ...(percent > 0 ? [{ revisionName: newRevision, weight: percent }] : []),
    ...floors.filter((f) => f.weight > 0).map(({ revisionName, weight }) => ({ revisionName, weight })),
  ];
}

export async function setTraffic(arm: Arm, base: string, weights: readonly Weight[], what: string): Promise<void> {
  const answer = await armRequest(arm, "PATCH", `${base}?api-version=${APP_API_VERSION}`, {
    properties: {
      configuration: { ingress: { traffic: weights.map((w) => ({ revisionName: w.revisionName, weight: w.weight })) } },
    },
  });
  expectOk(answer, what);
  await armSettle(arm, answer, what);
}

/** The new revision's requests and 5xx over [from, to] from Azure Monitor; undefined when none counted. */
async function errorRate(
  arm: Arm,
  appId: string,
  revision: string,
  from: number,
  to: number,
): Promise<{ total: number; errors: number } | undefined> {
  const timespan = `${new Date(from).toISOString()}/${new Date(Math.max(to, from + 60_000)).toISOString()}`;
  const filter = encodeURIComponent(`revisionName eq '${revision}' and statusCodeCategory eq '*'`);
  const answer = await armRequest(
    arm,
    "GET",
    `${appId}/providers/Microsoft.Insights/metrics?api-version=${METRICS_API_VERSION}&metricnames=Requests&aggregation=Total&interval=PT1M&timespan=${encodeURIComponent(timespan)}&$filter=${filter}`,
  );
  const body = expectOk(answer, `read the request metrics of ${revision}`) as {
    value?: {
      timeseries?: { metadatavalues?: { name?: { value?: string }; value?: string }[]; data?: { total?: number }[] }[];
    }[];
  };
  let total = 0;
  let errors = 0;
  for (const series of body.value?.[0]?.timeseries ?? []) {
    const category =
      series.metadatavalues?.find((m) => m.name?.value?.toLowerCase() === "statuscodecategory")?.value ?? "";
    const count = (series.data ?? []).reduce((sum, d) => sum + (d.total ?? 0), 0);
    total += count;
    if (category.startsWith("5")) errors += count;
  }
  return total > 0 ? { total, errors } : undefined;
}

/**
 * The release: every new revision ready, custom domains bound, then each step for all apps at once
 * with a pause and a check; on failure every app gets its previous weights back.
 */
export async function releaseTraffic(
  arm: Arm,
  inputs: TrafficReleaseInputs,
): Promise<{ live: Record<string, string>; previous: Record<string, Weight[]> }> {
  const bases = Object.fromEntries(
    inputs.apps.map((a) => [a.name, appPath(inputs.subscriptionId, inputs.resourceGroupName, a.name)]),
  );
  for (const a of inputs.apps) await waitReady(arm, bases[a.name]!, a.revision);

  for (const domain of inputs.customDomains ?? []) {
    const base = bases[domain.app] ?? appPath(inputs.subscriptionId, inputs.resourceGroupName, domain.app);
    const current = expectOk(
      await armRequest(arm, "GET", `${base}?api-version=${APP_API_VERSION}`),
      `read ${domain.app}`,
    ) as AppState;
    const bound = current.properties?.configuration?.ingress?.customDomains ?? [];
    if (
      bound.some(
        (d) => d.name === domain.name && d.bindingType === "SniEnabled" && d.certificateId === domain.certificateId,
      )
    )
      continue;
    const customDomains = [
      ...bound.filter((d) => d.name !== domain.name),
      { name: domain.name, bindingType: "SniEnabled", certificateId: domain.certificateId },
    ];
    const answer = await armRequest(arm, "PATCH", `${base}?api-version=${APP_API_VERSION}`, {
      properties: { configuration: { ingress: { customDomains } } },
    });
    expectOk(answer, `bind the managed certificate of ${domain.name} to ${domain.app}`);
    await armSettle(arm, answer, `bind ${domain.name}`);
  }

  const previous: Record<string, Weight[]> = {};
  const ids: Record<string, string> = {};
  for (const a of inputs.apps) {
    const current = expectOk(
      await armRequest(arm, "GET", `${bases[a.name]}?api-version=${APP_API_VERSION}`),
      `read ${a.name}`,
    ) as AppState;
    previous[a.name] = currentWeights(current).filter((w) => w.revisionName !== a.revision);
    ids[a.name] = current.id ?? bases[a.name]!;
  }
  const moving = inputs.apps.filter((a) => previous[a.name]!.length > 0);
  const restore = async (reason: string): Promise<never> => {
    const notes: string[] = [];
    for (const a of moving) {
      try {
        await setTraffic(arm, bases[a.name]!, previous[a.name]!, `move ${a.name}'s traffic back`);
      } catch (err) {
        notes.push(`moving ${a.name} back failed too (${(err as Error).message}); run \`npm run rollback -- <stack>\``);
      }
    }
    throw new Error(
      `${reason}. Traffic went back to the previous revisions (${moving.map((a) => previous[a.name]!.map((w) => `${w.revisionName} ${w.weight}%`).join(", ")).join("; ")}); the release failed.${notes.length > 0 ? ` ${notes.join("; ")}` : ""}`,
    );
  };

  if (moving.length > 0) {
    for (const percent of inputs.steps) {
      for (const a of moving) {
        try {
          await setTraffic(
            arm,
            bases[a.name]!,
            weightsAt(a.revision, previous[a.name]!, percent),
            `move ${percent}% of ${a.name}'s traffic to ${a.revision}`,
          );
        } catch (err) {
          await restore((err as Error).message);
        }
      }
      const stepStart = arm.now();
      await arm.sleep(inputs.pauseSeconds * 1000);
      for (const a of moving) {
        const readiness = revisionReadiness(await getRevision(arm, bases[a.name]!, a.revision));
        if (typeof readiness === "object")
          await restore(`at ${percent}%, ${a.revision} failed its health check: ${readiness.failed}`);
        const rate = await errorRate(arm, ids[a.name]!, a.revision, stepStart, arm.now());
        if (rate && rate.errors / rate.total > inputs.maxErrorRate) {
          await restore(
            `at ${percent}%, ${a.revision} answered ${rate.errors} of ${rate.total} requests with 5xx (${((rate.errors / rate.total) * 100).toFixed(1)}%, more than the ${(inputs.maxErrorRate * 100).toFixed(1)}% allowed)`,
          );
        }
      }
    }
  }

  // Done: the previous revisions stay active (rollback is a traffic change); older ones are stopped.
  for (const a of moving) {
    const keep = new Set([a.revision, ...previous[a.name]!.map((w) => w.revisionName)]);
    const list = expectOk(
      await armRequest(arm, "GET", `${bases[a.name]}/revisions?api-version=${APP_API_VERSION}`),
      `list ${a.name}'s revisions`,
    ) as { value?: RevisionState[] };
    for (const revision of list.value ?? []) {
      if (
        !revision.name ||
        keep.has(revision.name) ||
        revision.properties?.active === false ||
        (revision.properties?.trafficWeight ?? 0) > 0
      )
        continue;
      await armRequest(
        arm,
        "POST",
        `${bases[a.name]}/revisions/${encodeURIComponent(revision.name)}/deactivate?api-version=${APP_API_VERSION}`,
        {},
      );
    }
  }
  return { live: Object.fromEntries(inputs.apps.map((a) => [a.name, a.revision])), previous };
}
