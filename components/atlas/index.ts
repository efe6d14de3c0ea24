import { AdvancedCluster } from "@pulumi/mongodbatlas/advancedCluster";
import { CloudBackupSchedule } from "@pulumi/mongodbatlas/cloudBackupSchedule";
import { CloudBackupSnapshotRestoreJob } from "@pulumi/mongodbatlas/cloudBackupSnapshotRestoreJob";
import { DatabaseUser } from "@pulumi/mongodbatlas/databaseUser";
import { Project } from "@pulumi/mongodbatlas/project";
import { ProjectIpAccessList } from "@pulumi/mongodbatlas/projectIpAccessList";
import * as pulumi from "@pulumi/pulumi";
import { RandomPassword } from "@pulumi/random/randomPassword";
import {
  FREE_TIER,
  backupPolicy,
  hostCidr,
  mongoConnectionString,
  pointInTimeRestore,
  replicationSpecs,
  type MongoLogin,
} from "./cluster";
import { AtlasRestoreWait } from "./restore-wait-resource";

export {
  FREE_TIER,
  backupPolicy,
  hostCidr,
  mongoConnectionString,
  pointInTimeRestore,
  replicationSpecs,
  type ClusterTier,
  type MongoLogin,
} from "./cluster";
export { AtlasRestoreWait, RESTORE_WAIT_TYPE } from "./restore-wait-resource";

export interface AtlasUserClaim {
  /** The service that gets the database. */
  readonly service: string;
  readonly username: string;
  /** The one database the user may read and write: its own, or the one it shares. */
  readonly database: string;
  /** The service whose database this is when the claim shares it (default: none, its own). */
  readonly sharedFrom?: string;
}

export interface AtlasMongoArgs {
  /** Atlas organization the project is created in. */
  readonly orgId: string;
  readonly projectName: string;
  readonly clusterName: string;
  /** Atlas's name of the Azure region, e.g. EUROPE_WEST. */
  readonly region: string;
  /** M0: a free shared cluster backed by Azure. M10 and up: dedicated on Azure. */
  readonly instanceSize: string;
  /**
   * Cloud backup (dedicated tiers only; default: none): snapshots kept `snapshotRetentionDays`, and
   * continuous point-in-time restore within that window when `pointInTimeRestore`.
   */
  readonly backup?: { readonly pointInTimeRestore: boolean; readonly snapshotRetentionDays: number };
  /** One database user per claim, with readWrite on its own database only. */
  readonly users: readonly AtlasUserClaim[];
  /** The only address allowed in: the host's static public IP. */
  readonly hostIp: pulumi.Input<string>;
  readonly tags?: Readonly<Record<string, string>>;
  /**
   * Protect the project, cluster and backup schedule and keep them in Atlas even if Pulumi deletes
   * them (default false); also turns on Atlas's own termination protection. Users and the access
   * list are not kept: a removed service or host must lose its access.
   */
  readonly protect?: boolean;
  /**
   * Disaster recovery into this stack (default: unset): once the cluster exists, a point-in-time
   * restore job copies the source cluster (another stack's, with cloud backup and continuous restore)
   * as of `timestamp` into it. Atlas erases the target cluster first; the source is only read. The
   * cluster must be dedicated (M10 and up): Atlas restores no backup into the free tier.
   */
  readonly restoreSource?: { readonly projectId: string; readonly clusterName: string; readonly timestamp: string };
}

/** What a service needs to reach its database; the URI is a secret. */
export interface MongoConnection {
  readonly database: string;
  readonly username: string;
  /** The parts the URI is built from (secret: it holds the password), for other formats. */
  readonly login: pulumi.Output<MongoLogin>;
  readonly uri: pulumi.Output<string>;
}

/**
 * MongoDB on Atlas: a project, one cluster on Azure, a database user per service, an access list
 * holding only the host's IP, and each service's connection string (with credentials) as a secret.
 */
export class AtlasMongo extends pulumi.ComponentResource {
  public readonly projectId: pulumi.Output<string>;
  public readonly clusterName: pulumi.Output<string>;
  /** `mongodb+srv://<cluster host>`, without credentials: safe to show operators. */
  public readonly standardSrv: pulumi.Output<string>;
  public readonly connections: Readonly<Record<string, MongoConnection>>;

