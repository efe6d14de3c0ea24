/** Synthetic monitoring of the public health endpoints: what each check probes and from where. */

export interface HealthCheck {
  readonly service: string;
  /** The full health URL, e.g. `https://host.example:8443/healthz` (an Output when the host is known only at `up`, as on Container Apps). */
  readonly url: import("@pulumi/pulumi").Input<string>;
}

/** The check's `job` label (and name in Grafana): `<namePrefix>-<service>-health`. */
export function checkJob(namePrefix: string, service: string): string {
  return `${namePrefix}-${service}-health`;
}

/** Matches the jobs of all of an environment's checks, for the health alert. */
export function checkJobPattern(namePrefix: string): string {
  return `${namePrefix.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}-.+-health`;
}

/** The health URL of a public endpoint: its URL plus its health path. */
export function healthUrl(endpointUrl: string, healthPath: string): string {
  return `${endpointUrl.replace(/\/+$/, "")}/${healthPath.replace(/^\/+/, "")}`;
}

/**
 * Probe ids for the wanted probe names, out of the ids the synthetic monitoring API lists. A name it
 * does not list fails the deployment with the names it does, rather than silently checking from
 * fewer places.
 */
export function probeIds(available: Readonly<Record<string, number>>, wanted: readonly string[]): number[] {
  const missing = wanted.filter((name) => available[name] === undefined);
  if (missing.length > 0) {
    throw new Error(
      `synthetic monitoring has no probe named ${missing.join(", ")}; set liftoff:syntheticProbes to some of: ${Object.keys(available).sort().join(", ")}`,
    );
  }
  return wanted.map((name) => available[name]!);
}

/** How long one probe may take: well inside the period, and within the API's 1-180 s. */
export function checkTimeoutMs(frequencySeconds: number): number {
  return Math.min(10_000, Math.max(1_000, Math.floor((frequencySeconds * 1000) / 2)));
}
