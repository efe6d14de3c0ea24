import * as pulumi from "@pulumi/pulumi";
import { NeonBranch, NeonDatabase, NeonProject, NeonRole } from "./resources";
import { postgresUri } from "./uri";

export { NeonBranch, NeonDatabase, NeonProject, NeonRole, NEON_TYPES } from "./resources";
export { createNeonProvider, REPLACE_ON, UPDATE_IN_PLACE, type NeonProviderOptions } from "./provider";
export { postgresUri, poolerHost, type PostgresLogin } from "./uri";

export interface NeonDatabaseClaim {
  /** The service that gets the database. */
  readonly service: string;
  readonly database: string;
  /** The role that owns the database and that the service logs in as. */
  readonly role: string;
}

export interface NeonPostgresArgs {
  /** Neon project name, e.g. `liftoff-prod`. */
  readonly projectName: string;
  /** Neon region id, e.g. aws-eu-central-1. */
  readonly region: string;
  readonly pgVersion: number;
  /** How far back branches can be restored; must fit the Neon plan (6 h on Free). */
  readonly historyRetentionSeconds: number;
  /** Only for a personal API key; an organization key implies the organization. */
  readonly orgId?: string;
  /**
   * Addresses or CIDRs allowed to connect, with Neon's IP Allow (Scale plan only). Default: any
   * address (with TLS and the role's password).
   */
  readonly allowedIps?: pulumi.Input<string>[];
  /** One database and one owning role per claim. */
  readonly databases: readonly NeonDatabaseClaim[];
  /**
   * Disaster recovery (default: unset). Serve the services from a new branch that holds the default
   * branch's data as of this instant (RFC 3339 UTC, inside the restore window); the default branch
   * stays as it is, for comparison or for switching back.
   */
  readonly restoreFrom?: string;
  /**
   * Protect the project and databases from deletion and keep them in Neon even if Pulumi deletes
   * them (default false). Roles are not kept: a removed service must lose its login.
   */
  readonly protect?: boolean;
}

/** What a service needs to reach its database; both URIs are secrets. */
export interface PostgresConnection {
  readonly database: string;
  readonly role: string;
  /** Direct to the compute: migrations, `pg_dump`, session features. */
  readonly uri: pulumi.Output<string>;
  /** Through Neon's connection pooler: the application's many short connections. */
  readonly pooledUri: pulumi.Output<string>;
}

/**
 * Postgres on Neon: a project (region, version, restore window), one role and one database per
 * service, and each service's connection URIs as secrets.
 */
export class NeonPostgres extends pulumi.ComponentResource {
  public readonly projectId: pulumi.Output<string>;
  /** The compute the services connect to: the default branch's, or the restore branch's. */
  public readonly host: pulumi.Output<string>;
  /** The branch the services use. */
  public readonly branchId: pulumi.Output<string>;
  public readonly connections: Readonly<Record<string, PostgresConnection>>;

  constructor(name: string, args: NeonPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super("liftoff:neon:Postgres", name, {}, opts);
    const keep = { protect: args.protect ?? false, retainOnDelete: args.protect ?? false };

    const project = new NeonProject(`${name}-project`, {
      name: args.projectName,
      regionId: args.region,
      pgVersion: args.pgVersion,
      historyRetentionSeconds: args.historyRetentionSeconds,
      ...(args.orgId ? { orgId: args.orgId } : {}),
      ...(args.allowedIps ? { allowedIps: args.allowedIps } : {}),
    }, { parent: this, ...keep });

    // The services' compute: the default branch's, or in a recovery the restore branch's, which
    // holds the roles and databases as they were at that instant.
    let host = project.host;
    let branchId = project.defaultBranchId;
    if (args.restoreFrom) {
      const branch = new NeonBranch(`${name}-restore`, {
        projectId: project.projectId,
        name: `restore-${args.restoreFrom.replace(/[-:]/g, "")}`,
        parentId: project.defaultBranchId,
        parentTimestamp: args.restoreFrom,
      }, { parent: this, ...keep });
      host = branch.host;
      branchId = branch.branchId;
    }

    const connections: Record<string, PostgresConnection> = {};
    for (const claim of args.databases) {
      const role = new NeonRole(`${name}-${claim.service}-role`, {
        projectId: project.projectId,
        branchId: project.defaultBranchId,
        name: claim.role,
      }, { parent: this });
      // Owned by the service's role, so that role needs no grant on it.
      const database = new NeonDatabase(`${name}-${claim.service}-db`, {
        projectId: project.projectId,
        branchId: project.defaultBranchId,
        name: claim.database,
        ownerName: role.name,
      }, { parent: this, ...keep });
      // Through the database's name, so a consumer of the URI waits until the database exists.
      const login = pulumi.all([host, role.password, database.name]).apply(([h, password, db]) => ({ host: h, role: claim.role, password, database: db }));
      connections[claim.service] = {
        database: claim.database,
        role: claim.role,
        uri: pulumi.secret(login.apply((l) => postgresUri(l))),
        pooledUri: pulumi.secret(login.apply((l) => postgresUri(l, { pooled: true }))),
      };
    }

    this.projectId = project.projectId;
    this.host = host;
    this.branchId = branchId;
    this.connections = connections;
    this.registerOutputs({
      projectId: this.projectId,
      host: this.host,
      branchId: this.branchId,
      connections: Object.fromEntries(Object.entries(connections).map(([s, c]) => [s, { uri: c.uri, pooledUri: c.pooledUri }])),
    });
  }
}
