/**
 * Waiting for an Atlas point-in-time restore to finish, as a Pulumi dynamic provider.
 *
 * `mongodbatlas.CloudBackupSnapshotRestoreJob` returns as soon as Atlas has accepted the job
 * (terraform-provider-mongodbatlas `resource_cloud_backup_snapshot_restore_job.go`: create, then one
 * read, no wait), while Atlas goes on erasing the target cluster and replaying the backup for
 * minutes to hours. A service started then writes into a cluster about to be overwritten. This
 * resource is created after the job and polls the Atlas Administration API until the job reports
 * `finishedAt`, so everything that consumes its output (the services' connection strings, hence the
 * release) waits for the restore:
 *
 *   GET {base}/api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/restoreJobs/{restoreJobId}
 *   Accept: application/vnd.atlas.2023-01-01+json
 *
 * (operation getBackupRestoreJob, "Project Backup Manager" role; the job lives in the SOURCE project
 * and cluster). The answer's `finishedAt` (ISO 8601) is set once the restore completed; `failed`,
 * `cancelled` and `expired` are booleans. Authentication as the Atlas provider's: an API key pair by
 * HTTP Digest (the `digest-header` library computes the header from Atlas's challenge), or a service
 * account's client id and secret exchanged for a Bearer token at `POST {base}/api/oauth/token`.
 *
 * Like the Neon provider, this file keeps to itself: Pulumi serializes the provider into the state,
 * so libraries are required inside the functions and credentials are read from the stack config in
 * `configure`, never captured.
 */
import type * as pulumi from "@pulumi/pulumi";

export interface RestoreWaitInputs {
  /** The source project, where the restore job was created. */
  readonly projectId: string;
  /** The source cluster. */
  readonly clusterName: string;
  /** The restore job's id (`CloudBackupSnapshotRestoreJob.snapshotRestoreJobId`). */
  readonly jobId: string;
  /** Give up after this long (default 240 min). */
  readonly timeoutMinutes?: number;
}

export interface RestoreWaitOutputs extends RestoreWaitInputs {
  /** When Atlas finished the restore (ISO 8601), as it reports it. */
  readonly finishedAt: string;
}

export type AtlasCredentials =
  | { readonly kind: "apiKey"; readonly publicKey: string; readonly privateKey: string }
  | { readonly kind: "serviceAccount"; readonly clientId: string; readonly clientSecret: string };

export interface RestoreWaitProviderOptions {
  /** Atlas's API unless a test stands in for it, e.g. `http://127.0.0.1:4011`. */
  readonly baseUrl?: string;
  /** Tests only: production reads the liftoff:atlas* keys in `configure`, so nothing is serialized. */
  readonly credentials?: AtlasCredentials;
  /** How often to ask Atlas (default 30 s). */
  readonly pollIntervalMs?: number;
  /** Tests record waits instead of sleeping, and move the clock. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly now?: () => number;
}

/** The API version liftoff reads the restore job with (the version the response shape is from). */
export const ATLAS_API_ACCEPT = "application/vnd.atlas.2023-01-01+json";
export const DEFAULT_RESTORE_TIMEOUT_MINUTES = 240;

/** The fields of Atlas's DiskBackupSnapshotRestoreJob that liftoff reads. */
export interface RestoreJobState {
  readonly id?: string;
  readonly finishedAt?: string | null;
  readonly failed?: boolean;
  readonly cancelled?: boolean;
  readonly expired?: boolean;
}

/** What a poll of the job means: done, keep waiting, or a failure to report as is. */
export function restoreJobOutcome(
  job: RestoreJobState,
): { readonly done: true; readonly finishedAt: string } | { readonly done: false } | { readonly failed: string } {
  if (job.failed) return { failed: "Atlas reports the restore job failed" };
  if (job.cancelled) return { failed: "the restore job was cancelled" };
  if (job.expired) return { failed: "the restore job expired before it finished" };
  if (typeof job.finishedAt === "string" && job.finishedAt !== "") return { done: true, finishedAt: job.finishedAt };
  return { done: false };
}

interface Settings {
  credentials?: AtlasCredentials;
  readonly baseUrl: string;
  readonly pollIntervalMs: number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly now: () => number;
}

/** The provider. `options` are for tests; `pulumi up` uses the defaults and the stack's config. */
export function createRestoreWaitProvider(
  options: RestoreWaitProviderOptions = {},
): pulumi.dynamic.ResourceProvider<RestoreWaitInputs, RestoreWaitOutputs> {
  const settings: Settings = {
    ...(options.credentials ? { credentials: options.credentials } : {}),
    baseUrl: (options.baseUrl ?? "https://cloud.mongodb.com").replace(/\/+$/, ""),
    pollIntervalMs: options.pollIntervalMs ?? 30_000,
    sleep: options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))),
    now: options.now ?? (() => Date.now()),
  };
  return {
    configure: async (req) => {
      const get = (key: string) => req.config.get(`liftoff:${key}`);
      const [publicKey, privateKey, clientId, clientSecret] = [
        get("atlasPublicKey"),
        get("atlasPrivateKey"),
        get("atlasClientId"),
        get("atlasClientSecret"),
      ];
      if (clientId && clientSecret) settings.credentials = { kind: "serviceAccount", clientId, clientSecret };
      else if (publicKey && privateKey) settings.credentials = { kind: "apiKey", publicKey, privateKey };
    },
    check: async (_olds, news) => {
      const failures = (["projectId", "clusterName", "jobId"] as const)
        .filter((key) => typeof news[key] !== "string" || news[key] === "")
        .map((property) => ({ property, reason: `${property} is required to wait for an Atlas restore job` }));
      return { inputs: news, failures };
    },
    diff: async (_id, olds, news) => {
      const replaces = (["projectId", "clusterName", "jobId"] as const).filter((key) => olds[key] !== news[key]);
      return {
        changes: replaces.length > 0 || olds.timeoutMinutes !== news.timeoutMinutes,
        replaces,
        deleteBeforeReplace: false,
      };
    },
    create: async (inputs) => {
      const finishedAt = await waitForRestore(settings, inputs);
      return { id: inputs.jobId, outs: { ...inputs, finishedAt } };
    },
    // A finished restore stays finished: nothing to ask Atlas on refresh.
    read: async (id, props) => (props ? { id, props } : {}),
    update: async (_id, olds, news) => ({ outs: { ...news, finishedAt: olds.finishedAt } }),
    // Atlas has no API to undo or delete a point-in-time restore job; forgetting the wait is all.
    delete: async () => undefined,
  };
}

