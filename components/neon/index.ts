import * as pulumi from "@pulumi/pulumi";
import { NeonAllowedIp, NeonBranch, NeonDatabase, NeonLogin, NeonProject, NeonRole } from "./resources";
import { postgresUri, type PostgresLogin } from "./uri";

export { NeonAllowedIp, NeonBranch, NeonDatabase, NeonLogin, NeonProject, NeonRole, NEON_TYPES } from "./resources";
export { createNeonProvider, REPLACE_ON, UPDATE_IN_PLACE, type NeonProviderOptions } from "./provider";
export { postgresUri, poolerHost, type PostgresLogin } from "./uri";

export interface NeonDatabaseClaim {
  /** The service that gets the database. */
  readonly service: string;
  readonly database: string;
  /** The role the service logs in as; it owns the database unless the claim shares another's. */
  readonly role: string;
  /**
   * The service whose claim creates `database` (default: none, this claim creates and owns it).
   * A sharing claim adds only its role. Neon's API grants nothing on a database beyond its one
   * owner, but makes every role it creates a member of `neon_superuser`, which holds
   * `pg_read_all_data` and `pg_write_all_data`: the role reads and writes every table of the
   * owner's database and cannot change its schema (no DDL on the owner's tables, no CREATE in the
   * owner's `public` schema on Postgres 15+). Migrations run as the owner.
   */
  readonly sharedFrom?: string;
}

/** Where a disaster-recovery stack restores its Postgres from: another stack's Neon project. */
export interface NeonRestoreSource {
  /** The source stack's Neon project (its `neonProjectId` output). */
  readonly projectId: string;
  /** The branch the source's services used (its `neonBranchId` output); the project's default branch when absent. */
  readonly branchId?: string;
  /** The instant to restore (RFC 3339 UTC), inside the source project's history retention. */
  readonly timestamp: string;
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
  /** One role per claim, and one database owned by it unless the claim shares another claim's. */
  readonly databases: readonly NeonDatabaseClaim[];
  /**
   * Disaster recovery (default: unset). Serve the services from a new branch that holds the default
   * branch's data as of this instant (RFC 3339 UTC, inside the restore window); the default branch
   * stays as it is, for comparison or for switching back.
   */
  readonly restoreFrom?: string;
  /**
   * Disaster recovery into a new stack (default: unset). Neon cannot copy a branch into another
   * project, so instead of a project of its own the stack gets a branch in the SOURCE's project,
   * started from the source's branch at `timestamp`, with the roles and databases it held then. Each
   * role's password is reset on that branch (this stack's credentials are its own), and with
   * `allowedIps` set each address is added to the source project's IP Allow list when that list
   * restricts anything (an unrestricted project is left unrestricted). `projectName`, `region`, `pgVersion`, `historyRetentionSeconds` and `orgId`
   * are the source project's then, and unused. Deleting this stack's resources deletes the branch
   * (and that address) only: nothing here can delete the source's project, branches or databases.
   */
  readonly restoreSource?: NeonRestoreSource;
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
  /** The parts both URIs are built from (secret: it holds the password), for other formats. */
  readonly login: pulumi.Output<PostgresLogin>;
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
    // Checked before anything is registered, so a refused claim leaves nothing half-declared.
    const owned = new Set<string>();
    for (const claim of args.databases.filter((c) => c.sharedFrom === undefined)) {
      if (owned.has(claim.database))
        throw new Error(
          `${claim.service} claims database ${claim.database}, which another claim already owns; share it with sharedFrom`,
        );
      owned.add(claim.database);
    }
    for (const claim of args.databases) {
      if (claim.sharedFrom !== undefined && !owned.has(claim.database))
        throw new Error(
          `${claim.service} shares ${claim.sharedFrom}'s database ${claim.database}, which no claim of this component creates`,
        );
    }
    super("liftoff:neon:Postgres", name, {}, opts);
    const keep = { protect: args.protect ?? false, retainOnDelete: args.protect ?? false };
    if (args.restoreSource) {
      const restored = restoreIntoSourceProject(this, name, args, args.restoreSource, keep);
      this.projectId = restored.projectId;
      this.host = restored.host;
      this.branchId = restored.branchId;
      this.connections = restored.connections;
      this.registerOutputs(this.summary());
      return;
    }

    const project = new NeonProject(
      `${name}-project`,
      {
        name: args.projectName,
        regionId: args.region,
        pgVersion: args.pgVersion,
        historyRetentionSeconds: args.historyRetentionSeconds,
        ...(args.orgId ? { orgId: args.orgId } : {}),
        ...(args.allowedIps ? { allowedIps: args.allowedIps } : {}),
      },
      { parent: this, ...keep },
    );

