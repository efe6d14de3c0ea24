import * as pulumi from "@pulumi/pulumi";
import { OFFLINE_PLAN_ENV } from "../../environments/load";
import { createNeonProvider } from "./provider";

/** One provider for all Neon resources: serialized once, configured once per `pulumi up`. */
const neonProvider = createNeonProvider();

/** What the offline plan shows instead of the provider's code, which it never runs. */
export const UNSERIALIZED_PROVIDER = "(the provider's code is serialized under `pulumi up`, not in the offline plan)";

let serialized: Promise<string> | undefined;

/**
 * The provider's code, as `pulumi.dynamic.Resource` stores it in each resource's `__provider`
 * input: `serializeFunction(() => provider, {allowSecrets: true})`. The first serialization in a
 * process costs about half a second (the closure serializer warms up), which the offline plan, never
 * running the provider, does not pay.
 */
function providerCode(): pulumi.Input<string> {
  if (process.env[OFFLINE_PLAN_ENV] === "1") return UNSERIALIZED_PROVIDER;
  serialized ??= pulumi.runtime.serializeFunction(() => neonProvider, { allowSecrets: true }).then((sf) => {
    // The API key comes from the stack config at run time; captured in the code it would sit in the
    // state of every Neon resource.
    if (sf.containsSecrets) throw new Error("the Neon provider's code captured a secret; it must read secrets in configure()");
    return sf.text;
  });
  return pulumi.output(serialized);
}

/**
 * A Neon resource, registered exactly as `pulumi.dynamic.Resource` registers one (type
 * `pulumi-nodejs:dynamic/neon:<Kind>`, the provider's code in `__provider`), so the engine runs it
 * with Pulumi's dynamic provider host.
 */
abstract class NeonResource extends pulumi.CustomResource {
  constructor(kind: string, name: string, props: pulumi.Inputs, opts?: pulumi.CustomResourceOptions) {
    super(`pulumi-nodejs:dynamic/neon:${kind}`, name, { ...props, __provider: providerCode() }, opts);
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
    super("Project", name, { kind: "project", ...args, projectId: undefined, defaultBranchId: undefined, host: undefined }, opts);
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
    super("Role", name, { kind: "role", ...args, password: undefined }, {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password"],
    });
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
    super("Login", name, { kind: "login", ...args, password: undefined }, {
      ...opts,
      additionalSecretOutputs: [...(opts?.additionalSecretOutputs ?? []), "password"],
    });
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