async function waitForRestore(settings: Settings, inputs: RestoreWaitInputs): Promise<string> {
  const timeoutMinutes = inputs.timeoutMinutes ?? DEFAULT_RESTORE_TIMEOUT_MINUTES;
  const deadline = settings.now() + timeoutMinutes * 60_000;
  const what = `the Atlas point-in-time restore ${inputs.jobId} of ${inputs.clusterName} (project ${inputs.projectId})`;
  const check = `atlas backups restores describe ${inputs.jobId} --clusterName ${inputs.clusterName} --projectId ${inputs.projectId}`;
  let token: { value: string; until: number } | undefined;
  for (;;) {
    const job = await getRestoreJob(settings, inputs, what, async (fresh) => {
      if (!fresh && token && token.until > settings.now()) return token.value;
      token = await serviceAccountToken(settings, what);
      return token.value;
    });
    const outcome = restoreJobOutcome(job);
    if ("failed" in outcome) {
      throw new Error(
        `${what}: ${outcome.failed}. The services were not started on partial data. See the job in Atlas (${check}), fix the cause, then run \`pulumi up\` again: the restore is requested anew.`,
      );
    }
    if (outcome.done) return outcome.finishedAt;
    if (settings.now() + settings.pollIntervalMs > deadline) {
      throw new Error(
        `${what} had not finished after ${timeoutMinutes} min. The services were not started on partial data. It may still be running: check with \`${check}\`; once it reports finishedAt, run \`pulumi up\` again (this wait is retried; the restore is not requested again).`,
      );
    }
    await settings.sleep(settings.pollIntervalMs);
  }
}

interface Answer {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

async function request(
  url: string,
  init: { method: string; headers: Record<string, string>; body?: string },
): Promise<Answer> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(60_000) });
  return { status: response.status, headers: response.headers, text: await response.text() };
}

