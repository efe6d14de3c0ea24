/** Pure pieces of the Atlas component: cluster shape, backup policy, connection strings. */
import type {
  AdvancedClusterReplicationSpecRegionConfig,
  CloudBackupSnapshotRestoreJobDeliveryTypeConfig,
} from "@pulumi/mongodbatlas/types/input";

export interface ClusterTier {
  /** Atlas's name of the Azure region, e.g. EUROPE_WEST. */
  readonly region: string;
  /** M0 (free, shared) or a dedicated tier, M10 and up. */
  readonly instanceSize: string;
}

export const FREE_TIER = "M0";

/** AdvancedCluster `replicationSpecs`: one replica set in one Azure region. */
export function replicationSpecs(tier: ClusterTier): { regionConfigs: AdvancedClusterReplicationSpecRegionConfig[] }[] {
  const regionConfig: AdvancedClusterReplicationSpecRegionConfig =
    tier.instanceSize === FREE_TIER
      ? // The free tier runs on shared ("TENANT") hardware that Atlas rents from the backing provider.
        {
          providerName: "TENANT",
          backingProviderName: "AZURE",
          regionName: tier.region,
          priority: 7,
          electableSpecs: { instanceSize: FREE_TIER },
        }
      : // Three electable members: a primary and two secondaries, so one node can fail or be patched.
        {
          providerName: "AZURE",
          regionName: tier.region,
          priority: 7,
          electableSpecs: { instanceSize: tier.instanceSize, nodeCount: 3 },
        };
  return [{ regionConfigs: [regionConfig] }];
}

/**
 * Snapshot policy for CloudBackupSchedule: every 6 hours and daily, kept `retentionDays`; weekly,
 * kept 4 weeks. Point-in-time restore reaches back `retentionDays` (restoreWindowDays).
 */
export function backupPolicy(retentionDays: number) {
  return {
    restoreWindowDays: retentionDays,
    referenceHourOfDay: 3,
    referenceMinuteOfHour: 0,
    policyItemHourly: { frequencyInterval: 6, retentionUnit: "days", retentionValue: retentionDays },
    policyItemDaily: { frequencyInterval: 1, retentionUnit: "days", retentionValue: retentionDays },
    policyItemWeeklies: [{ frequencyInterval: 7, retentionUnit: "weeks", retentionValue: 4 }],
  };
}

/**
 * The only entry of the project's IP access list: the host's address as a /32. Anything else (an
 * empty address, 0.0.0.0, a range) is refused here, so the cluster can never be opened to the
 * internet by a bad input.
 */
export function hostCidr(ip: string): string {
  const octets = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip.trim());
  if (!octets || octets.slice(1).some((o) => Number(o) > 255) || ip.trim() === "0.0.0.0") {
    throw new Error(`the Atlas access list takes the host's public IPv4 address, got ${JSON.stringify(ip)}`);
  }
  return `${ip.trim()}/32`;
}

export interface MongoLogin {
  /** The cluster's `connectionStrings.standardSrv`, which carries no credentials. */
  readonly standardSrv: string;
  readonly username: string;
  readonly password: string;
  readonly database: string;
  /** Shown in Atlas's logs and metrics for this client. */
  readonly appName: string;
}

/**
 * `mongodb+srv://user:password@host/database?...`: Atlas's SRV string with the service's
 * credentials and database, each part percent-encoded. Users authenticate against `admin`, where
 * Atlas keeps them.
 */
export function mongoConnectionString(login: MongoLogin): string {
  const match = /^mongodb\+srv:\/\/([^/?@]+)\/?(\?.*)?$/.exec(login.standardSrv);
  if (!match) throw new Error(`not an Atlas SRV connection string: ${JSON.stringify(login.standardSrv)}`);
  const credentials = `${encodeURIComponent(login.username)}:${encodeURIComponent(login.password)}`;
  const options = `retryWrites=true&w=majority&authSource=admin&appName=${encodeURIComponent(login.appName)}`;
  return `mongodb+srv://${credentials}@${match[1]}/${encodeURIComponent(login.database)}?${options}`;
}

/**
 * CloudBackupSnapshotRestoreJob `deliveryTypeConfig` for a continuous (point-in-time) restore into
 * another cluster: Atlas replays the source's oplog up to `timestamp` (whole seconds since the epoch,
 * `pointInTimeUtcSeconds`; no snapshot id, Atlas picks the snapshot before it).
 */
export function pointInTimeRestore(target: {
  targetProjectId: string;
  targetClusterName: string;
  timestamp: string;
}): CloudBackupSnapshotRestoreJobDeliveryTypeConfig & { pointInTimeUtcSeconds: number } {
  const ms = Date.parse(target.timestamp);
  if (Number.isNaN(ms)) throw new Error(`not an instant to restore to: ${JSON.stringify(target.timestamp)}`);
  return {
    pointInTime: true,
    pointInTimeUtcSeconds: Math.floor(ms / 1000),
    targetProjectId: target.targetProjectId,
    targetClusterName: target.targetClusterName,
  };
}
