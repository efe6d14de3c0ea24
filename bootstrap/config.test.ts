import { describe, expect, it } from "vitest";
import {
  assignmentName,
  backendUrl,
  bootstrapNames,
  loginEnvironment,
  readBootstrapConfig,
  secretsProviderUrl,
  type BootstrapInput,
} from "./config";

const OPERATORS = "2f3c9a1e-8b7d-4c6e-9f0a-1b2c3d4e5f60";
const CI = "7a1b2c3d-4e5f-4061-8273-9a8b7c6d5e4f";

function input(overrides: Record<string, unknown> = {}): BootstrapInput {
  const values: Record<string, unknown> = {
    prefix: "acmeliftoff",
    region: "westeurope",
    operatorsGroupId: OPERATORS,
    ...overrides,
  };
  for (const [key, value] of Object.entries(overrides)) if (value === undefined) delete values[key];
  return { project: "liftoff-bootstrap", stack: "team", values };
}

function errors(overrides: Record<string, unknown>) {
  const result = readBootstrapConfig(input(overrides));
  expect(result.spec).toBeUndefined();
  return result.problems.filter((p) => p.severity === "error");
}

describe("bootstrap config", () => {
  it("gives geo-redundant storage and the documented retention defaults when only the required keys are set", () => {
    const { spec, problems } = readBootstrapConfig(input());
    expect(problems).toEqual([]);
    expect(spec).toMatchObject({
      prefix: "acmeliftoff",
      region: "westeurope",
      storageSku: "Standard_GRS",
      names: {
        resourceGroup: "acmeliftoff-state-rg",
        storageAccount: "acmeliftoffstate",
        container: "state",
        vault: "acmeliftoff-kv",
        key: "pulumi-secrets",
      },
      retention: {
        blobSoftDeleteDays: 30,
        containerSoftDeleteDays: 30,
        restoreDays: 29,
        versionRetentionDays: 90,
        vaultSoftDeleteDays: 90,
      },
      principals: [{ role: "operators", principalId: OPERATORS, principalType: "Group" }],
    });
  });

  it("grants the CI identity as a service principal beside the operators' group", () => {
    const { spec } = readBootstrapConfig(input({ ciPrincipalId: CI.toUpperCase() }));
    expect(spec!.principals).toEqual([
      { role: "operators", principalId: OPERATORS, principalType: "Group" },
      { role: "ci", principalId: CI, principalType: "ServicePrincipal" },
    ]);
  });

  it("takes configured retention, restore window derived from blob soft delete", () => {
    const { spec } = readBootstrapConfig(
      input({
        blobSoftDeleteDays: "14",
        containerSoftDeleteDays: "7",
        versionRetentionDays: "60",
        vaultSoftDeleteDays: "30",
      }),
    );
    expect(spec!.retention).toEqual({
      blobSoftDeleteDays: 14,
      containerSoftDeleteDays: 7,
      restoreDays: 13,
      versionRetentionDays: 60,
      vaultSoftDeleteDays: 30,
    });
  });

  it("refuses a prefix that cannot name a storage account, suggesting one that can", () => {
    const [problem] = errors({ prefix: "Acme-Liftoff" });
    expect(problem).toMatchObject({
      key: "liftoff-bootstrap:prefix",
      value: "Acme-Liftoff",
      message: "cannot name a storage account and a key vault",
    });
    expect(problem!.allowed).toContain("3-19 lowercase letters and digits");
    expect(problem!.fix).toBe("pulumi config set liftoff-bootstrap:prefix acmeliftoff --stack team");
    expect(errors({ prefix: "a".repeat(20) })[0]!.key).toBe("liftoff-bootstrap:prefix");
    expect(errors({ prefix: "1acme" })[0]!.key).toBe("liftoff-bootstrap:prefix");
    expect(errors({ prefix: undefined })[0]!.message).toContain("is not set");
  });

  it("names valid, bounded Azure names for the longest and shortest prefixes", () => {
    for (const prefix of ["abc", "a".repeat(19)]) {
      const { spec } = readBootstrapConfig(input({ prefix }));
      const names = spec!.names;
      expect(names.storageAccount).toMatch(/^[a-z0-9]{3,24}$/);
      expect(names.vault).toMatch(/^[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/);
      expect(names.vault).not.toContain("--");
      expect(names.resourceGroup.length).toBeLessThanOrEqual(90);
    }
  });

  it("refuses an unknown region and suggests the nearest", () => {
    const [problem] = errors({ region: "westeurpe" });
    expect(problem).toMatchObject({ key: "liftoff-bootstrap:region", value: "westeurpe" });
    expect(problem!.fix).toBe("pulumi config set liftoff-bootstrap:region westeurope --stack team");
  });

  it("refuses storage that stays in one region, naming why", () => {
    for (const sku of ["Standard_ZRS", "Standard_LRS"]) {
      const [problem] = errors({ storageSku: sku });
      expect(problem).toMatchObject({ key: "liftoff-bootstrap:storageSku", value: sku });
      expect(problem!.message).toContain("regional outage");
      expect(problem!.allowed).toContain("Standard_GZRS");
    }
    expect(readBootstrapConfig(input({ storageSku: "Standard_GZRS" })).spec!.storageSku).toBe("Standard_GZRS");
    expect(errors({ storageSku: "Premium_GRS" })[0]!.message).toBe(
      "is not a storage redundancy the state backend offers",
    );
  });

  it("refuses retention outside what Azure accepts", () => {
    for (const [key, value] of [
      ["blobSoftDeleteDays", "1"],
      ["blobSoftDeleteDays", "366"],
      ["containerSoftDeleteDays", "0"],
      ["vaultSoftDeleteDays", "6"],
      ["vaultSoftDeleteDays", "91"],
      ["blobSoftDeleteDays", "thirty"],
    ] as const) {
      const [problem] = errors({ [key]: value });
      expect(problem).toMatchObject({ key: `liftoff-bootstrap:${key}`, value, message: "is out of range" });
      expect(problem!.fix).toMatch(new RegExp(`^pulumi config set liftoff-bootstrap:${key} \\d+ --stack team$`));
    }
  });

  it("refuses a restore window not shorter than blob soft delete", () => {
    const [problem] = errors({ blobSoftDeleteDays: "10", restoreDays: "10" });
    expect(problem).toMatchObject({
      key: "liftoff-bootstrap:restoreDays",
      value: "10",
      allowed: "a whole number from 1 to 9",
    });
    expect(problem!.fix).toBe("pulumi config set liftoff-bootstrap:restoreDays 9 --stack team");
  });

  it("refuses a version expiry that would delete versions point-in-time restore needs", () => {
    const [problem] = errors({ restoreDays: "20", versionRetentionDays: "20" });
    expect(problem).toMatchObject({
      key: "liftoff-bootstrap:versionRetentionDays",
      value: "20",
      allowed: "a whole number from 21 to 3650",
    });
  });

  it("requires the operators' group as a GUID, and refuses the all-zero placeholder", () => {
    expect(errors({ operatorsGroupId: undefined })[0]).toMatchObject({
      key: "liftoff-bootstrap:operatorsGroupId",
      message: expect.stringContaining("nobody can use the backend"),
    });
    expect(errors({ operatorsGroupId: "platform-team" })[0]).toMatchObject({
      key: "liftoff-bootstrap:operatorsGroupId",
      value: "platform-team",
      message: "is not a GUID",
    });
    expect(errors({ operatorsGroupId: "00000000-0000-0000-0000-000000000000" })[0]!.message).toContain("placeholder");
    const [ci] = errors({ ciPrincipalId: "my-ci-app" });
    expect(ci).toMatchObject({ key: "liftoff-bootstrap:ciPrincipalId", value: "my-ci-app" });
    expect(ci!.allowed).toContain("not its client id");
    expect(errors({ ciPrincipalId: OPERATORS })[0]!.message).toContain("same id as liftoff-bootstrap:operatorsGroupId");
  });

  it("names a mistyped key and what it probably meant", () => {
    const [problem] = errors({ blobSoftDeletDays: "30" });
    expect(problem).toMatchObject({
      key: "liftoff-bootstrap:blobSoftDeletDays",
      fix: "rename it to liftoff-bootstrap:blobSoftDeleteDays",
    });
  });

  it("reports every problem at once", () => {
    const keys = errors({ prefix: "x", region: "mars", operatorsGroupId: "nope", storageSku: "Standard_LRS" }).map(
      (p) => p.key,
    );
    expect(keys).toEqual(
      expect.arrayContaining([
        "liftoff-bootstrap:prefix",
        "liftoff-bootstrap:region",
        "liftoff-bootstrap:operatorsGroupId",
        "liftoff-bootstrap:storageSku",
      ]),
    );
  });
});

describe("backend addresses", () => {
  const names = bootstrapNames("acmeliftoff");

  it("are the URL forms the Pulumi CLI documents", () => {
    expect(backendUrl(names.storageAccount)).toBe("azblob://state?storage_account=acmeliftoffstate");
    expect(secretsProviderUrl(names.vault)).toBe("azurekeyvault://acmeliftoff-kv.vault.azure.net/keys/pulumi-secrets");
    expect(loginEnvironment(names)).toEqual({
      PULUMI_BACKEND_URL: "azblob://state?storage_account=acmeliftoffstate",
      AZURE_STORAGE_ACCOUNT: "acmeliftoffstate",
      AZURE_KEYVAULT_AUTH_VIA_CLI: "true",
    });
  });

  it("derive role assignment names as stable GUIDs, one per grant", () => {
    const a = assignmentName("acmeliftoffstate", OPERATORS, "role-a");
    expect(a).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(assignmentName("acmeliftoffstate", OPERATORS, "role-a")).toBe(a);
    expect(assignmentName("acmeliftoffstate", CI, "role-a")).not.toBe(a);
    expect(assignmentName("acmeliftoffstate", OPERATORS, "role-b")).not.toBe(a);
  });
});
