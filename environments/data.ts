/**
 * The data layer's section: which service needs which database (from the application), and the
 * Neon and Atlas settings (DATA_SETTINGS in settings.ts), merged from the profile and the stack
 * config. Each `readX` step reports to the one collector.
 */
import type { DatabaseDeclaration, DatabaseKind } from "./compose/model";
import type { CoreSpec } from "./core";
import {
  ATLAS_AZURE_FREE_REGIONS,
  ATLAS_AZURE_REGIONS,
  ATLAS_FREE_TIER,
  ATLAS_ORG_ID,
  RETIRED_ATLAS_TIERS,
  atlasRegionForAzure,
  isAtlasTier,
} from "./atlas";
import {
  NEON_MAX_HISTORY_RETENTION_SECONDS,
  NEON_REGIONS,
  RETIRED_NEON_REGIONS,
  formatDuration,
  isNeonRegion,
  neonRegionForAzure,
  type NeonPlan,
} from "./neon";
import { MIN_PROD_RESTORE_WINDOW_HOURS, unsafeInProd } from "./prod-safety";
import { closest, type ConfigReader, type SecretRequirement } from "./reader";
import { DATA_SETTINGS, isUtcInstant } from "./settings";
import { defaultValue, type Section } from "./setting";

/** The database kinds liftoff provisions (Postgres on Neon, MongoDB on Atlas) are the application's. */
export { DATABASE_KINDS, type DatabaseKind } from "./compose/model";

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

const S = DATA_SETTINGS;

/** Names Postgres or Neon keep for themselves: `neondb` and its owner come with every Neon project. */
const RESERVED_POSTGRES_NAMES = [
  "postgres",
  "template0",
  "template1",
  "neondb",
  "neondb_owner",
  "neon_superuser",
  "cloud_admin",
  "public",
];
/** Databases every MongoDB deployment has; no application may own them. */
const RESERVED_MONGO_DATABASES = ["admin", "local", "config"];

/**
 * Why Postgres (on Neon) would refuse or mangle `name` as a database or role name, or undefined when
 * it is fine. liftoff keeps to unquoted identifiers, so no client has to quote them.
 */
export function postgresNameProblem(name: string): string | undefined {
  if (!/^[a-z_][a-z0-9_]*$/.test(name))
    return "is not a plain Postgres identifier (lowercase letters, digits and _, not starting with a digit)";
  if (Buffer.byteLength(name) > 63) return "is longer than the 63 bytes Postgres keeps of a name";
  if (name.startsWith("pg_")) return "starts with pg_, which Postgres reserves";
  if (RESERVED_POSTGRES_NAMES.includes(name)) return "is a name Postgres or Neon already uses";
  return undefined;
}

