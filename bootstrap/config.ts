/**
 * The bootstrap program's settings (`liftoff-bootstrap:*`), validated into one spec before anything
 * is declared, plus the pure functions that name what it creates and how the main project reaches
 * it. Messages share the main project's shape (key, value, allowed, fix) through its ConfigReader.
 */
import { createHash } from "node:crypto";
import { AZURE_REGIONS } from "../environments/azure";
import { ConfigReader, closest, type Problem } from "../environments/reader";

export const BOOTSTRAP_NAMESPACE = "liftoff-bootstrap";

/** Built-in Azure role definition ids (the same in every tenant). */
export const ROLE = {
  /** Read, write and delete blobs: what `pulumi login azblob://` needs to read and write state. */
  storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
  /** Encrypt and decrypt with a key: what the `azurekeyvault://` secrets provider calls. */
  keyVaultCryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
} as const;

/**
 * Geo-redundant only: the state must outlive the loss of its region, because that is exactly when a
 * recovery stack (e.g. prod-dr in another region) has to be deployed from it. After a
 * customer-managed failover the same account name, hence the same backend URL, serves from the
 * paired region. ZRS survives a zone but not a region, so it is refused.
 */
export const STORAGE_SKUS = ["Standard_GRS", "Standard_RAGRS", "Standard_GZRS", "Standard_RAGZRS"] as const;
export type StorageSku = (typeof STORAGE_SKUS)[number];
export const DEFAULT_STORAGE_SKU: StorageSku = "Standard_GRS";

export const DEFAULTS = {
  blobSoftDeleteDays: 30,
  containerSoftDeleteDays: 30,
  versionRetentionDays: 90,
  vaultSoftDeleteDays: 90,
} as const;

export const STATE_CONTAINER = "state";
export const SECRETS_KEY = "pulumi-secrets";
/** RSA-OAEP-256 (the provider's default algorithm) with a 3072-bit key. */
export const SECRETS_KEY_SIZE = 3072;

export const BOOTSTRAP_KEYS = [
  "prefix",
  "region",
  "storageSku",
  "blobSoftDeleteDays",
  "containerSoftDeleteDays",
  "restoreDays",
  "versionRetentionDays",
  "vaultSoftDeleteDays",
  "operatorsGroupId",
  "ciPrincipalId",
] as const;

/** 3-19 lowercase letters and digits: `<prefix>state` must fit a storage account name (3-24, globally unique). */
const PREFIX = /^[a-z][a-z0-9]{2,18}$/;
const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const NIL_GUID = "00000000-0000-0000-0000-000000000000";

export interface BootstrapNames {
  readonly resourceGroup: string;
  readonly storageAccount: string;
  readonly container: string;
  readonly vault: string;
  readonly key: string;
}

export interface DataAccessPrincipal {
  /** What the principal is, for resource names and messages. */
  readonly role: "operators" | "ci";
  /** Entra object id. */
  readonly principalId: string;
  readonly principalType: "Group" | "ServicePrincipal";
}

export interface BootstrapSpec {
  readonly prefix: string;
  readonly region: string;
  readonly names: BootstrapNames;
  readonly storageSku: StorageSku;
  readonly retention: {
    readonly blobSoftDeleteDays: number;
    readonly containerSoftDeleteDays: number;
    /** Point-in-time restore window; Azure requires it shorter than blob soft delete. */
    readonly restoreDays: number;
    /** Previous versions of a state file older than this are deleted by a lifecycle rule. */
    readonly versionRetentionDays: number;
    readonly vaultSoftDeleteDays: number;
  };
  readonly principals: readonly DataAccessPrincipal[];
  readonly tags: Readonly<Record<string, string>>;
}

export interface BootstrapInput {
  readonly project: string;
  readonly stack: string;
  /** `liftoff-bootstrap:*` settings without the namespace. */
  readonly values: Readonly<Record<string, unknown>>;
}

/** Every Azure name derives from the prefix, so each is valid whenever the prefix is. */
export function bootstrapNames(prefix: string): BootstrapNames {
  return {
    resourceGroup: `${prefix}-state-rg`,
    storageAccount: `${prefix}state`,
    container: STATE_CONTAINER,
    // Key Vault names: 3-24 letters, digits and single hyphens.
    vault: `${prefix}-kv`,
    key: SECRETS_KEY,
  };
}

/** The DIY backend URL as the Pulumi CLI takes it (gocloud azureblob: container + storage_account). */
export function backendUrl(storageAccount: string, container: string = STATE_CONTAINER): string {
  return `azblob://${container}?storage_account=${storageAccount}`;
}

/** The secrets provider URL for `pulumi stack init --secrets-provider` (latest key version). */
export function secretsProviderUrl(vault: string, key: string = SECRETS_KEY): string {
  return `azurekeyvault://${vault}.vault.azure.net/keys/${key}`;
}

