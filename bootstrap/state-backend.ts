import * as authorization from "@pulumi/azure-native/authorization";
import * as keyvault from "@pulumi/azure-native/keyvault";
import * as resources from "@pulumi/azure-native/resources";
import * as storage from "@pulumi/azure-native/storage";
import * as pulumi from "@pulumi/pulumi";
import { ROLE, SECRETS_KEY_SIZE, assignmentName, type BootstrapSpec } from "./config";

export interface StateBackend {
  readonly resourceGroupName: pulumi.Output<string>;
  readonly storageAccountId: pulumi.Output<string>;
  readonly vaultId: pulumi.Output<string>;
}

/**
 * What a team needs before its first stack: a geo-redundant storage account whose `state`
 * container keeps every version of every state file, and a Key Vault key that encrypts the stacks'
 * secrets. The data-holding resources are protected; the account also carries a delete lock, so
 * neither `pulumi destroy` nor a portal click removes it.
 */
export function stateBackend(spec: BootstrapSpec): StateBackend {
  const { names, retention } = spec;
  const tags = { ...spec.tags };
  const client = authorization.getClientConfigOutput();

  const group = new resources.ResourceGroup("state", {
    resourceGroupName: names.resourceGroup,
    location: spec.region,
    tags,
  });

  const account = new storage.StorageAccount(
    "state",
    {
      accountName: names.storageAccount,
      resourceGroupName: group.name,
      location: spec.region,
      kind: storage.Kind.StorageV2,
      sku: { name: spec.storageSku },
      accessTier: storage.AccessTier.Hot,
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: storage.MinimumTlsVersion.TLS1_2,
      allowBlobPublicAccess: false,
      // The azblob backend authenticates with Entra ID (DefaultAzureCredential) when no account key
      // or SAS is given, so keys are switched off: access is only ever through the two role grants.
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      allowCrossTenantReplication: false,
      // CI runners (GitHub-hosted) have no fixed addresses; access is guarded by Entra ID + RBAC.
      publicNetworkAccess: storage.PublicNetworkAccess.Enabled,
      networkRuleSet: { defaultAction: storage.DefaultAction.Allow, bypass: storage.Bypass.AzureServices },
      isHnsEnabled: false,
      tags,
    },
    { protect: true },
  );

  // Versioning keeps every write of every state file; soft delete keeps deleted blobs, versions
  // and the container; change feed + restore policy allow rolling the container back in time.
  const blobService = new storage.BlobServiceProperties("state", {
    accountName: account.name,
    resourceGroupName: group.name,
    blobServicesName: "default",
    isVersioningEnabled: true,
    deleteRetentionPolicy: { enabled: true, days: retention.blobSoftDeleteDays },
    containerDeleteRetentionPolicy: { enabled: true, days: retention.containerSoftDeleteDays },
    changeFeed: { enabled: true, retentionInDays: retention.blobSoftDeleteDays },
    restorePolicy: { enabled: true, days: retention.restoreDays },
  });

  new storage.BlobContainer(
    "state",
    {
      accountName: account.name,
      resourceGroupName: group.name,
      containerName: names.container,
      publicAccess: storage.PublicAccess.None,
    },
    { protect: true, dependsOn: [blobService] },
  );

  // The DIY backend rewrites the checkpoint after every step, so versions pile up quickly; old
  // ones go after the retention, well outside the point-in-time restore window.
  new storage.ManagementPolicy(
    "state-versions",
    {
      accountName: account.name,
      resourceGroupName: group.name,
      managementPolicyName: "default",
      policy: {
        rules: [
          {
            name: "expire-old-state-versions",
            enabled: true,
            type: storage.RuleType.Lifecycle,
            definition: {
              filters: { blobTypes: ["blockBlob"], prefixMatch: [`${names.container}/`] },
              actions: { version: { delete: { daysAfterCreationGreaterThan: retention.versionRetentionDays } } },
            },
          },
        ],
      },
    },
    { dependsOn: [blobService] },
  );

  new authorization.ManagementLockByScope("state-account", {
    scope: account.id,
    lockName: "state-do-not-delete",
    level: authorization.LockLevel.CanNotDelete,
    notes: "Holds the Pulumi state of every liftoff stack. Remove only on purpose.",
  });

  const vault = new keyvault.Vault(
    "secrets",
    {
      vaultName: names.vault,
      resourceGroupName: group.name,
      location: spec.region,
      properties: {
        tenantId: client.tenantId,
        sku: { family: keyvault.SkuFamily.A, name: keyvault.SkuName.Standard },
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: retention.vaultSoftDeleteDays,
        // Once on, nobody (not even an owner) can purge the key before the retention ends.
        enablePurgeProtection: true,
        enabledForDeployment: false,
        enabledForDiskEncryption: false,
        enabledForTemplateDeployment: false,
        publicNetworkAccess: "Enabled",
        networkAcls: {
          defaultAction: keyvault.NetworkRuleAction.Allow,
          bypass: keyvault.NetworkRuleBypassOptions.AzureServices,
        },
      },
      tags,
    },
    { protect: true },
  );

  new keyvault.Key(
    "secrets",
    {
      vaultName: vault.name,
      resourceGroupName: group.name,
      keyName: names.key,
      properties: {
        kty: keyvault.JsonWebKeyType.RSA,
        keySize: SECRETS_KEY_SIZE,
        // The provider only wraps and unwraps each stack's data key (RSA-OAEP-256 encrypt/decrypt).
        keyOps: [keyvault.JsonWebKeyOperation.Encrypt, keyvault.JsonWebKeyOperation.Decrypt],
        attributes: { enabled: true },
      },
      tags,
    },
    { protect: true },
  );

  const roleId = (id: string) =>
    pulumi.interpolate`/subscriptions/${client.subscriptionId}/providers/Microsoft.Authorization/roleDefinitions/${id}`;
  for (const principal of spec.principals) {
    new authorization.RoleAssignment(`${principal.role}-state-data`, {
      roleAssignmentName: assignmentName(names.storageAccount, principal.principalId, ROLE.storageBlobDataContributor),
      scope: account.id,
      principalId: principal.principalId,
      principalType: principal.principalType,
      roleDefinitionId: roleId(ROLE.storageBlobDataContributor),
      description: `liftoff: ${principal.role} read and write Pulumi state`,
    });
    new authorization.RoleAssignment(`${principal.role}-secrets-key`, {
      roleAssignmentName: assignmentName(names.vault, principal.principalId, ROLE.keyVaultCryptoUser),
      scope: vault.id,
      principalId: principal.principalId,
      principalType: principal.principalType,
      roleDefinitionId: roleId(ROLE.keyVaultCryptoUser),
      description: `liftoff: ${principal.role} encrypt and decrypt stack secrets`,
    });
  }

  return { resourceGroupName: group.name, storageAccountId: account.id, vaultId: vault.id };
}