  constructor(name: string, args: AtlasMongoArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything is registered, so a refused cluster leaves nothing half-declared.
    if (args.instanceSize === FREE_TIER && args.backup)
      throw new Error(`the free tier ${FREE_TIER} has no cloud backup; use M10 or larger for backups`);
    if (args.instanceSize === FREE_TIER && args.restoreSource)
      throw new Error(
        `Atlas cannot restore a backup into the free tier ${FREE_TIER}; use M10 or larger to restore from ${args.restoreSource.clusterName}`,
      );
    super("liftoff:atlas:Mongo", name, {}, opts);
    const keep = { protect: args.protect ?? false, retainOnDelete: args.protect ?? false };
    const tags = { ...args.tags };

    const project = new Project(
      `${name}-project`,
      { orgId: args.orgId, name: args.projectName, tags },
      { parent: this, ...keep },
    );

    const cluster = new AdvancedCluster(
      `${name}-cluster`,
      {
        projectId: project.id,
        name: args.clusterName,
        clusterType: "REPLICASET",
        replicationSpecs: replicationSpecs({ region: args.region, instanceSize: args.instanceSize }),
        ...(args.backup ? { backupEnabled: true, pitEnabled: args.backup.pointInTimeRestore } : {}),
        terminationProtectionEnabled: args.protect ?? false,
        tags,
      },
      { parent: this, ...keep },
    );

    if (args.backup) {
      new CloudBackupSchedule(
        `${name}-backup`,
        {
          projectId: project.id,
          clusterName: cluster.name,
          ...backupPolicy(args.backup.snapshotRetentionDays),
        },
        { parent: this, ...keep },
      );
    }

    // Declared on the cluster, so Atlas starts it once there is a cluster to restore into. The job
    // returns as soon as Atlas accepted it; the wait after it polls until Atlas reports the restore
    // finished, and the services' URIs wait for that, so the release starts on the restored data.
    const restore = args.restoreSource
      ? new CloudBackupSnapshotRestoreJob(
          `${name}-restore`,
          {
            projectId: args.restoreSource.projectId,
            clusterName: args.restoreSource.clusterName,
            deliveryTypeConfig: pulumi
              .all([project.id, cluster.name])
              .apply(([targetProjectId, targetClusterName]) =>
                pointInTimeRestore({ targetProjectId, targetClusterName, timestamp: args.restoreSource!.timestamp }),
              ),
          },
          { parent: this, dependsOn: [cluster] },
        )
      : undefined;
    const restored =
      restore && args.restoreSource
        ? new AtlasRestoreWait(
            `${name}-restore-finished`,
            {
              projectId: args.restoreSource.projectId,
              clusterName: args.restoreSource.clusterName,
              jobId: restore.snapshotRestoreJobId,
            },
            { parent: this },
          )
        : undefined;

    new ProjectIpAccessList(
      `${name}-host-ip`,
      {
        projectId: project.id,
        cidrBlock: pulumi.output(args.hostIp).apply(hostCidr),
        comment: `${args.clusterName} host (its static public IP)`,
      },
      { parent: this },
    );

    const connections: Record<string, MongoConnection> = {};
    for (const claim of args.users) {
      const password = new RandomPassword(
        `${name}-${claim.service}-password`,
        { length: 32, special: false },
        { parent: this },
      );
      const user = new DatabaseUser(
        `${name}-${claim.service}-user`,
        {
          projectId: project.id,
          username: claim.username,
          password: password.result,
          authDatabaseName: "admin",
          roles: [{ roleName: "readWrite", databaseName: claim.database }],
          // Only this cluster, even if the project later gets another.
          scopes: [{ name: cluster.name, type: "CLUSTER" }],
          description:
            claim.sharedFrom === undefined
              ? `liftoff: the ${claim.service} service`
              : `liftoff: the ${claim.service} service, on ${claim.sharedFrom}'s database`,
        },
        { parent: this },
      );
      // Through the user's name, so a consumer of the URI waits until the user exists.
      const login = pulumi.secret(
        pulumi
          .all([cluster.connectionStrings, user.username, password.result, restored?.finishedAt])
          .apply(([strings, username, pw]): MongoLogin => ({
            standardSrv: strings.standardSrv,
            username,
            password: pw,
            database: claim.database,
            appName: args.clusterName,
          })),
      );
      connections[claim.service] = {
        database: claim.database,
        username: claim.username,
        login,
        uri: pulumi.secret(login.apply(mongoConnectionString)),
      };
    }

    this.projectId = project.id;
    this.clusterName = cluster.name;
    this.standardSrv = cluster.connectionStrings.apply((s) => s.standardSrv);
    this.connections = connections;
    this.registerOutputs({
      projectId: this.projectId,
      clusterName: this.clusterName,
      standardSrv: this.standardSrv,
      connections: Object.fromEntries(Object.entries(connections).map(([s, c]) => [s, c.uri])),
    });
  }
}
