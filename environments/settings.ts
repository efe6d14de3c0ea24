/**
 * Every `liftoff:*` setting, declared once: key, type, default, allowed values, description and, for
 * secrets, their purpose and where the value comes from. The known-keys list (typo suggestions),
 * the reads their type implies, every section's secrets and docs/configuration.md
 * (`npm run docs:config`) all come from these tables.
 *
 * Adding a setting is one entry in its section's table below (the key is the property name), read
 * in that section's file with `SETTINGS.<key>.read(reader, profile)`, then `npm run docs:config`.
 * A new section is a new table here, a `Section` in its own file, and one line in sections.ts.
 */
import { z } from "zod";
import { CONTAINERAPPS_PROFILES, WORKLOAD_PROFILES } from "./containerapps-profiles";
import { MIN_VM_MEMORY_GIB, MIN_VM_VCPUS } from "./azure-vm-sizes";
import { MIN_SSH_PREFIX } from "./network-address";
import { IMAGE_POLICIES } from "./image-policy";
import { NEON_PLANS } from "./neon";
import { ALLOW_UNSAFE_PROD_KEY, UNSAFE_PROD_RULE_IDS } from "./prod-safety";
import { OS_DISK_TYPES, PROFILE_NAMES, THRESHOLD_RANGES, type AlertThresholds } from "./profiles";
import { flag, integer, oneOf, secret, settingsTable, structured, text } from "./setting";

/** Where the application's compose file is, relative to the project, unless `liftoff:composeFile` says. */
export const DEFAULT_COMPOSE_FILE = "app/compose.yaml";

const stringList = z.array(z.string());
const stringMap = z.record(z.string(), z.string());
const variableValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

// Pulumi stores a value set with `config set --path` as text, a value written in YAML as a number:
// take both.
const numberLike = z.union([
  z.number(),
  z
    .string()
    .regex(/^-?\d+(\.\d+)?$/)
    .transform(Number),
]);
const thresholds = z.strictObject(
  Object.fromEntries(Object.keys(THRESHOLD_RANGES).map((k) => [k, numberLike.optional()])) as Record<
    keyof AlertThresholds,
    z.ZodOptional<typeof numberLike>
  >,
);

const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;
/** A UTC instant as Neon and Atlas take it: YYYY-MM-DDTHH:MM:SSZ. */
export function isUtcInstant(text: string): boolean {
  return RFC3339_UTC.test(text) && !Number.isNaN(Date.parse(text));
}
const utcInstant = z.string().refine(isUtcInstant, "is not a UTC instant YYYY-MM-DDTHH:MM:SSZ");
/** Neon's id patterns (its OpenAPI's path parameters). */
const NEON_ID = /^[a-z0-9-]{1,60}$/;
const neonRestoreSource = z.strictObject({
  projectId: z.string().regex(NEON_ID, "is not a Neon project id"),
  branchId: z
    .string()
    .regex(/^br-[a-z0-9-]{1,57}$/, "is not a Neon branch id (br-...)")
    .optional(),
  timestamp: utcInstant,
});
const atlasRestoreSource = z.strictObject({
  projectId: z.string().regex(/^[0-9a-f]{24}$/, "is not an Atlas project id (24 hexadecimal characters)"),
  clusterName: z.string().regex(/^[a-zA-Z0-9-]{1,64}$/, "is not an Atlas cluster name"),
  timestamp: utcInstant,
});
export const NEON_RESTORE_SOURCE_EXAMPLE =
  "liftoff:neonRestoreSource: {projectId: <source neonProjectId>, branchId: <source neonBranchId>, timestamp: 2026-11-20T08:30:00Z}";
export const ATLAS_RESTORE_SOURCE_EXAMPLE =
  "liftoff:atlasRestoreSource: {projectId: <source atlasProjectId>, clusterName: <source atlasClusterName>, timestamp: 2026-11-20T08:30:00Z}";

const HOURS = 3600;

