import type { DatabaseKind } from "./app-definition";
import type { DatabaseDeclaration } from "./compose/model";
import { ATLAS_AZURE_FREE_REGIONS, ATLAS_AZURE_REGIONS, ATLAS_FREE_TIER, ATLAS_ORG_ID, RETIRED_ATLAS_TIERS, atlasRegionForAzure, isAtlasTier } from "./atlas";
import {
  NEON_MAX_HISTORY_RETENTION_SECONDS, NEON_PLANS, NEON_REGIONS, RETIRED_NEON_REGIONS, formatDuration, isNeonRegion,
  neonRegionForAzure, type NeonPlan,
} from "./neon";
import { z } from "zod";
import { MIN_PROD_RESTORE_WINDOW_HOURS, unsafeInProd } from "./prod-safety";
import { closest, type ConfigReader, type SecretDefinition, type Section } from "./reader";
import type { CoreSpec, SecretRequirement } from "./spec";

/** The database kinds liftoff provisions (Postgres on Neon, MongoDB on Atlas) are the application's. */
export { DATABASE_KINDS, type DatabaseKind } from "./app-definition";

/** One service's claim on one database: it gets that database and a login for it, nothing else. */
export interface DatabaseNeed {
  readonly service: string;
  readonly kind: DatabaseKind;
  /** The database the service owns, or uses when it shares another service's. */
  readonly database: string;
  /** Its login: a Postgres role on Neon, a database user on Atlas. Every service has its own. */
  readonly user: string;
  /**
   * Set when the service uses another service's database (`x-liftoff.databases: [{kind, shared:
   * <owner>}]`): `database` is then the owner's, created by the owner's need, and this need adds only
   * the service's own login with access to it.
   */
  readonly sharedFrom?: string;
}

export interface PostgresSpec {
  /** Neon project name, `<project>-<stack>`. */
  readonly projectName: string;
  readonly region: string;
  readonly plan: NeonPlan;
  /** How far back the project's branches can be restored. */
  readonly historyRetentionSeconds: number;
  readonly pgVersion: number;
  /** Needed only with a personal API key; an organization key implies it. */
  readonly orgId?: string;
  /**
   * Restrict connections to the host and the operators' SSH ranges with Neon's IP Allow, which only
   * the Scale plan offers; on other plans Neon takes connections from any address (TLS and password).
   */
  readonly ipAllow: boolean;
  /**
   * Disaster recovery: the services are pointed at a new branch holding the default branch's data as
   * of this instant (RFC 3339, UTC). Unset: the default branch.
   */
  readonly restoreFrom?: string;
  /**
   * Disaster recovery into this (new) stack: Postgres is served from a branch of another stack's
   * Neon project, started from that stack's branch at `timestamp`; this stack creates no project.
   */
  readonly restoreSource?: { readonly projectId: string; readonly branchId?: string; readonly timestamp: string };
}

export interface MongoSpec {
  readonly orgId: string;
  /** Atlas project and cluster name, `<project>-<stack>`. */
  readonly projectName: string;
  readonly clusterName: string;
  /** Atlas's name of the Azure region, e.g. EUROPE_WEST. */
  readonly region: string;
  readonly instanceSize: string;
  /** The free shared tier (M0): no backups, no dedicated resources. */
  readonly free: boolean;
  readonly backup: boolean;
  readonly pointInTimeRestore: boolean;
  readonly snapshotRetentionDays: number;
  /** Which credentials the Atlas provider uses. */
  readonly credentials: "apiKey" | "serviceAccount";
  /**
   * Disaster recovery into this (new) stack: once its cluster exists, a point-in-time restore job
   * copies another stack's cluster as of `timestamp` into it (replacing whatever it holds).
   */
  readonly restoreSource?: { readonly projectId: string; readonly clusterName: string; readonly timestamp: string };
}

/** The data layer's part of the environment. */
export interface DataSpec {
  /**
   * Which service needs which database, from the application's x-liftoff.databases.
   */
  readonly databases: readonly DatabaseNeed[];
  /** Present when some service needs Postgres. */
  readonly postgres?: PostgresSpec;
  /** Present when some service needs MongoDB. */
  readonly mongodb?: MongoSpec;
  readonly secrets: readonly SecretRequirement[];
}