/** Why MongoDB (on Atlas) would refuse `name` as a database name, or undefined when it is fine. */
export function mongoNameProblem(name: string): string | undefined {
  if (name.length === 0) return "is empty";
  if (/[/\\. "$*<>:|?\0]/.test(name))
    return 'contains a character MongoDB forbids in database names (/\\. "$*<>:|? or a space)';
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
  return namePrefix
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .slice(0, 64);
}

/** What Pulumi.dev.yaml and Pulumi.prod.yaml ship with until an operator sets theirs. */
export const ATLAS_PLACEHOLDER_ORG_ID = "000000000000000000000000";
const NEON_ORG_ID = /^[a-z0-9-]{1,60}$/;
/** What YAML 1.2 reads as a number (and Pulumi hands over as its text): 123, 1.5, 1.2345678901234569e+23, .inf. */
const YAML_NUMBER = /^[-+]?(\d+(\.\d*)?([eE][-+]?\d+)?|\.\d+([eE][-+]?\d+)?|\.?inf(inity)?|Infinity|NaN|\.nan)$/i;

/**
 * The data layer's section: the databases every service needs, and the Neon and Atlas settings.
 * Neon's and Atlas's settings are checked even when no service needs them (a stack file with a bad
 * value is wrong either way); their part and credentials are in the spec only when one does.
 */
export const dataSection: Section<"data", CoreSpec, DataSpec> = {
  name: "data",
  title: "Data: Neon Postgres and MongoDB Atlas",
  settings: DATA_SETTINGS,
  read(reader: ConfigReader, core: CoreSpec): DataSpec {
    const databases = readDatabases(reader, core);
    const needs = (kind: DatabaseKind) => databases.some((d) => d.kind === kind);
    const postgres = readPostgres(reader, core, needs("postgres"));
    const mongodb = readMongo(reader, core, needs("mongodb"));
    return {
      databases,
      ...(needs("postgres") ? { postgres } : {}),
      ...(needs("mongodb") ? { mongodb } : {}),
      secrets: [
        ...(needs("postgres") ? [S.neonApiKey.read(reader)!] : []),
        ...(needs("mongodb") ? atlasCredentials(reader).requirements : []),
      ],
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
      reader.error({
        key: `${file}: services.${service}`,
        value: service,
        message: `gives the Postgres role name ${user}, which ${userProblem}`,
        allowed: "a service name that is not a Postgres or Neon name",
        fix: `edit ${file}: rename the service`,
      });
      return undefined;
    }
    const holder = logins.get(`${kind}:${user}`);
    if (holder !== undefined && holder !== service) {
      reader.error({
        key,
        value: service,
        message: `gives the ${kind} login name ${user}, which ${holder} already has (- becomes _ in login names)`,
        allowed: "service names that differ in more than - and _",
        fix: `edit ${file}: rename ${service} or ${holder}`,
      });
      return undefined;
    }
    logins.set(`${kind}:${user}`, service);
    return user;
  };

  // Databases named after their service first: when a name is taken twice by accident, the service
  // it is named after keeps it, and the message tells the other how to share it.
  const owning = core.services
    .flatMap((service) => service.databases.map((declaration: DatabaseDeclaration, i) => ({ service, declaration, i })))
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
      reader.error({
        key: nameKey,
        value: database,
        message: `${problem}, so ${kind === "postgres" ? "Neon" : "Atlas"} would refuse it as ${service.name}'s database`,
        allowed:
          kind === "postgres"
            ? "1-63 lowercase letters, digits and _, not postgres, template0/1, neondb or pg_*"
            : '1-63 characters without /\\. "$*<>:|? or spaces, not admin, local or config',
        fix: nameFix,
      });
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
      const owners = [...owned.values()]
        .filter((n) => n.kind === kind && n.service !== service.name)
        .map((n) => n.service);
      const allowed =
        owners.length > 0
          ? `a service that owns a ${kind} database: ${owners.join(", ")}`
          : `a service that owns a ${kind} database (none does yet)`;
      if (ownerName === service.name) {
        reader.error({
          key: `${key}.shared`,
          value: ownerName,
          message: `names ${service.name} itself; a service owns its database by leaving out shared`,
          allowed,
          fix: `edit ${file}: remove shared from ${service.name}'s x-liftoff.databases[${i}] (it is then ${service.name}'s own ${kind} database)`,
        });
        return;
      }
      if (refused.has(`${ownerName}:${kind}`)) return;
      const need = owned.get(`${ownerName}:${kind}`);
      if (!need) {
        const exists = serviceNames.includes(ownerName);
        const ownerDeclarations: readonly DatabaseDeclaration[] =
          core.services.find((s) => s.name === ownerName)?.databases ?? [];
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
          fix:
            suggestion !== undefined
              ? `edit ${file}: set ${service.name}'s x-liftoff.databases[${i}].shared to ${suggestion}${exists && ownerShares === undefined ? `, or add ${kind} to ${ownerName}'s x-liftoff.databases` : ""}`
              : `edit ${file}: add ${kind} to ${exists ? ownerName : "the owning service"}'s x-liftoff.databases, or remove shared to give ${service.name} a database of its own`,
        });
        return;
      }
      if (declaration.database !== undefined && declaration.database !== need.database) {
        reader.error({
          key: `${key}.database`,
          value: declaration.database,
          message: `is not ${ownerName}'s ${kind} database (${need.database}), which this declaration shares`,
          allowed: `${need.database}, or no database (a shared database is the owner's)`,
          fix: `edit ${file}: remove database from ${service.name}'s x-liftoff.databases[${i}]`,
        });
        return;
      }
      const user = login(service.name, kind, key);
      if (user === undefined) return;
      needs.push({ service: service.name, kind, database: need.database, user, sharedFrom: ownerName });
    });
  }
  return needs;
}