/** The core: profile, region, host, network edge and the application. */
export const CORE_SETTINGS = settingsTable({
  profile: oneOf({
    choices: PROFILE_NAMES,
    noun: "a known profile",
    description: "the kind of environment; every default shown as dev / prod comes from it (environments/profiles.ts)",
    example: "dev",
    default: { kind: "required" },
  }),
  region: text({
    description: "the Azure region of every resource",
    allowed: "an Azure region name as `az account list-locations` spells it (lowercase, no spaces)",
    example: "westeurope",
    default: { kind: "required" },
  }),
  owner: text({
    description: "the team or person who answers for the environment (tag `owner` on every resource)",
    allowed: "up to 256 characters without < > % & \\ ? /",
    example: "platform-team",
    default: { kind: "required" },
  }),
  dnsLabel: text({
    description:
      "the DNS label of the public IP: the host is `<label>.<region>.cloudapp.azure.com`; unique in the region",
    allowed: "3-63 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit",
    example: "acme-dev",
    default: { kind: "required" },
  }),
  vmSize: text({
    description: "the Azure VM size of the host",
    allowed: `a size from liftoff's table (environments/azure-vm-sizes.ts: B, Bsv2, Basv2, Dv3-Dv5, Dasv5, Dlsv5, Ev5, Easv5, Fsv2) with at least ${MIN_VM_VCPUS} vCPUs and ${MIN_VM_MEMORY_GIB} GiB, e.g. Standard_B2s, Standard_D2s_v5`,
    example: "Standard_B2s",
    default: { kind: "profile", of: (p) => p.vmSize },
  }),
  osDiskSizeGb: integer({
    description: "the size of the host's OS disk, in GiB",
    min: 30,
    max: 4095,
    example: "128",
    default: { kind: "profile", of: (p) => p.osDisk.sizeGb },
  }),
  osDiskType: text({
    type: "one of",
    description: "the managed disk type of the host's OS disk (Premium only on a size with an s in its name)",
    allowed: OS_DISK_TYPES.join(", "),
    example: "Premium_LRS",
    default: { kind: "profile", of: (p) => p.osDisk.type },
  }),
  adminUser: text({
    description: "the sudo user on the VM",
    allowed: "1-32 lowercase letters, digits, _ or -, not a reserved name such as admin, root, user, or deploy",
    example: "ops",
    default: { kind: "fixed", value: "liftoff" },
  }),
  sshPublicKey: text({
    description: "your OpenSSH public key for the admin and deploy users",
    allowed: "one line as in ~/.ssh/id_ed25519.pub: an Ed25519 key, or an RSA key of 2048 bits or more",
    example: '"$(cat ~/.ssh/id_ed25519.pub)"',
    default: { kind: "none", meaning: "liftoff generates a key pair (stack output `sshPrivateKey`)" },
  }),
  sshAllowedCidrs: structured({
    type: "list",
    schema: stringList,
    description: `the IPv4 addresses or CIDR ranges allowed to reach SSH (/${MIN_SSH_PREFIX} or narrower, never the internet)`,
    allowed: "a list of IPv4 addresses or CIDR ranges",
    example: "liftoff:sshAllowedCidrs: [203.0.113.7/32]",
    default: { kind: "none", meaning: "SSH is closed to everyone (a warning)" },
  }),
  sshPort: integer({
    description: "the SSH port (not 80, 443 or an endpoint's port)",
    min: 1,
    max: 65535,
    example: "22",
    default: { kind: "fixed", value: 22 },
  }),
  autoShutdown: text({
    description: "a daily shutdown of the VM, to save money",
    allowed: "HH:MM (24 h) or off",
    example: "19:00",
    default: {
      kind: "profile",
      of: (p) => (p.autoShutdown ? `${p.autoShutdown.time.slice(0, 2)}:${p.autoShutdown.time.slice(2)}` : "off"),
    },
  }),
  autoShutdownTimeZone: text({
    description: "the time zone of `autoShutdown`",
    allowed:
      "a Windows time zone id such as UTC, W. Europe Standard Time, Pacific Standard Time (the ids `tzutil /l` lists)",
    example: '"W. Europe Standard Time"',
    default: { kind: "profile", of: (p) => p.autoShutdown?.timeZone ?? "UTC" },
  }),
  composeFile: text({
    description: "the application's compose file, relative to the project ([compose.md](compose.md))",
    allowed: "a path relative to the project, or absolute",
    example: DEFAULT_COMPOSE_FILE,
    default: { kind: "fixed", value: DEFAULT_COMPOSE_FILE },
  }),
  composeFiles: structured({
    type: "list",
    schema: stringList,
    description: "the application's compose files, merged in order as Compose does",
    allowed: "a list of compose files relative to the project, merged in order",
    example: "liftoff:composeFiles: [app/compose.yaml, app/compose.prod.yaml]",
    default: { kind: "derived", text: "`composeFile`, plus `compose.override.yaml` beside it when present" },
  }),
  composeVariables: structured({
    type: "map",
    schema: variableValues,
    description: "variables the compose files interpolate (`${TAG}`), over the `.env` beside the first file",
    allowed: "a map of variable name to value",
    example: "liftoff:composeVariables: {TAG: 1.4.2}",
    default: { kind: "none" },
  }),
  composeSecrets: structured({
    type: "secret map",
    schema: variableValues,
    description:
      "secret variables the compose files interpolate, usable in `environment` only; set each with `pulumi config set --secret --path 'liftoff:composeSecrets.<NAME>' --stack <stack>`",
    allowed: "a map of variable name to secret value, each set with --secret",
    example: "pulumi config set --secret --path 'liftoff:composeSecrets.DB_PASSWORD' <value>",
    default: { kind: "none" },
  }),
  composeProfiles: structured({
    type: "list",
    schema: stringList,
    description: "the Compose profiles to deploy; services of other profiles are not deployed",
    allowed: "a list of Compose profile names",
    example: "liftoff:composeProfiles: [monitoring]",
    default: { kind: "none" },
  }),
  images: structured({
    type: "map",
    schema: stringMap,
    description: "per-stack image overrides, e.g. dev runs `:main` while prod runs what the compose file pins",
    allowed: "a map of service name to image reference",
    example: "liftoff:images: {api-gateway: ghcr.io/acme/api-gateway:main}",
    default: { kind: "derived", text: "the compose file's images" },
  }),
  imagePolicy: oneOf({
    choices: IMAGE_POLICIES,
    noun: "an image policy",
    description:
      "what a prod-profile stack does with an image on a moving tag (`latest`, `main`, no version) and no digest",
    allowed: `${IMAGE_POLICIES.join(" or ")}: what a prod stack does with an image on a moving tag (refuse it, or warn)`,
    example: "strict",
    default: { kind: "fixed", value: "strict" },
  }),
  [ALLOW_UNSAFE_PROD_KEY]: structured({
    type: "list",
    schema: stringList,
    description:
      "prod rules this prod-profile stack deliberately breaks, by id; the plan warns about each, and the policy pack honours the same list",
    allowed: `a list of rule ids: ${UNSAFE_PROD_RULE_IDS.join(", ")}`,
    example: `liftoff:${ALLOW_UNSAFE_PROD_KEY}: [autoShutdown]`,
    default: { kind: "none" },
  }),
  hostAccessAllowed: structured({
    type: "list",
    schema: stringList,
    description:
      "the host access the application declares (`x-liftoff.hostAccess`) that this stack accepts; the policy pack holds every other declared access against it",
    allowed: "a list of <service>:<host access kind> the application declares",
    example: "liftoff:hostAccessAllowed: [agent:host-paths]",
    default: { kind: "none" },
  }),
  ghcrToken: secret({
    purpose:
      "pulls the service images from GitHub Container Registry on the host, and lets `pulumi up` look up their digests",
    obtain: "create a classic personal access token with only read:packages (GitHub has no API to mint one)",
  }),
});

