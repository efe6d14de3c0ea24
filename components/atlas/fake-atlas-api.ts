/**
 * A local HTTP server that stands in for the Atlas Administration API (https://cloud.mongodb.com)
 * in tests: Atlas cannot be reached from the build machines. It speaks what the restore wait uses:
 *
 * - `GET /api/atlas/v2/groups/{groupId}/clusters/{clusterName}/backup/restoreJobs/{restoreJobId}`
 *   (getBackupRestoreJob) with `Accept: application/vnd.atlas.2023-01-01+json` (406 otherwise, as
 *   Atlas answers an unknown version), answering a DiskBackupSnapshotRestoreJob: `id`,
 *   `deliveryType`, `targetClusterName`, `targetGroupId`, `pointInTimeUTCSeconds`, `cancelled`,
 *   `expired`, `failed`, `finishedAt` (ISO 8601, absent while the job runs), `links`;
 * - HTTP Digest authentication for API keys the way Atlas challenges (`401` with
 *   `WWW-Authenticate: Digest realm="MMS Public API", domain="", nonce="...", algorithm=MD5,
 *   qop="auth", stale=false`), verified here by hand per RFC 2617, independently of the client's
 *   library;
 * - `POST /api/oauth/token` for service accounts (Basic client id:secret, form body
 *   `grant_type=client_credentials`), answering `{access_token, expires_in, token_type: "Bearer"}`;
 * - errors as Atlas's ApiError body: `{detail, error, errorCode, reason}`.
 *
 * It is a stand-in, not Atlas: it models only what liftoff uses.
 */