/** Neon's settings; invalid ones are reported, and stood in for by the profile's. */
function readPostgres(reader: ConfigReader, core: CoreSpec, needed: boolean): PostgresSpec {
  const defaults = core.profile.data.neon;
  const region = readNeonRegion(reader, core);
  const plan = S.neonPlan.read(reader, core.profile);
  const hours = readNeonHistoryRetentionHours(reader, core, plan, needed);
  const pgVersion = S.neonPgVersion.read(reader) ?? defaultValue(S.neonPgVersion, core.profile)!;
  const orgId = readNeonOrgId(reader);
  const restoreFrom = readNeonRestoreFrom(reader);
  const restoreSource = readNeonRestoreSource(reader, restoreFrom);
  return {
    projectName: core.namePrefix,
    region,
    plan: plan ?? defaults.plan,
    historyRetentionSeconds: hours === undefined ? defaults.historyRetentionSeconds : hours * 3600,
    pgVersion,
    ipAllow: plan === "scale",
    ...(orgId ? { orgId } : {}),
    ...(restoreFrom ? { restoreFrom } : {}),
    ...(restoreSource
      ? {
          restoreSource: {
            projectId: restoreSource.projectId,
            ...(restoreSource.branchId ? { branchId: restoreSource.branchId } : {}),
            timestamp: restoreSource.timestamp,
          },
        }
      : {}),
  };
}

function readNeonRegion(reader: ConfigReader, core: CoreSpec): string {
  const region = S.neonRegion.read(reader) ?? neonRegionForAzure(core.region);
  const retired = RETIRED_NEON_REGIONS[region];
  if (retired) {
    reader.error({
      key: reader.key(S.neonRegion.key),
      value: region,
      message: `was retired by Neon on ${retired.retired}; no project can be created there`,
      allowed: NEON_REGIONS.join(", "),
      fix: reader.setCommand(S.neonRegion.key, retired.successor),
    });
  } else if (!isNeonRegion(region)) {
    reader.error({
      key: reader.key(S.neonRegion.key),
      value: region,
      message: "is not a Neon region",
      allowed: NEON_REGIONS.join(", "),
      fix: reader.setCommand(S.neonRegion.key, closest(region, NEON_REGIONS) ?? neonRegionForAzure(core.region)),
    });
  }
  return region;
}

/** The history retention, within what the Neon plan allows, and at least a day in prod. */
function readNeonHistoryRetentionHours(
  reader: ConfigReader,
  core: CoreSpec,
  plan: NeonPlan | undefined,
  needed: boolean,
): number | undefined {
  const key = S.neonHistoryRetentionHours.key;
  const hours = S.neonHistoryRetentionHours.read(reader, core.profile);
  if (hours === undefined) return undefined;
  const given = reader.isSet(key) ? "" : ` (the ${core.profileName} profile's default)`;
  const max = plan && NEON_MAX_HISTORY_RETENTION_SECONDS[plan];
  if (plan && max !== undefined && hours * 3600 > max) {
    reader.error({
      key: reader.key(key),
      value: String(hours),
      message: `is longer than Neon's ${plan} plan allows${given}; Neon would refuse to create the project`,
      allowed: `0-${max / 3600} hours (${formatDuration(max)}) on the ${plan} plan`,
      fix: `${reader.setCommand(key, String(max / 3600))}, or move to a larger plan and set liftoff:neonPlan`,
    });
  }
  if (hours < MIN_PROD_RESTORE_WINDOW_HOURS && needed) {
    unsafeInProd(reader, "neonHistoryRetentionHours", {
      key: reader.key(key),
      value: String(hours),
      message: `keeps ${hours} h of history${given}, less than the ${MIN_PROD_RESTORE_WINDOW_HOURS} h minimum`,
      allowed: `${MIN_PROD_RESTORE_WINDOW_HOURS} hours or more (the Launch and Scale plans allow 168 and 720)`,
      fix: reader.setCommand(key, "168"),
    });
  }
  return hours;
}

