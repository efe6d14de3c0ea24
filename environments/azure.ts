/** Facts about Azure that validation checks against. */

/** Azure public-cloud regions that accept virtual machines (`az account list-locations`). */
export const AZURE_REGIONS: readonly string[] = [
  "australiacentral",
  "australiacentral2",
  "australiaeast",
  "australiasoutheast",
  "austriaeast",
  "belgiumcentral",
  "brazilsouth",
  "brazilsoutheast",
  "canadacentral",
  "canadaeast",
  "centralindia",
  "centralus",
  "chilecentral",
  "eastasia",
  "eastus",
  "eastus2",
  "francecentral",
  "francesouth",
  "germanynorth",
  "germanywestcentral",
  "indonesiacentral",
  "israelcentral",
  "italynorth",
  "japaneast",
  "japanwest",
  "jioindiacentral",
  "jioindiawest",
  "koreacentral",
  "koreasouth",
  "malaysiawest",
  "mexicocentral",
  "newzealandnorth",
  "northcentralus",
  "northeurope",
  "norwayeast",
  "norwaywest",
  "polandcentral",
  "qatarcentral",
  "southafricanorth",
  "southafricawest",
  "southcentralus",
  "southeastasia",
  "southindia",
  "spaincentral",
  "swedencentral",
  "switzerlandnorth",
  "switzerlandwest",
  "uaecentral",
  "uaenorth",
  "uksouth",
  "ukwest",
  "westcentralus",
  "westeurope",
  "westindia",
  "westus",
  "westus2",
  "westus3",
];

/**
 * VM size names as Azure spells them: family letters, vCPUs, optional constrained-core suffix,
 * feature letters, optional accelerator and version, e.g. Standard_B2s, Standard_D4ds_v5,
 * Standard_E8-4ds_v5, Standard_NC24ads_A100_v4.
 */
export const VM_SIZE_PATTERN =
  /^(Standard|Basic)_[A-Z]{1,4}[0-9]{1,3}(-[0-9]{1,3})?[a-z]*(_[A-Z][A-Za-z0-9]*)?(_v[1-9])?$/;

/** Public IP DNS label: 3-63 characters, lowercase letters, digits and hyphens, starting with a letter. */
export const DNS_LABEL_PATTERN = /^[a-z][a-z0-9-]{1,61}[a-z0-9]$/;

/** Linux admin user names Azure refuses for a VM. */
export const RESERVED_ADMIN_USERS: readonly string[] = [
  "administrator",
  "admin",
  "user",
  "user1",
  "test",
  "user2",
  "test1",
  "user3",
  "admin1",
  "1",
  "123",
  "a",
  "actuser",
  "adm",
  "admin2",
  "aspnet",
  "backup",
  "console",
  "david",
  "guest",
  "john",
  "owner",
  "root",
  "server",
  "sql",
  "support",
  "support_388945a0",
  "sys",
  "test2",
  "test3",
  "user4",
  "user5",
];

/** Public DNS name Azure gives a public IP with a DNS label. */
export function azureFqdn(dnsLabel: string, region: string): string {
  return `${dnsLabel}.${region}.cloudapp.azure.com`;
}
