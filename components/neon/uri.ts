/** Connection URIs for a Neon database, built the way Neon's console shows them. */

export interface PostgresLogin {
  /** Host of the branch's read-write compute, e.g. ep-cool-darkness-123456.eu-central-1.aws.neon.tech. */
  readonly host: string;
  readonly role: string;
  readonly password: string;
  readonly database: string;
}

/**
 * Host of the compute's connection pooler (PgBouncer): Neon puts `-pooler` after the endpoint id,
 * the first label of the host.
 */
export function poolerHost(host: string): string {
  const dot = host.indexOf(".");
  if (dot <= 0) throw new Error(`not a Neon compute host: ${JSON.stringify(host)}`);
  return `${host.slice(0, dot)}-pooler${host.slice(dot)}`;
}

/**
 * `postgresql://role:password@host/database?sslmode=require&channel_binding=require`, every part
 * percent-encoded. Neon only accepts TLS; channel binding keeps a man in the middle from relaying
 * the SCRAM handshake.
 */
export function postgresUri(login: PostgresLogin, options: { pooled?: boolean } = {}): string {
  const host = options.pooled ? poolerHost(login.host) : login.host;
  const credentials = `${encodeURIComponent(login.role)}:${encodeURIComponent(login.password)}`;
  return `postgresql://${credentials}@${host}/${encodeURIComponent(login.database)}?sslmode=require&channel_binding=require`;
}
