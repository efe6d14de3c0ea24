import * as pulumi from "@pulumi/pulumi";
import { createNeonProvider } from "./provider";

/**
 * One provider object for all Neon resources: `pulumi.dynamic.Resource` serializes a provider once
 * per process (it caches the code by the object), and the engine configures it once per `pulumi up`.
 * The provider reads the API key from the stack config in configure(), so the serialized code holds
 * no secret (closure.test.ts proves it).
 */
const neonProvider = createNeonProvider();

/**
 * A Neon resource: a `pulumi.dynamic.Resource` of type `pulumi-nodejs:dynamic/neon:<Kind>`, whose
 * `__provider` input holds the provider's serialized code, run by Pulumi's dynamic provider host.
 */
abstract class NeonResource extends pulumi.dynamic.Resource {
  constructor(kind: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(neonProvider, name, props, opts, "neon", kind);
  }
}

/** The Pulumi type token of a Neon resource: `pulumi-nodejs:dynamic/neon:<Kind>`. */
export const NEON_TYPES = {
  project: "pulumi-nodejs:dynamic/neon:Project",
  branch: "pulumi-nodejs:dynamic/neon:Branch",
  role: "pulumi-nodejs:dynamic/neon:Role",
  database: "pulumi-nodejs:dynamic/neon:Database",
  login: "pulumi-nodejs:dynamic/neon:Login",
  allowedIp: "pulumi-nodejs:dynamic/neon:AllowedIp",
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
  /** Neon's IP Allow (Scale plan): only these addresses or CIDRs may connect; absent: any. */
  readonly allowedIps?: pulumi.Input<pulumi.Input<string>[]>;
}

/** A Neon project with its default branch `main` and that branch's read-write compute. */
export class NeonProject extends NeonResource {
  declare readonly projectId: pulumi.Output<string>;
  declare readonly defaultBranchId: pulumi.Output<string>;
  declare readonly host: pulumi.Output<string>;
  declare readonly regionId: pulumi.Output<string>;

  constructor(name: string, args: NeonProjectArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "Project",
      name,
      { kind: "project", ...args, projectId: undefined, defaultBranchId: undefined, host: undefined },
      opts,
    );
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
export class NeonBranch extends NeonResource {
  declare readonly branchId: pulumi.Output<string>;
  declare readonly host: pulumi.Output<string>;

  constructor(name: string, args: NeonBranchArgs, opts?: pulumi.CustomResourceOptions) {
    super("Branch", name, { kind: "branch", ...args, branchId: undefined, host: undefined }, opts);
  }
}

export interface NeonRoleArgs {
  readonly projectId: pulumi.Input<string>;
  readonly branchId: pulumi.Input<string>;
  readonly name: pulumi.Input<string>;
}

/** A Postgres login role; Neon generates its password, which is kept secret. */
export class NeonRole extends NeonResource {
  declare readonly password: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: NeonRoleArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "Role",
      name,
      { kind: "role", ...args, password: undefined },
      {
        ...opts,
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password"],
      },
    );
  }
}

export interface NeonDatabaseArgs {
  readonly projectId: pulumi.Input<string>;
  readonly branchId: pulumi.Input<string>;
  readonly name: pulumi.Input<string>;
  /** The role that owns the database (and so may use it). */
  readonly ownerName: pulumi.Input<string>;
}

export class NeonDatabase extends NeonResource {
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: NeonDatabaseArgs, opts?: pulumi.CustomResourceOptions) {
    super("Database", name, { kind: "database", ...args }, opts);
  }
}

export interface NeonLoginArgs {
  readonly projectId: pulumi.Input<string>;
  /** A branch that inherited the role from its parent. */
  readonly branchId: pulumi.Input<string>;
  readonly name: pulumi.Input<string>;
}

/**
 * A new password for a role a branch inherited (kept secret): the stack's own credentials on a
 * restore branch, the parent's unchanged. Deleting it leaves the role to its branch.
 */
export class NeonLogin extends NeonResource {
  declare readonly password: pulumi.Output<string>;
  declare readonly name: pulumi.Output<string>;

  constructor(name: string, args: NeonLoginArgs, opts?: pulumi.CustomResourceOptions) {
    super(
      "Login",
      name,
      { kind: "login", ...args, password: undefined },
      {
        ...opts,
        additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password"],
      },
    );
  }
}

export interface NeonAllowedIpArgs {
  /** A project another stack owns. */
  readonly projectId: pulumi.Input<string>;
  readonly ip: pulumi.Input<string>;
}

/**
 * One address on another stack's project's IP Allow list, added only when that list restricts
 * anything, removed (only if added here) on delete.
 */
export class NeonAllowedIp extends NeonResource {
  declare readonly added: pulumi.Output<boolean>;

  constructor(name: string, args: NeonAllowedIpArgs, opts?: pulumi.CustomResourceOptions) {
    super("AllowedIp", name, { kind: "allowedIp", ...args, added: undefined }, opts);
  }
}
