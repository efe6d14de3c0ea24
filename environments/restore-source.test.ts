/** Validation of the disaster-recovery keys that restore a new stack from another stack's data. */
import { describe, expect, it } from "vitest";
import { configInput, errors, onlyError } from "../test/config-input";
import { buildEnvironmentSpec } from "./validate";

const NEON_SOURCE = {
  projectId: "silent-smoke-10000012",
  branchId: "br-cool-darkness-100004",
  timestamp: "2026-11-20T08:30:00Z",
};
const ATLAS_SOURCE = {
  projectId: "65a1b2c3d4e5f60718293a4b",
  clusterName: "liftoff-prod",
  timestamp: "2026-11-20T08:30:00Z",
};

describe("liftoff:neonRestoreSource", () => {
  it("puts the source project, branch and instant in the spec", () => {
    const { spec } = buildEnvironmentSpec(configInput("prod", { neonRestoreSource: JSON.stringify(NEON_SOURCE) }));
    expect(spec?.data.postgres?.restoreSource).toEqual(NEON_SOURCE);
  });

  it("takes the source's default branch when no branch is named", () => {
    const { branchId: _omitted, ...withoutBranch } = NEON_SOURCE;
    const { spec } = buildEnvironmentSpec(configInput("prod", { neonRestoreSource: JSON.stringify(withoutBranch) }));
    expect(spec?.data.postgres?.restoreSource).toEqual(withoutBranch);
  });

  it("refuses an instant that is not UTC to the second, naming the nested key", () => {
    const problem = onlyError(
      "prod",
      { neonRestoreSource: JSON.stringify({ ...NEON_SOURCE, timestamp: "2026-11-20 08:30" }) },
      "liftoff:neonRestoreSource.timestamp",
    );
    expect(problem.value).toBe('"2026-11-20 08:30"');
    expect(problem.message).toMatch(/UTC instant/);
    expect(problem.allowed).toMatch(/neonProjectId and neonBranchId outputs/);
  });

  it("refuses a malformed branch id and an unknown field", () => {
    const result = buildEnvironmentSpec(
      configInput("prod", { neonRestoreSource: JSON.stringify({ ...NEON_SOURCE, branchId: "main", at: "x" }) }),
    );
    expect(
      errors(result)
        .map((p) => p.key)
        .sort(),
    ).toEqual(["liftoff:neonRestoreSource", "liftoff:neonRestoreSource.branchId"]);
  });

  it("refuses restoring both the stack's own project and another stack's", () => {
    const problem = onlyError(
      "prod",
      { neonRestoreSource: JSON.stringify(NEON_SOURCE), neonRestoreFrom: "2026-11-20T08:30:00Z" },
      "liftoff:neonRestoreSource",
    );
    expect(problem.fix).toBe("pulumi config rm liftoff:neonRestoreFrom --stack prod");
  });
});

describe("liftoff:atlasRestoreSource", () => {
  it("puts the source project, cluster and instant in the spec", () => {
    const { spec } = buildEnvironmentSpec(configInput("prod", { atlasRestoreSource: JSON.stringify(ATLAS_SOURCE) }));
    expect(spec?.data.mongodb?.restoreSource).toEqual(ATLAS_SOURCE);
  });

  it("refuses restoring into the free tier, which takes no backup", () => {
    const problem = onlyError(
      "dev",
      { atlasRestoreSource: JSON.stringify(ATLAS_SOURCE) },
      "liftoff:atlasRestoreSource",
    );
    expect(problem.message).toMatch(/M0 is the free shared tier/);
    expect(problem.fix).toBe("pulumi config set liftoff:atlasInstanceSize M10 --stack dev");
  });

  it("refuses a project id that is not Atlas's", () => {
    onlyError(
      "prod",
      { atlasRestoreSource: JSON.stringify({ ...ATLAS_SOURCE, projectId: "prod" }) },
      "liftoff:atlasRestoreSource.projectId",
    );
  });
});
