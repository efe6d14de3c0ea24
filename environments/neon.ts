/** Facts about Neon that validation checks against (neon.com/docs/introduction/regions, /plans). */

/** Regions where Neon creates new projects. */
export const NEON_REGIONS = [
  "aws-us-east-1",
  "aws-us-east-2",
  "aws-us-west-2",
  "aws-eu-central-1",
  "aws-eu-west-2",
  "aws-ap-southeast-1",
  "aws-ap-southeast-2",
  "aws-sa-east-1",
] as const;
export type NeonRegion = (typeof NEON_REGIONS)[number];

/**
 * Regions Neon has retired: no new project can be created there. The Azure ones are the trap for an
 * Azure-hosted system; Neon stopped supporting them on 2026-08-27.
 */
export const RETIRED_NEON_REGIONS: Readonly<
  Record<string, { readonly retired: string; readonly successor: NeonRegion }>
> = {
  "azure-eastus2": { retired: "2026-08-27", successor: "aws-us-east-1" },
  "azure-westus3": { retired: "2026-08-27", successor: "aws-us-west-2" },
  "azure-gwc": { retired: "2026-08-27", successor: "aws-eu-central-1" },
};

export const NEON_PLANS = ["free", "launch", "scale"] as const;
export type NeonPlan = (typeof NEON_PLANS)[number];

const HOUR = 3600;
const DAY = 24 * HOUR;

/** The longest restore window (history retention) each plan accepts; project creation fails beyond it. */
export const NEON_MAX_HISTORY_RETENTION_SECONDS: Readonly<Record<NeonPlan, number>> = {
  free: 6 * HOUR,
  launch: 7 * DAY,
  scale: 30 * DAY,
};

/** Postgres major versions Neon offers for new projects. */
export const NEON_PG_VERSIONS = [14, 15, 16, 17, 18] as const;
export const DEFAULT_PG_VERSION = 17;

/**
 * The Neon region for a host in an Azure region: the nearest one in the same jurisdiction, so EU
 * data stays in the EU and UK data in the UK. Keyed by every region in AZURE_REGIONS.
 */
const NEON_REGION_FOR_AZURE: Readonly<Record<string, NeonRegion>> = {
  // North America: east of the Rockies to Ohio or Virginia, west of them to Oregon.
  eastus: "aws-us-east-1",
  eastus2: "aws-us-east-1",
  canadaeast: "aws-us-east-1",
  centralus: "aws-us-east-2",
  northcentralus: "aws-us-east-2",
  southcentralus: "aws-us-east-2",
  canadacentral: "aws-us-east-2",
  mexicocentral: "aws-us-east-2",
  westus: "aws-us-west-2",
  westus2: "aws-us-west-2",
  westus3: "aws-us-west-2",
  westcentralus: "aws-us-west-2",
  // South America.
  brazilsouth: "aws-sa-east-1",
  brazilsoutheast: "aws-sa-east-1",
  chilecentral: "aws-sa-east-1",
  // UK.
  uksouth: "aws-eu-west-2",
  ukwest: "aws-eu-west-2",
  // EU and its neighbours with EU-adequate data protection: Frankfurt.
  westeurope: "aws-eu-central-1",
  northeurope: "aws-eu-central-1",
  francecentral: "aws-eu-central-1",
  francesouth: "aws-eu-central-1",
  germanywestcentral: "aws-eu-central-1",
  germanynorth: "aws-eu-central-1",
  italynorth: "aws-eu-central-1",
  polandcentral: "aws-eu-central-1",
  spaincentral: "aws-eu-central-1",
  swedencentral: "aws-eu-central-1",
  norwayeast: "aws-eu-central-1",
  norwaywest: "aws-eu-central-1",
  switzerlandnorth: "aws-eu-central-1",
  switzerlandwest: "aws-eu-central-1",
  austriaeast: "aws-eu-central-1",
  belgiumcentral: "aws-eu-central-1",
  // Middle East and Africa: Frankfurt has the shortest network path (not the shortest distance).
  israelcentral: "aws-eu-central-1",
  qatarcentral: "aws-eu-central-1",
  uaecentral: "aws-eu-central-1",
  uaenorth: "aws-eu-central-1",
  southafricanorth: "aws-eu-central-1",
  southafricawest: "aws-eu-central-1",
  // Asia.
  eastasia: "aws-ap-southeast-1",
  southeastasia: "aws-ap-southeast-1",
  japaneast: "aws-ap-southeast-1",
  japanwest: "aws-ap-southeast-1",
  koreacentral: "aws-ap-southeast-1",
  koreasouth: "aws-ap-southeast-1",
  centralindia: "aws-ap-southeast-1",
  southindia: "aws-ap-southeast-1",
  westindia: "aws-ap-southeast-1",
  jioindiacentral: "aws-ap-southeast-1",
  jioindiawest: "aws-ap-southeast-1",
  malaysiawest: "aws-ap-southeast-1",
  indonesiacentral: "aws-ap-southeast-1",
  // Oceania.
  australiaeast: "aws-ap-southeast-2",
  australiasoutheast: "aws-ap-southeast-2",
  australiacentral: "aws-ap-southeast-2",
  australiacentral2: "aws-ap-southeast-2",
  newzealandnorth: "aws-ap-southeast-2",
};

/** The default Neon region for a host in `azureRegion`; Frankfurt for a region this table lacks. */
export function neonRegionForAzure(azureRegion: string): NeonRegion {
  return NEON_REGION_FOR_AZURE[azureRegion] ?? "aws-eu-central-1";
}

export function isNeonRegion(value: string): value is NeonRegion {
  return (NEON_REGIONS as readonly string[]).includes(value);
}

/** `6 h`, `7 days`: how a person reads a retention. */
export function formatDuration(seconds: number): string {
  if (seconds % DAY === 0 && seconds >= DAY) return `${seconds / DAY} day${seconds === DAY ? "" : "s"}`;
  return `${seconds / HOUR} h`;
}