function readNeonOrgId(reader: ConfigReader): string | undefined {
  const orgId = S.neonOrgId.read(reader);
  if (orgId !== undefined && !NEON_ORG_ID.test(orgId)) {
    reader.error({
      key: reader.key(S.neonOrgId.key),
      value: orgId,
      message: "is not a Neon organization id",
      allowed: S.neonOrgId.allowed,
      fix: reader.setCommand(S.neonOrgId.key, S.neonOrgId.example),
    });
  }
  return orgId;
}

function readNeonRestoreFrom(reader: ConfigReader): string | undefined {
  const instant = S.neonRestoreFrom.read(reader);
  if (instant !== undefined && !isUtcInstant(instant)) {
    reader.error({
      key: reader.key(S.neonRestoreFrom.key),
      value: instant,
      message: "is not a UTC timestamp Neon accepts",
      allowed: S.neonRestoreFrom.allowed,
      fix: reader.setCommand(S.neonRestoreFrom.key, S.neonRestoreFrom.example),
    });
  }
  return instant;
}

/** A stack restores either its own project (neonRestoreFrom) or another stack's (neonRestoreSource). */
function readNeonRestoreSource(reader: ConfigReader, restoreFrom: string | undefined) {
  const source = S.neonRestoreSource.read(reader);
  if (source && restoreFrom !== undefined) {
    reader.error({
      key: reader.key(S.neonRestoreSource.key),
      value: JSON.stringify(source),
      message:
        "is set together with liftoff:neonRestoreFrom; a stack restores either its own project (neonRestoreFrom) or another stack's (neonRestoreSource)",
      allowed: "one of the two",
      fix: `pulumi config rm ${reader.key(S.neonRestoreFrom.key)} --stack ${reader.stack}`,
    });
  }
  return source;
}

