import * as pulumi from "@pulumi/pulumi";
import { createNeonProvider } from "./provider";

/** One provider for all Neon resources: serialized once, configured once per `pulumi up`. */
const provider = createNeonProvider();

/** The Pulumi type token of a Neon resource: `pulumi-nodejs:dynamic/neon:<Kind>`. */
export const NEON_TYPES = {
  project: "pulumi-nodejs:dynamic/neon:Project",
  branch: "pulumi-nodejs:dynamic/neon:Branch",
  role: "pulumi-nodejs:dynamic/neon:Role",
  database: "pulumi-nodejs:dynamic/neon:Database",
} as const;

export interface NeonProjectArgs {
  readonly name: pulumi.Input<string>;
  /** e.g. aws-eu-central-1; changing it replaces the project (Neon cannot move one). */
  readonly regionId: pulumi.Input<string>;
  /** Postgres major version; changing it replaces the project. */
  readonly pgVersion: pulumi.Input<number>;
  /** Restore window; must fit the Neon plan. */
  readonly historyRetentionSeconds: pulumi.Input<number>;
  readonly orgId?: pulumi.Input<string>;
}

/** A Neon project with its default branch `main` and that branch's read-write compute. */
export class NeonProject extends pulumi.dynamic.Resource {
  declare readonly projectId: pulumi.Output<string>;
  declare readonly defaultBranchId: pulumi.Output<string>;
  declare readonly host: pulumi.Output<string>;
  declare readonly regionId: pulumi.Output<string>;

  constructor(name: string, args: NeonProjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { kind: "project", ...args, projectId: undefined, defaultBranchId: undefined, host: undefined }, opts, "neon", "Project");
  }
}

export interface NeonBranchArgs {
  readonly projectId: pulumi.Input<string>;
  readonly name: pulumi.Input<string>;
  /** Parent branch id; the project's default branch when absent. */
  readonly parentId?: pulumi.Input<string>;
  /** Start from the parent's data as of this instant (RFC 3339, inside the restore window). */
  readonly parentTimestamp?: pulumi.Input<string>;
}

/** A branch with its own read-write compute; from a point in time, it is a point-in-time restore. */
export class NeonBranch extends pulumi.dynamic.Resource {
  declare readonly branchId: pulumi.Output<string>;
  declare readonly host: pulumi.Output<string>;

  constructor(name: string, args: NeonBranchArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { kind: "branch", ...args, branchId: undefined, host: undefined }, opts, "neon", "Branch");
  }
}

export interface NeonRoleArgs {
  readonly projectId: pulumi.Input<string>;
  readonly branchId: pulumi.Input<string>;
  readonly name: pulumi.Input<string>;
}

/** A Postgres login role; Neon generates its password, which is kept secret. */
export class NeonRole extends pulumi.dynamic.Resource {
  declare readonly password: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: NeonRoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { kind: "role", ...args, password: undefined }, {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password"],
    }, "neon", "Role");
  }
}

export interface NeonDatabaseArgs {
  readonly projectId: pulumi.Input<string>;
  readonly branchId: pulumi.Input<string>;
  readonly name: pulumi.Input<string>;
  /** The role that owns the database (and so may use it). */
  readonly ownerName: pulumi.Input<string>;
}

export class NeonDatabase extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: NeonDatabaseArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { kind: "database", ...args }, opts, "neon", "Database");
  }
}