/** One GET of the restore job, authenticated; retried on 429 and 5xx and lost answers. */
async function getRestoreJob(
  settings: Settings,
  inputs: RestoreWaitInputs,
  what: string,
  bearer: (fresh: boolean) => Promise<string>,
): Promise<RestoreJobState> {
  const credentials = settings.credentials;
  if (!credentials) {
    throw new Error(
      `${what}: no Atlas credentials to ask Atlas whether it finished. Set liftoff:atlasPublicKey and liftoff:atlasPrivateKey (or liftoff:atlasClientId and liftoff:atlasClientSecret) as secrets, as for the Atlas provider.`,
    );
  }
  const path = `/api/atlas/v2/groups/${encodeURIComponent(inputs.projectId)}/clusters/${encodeURIComponent(inputs.clusterName)}/backup/restoreJobs/${encodeURIComponent(inputs.jobId)}`;
  const url = `${settings.baseUrl}${path}`;
  const accept = { Accept: ATLAS_API_ACCEPT };
  let last = "";
  for (let attempt = 1; attempt <= 5; attempt++) {
    let answer: Answer;
    try {
      if (credentials.kind === "apiKey") {
        // Digest: the first request draws the challenge (401 + WWW-Authenticate), the second answers it.
        answer = await request(url, { method: "GET", headers: accept });
        const challenge = answer.headers.get("www-authenticate");
        if (answer.status === 401 && challenge && /^Digest /i.test(challenge)) {
          // eslint-disable-next-line @typescript-eslint/no-require-imports
          const digestAuthHeader = require("digest-header") as (
            method: string,
            uri: string,
            challenge: string,
            userpass: string,
          ) => string;
          answer = await request(url, {
            method: "GET",
            headers: {
              ...accept,
              Authorization: digestAuthHeader(
                "GET",
                path,
                challenge,
                `${credentials.publicKey}:${credentials.privateKey}`,
              ),
            },
          });
        }
      } else {
        answer = await request(url, {
          method: "GET",
          headers: { ...accept, Authorization: `Bearer ${await bearer(false)}` },
        });
        if (answer.status === 401)
          answer = await request(url, {
            method: "GET",
            headers: { ...accept, Authorization: `Bearer ${await bearer(true)}` },
          });
      }
    } catch (err) {
      last = `no answer (${(err as Error).message})`;
      await settings.sleep(Math.min(1000 * 2 ** attempt, 30_000));
      continue;
    }
    if (answer.status === 200) return JSON.parse(answer.text) as RestoreJobState;
    const detail = atlasError(answer.text);
    if (answer.status === 401)
      throw new Error(
        `${what}: Atlas refused the credentials (401 Unauthorized)${detail}. Check liftoff:atlasPublicKey/liftoff:atlasPrivateKey (or the service account), and that this machine's address is on the key's API access list.`,
      );
    if (answer.status === 403)
      throw new Error(
        `${what}: the Atlas credentials may not read the source project's restore jobs (403 Forbidden)${detail}. Give the key the Project Backup Manager role on project ${inputs.projectId}.`,
      );
    if (answer.status === 404) throw new Error(`${what}: Atlas has no such restore job (404 Not Found)${detail}.`);
    if (answer.status !== 429 && answer.status < 500)
      throw new Error(`${what}: Atlas answered HTTP ${answer.status}${detail}.`);
    last = `HTTP ${answer.status}${detail}`;
    await settings.sleep(Math.min(1000 * 2 ** attempt, 30_000));
  }
  throw new Error(
    `${what}: Atlas did not answer in 5 attempts (last: ${last}). Check https://status.mongodb.com and run \`pulumi up\` again.`,
  );
}

/** A service account's access token (valid about an hour), for `Authorization: Bearer`. */
async function serviceAccountToken(settings: Settings, what: string): Promise<{ value: string; until: number }> {
  const credentials = settings.credentials;
  if (credentials?.kind !== "serviceAccount") throw new Error(`${what}: no service account to get a token for`);
  const basic = Buffer.from(`${credentials.clientId}:${credentials.clientSecret}`, "utf8").toString("base64");
  const answer = await request(`${settings.baseUrl}/api/oauth/token`, {
    method: "POST",
    headers: {
      Accept: "application/json",
      Authorization: `Basic ${basic}`,
      "Content-Type": "application/x-www-form-urlencoded",
    },
    body: "grant_type=client_credentials",
  });
  if (answer.status !== 200)
    throw new Error(
      `${what}: Atlas refused the service account's client id and secret (HTTP ${answer.status})${atlasError(answer.text)}. Check liftoff:atlasClientId and liftoff:atlasClientSecret.`,
    );
  const body = JSON.parse(answer.text) as { access_token?: string; expires_in?: number };
  if (!body.access_token) throw new Error(`${what}: Atlas's token endpoint answered without an access_token`);
  // Renewed a minute early, so a token never expires between asking and using it.
  return { value: body.access_token, until: settings.now() + Math.max(0, (body.expires_in ?? 3600) - 60) * 1000 };
}

/** Atlas's error body (`{detail, errorCode, reason}`) as a short suffix; never the request. */
function atlasError(text: string): string {
  try {
    const body = JSON.parse(text) as { detail?: unknown; errorCode?: unknown };
    const parts = [body.errorCode, body.detail].filter((p): p is string => typeof p === "string" && p !== "");
    return parts.length > 0 ? `: ${parts.join(": ")}` : "";
  } catch {
    return "";
  }
}