/** Atlas's settings; invalid ones are reported, and stood in for by the profile's. */
function readMongo(reader: ConfigReader, core: CoreSpec, needed: boolean): MongoSpec {
  const orgId = readAtlasOrgId(reader, needed);
  const instanceSize = readAtlasInstanceSize(reader, core);
  const free = instanceSize === ATLAS_FREE_TIER;
  const { backup, pointInTimeRestore } = readAtlasBackup(reader, core, instanceSize, needed);
  const snapshotRetentionDays =
    S.atlasSnapshotRetentionDays.read(reader, core.profile) ??
    defaultValue(S.atlasSnapshotRetentionDays, core.profile)!;
  const region = readAtlasRegion(reader, core, free);
  const restoreSource = readAtlasRestoreSource(reader, instanceSize);
  const name = atlasName(core.namePrefix);
  return {
    orgId: orgId ?? "",
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

function readAtlasOrgId(reader: ConfigReader, needed: boolean): string | undefined {
  const key = reader.key(S.atlasOrgId.key);
  const fix = reader.setCommand(S.atlasOrgId.key, S.atlasOrgId.example);
  const orgId = S.atlasOrgId.read(reader);
  if (orgId === undefined) {
    if (needed)
      reader.error({
        key,
        message: "is not set; the Atlas project is created in this organization",
        allowed: "the 24-character id from Atlas → Organization Settings",
        fix,
      });
  } else if (orgId === ATLAS_PLACEHOLDER_ORG_ID && needed) {
    // The example stack files carry this placeholder so the offline plan works out of the box.
    const problem = {
      key,
      value: orgId,
      message: "is the example stack file's placeholder, not your organization",
      allowed: "the 24-character id from Atlas → Organization Settings",
      fix,
    };
    if (reader.input.mode === "up") reader.error(problem);
    else reader.warn(problem);
  } else if (!ATLAS_ORG_ID.test(orgId)) {
    // An id of digits left unquoted in the stack file is read by YAML as a number, and reaches us
    // rounded (1.2345678901234569e+23, or 0 for the zeros placeholder): the digits are lost.
    if (YAML_NUMBER.test(orgId)) {
      reader.error({
        key,
        value: orgId,
        message: "was read by YAML as a number, not text, so its digits are lost: quote it",
        allowed: "24 hexadecimal characters, in quotes when they are all digits",
        fix: `write it in quotes in Pulumi.${reader.stack}.yaml: \`liftoff:atlasOrgId: "<your 24-character org id>"\`, or set it with ${reader.setCommand(S.atlasOrgId.key, "<your-24-character-org-id>")} (the CLI stores it as text)`,
      });
    } else {
      reader.error({
        key,
        value: orgId,
        message: "is not an Atlas organization id",
        allowed: S.atlasOrgId.allowed,
        fix,
      });
    }
  }
  return orgId;
}

function readAtlasInstanceSize(reader: ConfigReader, core: CoreSpec): string {
  const size = S.atlasInstanceSize.read(reader, core.profile)!;
  if (RETIRED_ATLAS_TIERS.includes(size)) {
    reader.error({
      key: reader.key(S.atlasInstanceSize.key),
      value: size,
      message: "is a shared tier Atlas retired in January 2026",
      allowed: "M0 (free) or a dedicated tier M10 and up",
      fix: reader.setCommand(S.atlasInstanceSize.key, "M10"),
    });
  } else if (!isAtlasTier(size)) {
    reader.error({
      key: reader.key(S.atlasInstanceSize.key),
      value: size,
      message: "is not an Atlas cluster tier liftoff provisions",
      allowed: S.atlasInstanceSize.allowed,
      fix: reader.setCommand(S.atlasInstanceSize.key, "M10"),
    });
  }
  return size;
}

/**
 * Backup and point-in-time restore: prod needs both (reported once, on the setting that takes them
 * away), the free tier can have neither, and point-in-time restore needs backup.
 */
function readAtlasBackup(
  reader: ConfigReader,
  core: CoreSpec,
  instanceSize: string,
  needed: boolean,
): { backup: boolean; pointInTimeRestore: boolean } {
  const backup = S.atlasBackup.read(reader, core.profile)!;
  const pointInTimeRestore = S.atlasPointInTimeRestore.read(reader, core.profile)!;
  const free = instanceSize === ATLAS_FREE_TIER;
  const k = (key: string) => reader.key(key);
  let refusedInProd = false;
  if (needed && free) {
    refusedInProd = unsafeInProd(reader, "atlasBackup", {
      key: k(S.atlasInstanceSize.key),
      value: instanceSize,
      message: "is the free tier, which has no cloud backup",
      allowed: "a dedicated tier (M10 and up) with liftoff:atlasBackup true",
      fix: reader.setCommand(S.atlasInstanceSize.key, "M10"),
    });
  } else if (needed && !backup) {
    refusedInProd = unsafeInProd(reader, "atlasBackup", {
      key: k(S.atlasBackup.key),
      value: "false",
      message: "turns Atlas cloud backup off",
      allowed: "true",
      fix: reader.setCommand(S.atlasBackup.key, "true"),
    });
  } else if (needed && !pointInTimeRestore) {
    refusedInProd = unsafeInProd(reader, "atlasPointInTimeRestore", {
      key: k(S.atlasPointInTimeRestore.key),
      value: "false",
      message: "turns Atlas point-in-time restore off",
      allowed: "true",
      fix: reader.setCommand(S.atlasPointInTimeRestore.key, "true"),
    });
  }
  if (refusedInProd) return { backup, pointInTimeRestore };
  if (backup && free) {
    const blamed =
      reader.isSet(S.atlasInstanceSize.key) || !reader.isSet(S.atlasBackup.key)
        ? S.atlasInstanceSize.key
        : S.atlasBackup.key;
    reader.error({
      key: k(blamed),
      value: blamed === S.atlasInstanceSize.key ? instanceSize : "true",
      message:
        blamed === S.atlasInstanceSize.key
          ? `cannot have cloud backups, which this stack asks for (liftoff:atlasBackup is true${reader.isSet(S.atlasBackup.key) ? "" : ` in the ${core.profileName} profile`})`
          : `asks for cloud backups, which the free tier ${instanceSize} cannot have`,
      allowed: "a dedicated tier (M10 and up) when backups are on",
      fix: `${reader.setCommand(S.atlasInstanceSize.key, "M10")}, or turn backups off: ${reader.setCommand(S.atlasBackup.key, "false")}`,
    });
  } else if (pointInTimeRestore && !backup) {
    reader.error({
      key: k(S.atlasPointInTimeRestore.key),
      value: "true",
      message: "needs cloud backup, which is off",
      allowed: "true only with liftoff:atlasBackup true",
      fix: reader.setCommand(S.atlasPointInTimeRestore.key, "false"),
    });
  }
  return { backup, pointInTimeRestore };
}

function readAtlasRegion(reader: ConfigReader, core: CoreSpec, free: boolean): string {
  const given = S.atlasRegion.read(reader);
  const region = given ?? atlasRegionForAzure(core.region, free);
  if (!ATLAS_AZURE_REGIONS.includes(region)) {
    reader.error({
      key: reader.key(S.atlasRegion.key),
      value: region,
      message: "is not an Atlas region on Azure",
      allowed: S.atlasRegion.allowed,
      fix: reader.setCommand(
        S.atlasRegion.key,
        closest(region, ATLAS_AZURE_REGIONS) ?? atlasRegionForAzure(core.region, free),
      ),
    });
  } else if (given !== undefined && free && !ATLAS_AZURE_FREE_REGIONS.includes(region)) {
    reader.warn({
      key: reader.key(S.atlasRegion.key),
      value: region,
      message: "may not offer the free M0 tier on Azure; Atlas refuses the cluster if it does not",
      allowed: `a region Atlas offers M0 in on Azure, e.g. ${ATLAS_AZURE_FREE_REGIONS.join(", ")}`,
      fix: reader.setCommand(S.atlasRegion.key, atlasRegionForAzure(core.region, true)),
    });
  }
  return region;
}

/** Atlas cannot restore a backup into the free shared tier. */
function readAtlasRestoreSource(reader: ConfigReader, instanceSize: string) {
  const source = S.atlasRestoreSource.read(reader);
  if (source && instanceSize === ATLAS_FREE_TIER) {
    reader.error({
      key: reader.key(S.atlasRestoreSource.key),
      value: JSON.stringify(source),
      message: `restores into this stack's cluster, but ${instanceSize} is the free shared tier, which Atlas cannot restore a backup into`,
      allowed: "a restore source only with a dedicated tier (M10 and up)",
      fix: reader.setCommand(S.atlasInstanceSize.key, "M10"),
    });
  }
  return source;
}

const ATLAS_API_KEY = [S.atlasPublicKey, S.atlasPrivateKey];
const ATLAS_SERVICE_ACCOUNT = [S.atlasClientId, S.atlasClientSecret];

/**
 * Atlas takes either a programmatic API key (public + private) or a service account (client id +
 * secret). Whichever pair the operator started setting is the one required.
 */
function atlasCredentials(
  reader: ConfigReader,
  options: { quiet?: boolean } = {},
): { kind: "apiKey" | "serviceAccount"; requirements: SecretRequirement[] } {
  const serviceAccount =
    ATLAS_SERVICE_ACCOUNT.some((s) => reader.isSet(s.key)) && !ATLAS_API_KEY.some((s) => reader.isSet(s.key));
  const kind = serviceAccount ? "serviceAccount" : "apiKey";
  if (options.quiet) return { kind, requirements: [] };
  const pair = serviceAccount ? ATLAS_SERVICE_ACCOUNT : ATLAS_API_KEY;
  return { kind, requirements: pair.map((s) => s.read(reader)!) };
}