/** The data layer: Neon Postgres and MongoDB Atlas, for the services that need them. */
export const DATA_SETTINGS = settingsTable({
  neonRegion: text({
    description: "the Neon region of the Postgres project",
    allowed: "a Neon region, e.g. aws-eu-central-1 (environments/neon.ts lists them)",
    example: "aws-eu-central-1",
    default: { kind: "derived", text: "the Neon region nearest `region`, in the same jurisdiction" },
  }),
  neonPlan: oneOf({
    choices: NEON_PLANS,
    noun: "a Neon plan",
    description: "your Neon plan; it bounds the history retention",
    example: "launch",
    default: { kind: "profile", of: (p) => p.data.neon.plan },
  }),
  neonHistoryRetentionHours: integer({
    description: "how far back Postgres can be restored (Free ≤ 6, Launch ≤ 168, Scale ≤ 720)",
    min: 0,
    max: 720,
    example: "24",
    default: { kind: "profile", of: (p) => p.data.neon.historyRetentionSeconds / HOURS },
  }),
  neonPgVersion: integer({
    description: "the Postgres major version",
    min: 14,
    max: 18,
    example: "17",
    default: { kind: "fixed", value: 17 },
  }),
  neonOrgId: text({
    description: "the Neon organization, needed only with a personal API key",
    allowed: "the id from Neon Console → Organization settings, e.g. org-morning-bread-81040908",
    example: "org-morning-bread-81040908",
    default: { kind: "derived", text: "the API key's organization" },
  }),
  neonRestoreFrom: text({
    description:
      "disaster recovery: serve Postgres from a new branch holding the default branch's data as of this instant",
    allowed: "YYYY-MM-DDTHH:MM:SSZ within the restore window, e.g. 2026-11-20T08:30:00Z",
    example: "2026-11-20T08:30:00Z",
    default: { kind: "none", meaning: "the default branch" },
  }),
  neonRestoreSource: structured({
    type: "map",
    schema: neonRestoreSource,
    description:
      "disaster recovery into a new stack from another stack's Neon project; set by `npm run recreate`, not by hand",
    allowed:
      "disaster recovery into this stack: {projectId, branchId (optional: the default branch), timestamp} of the source stack's Neon project (its neonProjectId and neonBranchId outputs) and a UTC instant inside its history retention; `npm run recreate` sets it",
    example: NEON_RESTORE_SOURCE_EXAMPLE,
    default: { kind: "none" },
  }),
  atlasOrgId: text({
    description: "the Atlas organization the project is created in (not a secret; quote it in YAML)",
    allowed: "24 hexadecimal characters, from Atlas → Organization Settings",
    example: "<24-hex-character-org-id>",
    default: { kind: "required", when: "a service needs mongodb" },
  }),
  atlasRegion: text({
    description: "Atlas's name of the Azure region of the cluster",
    allowed: "Atlas's name of an Azure region, e.g. EUROPE_WEST, US_EAST_2; unset: the one nearest liftoff:region",
    example: "EUROPE_WEST",
    default: { kind: "derived", text: "the one nearest `region`; for M0 the nearest offering it" },
  }),
  atlasInstanceSize: text({
    description: "the cluster tier",
    allowed: "M0 (free) or a dedicated tier: M10, M20, M30, ... or R40, R50, ...",
    example: "M10",
    default: { kind: "profile", of: (p) => p.data.atlas.instanceSize },
  }),
  atlasBackup: flag({
    description: "Atlas cloud backup (dedicated tiers only)",
    default: { kind: "profile", of: (p) => p.data.atlas.backup },
  }),
  atlasPointInTimeRestore: flag({
    description: "continuous restore within the backups (needs `atlasBackup`)",
    default: { kind: "profile", of: (p) => p.data.atlas.pointInTimeRestore },
  }),
  atlasSnapshotRetentionDays: integer({
    description: "days snapshots (and the point-in-time window) are kept",
    min: 1,
    max: 365,
    example: "7",
    default: {
      kind: "profile",
      of: (p) => (p.data.atlas.snapshotRetentionDays > 0 ? p.data.atlas.snapshotRetentionDays : 7),
    },
  }),
  atlasRestoreSource: structured({
    type: "map",
    schema: atlasRestoreSource,
    description:
      "disaster recovery into a new stack from another stack's cluster; set by `npm run recreate`, not by hand",
    allowed:
      "disaster recovery into this stack: {projectId, clusterName, timestamp} of the source stack's cluster (its atlasProjectId and atlasClusterName outputs), which must have cloud backup with point-in-time restore, and a UTC instant inside its restore window; `npm run recreate` sets it",
    example: ATLAS_RESTORE_SOURCE_EXAMPLE,
    default: { kind: "none" },
  }),
  neonApiKey: secret({
    purpose: "lets liftoff create the Neon project, roles and databases",
    obtain:
      "create an API key in the Neon Console (Organization settings → API keys; a personal key also needs liftoff:neonOrgId)",
    required: "a service needs postgres",
  }),
  atlasPublicKey: secret({
    purpose: "identifies liftoff's Atlas API key (with liftoff:atlasPrivateKey)",
    obtain: "create an API key with Organization Project Creator in Atlas (Organization → Access Manager → API Keys)",
    required: "a service needs mongodb, unless the service account is set",
  }),
  atlasPrivateKey: secret({
    purpose: "signs liftoff's Atlas API requests (with liftoff:atlasPublicKey)",
    obtain: "copy the private key shown once when the Atlas API key is created",
    required: "a service needs mongodb, unless the service account is set",
  }),
  atlasClientId: secret({
    purpose: "identifies liftoff's Atlas service account (with liftoff:atlasClientSecret)",
    obtain:
      "create a service account with Organization Project Creator in Atlas (Organization → Access Manager → Service Accounts)",
    required: "a service needs mongodb and the service account is used instead of the API key",
  }),
  atlasClientSecret: secret({
    purpose: "authenticates liftoff's Atlas service account (with liftoff:atlasClientId)",
    obtain: "copy the client secret shown once when the service account is created",
    required: "a service needs mongodb and the service account is used instead of the API key",
  }),
});