export const NEON_API_KEY: SecretDefinition = {
  key: "neonApiKey",
  purpose: "lets liftoff create the Neon project, roles and databases",
  howToSet: "create an API key in the Neon Console (Organization settings → API keys), then: pulumi config set --secret liftoff:neonApiKey",
};
const ATLAS_API_KEY: readonly SecretDefinition[] = [
  {
    key: "atlasPublicKey",
    purpose: "identifies liftoff's Atlas API key (with liftoff:atlasPrivateKey)",
    howToSet: "create an API key with Organization Project Creator in Atlas (Organization → Access Manager → API Keys), then: pulumi config set --secret liftoff:atlasPublicKey",
  },
  {
    key: "atlasPrivateKey",
    purpose: "signs liftoff's Atlas API requests (with liftoff:atlasPublicKey)",
    howToSet: "copy the private key shown once when the Atlas API key is created, then: pulumi config set --secret liftoff:atlasPrivateKey",
  },
];
const ATLAS_SERVICE_ACCOUNT: readonly SecretDefinition[] = [
  {
    key: "atlasClientId",
    purpose: "identifies liftoff's Atlas service account (with liftoff:atlasClientSecret)",
    howToSet: "create a service account with Organization Project Creator in Atlas (Organization → Access Manager → Service Accounts), then: pulumi config set --secret liftoff:atlasClientId",
  },
  {
    key: "atlasClientSecret",
    purpose: "authenticates liftoff's Atlas service account (with liftoff:atlasClientId)",
    howToSet: "copy the client secret shown once when the service account is created, then: pulumi config set --secret liftoff:atlasClientSecret",
  },
];

/** The settings the data section reads. */
export const DATA_KEYS: readonly string[] = [
  "neonRegion", "neonPlan", "neonHistoryRetentionHours", "neonPgVersion", "neonOrgId", "neonRestoreFrom", "neonRestoreSource",
  "atlasOrgId", "atlasRegion", "atlasInstanceSize", "atlasBackup", "atlasPointInTimeRestore", "atlasSnapshotRetentionDays", "atlasRestoreSource",
  NEON_API_KEY.key, ...ATLAS_API_KEY.map((s) => s.key), ...ATLAS_SERVICE_ACCOUNT.map((s) => s.key),
];


/** Names Postgres or Neon keep for themselves: `neondb` and its owner come with every Neon project. */
const RESERVED_POSTGRES_NAMES = ["postgres", "template0", "template1", "neondb", "neondb_owner", "neon_superuser", "cloud_admin", "public"];
/** Databases every MongoDB deployment has; no application may own them. */
const RESERVED_MONGO_DATABASES = ["admin", "local", "config"];

/**
 * Why Postgres (on Neon) would refuse or mangle `name` as a database or role name, or undefined when
 * it is fine. liftoff keeps to unquoted identifiers, so no client has to quote them.
 */
export function postgresNameProblem(name: string): string | undefined {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) return "is not a plain Postgres identifier (lowercase letters, digits and _, not starting with a digit)";
  if (Buffer.byteLength(name) > 63) return "is longer than the 63 bytes Postgres keeps of a name";
  if (name.startsWith("pg_")) return "starts with pg_, which Postgres reserves";
  if (RESERVED_POSTGRES_NAMES.includes(name)) return "is a name Postgres or Neon already uses";
  return undefined;
}

