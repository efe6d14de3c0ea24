import { readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "vitest";
import type { ConfigInput, Problem } from "../environments/reader";
import { buildEnvironmentSpec } from "../environments/validate";

/** The example application every fixture stack runs. */
export const EXAMPLE_APP = {
  file: "app/compose.yaml",
  text: readFileSync(path.join(__dirname, "..", "app", "compose.yaml"), "utf8"),
};

export const IMAGES = {
  "api-gateway": "ghcr.io/acme/api-gateway:1.4.2",
  "identity-service": "ghcr.io/acme/identity-service:1.4.2",
  orders: "ghcr.io/acme/orders@sha256:" + "a".repeat(64),
};

const SECRETS = {
  ghcrToken: "ghp_example",
  grafanaCloudToken: "glc_example",
  githubToken: "github_pat_example",
  neonApiKey: "neon_example_key",
  atlasPublicKey: "pubexample",
  atlasPrivateKey: "priv-example-0000",
};

/** Secret settings a test may add (the Atlas service account instead of the API key). */
const OTHER_SECRET_KEYS = ["atlasClientId", "atlasClientSecret"];

/**
 * A valid stack's settings, as Pulumi hands them over: strings, structured values as JSON text.
 * `profile` picks dev (stack `dev`) or prod (stack `prod`, with GitHub and reviewers, which prod
 * requires); `overrides` replace or (as undefined) remove settings.
 */
export function configInput(
  profile: "dev" | "prod",
  overrides: Record<string, unknown> = {},
  extra: Partial<ConfigInput> = {},
): ConfigInput {
  const values: Record<string, unknown> = {
    profile,
    region: "westeurope",
    owner: "platform-team",
    dnsLabel: `acme-${profile}`,
    sshAllowedCidrs: JSON.stringify(["203.0.113.7/32"]),
    images: JSON.stringify(IMAGES),
    ghcrUser: "acme-bot",
    registryOwner: "acme",
    grafanaRegion: "prod-eu-west-3",
    alertEmails: JSON.stringify(["oncall@example.com"]),
    atlasOrgId: "5f1e9c0a2b3c4d5e6f708192",
    ...(profile === "prod"
      ? { githubOwner: "acme", githubRepository: "backend", githubReviewers: JSON.stringify(["alice"]) }
      : {}),
    ghcrToken: SECRETS.ghcrToken,
    grafanaCloudToken: SECRETS.grafanaCloudToken,
    ...(profile === "prod" ? { githubToken: SECRETS.githubToken } : {}),
    neonApiKey: SECRETS.neonApiKey,
    atlasPublicKey: SECRETS.atlasPublicKey,
    atlasPrivateKey: SECRETS.atlasPrivateKey,
    ...overrides,
  };
  for (const [k, v] of Object.entries(values)) if (v === undefined) delete values[k];
  const secretKeys = new Set([...Object.keys(SECRETS), ...OTHER_SECRET_KEYS].filter((k) => values[k] !== undefined));
  return { project: "liftoff", stack: profile, values, secretKeys, mode: "up", app: EXAMPLE_APP, ...extra };
}

export function errors(result: { problems: readonly Problem[] }): Problem[] {
  return result.problems.filter((p) => p.severity === "error");
}

/** The one error for `key`, checked to carry everything an operator needs to fix it. */
export function onlyError(
  profile: "dev" | "prod",
  overrides: Record<string, unknown>,
  key: string,
  extra: Partial<ConfigInput> = {},
): Problem {
  const result = buildEnvironmentSpec(configInput(profile, overrides, extra));
  expect(result.spec).toBeUndefined();
  const found = errors(result);
  // Compose file problems carry the line (`app/compose.yaml:37: services...`); the key names the field.
  expect(found.map((p) => p.key.replace(/^([^:\s]+\.ya?ml):\d+(?=:|$)/, "$1"))).toEqual([key]);
  const problem = found[0]!;
  expect(problem.message.length).toBeGreaterThan(5);
  expect(problem.allowed.length).toBeGreaterThan(3);
  expect(problem.fix).toMatch(
    new RegExp(`pulumi config|Pulumi\\.${profile}\\.yaml|rename|remove|create|name a team|edit app/compose\\.yaml`),
  );
  return problem;
}