/** The observability layer: the environment's Grafana Cloud stack, alerting and synthetic checks. */
export const OBSERVABILITY_SETTINGS = settingsTable({
  grafanaRegion: text({
    description: "the Grafana Cloud region of the environment's stack and its access policies",
    allowed: "a Grafana Cloud region slug, e.g. prod-eu-west-3 (Azure, Netherlands), prod-eu-west-2, prod-us-east-0",
    example: "prod-eu-west-3",
    default: { kind: "required" },
  }),
  grafanaStackSlug: text({
    description: "the stack's name: `https://<slug>.grafana.net`, unique in Grafana Cloud",
    allowed:
      "2-29 lowercase letters and digits, starting with a letter (no hyphens); it becomes <slug>.grafana.net and must be unique in Grafana Cloud",
    example: "acmedev",
    default: { kind: "derived", text: "`dnsLabel` without hyphens" },
  }),
  alertEmails: structured({
    type: "list",
    schema: stringList,
    description: "who the alerts mail",
    allowed: "a list of e-mail addresses",
    example: "liftoff:alertEmails: [oncall@example.com]",
    default: { kind: "required" },
  }),
  alertThresholds: structured({
    type: "map",
    schema: thresholds,
    description: "when each alert fires; set any of them, the others keep the profile's",
    allowed: `a map of ${Object.keys(THRESHOLD_RANGES).join(", ")}`,
    example: "liftoff:alertThresholds: {p95LatencyMs: 800}",
    default: { kind: "profile", of: (p) => p.observability.alertThresholds },
  }),
  syntheticProbes: structured({
    type: "list",
    schema: stringList,
    description:
      "the public probe locations of the synthetic check of every health URL (how often comes from the profile)",
    allowed: "a list of Grafana synthetic monitoring probe names",
    example: "liftoff:syntheticProbes: [Amsterdam, Frankfurt]",
    default: { kind: "profile", of: (p) => [...p.observability.syntheticCheck.probes] },
  }),
  gatewayService: text({
    description: "the service whose 5xx share is alerted on",
    allowed: "a service with a public endpoint",
    example: "api-gateway",
    default: { kind: "derived", text: "the service on port 443, else the first public endpoint's" },
  }),
  grafanaCloudToken: secret({
    purpose:
      "lets liftoff create the environment's Grafana Cloud stack, its access policies, tokens and service account",
    obtain:
      "in the Grafana Cloud portal (Administration > Cloud access policies) create a policy with the scopes stacks:read, stacks:write, stacks:delete, accesspolicies:read, accesspolicies:write, accesspolicies:delete, stack-service-accounts:write, add a token to it",
  }),
});