/** What an operator or CI job exports before running the main project against this backend. */
export function loginEnvironment(names: BootstrapNames): Record<string, string> {
  return {
    PULUMI_BACKEND_URL: backendUrl(names.storageAccount, names.container),
    AZURE_STORAGE_ACCOUNT: names.storageAccount,
    // Lets the Key Vault secrets provider use the `az login` (or azure/login in CI) session.
    AZURE_KEYVAULT_AUTH_VIA_CLI: "true",
  };
}

/**
 * A role assignment's name (a GUID) derived from what it grants, so it is the same on every run and
 * after an import, and a second `pulumi up` never creates a duplicate.
 */
export function assignmentName(...parts: readonly string[]): string {
  const h = createHash("sha256").update(parts.join("\0")).digest("hex");
  // Shaped as a version-5-style GUID: ARM only checks the GUID format.
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export interface BootstrapValidation {
  readonly spec?: BootstrapSpec;
  readonly problems: readonly Problem[];
}

/** Validates every setting at once. Pure: nothing is declared, every problem is reported. */
export function readBootstrapConfig(input: BootstrapInput): BootstrapValidation {
  const reader = new ConfigReader({ ...input, namespace: BOOTSTRAP_NAMESPACE, secretKeys: new Set(), mode: "up" });
  const k = (key: string) => reader.key(key);
  const set = (key: string, example: string) => reader.setCommand(key, example);
  const known: readonly string[] = BOOTSTRAP_KEYS;

  for (const key of Object.keys(input.values)) {
    if (known.includes(key)) continue;
    const near = closest(key, known);
    reader.error({
      key: k(key),
      value: reader.text(key),
      message: "is not a setting the bootstrap program knows, so it would be ignored",
      allowed: known.map(k).join(", "),
      fix: near ? `rename it to ${k(near)}` : `remove it: pulumi config rm ${k(key)} --stack ${input.stack}`,
    });
  }

  const prefix = reader.text("prefix");
  if (prefix === undefined) {
    reader.error({
      key: k("prefix"),
      message:
        "is not set; it names the storage account (<prefix>state) and the key vault (<prefix>-kv), both unique across all of Azure",
      allowed: "3-19 lowercase letters and digits, starting with a letter, e.g. your organisation's name",
      fix: set("prefix", "acmeliftoff"),
    });
  } else if (!PREFIX.test(prefix)) {
    reader.error({
      key: k("prefix"),
      value: prefix,
      message: "cannot name a storage account and a key vault",
      allowed:
        "3-19 lowercase letters and digits, starting with a letter (no hyphens: storage account names allow none)",
      fix: set("prefix", suggestPrefix(prefix)),
    });
  }

  const region = reader.text("region");
  if (region === undefined) {
    reader.error({
      key: k("region"),
      message: "is not set",
      allowed:
        "an Azure region name such as westeurope, eastus2, northeurope (one with a paired region, for geo-redundancy)",
      fix: set("region", "westeurope"),
    });
  } else if (!AZURE_REGIONS.includes(region)) {
    const near = closest(region.toLowerCase().replace(/\s+/g, ""), AZURE_REGIONS);
    reader.error({
      key: k("region"),
      value: region,
      message: "is not an Azure region",
      allowed: "an Azure region name as `az account list-locations` spells it (lowercase, no spaces)",
      fix: set("region", near ?? "westeurope"),
    });
  }

  const skuText = reader.text("storageSku") ?? DEFAULT_STORAGE_SKU;
  const storageSku = (STORAGE_SKUS as readonly string[]).includes(skuText) ? (skuText as StorageSku) : undefined;
  if (!storageSku) {
    const zoneOnly = /^(Standard|Premium)_(LRS|ZRS)$/.test(skuText);
    reader.error({
      key: k("storageSku"),
      value: skuText,
      message: zoneOnly
        ? "keeps the state in one region, so a regional outage would take the state of every stack with it"
        : "is not a storage redundancy the state backend offers",
      allowed: `${STORAGE_SKUS.join(", ")} (geo-redundant)`,
      fix: set("storageSku", DEFAULT_STORAGE_SKU),
    });
  }

  const blobSoftDeleteDays = reader.integer(
    "blobSoftDeleteDays",
    DEFAULTS.blobSoftDeleteDays,
    2,
    365,
    String(DEFAULTS.blobSoftDeleteDays),
  );
  const containerSoftDeleteDays = reader.integer(
    "containerSoftDeleteDays",
    DEFAULTS.containerSoftDeleteDays,
    1,
    365,
    String(DEFAULTS.containerSoftDeleteDays),
  );
  const vaultSoftDeleteDays = reader.integer(
    "vaultSoftDeleteDays",
    DEFAULTS.vaultSoftDeleteDays,
    7,
    90,
    String(DEFAULTS.vaultSoftDeleteDays),
  );

  // Azure refuses a restore window that is not at least a day shorter than blob soft delete.
  let restoreDays: number | undefined;
  if (blobSoftDeleteDays !== undefined) {
    const maxRestore = blobSoftDeleteDays - 1;
    restoreDays = reader.integer("restoreDays", maxRestore, 1, 365, String(maxRestore));
    if (restoreDays !== undefined && restoreDays > maxRestore) {
      reader.error({
        key: k("restoreDays"),
        value: String(restoreDays),
        message: `must be shorter than blob soft delete (${k("blobSoftDeleteDays")} = ${blobSoftDeleteDays}); Azure refuses a longer point-in-time restore window`,
        allowed: `a whole number from 1 to ${maxRestore}`,
        fix: set("restoreDays", String(maxRestore)),
      });
      restoreDays = undefined;
    }
  }

  // Point-in-time restore replays versions: deleting them inside the window would break it.
  let versionRetentionDays = reader.integer(
    "versionRetentionDays",
    DEFAULTS.versionRetentionDays,
    1,
    3650,
    String(DEFAULTS.versionRetentionDays),
  );
  if (versionRetentionDays !== undefined && restoreDays !== undefined && versionRetentionDays <= restoreDays) {
    reader.error({
      key: k("versionRetentionDays"),
      value: String(versionRetentionDays),
      message: `would delete state versions that point-in-time restore (${k("restoreDays")} = ${restoreDays}) needs`,
      allowed: `a whole number from ${restoreDays + 1} to 3650`,
      fix: set("versionRetentionDays", String(Math.max(DEFAULTS.versionRetentionDays, restoreDays + 1))),
    });
    versionRetentionDays = undefined;
  }

  const principals: DataAccessPrincipal[] = [];
  const operators = reader.text("operatorsGroupId");
  const guidAllowed = "an Entra object id (a GUID such as 2f3c9a1e-8b7d-4c6e-9f0a-1b2c3d4e5f60)";
  if (operators === undefined) {
    reader.error({
      key: k("operatorsGroupId"),
      message:
        "is not set; the operators' Entra group gets read/write on the state and use of the secrets key, and without it nobody can use the backend",
      allowed: guidAllowed,
      fix: `${set("operatorsGroupId", '"$(az ad group show --group <group name> --query id -o tsv)"')}`,
    });
  } else if (!isGuid(operators)) {
    reader.error({
      key: k("operatorsGroupId"),
      value: operators,
      message: operators === NIL_GUID ? "is the all-zero placeholder, not a group" : "is not a GUID",
      allowed: guidAllowed,
      fix: `${set("operatorsGroupId", '"$(az ad group show --group <group name> --query id -o tsv)"')}`,
    });
  } else {
    principals.push({ role: "operators", principalId: operators.toLowerCase(), principalType: "Group" });
  }

  const ci = reader.text("ciPrincipalId");
  if (ci !== undefined) {
    if (!isGuid(ci)) {
      reader.error({
        key: k("ciPrincipalId"),
        value: ci,
        message: ci === NIL_GUID ? "is the all-zero placeholder, not an identity" : "is not a GUID",
        allowed: `${guidAllowed}: the object (principal) id of the CI identity's service principal, not its client id`,
        fix: `${set("ciPrincipalId", '"$(az ad sp show --id <client id> --query id -o tsv)"')}`,
      });
    } else if (operators !== undefined && ci.toLowerCase() === operators.toLowerCase()) {
      reader.error({
        key: k("ciPrincipalId"),
        value: ci,
        message: `is the same id as ${k("operatorsGroupId")}`,
        allowed: "the CI identity's own object id, or unset",
        fix: `pulumi config rm ${k("ciPrincipalId")} --stack ${input.stack}`,
      });
    } else {
      principals.push({ role: "ci", principalId: ci.toLowerCase(), principalType: "ServicePrincipal" });
    }
  }

  if (reader.hasErrors) return { problems: reader.problems };
  return {
    spec: {
      prefix: prefix!,
      region: region!,
      names: bootstrapNames(prefix!),
      storageSku: storageSku!,
      retention: {
        blobSoftDeleteDays: blobSoftDeleteDays!,
        containerSoftDeleteDays: containerSoftDeleteDays!,
        restoreDays: restoreDays!,
        versionRetentionDays: versionRetentionDays!,
        vaultSoftDeleteDays: vaultSoftDeleteDays!,
      },
      principals,
      tags: { purpose: "pulumi-state", "managed-by": "liftoff", project: input.project, stack: input.stack },
    },
    problems: reader.problems,
  };
}

function isGuid(value: string): boolean {
  return GUID.test(value) && value !== NIL_GUID;
}

function suggestPrefix(prefix: string): string {
  const cleaned = prefix
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .replace(/^[0-9]+/, "")
    .slice(0, 19);
  return PREFIX.test(cleaned) ? cleaned : "acmeliftoff";
}
