import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { byType, input, one } from "../test/harness";
import { evaluateProgram, type Evaluation, type PlannedResource } from "../tools/plan/evaluate";
import { PLAN_SUBSCRIPTION, PLAN_TENANT } from "../tools/plan/mocks";
import { ROLE } from "./config";

const BOOTSTRAP_DIR = __dirname;
const OPERATORS = "2f3c9a1e-8b7d-4c6e-9f0a-1b2c3d4e5f60";
const CI = "7a1b2c3d-4e5f-4061-8273-9a8b7c6d5e4f";

/** Runs bootstrap/index.ts (what `pulumi up` runs in bootstrap/) under the mock monitor. */
function runBootstrap(settings: Record<string, string>): Promise<Evaluation> {
  const config = Object.fromEntries(Object.entries(settings).map(([k, v]) => [`liftoff-bootstrap:${k}`, v]));
  return evaluateProgram({
    project: "liftoff-bootstrap",
    stack: "team",
    config,
    secretKeys: [],
    mode: "up",
    load: async () => {
      vi.resetModules();
      return (await import("./index")) as Record<string, unknown>;
    },
  });
}

const BASE = { prefix: "acmeliftoff", region: "westeurope", operatorsGroupId: OPERATORS };

describe("bootstrap program", () => {
  let plan: Evaluation;
  let account: PlannedResource;
  let vault: PlannedResource;
  beforeAll(async () => {
    plan = await runBootstrap({
      ...BASE,
      ciPrincipalId: CI,
      blobSoftDeleteDays: "21",
      containerSoftDeleteDays: "14",
      versionRetentionDays: "45",
    });
    expect(plan.error).toBeUndefined();
    account = one(plan, "azure-native:storage:StorageAccount");
    vault = one(plan, "azure-native:keyvault:Vault");
  });

  it("keeps state in a geo-redundant StorageV2 account reachable only over TLS 1.2+ with Entra ID", () => {
    expect(account.inputs).toMatchObject({
      accountName: "acmeliftoffstate",
      location: "westeurope",
      kind: "StorageV2",
      sku: { name: "Standard_GRS" },
      enableHttpsTrafficOnly: true,
      minimumTlsVersion: "TLS1_2",
      allowBlobPublicAccess: false,
      allowSharedKeyAccess: false,
      defaultToOAuthAuthentication: true,
      allowCrossTenantReplication: false,
    });
  });

  it("versions every state write and soft-deletes blobs and containers for the configured days", () => {
    const service = one(plan, "azure-native:storage:BlobServiceProperties");
    expect(service.inputs).toMatchObject({
      accountName: "acmeliftoffstate",
      isVersioningEnabled: true,
      deleteRetentionPolicy: { enabled: true, days: 21 },
      containerDeleteRetentionPolicy: { enabled: true, days: 14 },
      changeFeed: { enabled: true },
      restorePolicy: { enabled: true, days: 20 },
    });
    // Azure refuses a restore window not shorter than blob soft delete.
    expect(input(service, "restorePolicy.days") as number).toBeLessThan(
      input(service, "deleteRetentionPolicy.days") as number,
    );
  });

  it("expires previous state versions after the configured days, never the current one", () => {
    const policy = one(plan, "azure-native:storage:ManagementPolicy");
    const rule = input(policy, "policy.rules[0]") as Record<string, unknown>;
    expect(rule).toMatchObject({
      enabled: true,
      type: "Lifecycle",
      definition: {
        filters: { blobTypes: ["blockBlob"], prefixMatch: ["state/"] },
        actions: { version: { delete: { daysAfterCreationGreaterThan: 45 } } },
      },
    });
    // Only previous versions expire: the current state file is never touched.
    expect(input(policy, "policy.rules[0].definition.actions.baseBlob")).toBeUndefined();
  });

  it("has one private container named state", () => {
    const container = one(plan, "azure-native:storage:BlobContainer");
    expect(container.inputs).toMatchObject({
      accountName: "acmeliftoffstate",
      containerName: "state",
      publicAccess: "None",
    });
  });

  it("holds the secrets key in an RBAC vault with soft delete and purge protection", () => {
    expect(vault.inputs).toMatchObject({
      vaultName: "acmeliftoff-kv",
      location: "westeurope",
      properties: {
        tenantId: PLAN_TENANT,
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        softDeleteRetentionInDays: 90,
        enablePurgeProtection: true,
        sku: { family: "A", name: "standard" },
      },
    });
    expect(input(vault, "properties.accessPolicies")).toBeUndefined();
    const key = one(plan, "azure-native:keyvault:Key");
    expect(key.inputs).toMatchObject({
      vaultName: "acmeliftoff-kv",
      keyName: "pulumi-secrets",
      properties: { kty: "RSA", keySize: 3072 },
    });
    expect(input(key, "properties.keyOps")).toEqual(["encrypt", "decrypt"]);
  });

  it("grants operators and CI exactly blob data access on the account and crypto use on the vault", () => {
    const assignments = byType(plan, "azure-native:authorization:RoleAssignment");
    const grants = assignments.map((a) => ({
      principalId: a.inputs["principalId"],
      principalType: a.inputs["principalType"],
      scope: a.inputs["scope"],
      role: a.inputs["roleDefinitionId"],
    }));
    const roleId = (id: string) =>
      `/subscriptions/${PLAN_SUBSCRIPTION}/providers/Microsoft.Authorization/roleDefinitions/${id}`;
    expect(grants).toHaveLength(4);
    expect(grants).toEqual(
      expect.arrayContaining([
        {
          principalId: OPERATORS,
          principalType: "Group",
          scope: account.id,
          role: roleId(ROLE.storageBlobDataContributor),
        },
        { principalId: OPERATORS, principalType: "Group", scope: vault.id, role: roleId(ROLE.keyVaultCryptoUser) },
        {
          principalId: CI,
          principalType: "ServicePrincipal",
          scope: account.id,
          role: roleId(ROLE.storageBlobDataContributor),
        },
        { principalId: CI, principalType: "ServicePrincipal", scope: vault.id, role: roleId(ROLE.keyVaultCryptoUser) },
      ]),
    );
    expect(ROLE).toEqual({
      storageBlobDataContributor: "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
      keyVaultCryptoUser: "12338af0-0e69-4776-bea7-57ae8d297424",
    });
    const names = assignments.map((a) => a.inputs["roleAssignmentName"] as string);
    expect(new Set(names).size).toBe(4);
    for (const name of names) expect(name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });

  it("locks the account against deletion and protects everything that holds data", () => {
    const lock = one(plan, "azure-native:authorization:ManagementLockByScope");
    expect(lock.inputs).toMatchObject({ scope: account.id, level: "CanNotDelete" });
    const protectedTypes = plan.resources
      .filter((r) => r.options.protect)
      .map((r) => r.type)
      .sort();
    expect(protectedTypes).toEqual([
      "azure-native:keyvault:Key",
      "azure-native:keyvault:Vault",
      "azure-native:storage:BlobContainer",
      "azure-native:storage:StorageAccount",
    ]);
  });

  it("outputs the backend URL, secrets provider and environment in the documented forms, none secret", () => {
    expect(plan.outputs["backendUrl"]).toEqual({
      value: "azblob://state?storage_account=acmeliftoffstate",
      secret: false,
    });
    expect(plan.outputs["secretsProvider"]).toEqual({
      value: "azurekeyvault://acmeliftoff-kv.vault.azure.net/keys/pulumi-secrets",
      secret: false,
    });
    expect(plan.outputs["environment"]!.value).toEqual({
      PULUMI_BACKEND_URL: "azblob://state?storage_account=acmeliftoffstate",
      AZURE_STORAGE_ACCOUNT: "acmeliftoffstate",
      AZURE_KEYVAULT_AUTH_VIA_CLI: "true",
    });
    expect(plan.outputs["storageAccountId"]!.value).toBe(account.id);
    expect(plan.outputs["keyVaultId"]!.value).toBe(vault.id);
    expect(Object.values(plan.outputs).filter((o) => o.secret)).toEqual([]);
  });

  it("grants only the operators when no CI identity is configured", async () => {
    const operatorsOnly = await runBootstrap(BASE);
    expect(operatorsOnly.error).toBeUndefined();
    const principals = byType(operatorsOnly, "azure-native:authorization:RoleAssignment").map(
      (a) => a.inputs["principalId"],
    );
    expect(principals).toEqual([OPERATORS, OPERATORS]);
  });

  it("stops on bad config before declaring anything, naming each key, value, what is allowed and a fix", async () => {
    const bad = await runBootstrap({
      prefix: "Acme-Liftoff",
      region: "westeurope",
      operatorsGroupId: "platform-team",
      storageSku: "Standard_ZRS",
    });
    expect(bad.resources).toEqual([]);
    expect(bad.error).toContain("stack team has 3 configuration errors; nothing was declared.");
    expect(bad.error).toContain(
      'error: liftoff-bootstrap:prefix = "Acme-Liftoff" cannot name a storage account and a key vault',
    );
    expect(bad.error).toContain("fix:     pulumi config set liftoff-bootstrap:prefix acmeliftoff --stack team");
    expect(bad.error).toContain('liftoff-bootstrap:operatorsGroupId = "platform-team" is not a GUID');
    expect(bad.error).toContain('liftoff-bootstrap:storageSku = "Standard_ZRS"');
  });
});

describe("bootstrap/Pulumi.yaml", () => {
  const project = parse(readFileSync(path.join(BOOTSTRAP_DIR, "Pulumi.yaml"), "utf8")) as {
    name: string;
    main: string;
    runtime: { name: string; options: { typescript: boolean; nodeargs: string } };
  };

  it("is its own project, loading TypeScript the way the main project does", () => {
    const root = parse(readFileSync(path.join(BOOTSTRAP_DIR, "..", "Pulumi.yaml"), "utf8")) as typeof project;
    expect(project.name).toBe("liftoff-bootstrap");
    expect(project.name).not.toBe(root.name);
    expect(project.runtime.options.typescript).toBe(false);
    expect(project.runtime.options.nodeargs).toBe(root.runtime.options.nodeargs.replace("./tools/", "../tools/"));
  });

  it("resolves its entry point, the TypeScript loader and the SDK from bootstrap/ as the engine would run it", () => {
    // The engine starts node in the project directory with nodeargs; without an engine the program
    // itself cannot run, so this checks that everything it needs loads from there.
    const script = `require.resolve("@pulumi/azure-native/storage"); const c = require("./config.ts"); console.log(c.backendUrl("x1state"), require.resolve("./${project.main}"))`;
    const result = spawnSync(process.execPath, [...project.runtime.options.nodeargs.split(" "), "-e", script], {
      cwd: BOOTSTRAP_DIR,
      encoding: "utf8",
    });
    expect(result.stderr).toBe("");
    expect(result.stdout.trim()).toBe(`azblob://state?storage_account=x1state ${path.join(BOOTSTRAP_DIR, "index.ts")}`);
  });
});