/** The delivery layer: where images may come from, and the stack's GitHub environment. */
export const DELIVERY_SETTINGS = settingsTable({
  ghcrUser: text({
    description: "the GitHub user who owns the `ghcrToken` PAT (`docker login ghcr.io -u`)",
    allowed: "a GitHub login: 1-39 letters, digits and single hyphens, not starting or ending with a hyphen",
    example: "acme-deploy-bot",
    default: { kind: "required" },
  }),
  registryOwner: text({
    description: "the GitHub user or organisation every image must belong to (`ghcr.io/<owner>/...`)",
    allowed: "a GitHub user or organisation name: 1-39 letters, digits and single hyphens",
    example: "acme",
    default: { kind: "derived", text: "`githubOwner`; required without it" },
  }),
  externalImages: structured({
    type: "list",
    schema: stringList,
    description:
      "image repositories allowed from outside the registry owner (Docker Hub's `redis`, `library/redis` and `docker.io/library/redis` are one)",
    allowed: "a list of image repositories (registry/path, no tag)",
    example: "liftoff:externalImages: [docker.io/library/redis]",
    default: { kind: "none" },
  }),
  githubOwner: text({
    description:
      "the owner of the repository whose environment `<stack>` liftoff manages; with `githubRepository`, or neither",
    allowed: "1-39 letters, digits and single hyphens",
    example: "acme",
    default: { kind: "none", meaning: "no GitHub resources" },
  }),
  githubRepository: text({
    description: "the repository whose environment `<stack>` liftoff manages; with `githubOwner`, or neither",
    allowed: "1-100 letters, digits, '.', '-' or '_', without the owner",
    example: "backend",
    default: { kind: "none", meaning: "no GitHub resources" },
  }),
  githubReviewers: structured({
    type: "list",
    schema: stringList,
    description: "logins and `org/team` slugs who approve deployments (prod profile only, 1-6)",
    allowed: "a list of GitHub logins or org/team slugs",
    example: "liftoff:githubReviewers: [alice, acme/platform]",
    default: { kind: "required", when: "GitHub is configured on a prod-profile stack" },
  }),
  githubToken: secret({
    purpose:
      "lets liftoff create this stack's GitHub repository environment with its protection rules, variables and secrets",
    obtain:
      "create a fine-grained personal access token for the repository with Administration and Environments: read and write (and Members: read on the organisation for team reviewers; a classic token needs repo, plus read:org for teams)",
    required: "`githubOwner` and `githubRepository` are set",
  }),
});