/** Why MongoDB (on Atlas) would refuse `name` as a database name, or undefined when it is fine. */
export function mongoNameProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (/[/\\. "$*<>:|?\0]/.test(name)) return "contains a character MongoDB forbids in database names (/\\. \"$*<>:|? or a space)";
  if (Buffer.byteLength(name) > 63) return "is longer than the 63 bytes MongoDB allows";
  if (RESERVED_MONGO_DATABASES.includes(name.toLowerCase())) return "is a database MongoDB reserves for itself";
  return undefined;
}

/** The database and login names a service gets by default: its name, as a plain identifier. */
export function defaultDatabaseName(service: string): string {
  return service.replace(/-/g, "_");
}

/** Atlas cluster and project names: letters, digits and hyphens. */
function atlasName(namePrefix: string): string {
  return namePrefix.toLowerCase().replace(/[^a-z0-9-]/g, "-").slice(0, 64);
}

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
const utcInstant = z.string().refine((t) => RFC3339_UTC.test(t) && !Number.isNaN(Date.parse(t)), "is not a UTC instant YYYY-MM-DDTHH:MM:SSZ");
/** Neon's id patterns (its OpenAPI's path parameters). */
const NEON_ID = /^[a-z0-9-]{1,60}$/;
const neonRestoreSourceSchema = z.strictObject({
  projectId: z.string().regex(NEON_ID, "is not a Neon project id"),
  branchId: z.string().regex(/^br-[a-z0-9-]{1,57}$/, "is not a Neon branch id (br-...)").optional(),
  timestamp: utcInstant,
});
const atlasRestoreSourceSchema = z.strictObject({
  projectId: z.string().regex(/^[0-9a-f]{24}$/, "is not an Atlas project id (24 hexadecimal characters)"),
  clusterName: z.string().regex(/^[a-zA-Z0-9-]{1,64}$/, "is not an Atlas cluster name"),
  timestamp: utcInstant,
});
export const NEON_RESTORE_SOURCE_EXAMPLE = "liftoff:neonRestoreSource: {projectId: <source neonProjectId>, branchId: <source neonBranchId>, timestamp: 2026-11-20T08:30:00Z}";
export const ATLAS_RESTORE_SOURCE_EXAMPLE = "liftoff:atlasRestoreSource: {projectId: <source atlasProjectId>, clusterName: <source atlasClusterName>, timestamp: 2026-11-20T08:30:00Z}";
/** What Pulumi.dev.yaml and Pulumi.prod.yaml ship with until an operator sets theirs. */
export const ATLAS_PLACEHOLDER_ORG_ID = "000000000000000000000000";
const NEON_ORG_ID = /^[a-z0-9-]{1,60}$/;
/** What YAML 1.2 reads as a number (and Pulumi hands over as its text): 123, 1.5, 1.2345678901234569e+23, .inf. */
const YAML_NUMBER = /^[-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|\.?inf(inity)?|Infinity|NaN|\.nan)$/i;

/**
 * The data layer's section of the one validation step: which service needs which database, and the
 * Neon and Atlas settings, merged from the profile and the stack config.
 */
export const dataSection: Section<CoreSpec, DataSpec> = {
  keys: DATA_KEYS,
  read(reader: ConfigReader, core: CoreSpec): DataSpec | undefined {
    const before = reader.problems.filter((p) => p.severity === "error").length;
    const databases = readDatabases(reader, core);
    const needs = (kind: DatabaseKind) => databases.some((d) => d.kind === kind);
    const postgres = readPostgres(reader, core, needs("postgres"));
    const mongodb = readMongo(reader, core, needs("mongodb"));
    const secrets: SecretRequirement[] = [];
    if (needs("postgres")) secrets.push(reader.requireSecret(NEON_API_KEY));
    if (needs("mongodb")) secrets.push(...atlasCredentials(reader).requirements);
    if (reader.problems.filter((p) => p.severity === "error").length > before) return undefined;
    return {
      databases,
      ...(needs("postgres") && postgres ? { postgres } : {}),
      ...(needs("mongodb") && mongodb ? { mongodb } : {}),
      secrets,
    };
  },
};

/**
 * Which service owns which database, from the application's x-liftoff.databases: the one list,
 * checked here for names each database would accept, for two services using one database by
 * accident (the same name, without `shared`), and for sharing a database that no service owns.
 * Owners are read first, so a service may share the database of a service declared after it.
 */
function readDatabases(reader: ConfigReader, core: CoreSpec): DatabaseNeed[] {
  const file = core.app.file;
  const at = (service: string, i: number) => `${file}: services.${service}.x-liftoff.databases[${i}]`;
  /** `kind:database` → its owner; `service:kind` → the owner's need. */
  const ownerOf = new Map<string, string>();
  const owned = new Map<string, DatabaseNeed>();
  /** Owners whose declaration was refused: sharing theirs is not a second problem. */
  const refused = new Set<string>();
  /** `kind:login` → the service that has it. */
  const logins = new Map<string, string>();

  const login = (service: string, kind: DatabaseKind, key: string): string | undefined => {
    const user = defaultDatabaseName(service);
    const userProblem = kind === "postgres" ? postgresNameProblem(user) : undefined;
    if (userProblem) {
      reader.error({ key: `${file}: services.${service}`, value: service, message: `gives the Postgres role name ${user}, which ${userProblem}`, allowed: "a service name that is not a Postgres or Neon name", fix: `edit ${file}: rename the service` });
      return undefined;
    }
    const holder = logins.get(`${kind}:${user}`);
    if (holder !== undefined && holder !== service) {
      reader.error({ key, value: service, message: `gives the ${kind} login name ${user}, which ${holder} already has (- becomes _ in login names)`, allowed: "service names that differ in more than - and _", fix: `edit ${file}: rename ${service} or ${holder}` });
      return undefined;
    }
    logins.set(`${kind}:${user}`, service);
    return user;
  };

  // Databases named after their service first: when a name is taken twice by accident, the service
  // it is named after keeps it, and the message tells the other how to share it.
  const owning = core.services.flatMap((service) => service.databases.map((declaration: DatabaseDeclaration, i) => ({ service, declaration, i })))
    .filter(({ declaration }) => declaration.sharedFrom === undefined)
    .sort((a, b) => Number(a.declaration.database !== undefined) - Number(b.declaration.database !== undefined));
  for (const { service, declaration, i } of owning) {
    const key = at(service.name, i);
    const kind = declaration.kind;
    const database = declaration.database ?? defaultDatabaseName(service.name);
    const nameKey = declaration.database === undefined ? key : `${key}.database`;
    const nameFix = `edit ${file}: set ${service.name}'s x-liftoff.databases[${i}] to {kind: ${kind}, database: ${defaultDatabaseName(service.name)}_${kind === "postgres" ? "db" : "docs"}}`;
    const problem = kind === "postgres" ? postgresNameProblem(database) : mongoNameProblem(database);
    if (problem) {
      refused.add(`${service.name}:${kind}`);
      reader.error({ key: nameKey, value: database, message: `${problem}, so ${kind === "postgres" ? "Neon" : "Atlas"} would refuse it as ${service.name}'s database`, allowed: kind === "postgres" ? "1-63 lowercase letters, digits and _, not postgres, template0/1, neondb or pg_*" : "1-63 characters without /\\. \"$*<>:|? or spaces, not admin, local or config", fix: nameFix });
      continue;
    }
    const owner = ownerOf.get(`${kind}:${database}`);
    if (owner !== undefined) {
      reader.error({
        key: nameKey,
        value: database,
        message: `is already ${owner}'s ${kind} database; each service gets its own unless it shares one explicitly`,
        allowed: `a database name no other service uses, or {kind: ${kind}, shared: ${owner}} to use ${owner}'s with a login of ${service.name}'s own`,
        fix: `edit ${file}: set ${service.name}'s x-liftoff.databases[${i}] to {kind: ${kind}, shared: ${owner}}, or give it another database name`,
      });
      refused.add(`${service.name}:${kind}`);
      continue;
    }
    const user = login(service.name, kind, key);
    if (user === undefined) {
      refused.add(`${service.name}:${kind}`);
      continue;
    }
    ownerOf.set(`${kind}:${database}`, service.name);
    owned.set(`${service.name}:${kind}`, { service: service.name, kind, database, user });
  }

  const needs: DatabaseNeed[] = [];
  const serviceNames = core.services.map((s) => s.name);
  for (const service of core.services) {
    service.databases.forEach((declaration: DatabaseDeclaration, i) => {
      const kind = declaration.kind;
      const ownerName = declaration.sharedFrom;
      if (ownerName === undefined) {
        const need = owned.get(`${service.name}:${kind}`);
        if (need) needs.push(need);
        return;
      }
      const key = at(service.name, i);
      const owners = [...owned.values()].filter((n) => n.kind === kind && n.service !== service.name).map((n) => n.service);
      const allowed = owners.length > 0 ? `a service that owns a ${kind} database: ${owners.join(", ")}` : `a service that owns a ${kind} database (none does yet)`;
      if (ownerName === service.name) {
        reader.error({ key: `${key}.shared`, value: ownerName, message: `names ${service.name} itself; a service owns its database by leaving out shared`, allowed, fix: `edit ${file}: remove shared from ${service.name}'s x-liftoff.databases[${i}] (it is then ${service.name}'s own ${kind} database)` });
        return;
      }
      if (refused.has(`${ownerName}:${kind}`)) return;
      const need = owned.get(`${ownerName}:${kind}`);
      if (!need) {
        const exists = serviceNames.includes(ownerName);
        const ownerDeclarations: readonly DatabaseDeclaration[] = core.services.find((s) => s.name === ownerName)?.databases ?? [];
        const ownerShares = ownerDeclarations.find((d) => d.kind === kind && d.sharedFrom !== undefined)?.sharedFrom;
        const why = !exists
          ? `is not a service of the application${closest(ownerName, serviceNames) ? ` (did you mean ${closest(ownerName, serviceNames)}?)` : ""}`
          : ownerShares !== undefined
            ? `shares ${ownerShares}'s ${kind} database itself, so it has none to share; share the owner's`
            : `owns no ${kind} database to share (its x-liftoff.databases has no ${kind})`;
        const suggestion = ownerShares ?? (exists ? undefined : closest(ownerName, owners)) ?? owners[0];
        reader.error({
          key: `${key}.shared`,
          value: ownerName,
          message: why,
          allowed,
          fix: suggestion !== undefined
            ? `edit ${file}: set ${service.name}'s x-liftoff.databases[${i}].shared to ${suggestion}${exists && ownerShares === undefined ? `, or add ${kind} to ${ownerName}'s x-liftoff.databases` : ""}`
            : `edit ${file}: add ${kind} to ${exists ? ownerName : "the owning service"}'s x-liftoff.databases, or remove shared to give ${service.name} a database of its own`,
        });
        return;
      }
      if (declaration.database !== undefined && declaration.database !== need.database) {
        reader.error({ key: `${key}.database`, value: declaration.database, message: `is not ${ownerName}'s ${kind} database (${need.database}), which this declaration shares`, allowed: `${need.database}, or no database (a shared database is the owner's)`, fix: `edit ${file}: remove database from ${service.name}'s x-liftoff.databases[${i}]` });
        return;
      }
      const user = login(service.name, kind, key);
      if (user === undefined) return;
      needs.push({ service: service.name, kind, database: need.database, user, sharedFrom: ownerName });
    });
  }
  return needs;
}

function readPostgres(reader: ConfigReader, core: CoreSpec, needed: boolean): PostgresSpec | undefined {
  const k = (key: string) => reader.key(key);
  const defaults = core.profile.data.neon;
  let ok = true;

  const region = reader.text("neonRegion") ?? neonRegionForAzure(core.region);
  const retired = RETIRED_NEON_REGIONS[region];
  if (retired) {
    ok = false;
    reader.error({ key: k("neonRegion"), value: region, message: `was retired by Neon on ${retired.retired}; no project can be created there`, allowed: NEON_REGIONS.join(", "), fix: reader.setCommand("neonRegion", retired.successor) });
  } else if (!isNeonRegion(region)) {
    ok = false;
    reader.error({ key: k("neonRegion"), value: region, message: "is not a Neon region", allowed: NEON_REGIONS.join(", "), fix: reader.setCommand("neonRegion", closest(region, NEON_REGIONS) ?? neonRegionForAzure(core.region)) });
  }

  const planText = reader.text("neonPlan") ?? defaults.plan;
  let plan: NeonPlan | undefined;
  if ((NEON_PLANS as readonly string[]).includes(planText)) plan = planText as NeonPlan;
  else {
    ok = false;
    reader.error({ key: k("neonPlan"), value: planText, message: "is not a Neon plan", allowed: NEON_PLANS.join(", "), fix: reader.setCommand("neonPlan", "launch") });
  }

  const hours = reader.integer("neonHistoryRetentionHours", defaults.historyRetentionSeconds / 3600, 0, 720, "24");
  if (hours === undefined) ok = false;
  if (plan && hours !== undefined) {
    const max = NEON_MAX_HISTORY_RETENTION_SECONDS[plan];
    if (hours * 3600 > max) {
      ok = false;
      const given = reader.isSet("neonHistoryRetentionHours") ? "" : ` (the ${core.profileName} profile's default)`;
      reader.error({
        key: k("neonHistoryRetentionHours"),
        value: String(hours),
        message: `is longer than Neon's ${plan} plan allows${given}; Neon would refuse to create the project`,
        allowed: `0-${max / 3600} hours (${formatDuration(max)}) on the ${plan} plan`,
        fix: `${reader.setCommand("neonHistoryRetentionHours", String(max / 3600))}, or move to a larger plan and set liftoff:neonPlan`,
      });
    }
  }

  if (hours !== undefined && hours < MIN_PROD_RESTORE_WINDOW_HOURS && needed) {
    const given = reader.isSet("neonHistoryRetentionHours") ? "" : ` (the ${core.profileName} profile's default)`;
    if (unsafeInProd(reader, "neonHistoryRetentionHours", { key: k("neonHistoryRetentionHours"), value: String(hours), message: `keeps ${hours} h of history${given}, less than the ${MIN_PROD_RESTORE_WINDOW_HOURS} h minimum`, allowed: `${MIN_PROD_RESTORE_WINDOW_HOURS} hours or more (the Launch and Scale plans allow 168 and 720)`, fix: reader.setCommand("neonHistoryRetentionHours", "168") })) ok = false;
  }

  const pgVersion = reader.integer("neonPgVersion", 17, 14, 18, "17");
  if (pgVersion === undefined) ok = false;

  const orgId = reader.text("neonOrgId");
  if (orgId !== undefined && !NEON_ORG_ID.test(orgId)) {
    ok = false;
    reader.error({ key: k("neonOrgId"), value: orgId, message: "is not a Neon organization id", allowed: "the id from Neon Console → Organization settings, e.g. org-morning-bread-81040908", fix: reader.setCommand("neonOrgId", "org-morning-bread-81040908") });
  }

  const restoreFrom = reader.text("neonRestoreFrom");
  if (restoreFrom !== undefined && (!RFC3339_UTC.test(restoreFrom) || Number.isNaN(Date.parse(restoreFrom)))) {
    ok = false;
    reader.error({ key: k("neonRestoreFrom"), value: restoreFrom, message: "is not a UTC timestamp Neon accepts", allowed: "YYYY-MM-DDTHH:MM:SSZ within the restore window, e.g. 2026-11-20T08:30:00Z", fix: reader.setCommand("neonRestoreFrom", "2026-11-20T08:30:00Z") });
  }

  const restoreSource = reader.structured(
    "neonRestoreSource",
    neonRestoreSourceSchema,
    "disaster recovery into this stack: {projectId, branchId (optional: the default branch), timestamp} of the source stack's Neon project (its neonProjectId and neonBranchId outputs) and a UTC instant inside its history retention; `npm run recreate` sets it",
    NEON_RESTORE_SOURCE_EXAMPLE,
  );
  if (reader.isSet("neonRestoreSource") && restoreSource === undefined) ok = false;
  if (restoreSource && restoreFrom !== undefined) {
    ok = false;
    reader.error({ key: k("neonRestoreSource"), value: JSON.stringify(restoreSource), message: "is set together with liftoff:neonRestoreFrom; a stack restores either its own project (neonRestoreFrom) or another stack's (neonRestoreSource)", allowed: "one of the two", fix: `pulumi config rm ${k("neonRestoreFrom")} --stack ${reader.stack}` });
  }

  if (!ok || !plan || hours === undefined || pgVersion === undefined) return undefined;
  return {
    projectName: core.namePrefix,
    region,
    plan,
    historyRetentionSeconds: hours * 3600,
    pgVersion,
    ipAllow: plan === "scale",
    ...(orgId ? { orgId } : {}),
    ...(restoreFrom ? { restoreFrom } : {}),
    ...(restoreSource ? { restoreSource: { projectId: restoreSource.projectId, ...(restoreSource.branchId ? { branchId: restoreSource.branchId } : {}), timestamp: restoreSource.timestamp } } : {}),
  };
}

function readMongo(reader: ConfigReader, core: CoreSpec, needed: boolean): MongoSpec | undefined {
  const k = (key: string) => reader.key(key);
  const defaults = core.profile.data.atlas;
  let ok = true;

  const orgId = reader.text("atlasOrgId");
  if (orgId === undefined) {
    if (needed) {
      ok = false;
      reader.error({ key: k("atlasOrgId"), message: "is not set; the Atlas project is created in this organization", allowed: "the 24-character id from Atlas → Organization Settings", fix: reader.setCommand("atlasOrgId", "<24-hex-character-org-id>") });
    }
  } else if (orgId === ATLAS_PLACEHOLDER_ORG_ID && needed) {
    // The example stack files carry this placeholder so the offline plan works out of the box.
    const problem = { key: k("atlasOrgId"), value: orgId, message: "is the example stack file's placeholder, not your organization", allowed: "the 24-character id from Atlas → Organization Settings", fix: reader.setCommand("atlasOrgId", "<24-hex-character-org-id>") };
    if (reader.input.mode === "up") {
      ok = false;
      reader.error(problem);
    } else {
      reader.warn(problem);
    }
  } else if (!ATLAS_ORG_ID.test(orgId)) {
    ok = false;
    // An id of digits left unquoted in the stack file is read by YAML as a number, and reaches us
    // rounded (1.2345678901234569e+23, or 0 for the zeros placeholder): the digits are lost.
    if (YAML_NUMBER.test(orgId)) {
      reader.error({
        key: k("atlasOrgId"),
        value: orgId,
        message: "was read by YAML as a number, not text, so its digits are lost: quote it",
        allowed: "24 hexadecimal characters, in quotes when they are all digits",
        fix: `write it in quotes in Pulumi.${reader.stack}.yaml: \`liftoff:atlasOrgId: "<your 24-character org id>"\`, or set it with ${reader.setCommand("atlasOrgId", "<your-24-character-org-id>")} (the CLI stores it as text)`,
      });
    } else {
      reader.error({ key: k("atlasOrgId"), value: orgId, message: "is not an Atlas organization id", allowed: "24 hexadecimal characters, from Atlas → Organization Settings", fix: reader.setCommand("atlasOrgId", "<24-hex-character-org-id>") });
    }
  }

  const instanceSize = reader.text("atlasInstanceSize") ?? defaults.instanceSize;
  if (RETIRED_ATLAS_TIERS.includes(instanceSize)) {
    ok = false;
    reader.error({ key: k("atlasInstanceSize"), value: instanceSize, message: "is a shared tier Atlas retired in January 2026", allowed: "M0 (free) or a dedicated tier M10 and up", fix: reader.setCommand("atlasInstanceSize", "M10") });
  } else if (!isAtlasTier(instanceSize)) {
    ok = false;
    reader.error({ key: k("atlasInstanceSize"), value: instanceSize, message: "is not an Atlas cluster tier liftoff provisions", allowed: "M0 (free) or a dedicated tier: M10, M20, M30, ... or R40, R50, ...", fix: reader.setCommand("atlasInstanceSize", "M10") });
  }
  const free = instanceSize === ATLAS_FREE_TIER;

  const backup = reader.boolean("atlasBackup", defaults.backup);
  const pointInTimeRestore = reader.boolean("atlasPointInTimeRestore", defaults.pointInTimeRestore);
  // Prod needs the backups; reported once, on the setting that takes them away.
  let prodRefused = false;
  if (needed && free) {
    prodRefused = unsafeInProd(reader, "atlasBackup", { key: k("atlasInstanceSize"), value: instanceSize, message: "is the free tier, which has no cloud backup", allowed: "a dedicated tier (M10 and up) with liftoff:atlasBackup true", fix: reader.setCommand("atlasInstanceSize", "M10") });
  } else if (needed && !backup) {
    prodRefused = unsafeInProd(reader, "atlasBackup", { key: k("atlasBackup"), value: "false", message: "turns Atlas cloud backup off", allowed: "true", fix: reader.setCommand("atlasBackup", "true") });
  } else if (needed && !pointInTimeRestore) {
    prodRefused = unsafeInProd(reader, "atlasPointInTimeRestore", { key: k("atlasPointInTimeRestore"), value: "false", message: "turns Atlas point-in-time restore off", allowed: "true", fix: reader.setCommand("atlasPointInTimeRestore", "true") });
  }
  if (prodRefused) ok = false;
  if (backup && free && !prodRefused) {
    ok = false;
    const blamed = reader.isSet("atlasInstanceSize") || !reader.isSet("atlasBackup") ? "atlasInstanceSize" : "atlasBackup";
    reader.error({
      key: k(blamed),
      value: blamed === "atlasInstanceSize" ? instanceSize : "true",
      message: blamed === "atlasInstanceSize"
        ? `cannot have cloud backups, which this stack asks for (liftoff:atlasBackup is true${reader.isSet("atlasBackup") ? "" : ` in the ${core.profileName} profile`})`
        : `asks for cloud backups, which the free tier ${instanceSize} cannot have`,
      allowed: "a dedicated tier (M10 and up) when backups are on",
      fix: `${reader.setCommand("atlasInstanceSize", "M10")}, or turn backups off: ${reader.setCommand("atlasBackup", "false")}`,
    });
  } else if (pointInTimeRestore && !backup && !prodRefused) {
    ok = false;
    reader.error({ key: k("atlasPointInTimeRestore"), value: "true", message: "needs cloud backup, which is off", allowed: "true only with liftoff:atlasBackup true", fix: reader.setCommand("atlasPointInTimeRestore", "false") });
  }
  const retentionFallback = defaults.snapshotRetentionDays > 0 ? defaults.snapshotRetentionDays : 7;
  const snapshotRetentionDays = reader.integer("atlasSnapshotRetentionDays", retentionFallback, 1, 365, "7");
  if (snapshotRetentionDays === undefined) ok = false;

  const regionText = reader.text("atlasRegion");
  const region = regionText ?? atlasRegionForAzure(core.region, free);
  if (!ATLAS_AZURE_REGIONS.includes(region)) {
    ok = false;
    reader.error({ key: k("atlasRegion"), value: region, message: "is not an Atlas region on Azure", allowed: "Atlas's name of an Azure region, e.g. EUROPE_WEST, US_EAST_2; unset: the one nearest liftoff:region", fix: reader.setCommand("atlasRegion", closest(region, ATLAS_AZURE_REGIONS) ?? atlasRegionForAzure(core.region, free)) });
  } else if (regionText !== undefined && free && !ATLAS_AZURE_FREE_REGIONS.includes(region)) {
    reader.warn({ key: k("atlasRegion"), value: region, message: "may not offer the free M0 tier on Azure; Atlas refuses the cluster if it does not", allowed: `a region Atlas offers M0 in on Azure, e.g. ${ATLAS_AZURE_FREE_REGIONS.join(", ")}`, fix: reader.setCommand("atlasRegion", atlasRegionForAzure(core.region, true)) });
  }

  const restoreSource = reader.structured(
    "atlasRestoreSource",
    atlasRestoreSourceSchema,
    "disaster recovery into this stack: {projectId, clusterName, timestamp} of the source stack's cluster (its atlasProjectId and atlasClusterName outputs), which must have cloud backup with point-in-time restore, and a UTC instant inside its restore window; `npm run recreate` sets it",
    ATLAS_RESTORE_SOURCE_EXAMPLE,
  );
  if (reader.isSet("atlasRestoreSource") && restoreSource === undefined) ok = false;
  if (restoreSource && free) {
    ok = false;
    reader.error({ key: k("atlasRestoreSource"), value: JSON.stringify(restoreSource), message: `restores into this stack's cluster, but ${instanceSize} is the free shared tier, which Atlas cannot restore a backup into`, allowed: "a restore source only with a dedicated tier (M10 and up)", fix: reader.setCommand("atlasInstanceSize", "M10") });
  }

  if (!ok || orgId === undefined || snapshotRetentionDays === undefined) return undefined;
  const name = atlasName(core.namePrefix);
  return {
    orgId,
    projectName: name,
    clusterName: name,
    region,
    instanceSize,
    free,
    backup,
    pointInTimeRestore,
    snapshotRetentionDays,
    credentials: atlasCredentials(reader, { quiet: true }).kind,
    ...(restoreSource ? { restoreSource } : {}),
  };
}

/**
 * Atlas takes either a programmatic API key (public + private) or a service account (client id +
 * secret). Whichever pair the operator started setting is the one required.
 */
function atlasCredentials(reader: ConfigReader, options: { quiet?: boolean } = {}): { kind: "apiKey" | "serviceAccount"; requirements: SecretRequirement[] } {
  const serviceAccount = ATLAS_SERVICE_ACCOUNT.some((s) => reader.isSet(s.key)) && !ATLAS_API_KEY.some((s) => reader.isSet(s.key));
  const kind = serviceAccount ? "serviceAccount" : "apiKey";
  if (options.quiet) return { kind, requirements: [] };
  const pair = serviceAccount ? ATLAS_SERVICE_ACCOUNT : ATLAS_API_KEY;
  return { kind, requirements: pair.map((s) => reader.requireSecret(s)) };
}
