import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parseImageRef, type ImageRef } from "../../environments/image-ref";
import { byType, input, isSecretAt, one, runComponent } from "../../test/harness";
import { ContainerImages, DeploymentEnvironment, type DeploymentEnvironmentArgs } from ".";

const ref = (text: string): ImageRef => {
  const parsed = parseImageRef(text);
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.ref;
};
const DIGEST = `sha256:${"d".repeat(64)}`;

describe("ContainerImages component", () => {
  const declare = () =>
    runComponent(() => {
      const images = new ContainerImages("images", {
        registry: { server: "ghcr.io", username: "acme-bot", password: pulumi.secret("ghp_pull_only") },
        images: { gateway: ref("ghcr.io/acme/api-gateway:1.4.2"), orders: ref(`ghcr.io/acme/orders@${DIGEST}`) },
      });
      return {
        gateway: images.references["gateway"],
        orders: images.references["orders"],
        password: images.credentials.password,
      };
    });

  it("resolves a tag to the digest the registry names, and keeps a given digest", async () => {
    const plan = await declare();
    expect(plan.error).toBeUndefined();
    expect(plan.outputs["gateway"]!.value).toMatch(/^ghcr\.io\/acme\/api-gateway@sha256:[a-f0-9]{64}$/);
    expect(plan.outputs["orders"]!.value).toBe(`ghcr.io/acme/orders@${DIGEST}`);
  });

  it("authenticates to the registry with the PAT, kept secret, and needs no Docker daemon", async () => {
    const plan = await declare();
    const provider = one(plan, "pulumi:providers:docker");
    // Provider configuration reaches the engine as text.
    expect(String(input(provider, "disableDockerDaemonCheck"))).toBe("true");
    expect(isSecretAt(provider, "registryAuth[0].password")).toBe(true);
    expect(plan.outputs["password"]).toEqual({ value: "[secret]", secret: true });
    expect(JSON.stringify(plan)).not.toContain("ghp_pull_only");
  });
});

describe("DeploymentEnvironment component", () => {
  const ARGS: DeploymentEnvironmentArgs = {
    owner: "acme",
    repository: "backend",
    token: pulumi.secret("github_pat_admin"),
    environment: "prod",
    reviewers: { users: ["alice"], teams: ["platform"] },
    protected: true,
    variables: { LIFTOFF_HOST: "h.example", LIFTOFF_SSH_USER: "deploy" },
    secrets: { LIFTOFF_SSH_PRIVATE_KEY: pulumi.secret("-----BEGIN OPENSSH PRIVATE KEY-----\nx\n") },
  };
  const declare = (overrides: Partial<DeploymentEnvironmentArgs> = {}) =>
    runComponent(() => {
      const e = new DeploymentEnvironment("github", { ...ARGS, ...overrides });
      return { environment: e.environmentName };
    });

  it("requires review by the configured users and teams, prevents self-review and binds admins", async () => {
    const plan = await declare();
    const environment = one(plan, "github:index/repositoryEnvironment:RepositoryEnvironment");
    expect(environment.inputs).toMatchObject({
      repository: "backend",
      environment: "prod",
      preventSelfReview: true,
      canAdminsBypass: false,
    });
    const [reviewers] = input(environment, "reviewers") as { users: number[]; teams: number[] }[];
    expect(reviewers!.users).toHaveLength(1);
    expect(reviewers!.teams).toHaveLength(1);
    for (const id of [...reviewers!.users, ...reviewers!.teams]) expect(Number.isInteger(id) && id > 0).toBe(true);
  });

  it("deploys only from the repository's default branch", async () => {
    const plan = await declare();
    expect(
      input(one(plan, "github:index/repositoryEnvironment:RepositoryEnvironment"), "deploymentBranchPolicy"),
    ).toEqual({ protectedBranches: false, customBranchPolicies: true });
    expect(
      one(plan, "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy").inputs,
    ).toMatchObject({ environment: "prod", branchPattern: "main" });
  });

  it("an unprotected environment has no reviewers and no branch policy", async () => {
    const plan = await declare({ protected: false, environment: "dev" });
    const environment = one(plan, "github:index/repositoryEnvironment:RepositoryEnvironment");
    expect(environment.inputs).toMatchObject({ reviewers: [], preventSelfReview: false, canAdminsBypass: true });
    expect(environment.inputs["deploymentBranchPolicy"]).toBeUndefined();
    expect(
      byType(plan, "github:index/repositoryEnvironmentDeploymentPolicy:RepositoryEnvironmentDeploymentPolicy"),
    ).toEqual([]);
  });

  it("holds the workflows' variables in plain sight and their secrets secret", async () => {
    const plan = await declare();
    const variables = byType(plan, "github:index/actionsEnvironmentVariable:ActionsEnvironmentVariable");
    expect(variables.map((v) => [v.inputs["variableName"], v.inputs["value"]]).sort()).toEqual([
      ["LIFTOFF_HOST", "h.example"],
      ["LIFTOFF_SSH_USER", "deploy"],
    ]);
    const secret = one(plan, "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret");
    expect(secret.inputs["secretName"]).toBe("LIFTOFF_SSH_PRIVATE_KEY");
    expect(secret.secretPaths).toEqual(["value"]);
    expect(one(plan, "pulumi:providers:github").secretPaths).toEqual(["token"]);
    expect(JSON.stringify(plan)).not.toMatch(/PRIVATE KEY|github_pat_admin/);
  });
});