import { createHash, randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export const ATLAS_V2_ACCEPT = "application/vnd.atlas.2023-01-01+json";
const REALM = "MMS Public API";

export interface FakeRestoreJob {
  readonly groupId: string;
  readonly clusterName: string;
  /** Polls that answer "still running" before the outcome shows (default 2). */
  pollsBeforeOutcome?: number;
  outcome?: "finished" | "failed" | "cancelled" | "expired" | "never";
  polls?: number;
}

export interface FakeAtlasRequest {
  readonly method: string;
  readonly path: string;
  readonly authorization?: string;
  readonly accept?: string;
  readonly status: number;
}

const md5 = (text: string) => createHash("md5").update(text).digest("hex");

export class FakeAtlasApi {
  readonly requests: FakeAtlasRequest[] = [];
  readonly jobs = new Map<string, FakeRestoreJob>();
  private server: Server | undefined;
  private readonly nonces = new Set<string>();
  private readonly tokens = new Set<string>();
  /** Answer this many GETs with 503 first (Atlas having a bad moment). */
  unavailableFor = 0;

  constructor(
    readonly apiKey: { readonly publicKey: string; readonly privateKey: string },
    readonly serviceAccount: { readonly clientId: string; readonly clientSecret: string },
  ) {}

  async start(): Promise<string> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, "127.0.0.1", resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()) ?? resolve());
  }

  reset(): void {
    this.requests.length = 0;
    this.jobs.clear();
    this.nonces.clear();
    this.tokens.clear();
    this.unavailableFor = 0;
  }

  addJob(id: string, job: FakeRestoreJob): void {
    this.jobs.set(id, { pollsBeforeOutcome: 2, outcome: "finished", polls: 0, ...job });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks).toString("utf8");
    const url = new URL(req.url ?? "/", "http://fake");
    const send = (status: number, payload: unknown, headers: Record<string, string> = {}) => {
      this.requests.push({
        method: req.method ?? "",
        path: url.pathname,
        ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}),
        ...(req.headers.accept ? { accept: req.headers.accept } : {}),
        status,
      });
      res.writeHead(status, { "Content-Type": status === 200 ? ATLAS_V2_ACCEPT : "application/json", ...headers });
      res.end(JSON.stringify(payload));
    };
    const apiError = (status: number, errorCode: string, detail: string, headers: Record<string, string> = {}) =>
      send(status, { detail, error: status, errorCode, parameters: [], reason: errorCode.replace(/_/g, " ") }, headers);

    if (req.method === "POST" && url.pathname === "/api/oauth/token") {
      const expected = `Basic ${Buffer.from(`${this.serviceAccount.clientId}:${this.serviceAccount.clientSecret}`).toString("base64")}`;
      if (
        req.headers.authorization !== expected ||
        new URLSearchParams(body).get("grant_type") !== "client_credentials"
      ) {
        return send(401, { error: "invalid_client", error_description: "Invalid client credentials" });
      }
      const token = `atlas-sa-${randomBytes(8).toString("hex")}`;
      this.tokens.add(token);
      return send(200, { access_token: token, expires_in: 3600, token_type: "Bearer" });
    }

    const match =
      /^\/api\/atlas\/v2\/groups\/([a-f0-9]{24})\/clusters\/([a-zA-Z0-9][a-zA-Z0-9-]*)\/backup\/restoreJobs\/([a-f0-9]{24})$/.exec(
        url.pathname,
      );
    if (req.method !== "GET" || !match)
      return apiError(404, "RESOURCE_NOT_FOUND", `Cannot find resource ${url.pathname}.`);
    if (!this.authorized(req, url.pathname)) {
      const nonce = randomBytes(16).toString("base64");
      this.nonces.add(nonce);
      return apiError(401, "UNAUTHORIZED", "You are not authorized for this resource.", {
        "WWW-Authenticate": `Digest realm="${REALM}", domain="", nonce="${nonce}", algorithm=MD5, qop="auth", stale=false`,
      });
    }
    if (req.headers.accept !== ATLAS_V2_ACCEPT) {
      return apiError(406, "INVALID_VERSION_DATE", "The version date in the Accept header is invalid or missing.");
    }
    if (this.unavailableFor > 0) {
      this.unavailableFor--;
      return apiError(503, "SERVICE_UNAVAILABLE", "Service unavailable.");
    }
    const [, groupId, clusterName, id] = match;
    const job = this.jobs.get(id!);
    if (!job || job.groupId !== groupId || job.clusterName !== clusterName) {
      return apiError(404, "RESTORE_JOB_NOT_FOUND", `Restore job ${id} not found for cluster ${clusterName}.`);
    }
    job.polls = (job.polls ?? 0) + 1;
    const settled = job.outcome !== "never" && job.polls > (job.pollsBeforeOutcome ?? 0);
    const outcome = settled ? job.outcome : undefined;
    return send(200, {
      id,
      cancelled: outcome === "cancelled",
      deliveryType: "pointInTime",
      expired: outcome === "expired",
      failed: outcome === "failed",
      ...(outcome === "finished" ? { finishedAt: "2026-11-20T09:12:44Z" } : {}),
      pointInTimeUTCSeconds: 1763627400,
      targetClusterName: "liftoff-prod-dr",
      targetGroupId: "0123456789abcdef01234567",
      timestamp: "2026-11-20T08:30:00Z",
      links: [{ href: `https://cloud.mongodb.com${url.pathname}`, rel: "self" }],
    });
  }

  /** RFC 2617 Digest (MD5, qop=auth) with a nonce this server issued, or a token it issued. */
  private authorized(req: IncomingMessage, path: string): boolean {
    const header = req.headers.authorization ?? "";
    if (header.startsWith("Bearer ")) return this.tokens.has(header.slice(7));
    if (!header.startsWith("Digest ")) return false;
    const fields: Record<string, string> = {};
    for (const m of header.slice(7).matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) fields[m[1]!] = m[2] ?? m[3] ?? "";
    if (
      fields["username"] !== this.apiKey.publicKey ||
      fields["realm"] !== REALM ||
      !this.nonces.has(fields["nonce"] ?? "")
    )
      return false;
    if (fields["uri"] !== path || fields["qop"] !== "auth") return false;
    const ha1 = md5(`${this.apiKey.publicKey}:${REALM}:${this.apiKey.privateKey}`);
    const ha2 = md5(`GET:${fields["uri"]}`);
    const expected = md5(`${ha1}:${fields["nonce"]}:${fields["nc"]}:${fields["cnonce"]}:auth:${ha2}`);
    return fields["response"] === expected;
  }
}
