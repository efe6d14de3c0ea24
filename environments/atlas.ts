/** Facts about MongoDB Atlas on Azure that validation checks against. */

/**
 * Atlas's name for each Azure region it runs clusters in (mongodb.com/docs/atlas/reference/microsoft-azure).
 * Azure regions missing here have no Atlas presence; see ATLAS_FALLBACK.
 */
const ATLAS_REGION_FOR_AZURE: Readonly<Record<string, string>> = {
  eastasia: "ASIA_EAST",
  southeastasia: "ASIA_SOUTH_EAST",
  australiacentral: "AUSTRALIA_CENTRAL",
  australiacentral2: "AUSTRALIA_CENTRAL_2",
  australiaeast: "AUSTRALIA_EAST",
  australiasoutheast: "AUSTRALIA_SOUTH_EAST",
  brazilsouth: "BRAZIL_SOUTH",
  brazilsoutheast: "BRAZIL_SOUTHEAST",
  canadacentral: "CANADA_CENTRAL",
  canadaeast: "CANADA_EAST",
  chilecentral: "CHILE_CENTRAL",
  northeurope: "EUROPE_NORTH",
  westeurope: "EUROPE_WEST",
  francecentral: "FRANCE_CENTRAL",
  francesouth: "FRANCE_SOUTH",
  germanynorth: "GERMANY_NORTH",
  germanywestcentral: "GERMANY_WEST_CENTRAL",
  centralindia: "INDIA_CENTRAL",
  southindia: "INDIA_SOUTH",
  westindia: "INDIA_WEST",
  indonesiacentral: "INDONESIA_CENTRAL",
  israelcentral: "ISRAEL_CENTRAL",
  italynorth: "ITALY_NORTH",
  japaneast: "JAPAN_EAST",
  japanwest: "JAPAN_WEST",
  koreacentral: "KOREA_CENTRAL",
  koreasouth: "KOREA_SOUTH",
  malaysiawest: "MALAYSIA_WEST",
  mexicocentral: "MEXICO_CENTRAL",
  newzealandnorth: "NEW_ZEALAND_NORTH",
  norwayeast: "NORWAY_EAST",
  norwaywest: "NORWAY_WEST",
  polandcentral: "POLAND_CENTRAL",
  qatarcentral: "QATAR_CENTRAL",
  southafricanorth: "SOUTH_AFRICA_NORTH",
  southafricawest: "SOUTH_AFRICA_WEST",
  spaincentral: "SPAIN_CENTRAL",
  swedencentral: "SWEDEN_CENTRAL",
  switzerlandnorth: "SWITZERLAND_NORTH",
  switzerlandwest: "SWITZERLAND_WEST",
  uaecentral: "UAE_CENTRAL",
  uaenorth: "UAE_NORTH",
  uksouth: "UK_SOUTH",
  ukwest: "UK_WEST",
  centralus: "US_CENTRAL",
  eastus: "US_EAST",
  eastus2: "US_EAST_2",
  northcentralus: "US_NORTH_CENTRAL",
  southcentralus: "US_SOUTH_CENTRAL",
  westus: "US_WEST",
  westus2: "US_WEST_2",
  westus3: "US_WEST_3",
  westcentralus: "US_WEST_CENTRAL",
};

/** Azure regions Atlas does not run in, and the nearest Azure region it does. */
const ATLAS_FALLBACK: Readonly<Record<string, string>> = {
  austriaeast: "germanywestcentral",
  belgiumcentral: "westeurope",
  jioindiacentral: "centralindia",
  jioindiawest: "westindia",
};

/** Every Atlas region name for Azure, for checking an operator's override. */
export const ATLAS_AZURE_REGIONS: readonly string[] = Object.values(ATLAS_REGION_FOR_AZURE).sort();

/**
 * Atlas regions on Azure that offer the free M0 tier. Atlas offers M0 in only a few Azure regions;
 * this list is deliberately short (the ones Atlas has long offered), and `liftoff:atlasRegion`
 * overrides it when Atlas offers one nearer.
 */
export const ATLAS_AZURE_FREE_REGIONS: readonly string[] = ["US_EAST_2", "EUROPE_WEST"];

/** Where a free cluster goes for hosts on each continent: the nearest free region. */
const FREE_REGION_FOR_AMERICAS = "US_EAST_2";
const FREE_REGION_ELSEWHERE = "EUROPE_WEST";
const AMERICAS = /^(US_|CANADA_|BRAZIL_|CHILE_|MEXICO_)/;

/**
 * The Atlas region for a cluster serving a host in `azureRegion`: the same Azure region when Atlas
 * runs there (dedicated tiers), else the nearest one; for the free tier the nearest region that
 * offers M0.
 */
export function atlasRegionForAzure(azureRegion: string, free: boolean): string {
  const dedicated =
    ATLAS_REGION_FOR_AZURE[azureRegion] ?? ATLAS_REGION_FOR_AZURE[ATLAS_FALLBACK[azureRegion] ?? ""] ?? "EUROPE_WEST";
  if (!free || ATLAS_AZURE_FREE_REGIONS.includes(dedicated)) return dedicated;
  return AMERICAS.test(dedicated) ? FREE_REGION_FOR_AMERICAS : FREE_REGION_ELSEWHERE;
}

/** The free tier; it has no cloud backup and no point-in-time restore. */
export const ATLAS_FREE_TIER = "M0";
/** Shared tiers Atlas retired in January 2026 (Flex replaced them; liftoff does not provision Flex). */
export const RETIRED_ATLAS_TIERS: readonly string[] = ["M2", "M5"];
/** Dedicated tiers (general and low-CPU), M10 and up: the ones with cloud backup. */
export const ATLAS_DEDICATED_TIER = /^(M(10|20|30|40|50|60|80|140|200|300|400|700)|R(40|50|60|80|200|300|400|700))$/;

export function isAtlasTier(value: string): boolean {
  return value === ATLAS_FREE_TIER || ATLAS_DEDICATED_TIER.test(value);
}

/** Atlas organization ids are 24 hexadecimal characters (an ObjectId). */
export const ATLAS_ORG_ID = /^[0-9a-f]{24}$/;