/** Where a stack's application runs: one Azure VM, or Azure Container Apps (docs/runtimes.md). */
export const RUNTIMES = ["vm", "containerapps"] as const;
export type RuntimeKind = (typeof RUNTIMES)[number];

/**
 * How a release moves traffic: canary steps (percent of requests to the new release, ascending,
 * ending at 100), each held `stepSeconds`, rolled back above `maxErrorRate` (share of 5xx).
 */
export interface CanarySpec {
  readonly steps: readonly number[];
  readonly stepSeconds: number;
  readonly maxErrorRate: number;
}

/**
 * Blue/green (straight to 100 %) by default. The VM agent measures errors at its own proxy as they
 * happen; Azure's metrics lag by a minute or so, hence Container Apps' longer steps and wider margin.
 */
export const CANARY_DEFAULTS: Readonly<Record<RuntimeKind, CanarySpec>> = {
  vm: { steps: [100], stepSeconds: 30, maxErrorRate: 0.02 },
  containerapps: { steps: [100], stepSeconds: 60, maxErrorRate: 0.05 },
};
export const MAX_CANARY_STEP_SECONDS = 3600;
export const CANARY_EXAMPLE = "liftoff:canary: {steps: [10, 50, 100], stepSeconds: 30, maxErrorRate: 0.02}";

const canary = z.union([
  z.array(numberLike),
  z.strictObject({
    steps: z.array(numberLike),
    stepSeconds: numberLike.optional(),
    maxErrorRate: numberLike.optional(),
  }),
]);
const showCanary = (c: CanarySpec) =>
  `\`{steps: [${c.steps.join(", ")}], stepSeconds: ${c.stepSeconds}, maxErrorRate: ${c.maxErrorRate}}\``;

