import { describe, expect, it } from "vitest";
import { IMAGES, configInput, errors, onlyError } from "../test/config-input";
import { buildEnvironmentSpec, formatProblems } from "./validate";

describe("delivery settings", () => {
  it("dev: GHCR credentials for the owner's images and no GitHub environment when none is configured", () => {
    const { spec, problems } = buildEnvironmentSpec(configInput("dev"));
    expect(problems).toEqual([]);
    expect(spec!.delivery).toEqual({
      registry: { server: "ghcr.io", owner: "acme", username: "acme-bot", externalImages: [] },
      secrets: [],
    });
  });

  it("prod: a protected environment named after the stack, with users and teams as reviewers", () => {
    const { spec, problems } = buildEnvironmentSpec(
      configInput("prod", { githubReviewers: JSON.stringify(["alice", "acme/platform", "alice"]) }),
    );
    expect(problems).toEqual([]);
    expect(spec!.delivery.github).toEqual({
      owner: "acme",
      repository: "backend",
      environment: "prod",
      reviewers: { users: ["alice"], teams: ["platform"] },
      protected: true,
    });
    // Every section's secrets, the data layer's among them (the example app needs Postgres and MongoDB).
    expect(spec!.secrets.map((s) => s.key)).toEqual([
      "ghcrToken",
      "neonApiKey",
      "atlasPublicKey",
      "atlasPrivateKey",
      "grafanaCloudToken",
      "githubToken",
    ]);
  });

  it("dev with GitHub: an unprotected environment, and the token becomes required", () => {
    const { spec } = buildEnvironmentSpec(
      configInput(
        "dev",
        { githubOwner: "acme", githubRepository: "backend", githubToken: "t" },
        {
          secretKeys: new Set([
            "ghcrToken",
            "grafanaCloudToken",
            "githubToken",
            "neonApiKey",
            "atlasPublicKey",
            "atlasPrivateKey",
          ]),
        },
      ),
    );
    expect(spec!.delivery.github).toMatchObject({
      environment: "dev",
      protected: false,
      reviewers: { users: [], teams: [] },
    });
  });

  it("takes the registry owner from the GitHub owner when not given", () => {
    const { spec } = buildEnvironmentSpec(configInput("prod", { registryOwner: undefined }));
    expect(spec!.delivery.registry.owner).toBe("acme");
  });

  it("lets an operator allow one outside repository by name", () => {
    const images = { ...IMAGES, broker: "docker.io/library/rabbitmq:3.13" };
    const { spec, problems } = buildEnvironmentSpec(
      configInput("dev", {
        images: JSON.stringify(images),
        externalImages: JSON.stringify(["docker.io/library/rabbitmq"]),
      }),
    );
    expect(problems).toEqual([]);
    expect(spec!.delivery.registry.externalImages).toEqual(["docker.io/library/rabbitmq"]);
  });
});

describe("delivery validation rules (one test each)", () => {
  it.each(["ghcr.io/other/api-gateway:1.4.2", "docker.io/acme/api-gateway:1.4.2", "redis:7"])(
    "refuses an image outside the registry owner: %s",
    (ref) => {
      const p = onlyError(
        "dev",
        { images: JSON.stringify({ ...IMAGES, "api-gateway": ref }) },
        "liftoff:images.api-gateway",
      );
      expect(p.message).toContain("outside the registry owner ghcr.io/acme");
      expect(p.fix).toContain("pulumi config set --path 'liftoff:externalImages[0]'");
    },
  );

  it("refuses an allowed repository that is not one", () => {
    onlyError("dev", { externalImages: JSON.stringify(["docker.io/library/redis:7"]) }, "liftoff:externalImages[0]");
  });

  it("warns about an allowance no image uses", () => {
    const result = buildEnvironmentSpec(
      configInput("dev", { externalImages: JSON.stringify(["docker.io/library/redis"]) }),
    );
    expect(result.spec).toBeDefined();
    expect(result.problems).toEqual([expect.objectContaining({ severity: "warning", key: "liftoff:externalImages" })]);
  });

  it("refuses a reviewer list for a non-prod environment that requires none", () => {
    const p = onlyError(
      "dev",
      {
        githubOwner: "acme",
        githubRepository: "backend",
        githubToken: "t",
        githubReviewers: JSON.stringify(["alice"]),
      },
      "liftoff:githubReviewers",
    );
    expect(p.message).toContain("requires no review");
    expect(p.fix).toContain("pulumi config rm liftoff:githubReviewers");
  });

  it("refuses a prod environment whose deployments nobody approves", () => {
    expect(onlyError("prod", { githubReviewers: undefined }, "liftoff:githubReviewers").message).toContain(
      "must not deploy without",
    );
  });

  it.each([["githubOwner"], ["githubRepository"]])("refuses GitHub settings half given: %s missing", (missing) => {
    const p = onlyError("prod", { [missing]: undefined }, `liftoff:${missing}`);
    expect(p.message).toContain("while other GitHub settings are");
  });

  it("refuses reviewers without a repository to review in", () => {
    const result = buildEnvironmentSpec(configInput("dev", { githubReviewers: JSON.stringify(["alice"]) }));
    expect(
      errors(result)
        .map((p) => p.key)
        .sort(),
    ).toEqual(["liftoff:githubOwner", "liftoff:githubRepository", "liftoff:githubReviewers"]);
  });

  it("refuses a reviewer team of another organisation", () => {
    onlyError("prod", { githubReviewers: JSON.stringify(["other/platform"]) }, "liftoff:githubReviewers[0]");
  });

  it("refuses more reviewers than GitHub allows", () => {
    const reviewers = ["a1", "a2", "a3", "a4", "a5", "a6", "a7"];
    expect(
      onlyError("prod", { githubReviewers: JSON.stringify(reviewers) }, "liftoff:githubReviewers").message,
    ).toContain("at most 6");
  });

  it("refuses a missing GHCR user, saying no API can mint the PAT", () => {
    expect(onlyError("dev", { ghcrUser: undefined }, "liftoff:ghcrUser").message).toContain(
      "cannot be minted by any API",
    );
  });

  it("refuses a missing GHCR token, saying GitHub has no API to mint one", () => {
    expect(onlyError("dev", { ghcrToken: undefined }, "liftoff:ghcrToken").fix).toContain("no API to mint one");
  });

  it("refuses a missing registry owner when no GitHub owner stands in", () => {
    onlyError("dev", { registryOwner: undefined }, "liftoff:registryOwner");
  });

  it("asks for the GitHub token only when GitHub is configured, and says which permissions it needs", () => {
    const p = onlyError("prod", { githubToken: undefined }, "liftoff:githubToken");
    expect(p.fix).toContain("Administration and Environments: read and write");
    expect(buildEnvironmentSpec(configInput("dev")).spec!.secrets.map((s) => s.key)).not.toContain("githubToken");
  });

  it("warns that a GitHub token without a repository is unused, without printing it", () => {
    const result = buildEnvironmentSpec(
      configInput(
        "dev",
        { githubToken: "github_pat_unused" },
        {
          secretKeys: new Set([
            "ghcrToken",
            "grafanaCloudToken",
            "githubToken",
            "neonApiKey",
            "atlasPublicKey",
            "atlasPrivateKey",
          ]),
        },
      ),
    );
    expect(result.problems).toEqual([expect.objectContaining({ severity: "warning", key: "liftoff:githubToken" })]);
    expect(formatProblems(result.problems)).not.toContain("github_pat_unused");
  });
});