    // The services' compute: the default branch's, or in a recovery the restore branch's, which
    // holds the roles and databases as they were at that instant.
    let host = project.host;
    let branchId = project.defaultBranchId;
    if (args.restoreFrom) {
      const branch = new NeonBranch(
        `${name}-restore`,
        {
          projectId: project.projectId,
          name: `restore-${args.restoreFrom.replace(/[-:]/g, "")}`,
          parentId: project.defaultBranchId,
          parentTimestamp: args.restoreFrom,
        },
        { parent: this, ...keep },
      );
      host = branch.host;
      branchId = branch.branchId;
    }

    const connections: Record<string, PostgresConnection> = {};
    const databases = new Map<string, NeonDatabase>();
    // Owners first: a sharing claim's login waits for the owner's database.
    const ordered = [
      ...args.databases.filter((c) => c.sharedFrom === undefined),
      ...args.databases.filter((c) => c.sharedFrom !== undefined),
    ];
    for (const claim of ordered) {
      const role = new NeonRole(
        `${name}-${claim.service}-role`,
        {
          projectId: project.projectId,
          branchId: project.defaultBranchId,
          name: claim.role,
        },
        { parent: this },
      );
      let database = databases.get(claim.database);
      if (claim.sharedFrom === undefined || !database) {
        // Owned by the service's role, so that role needs no grant on it.
        database = new NeonDatabase(
          `${name}-${claim.service}-db`,
          {
            projectId: project.projectId,
            branchId: project.defaultBranchId,
            name: claim.database,
            ownerName: role.name,
          },
          { parent: this, ...keep },
        );
        databases.set(claim.database, database);
      }
      // Through the database's name, so a consumer of the URI waits until the database exists.
      const login = pulumi.secret(
        pulumi
          .all([host, role.password, database.name])
          .apply(([h, password, db]): PostgresLogin => ({ host: h, role: claim.role, password, database: db })),
      );
      connections[claim.service] = {
        database: claim.database,
        role: claim.role,
        login,
        uri: pulumi.secret(login.apply((l) => postgresUri(l))),
        pooledUri: pulumi.secret(login.apply((l) => postgresUri(l, { pooled: true }))),
      };
    }

    this.projectId = project.projectId;
    this.host = host;
    this.branchId = branchId;
    this.connections = connections;
    this.registerOutputs(this.summary());
  }

  private summary(): pulumi.Inputs {
    return {
      projectId: this.projectId,
      host: this.host,
      branchId: this.branchId,
      connections: Object.fromEntries(
        Object.entries(this.connections).map(([s, c]) => [s, { uri: c.uri, pooledUri: c.pooledUri }]),
      ),
    };
  }
}

/** The name of a disaster-recovery stack's branch in the source's project: whose, and as of when. */
export function restoreBranchName(projectName: string, timestamp: string): string {
  return `${projectName}-restore-${timestamp.replace(/[-:]/g, "")}`;
}

/**
 * A branch in the source stack's project from its branch at the restore point, a login per claim
 * on the roles it inherited, and the host's address on the project's IP Allow list.
 */
function restoreIntoSourceProject(
  parent: pulumi.Resource,
  name: string,
  args: NeonPostgresArgs,
  source: NeonRestoreSource,
  keep: { protect: boolean; retainOnDelete: boolean },
): {
  projectId: pulumi.Output<string>;
  host: pulumi.Output<string>;
  branchId: pulumi.Output<string>;
  connections: Record<string, PostgresConnection>;
} {
  const branch = new NeonBranch(
    `${name}-restore`,
    {
      projectId: source.projectId,
      name: restoreBranchName(args.projectName, source.timestamp),
      ...(source.branchId ? { parentId: source.branchId } : {}),
      parentTimestamp: source.timestamp,
    },
    { parent, ...keep },
  );
  // The branch is reachable only from addresses the source project allows. One at a time: each is
  // a read-modify-write of the project's one list, and two at once would lose one.
  const allowed: NeonAllowedIp[] = [];
  (args.allowedIps ?? []).forEach((ip, i) => {
    const previous = allowed.at(-1);
    allowed.push(
      new NeonAllowedIp(
        `${name}-allowed-${i}`,
        { projectId: source.projectId, ip },
        { parent, ...(previous ? { dependsOn: [previous] } : {}) },
      ),
    );
  });
  const connections: Record<string, PostgresConnection> = {};
  for (const claim of args.databases) {
    const login = new NeonLogin(
      `${name}-${claim.service}-login`,
      { projectId: source.projectId, branchId: branch.branchId, name: claim.role },
      { parent },
    );
    const reachable = pulumi.all(allowed.map((a) => a.added));
    const credentials = pulumi.secret(
      pulumi
        .all([branch.host, login.password, reachable])
        .apply(([h, password]): PostgresLogin => ({ host: h, role: claim.role, password, database: claim.database })),
    );
    connections[claim.service] = {
      database: claim.database,
      role: claim.role,
      login: credentials,
      uri: pulumi.secret(credentials.apply((l) => postgresUri(l))),
      pooledUri: pulumi.secret(credentials.apply((l) => postgresUri(l, { pooled: true }))),
    };
  }
  return { projectId: pulumi.output(source.projectId), host: branch.host, branchId: branch.branchId, connections };
}