/** The runtime: where the application runs, how releases move traffic, and the Container Apps settings. */
export const RUNTIME_SETTINGS = settingsTable({
  runtime: oneOf<RuntimeKind>({
    choices: RUNTIMES,
    noun: "a runtime liftoff offers",
    allowed: "vm (one Azure VM, the default) or containerapps (Azure Container Apps; docs/runtimes.md)",
    description:
      "where the application runs: one Azure VM, or Azure Container Apps (then the VM settings have no effect)",
    example: "containerapps",
    default: { kind: "fixed", value: "vm" },
  }),
  canary: structured({
    type: "list or map",
    schema: canary,
    description:
      "how a release moves traffic, on either runtime: the share of requests the new release gets at each step, how long each step is held, and the share of 5xx that rolls it back",
    allowed: `a list of 1-10 whole percentages, ascending, ending at 100 ([10, 50, 100]), or {steps, stepSeconds: 0-${MAX_CANARY_STEP_SECONDS}, maxErrorRate: 0-1}`,
    example: CANARY_EXAMPLE,
    default: {
      kind: "derived",
      text: `vm: ${showCanary(CANARY_DEFAULTS.vm)}; containerapps: ${showCanary(CANARY_DEFAULTS.containerapps)} (Azure's metrics lag); a list sets only the steps`,
    },
  }),
  bakeSeconds: integer({
    description:
      "on the VM: seconds a new release is watched after the switch, the previous one kept warm to switch back to",
    min: 0,
    max: 3600,
    example: "30",
    default: { kind: "profile", of: (p) => p.deploy.bakeSeconds },
  }),
  containerAppsWorkloadProfile: text({
    type: "one of",
    description:
      "the Container Apps workload profile: Consumption (per-second billing, scale to zero) or dedicated D/E nodes of that many vCPUs",
    allowed: Object.keys(WORKLOAD_PROFILES).join(", "),
    example: "D4",
    default: { kind: "profile", of: (p) => CONTAINERAPPS_PROFILES[p.name].workloadProfile },
  }),
  containerAppsZoneRedundant: flag({
    description: "spread the Container Apps environment over the region's availability zones",
    default: { kind: "profile", of: (p) => CONTAINERAPPS_PROFILES[p.name].zoneRedundant },
  }),
  containerAppsMinReplicas: integer({
    description: "replicas each service keeps running (0: scale to zero when idle)",
    min: 0,
    max: 1000,
    example: "2",
    default: { kind: "profile", of: (p) => CONTAINERAPPS_PROFILES[p.name].defaults.minReplicas },
  }),
  containerAppsMaxReplicas: integer({
    description: "replicas each service may scale out to (at least `containerAppsMinReplicas`)",
    min: 1,
    max: 1000,
    example: "10",
    default: { kind: "profile", of: (p) => CONTAINERAPPS_PROFILES[p.name].defaults.maxReplicas },
  }),
  containerAppsConcurrentRequests: integer({
    description: "concurrent requests per replica above which a service scales out",
    min: 1,
    max: 10_000,
    example: "50",
    default: { kind: "profile", of: (p) => CONTAINERAPPS_PROFILES[p.name].defaults.concurrentRequests },
  }),
  containerAppsCpu: text({
    description: "vCPUs of each replica unless the service's compose limits say",
    allowed:
      "a CPU/memory pair the workload profile allows (Consumption: 0.25 vCPU / 0.5 Gi up to 4 vCPU / 8 Gi, memory twice the CPU)",
    example: "0.5",
    default: { kind: "profile", of: (p) => String(CONTAINERAPPS_PROFILES[p.name].defaults.cpu) },
  }),
  containerAppsMemory: text({
    description: "memory of each replica unless the service's compose limits say",
    allowed: "Gi or Mi (1Gi, 512Mi), a pair with `containerAppsCpu` the workload profile allows",
    example: "1Gi",
    default: { kind: "profile", of: (p) => `${CONTAINERAPPS_PROFILES[p.name].defaults.memoryGi}Gi` },
  }),
  containerAppsCustomDomains: structured({
    type: "map",
    schema: stringMap,
    description: "a custom hostname per public endpoint, served with a managed certificate",
    allowed: "a map of public endpoint name to hostname",
    example: "liftoff:containerAppsCustomDomains: {api: api.example.com}",
    default: { kind: "none", meaning: "the app's own `*.azurecontainerapps.io` name" },
  }),
  containerAppsAzureFiles: structured({
    type: "list",
    schema: stringList,
    description: "services whose named volumes become Azure Files (SMB) shares, by explicit opt-in",
    allowed: "a list of service names whose volumes become Azure Files shares",
    example: "liftoff:containerAppsAzureFiles: [broker]",
    default: { kind: "none" },
  }),
});
