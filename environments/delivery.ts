import { z } from "zod";
import { parseImageRepository } from "./image-ref";
import { type ConfigReader, type Section, type SecretDefinition } from "./reader";
import type { CoreSpec, DeliverySpec, SecretRequirement } from "./spec";

/** The registry liftoff pulls service images from, with the `ghcrToken` PAT. */
export const GHCR = "ghcr.io";

/** Lets liftoff write the stack's GitHub repository environment; asked for only when GitHub is configured. */
export const GITHUB_TOKEN: SecretDefinition = {
  key: "githubToken",
  purpose: "lets liftoff create this stack's GitHub repository environment with its protection rules, variables and secrets",
  howToSet:
    "create a fine-grained personal access token for the repository with Administration and Environments: read and write (and Members: read on the organisation for team reviewers; a classic token needs repo, plus read:org for teams), then: pulumi config set --secret liftoff:githubToken",
};

/** GitHub allows at most six reviewers (users and teams together) on an environment. */
export const MAX_REVIEWERS = 6;

const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const GITHUB_REPOSITORY = /^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
const TEAM_SLUG = /^[a-z0-9][a-z0-9_-]{0,99}$/;

const stringListSchema = z.array(z.string());

const KEYS = ["ghcrUser", "registryOwner", "externalImages", "githubOwner", "githubRepository", "githubReviewers", GITHUB_TOKEN.key];

/** The delivery layer's settings: where images may come from, and the stack's GitHub environment. */
export const deliverySection: Section<CoreSpec, DeliverySpec> = {
  keys: KEYS,
  read(reader: ConfigReader, core: CoreSpec): DeliverySpec | undefined {
    const k = (key: string) => reader.key(key);
    const errorsBefore = countErrors(reader);

    const username = reader.text("ghcrUser");
    if (username === undefined) {
      reader.error({ key: k("ghcrUser"), message: "is not set; `docker login ghcr.io` on the host needs the GitHub user who owns the ghcrToken PAT (a PAT cannot be minted by any API, so it is always a person's or a bot account's)", allowed: "a GitHub login", fix: reader.setCommand("ghcrUser", "acme-deploy-bot") });
    } else if (!GITHUB_LOGIN.test(username)) {
      reader.error({ key: k("ghcrUser"), value: username, message: "is not a GitHub login", allowed: "1-39 letters, digits and single hyphens, not starting or ending with a hyphen", fix: reader.setCommand("ghcrUser", "acme-deploy-bot") });
    }

    // GitHub: owner and repository come together or not at all.
    const githubOwner = reader.text("githubOwner");
    const githubRepository = reader.text("githubRepository");
    const reviewerInput = reader.structured("githubReviewers", stringListSchema, "a list of GitHub logins or org/team slugs", "liftoff:githubReviewers: [alice, acme/platform]");
    const githubWanted = githubOwner !== undefined || githubRepository !== undefined || reviewerInput !== undefined;
    if (githubWanted) {
      for (const [key, value, example] of [["githubOwner", githubOwner, "acme"], ["githubRepository", githubRepository, "backend"]] as const) {
        if (value === undefined) {
          reader.error({ key: k(key), message: "is not set while other GitHub settings are: the repository environment needs the owner and the repository", allowed: "both liftoff:githubOwner and liftoff:githubRepository, or no GitHub setting at all", fix: reader.setCommand(key, example) });
        }
      }
    }
    if (githubOwner !== undefined && !GITHUB_LOGIN.test(githubOwner)) {
      reader.error({ key: k("githubOwner"), value: githubOwner, message: "is not a GitHub user or organisation name", allowed: "1-39 letters, digits and single hyphens", fix: reader.setCommand("githubOwner", "acme") });
    }
    if (githubRepository !== undefined && !GITHUB_REPOSITORY.test(githubRepository)) {
      reader.error({ key: k("githubRepository"), value: githubRepository, message: "is not a repository name", allowed: "1-100 letters, digits, '.', '-' or '_', without the owner", fix: reader.setCommand("githubRepository", "backend") });
    }

    const requireReviewers = core.profile.delivery.requireReviewers;
    const users: string[] = [];
    const teams: string[] = [];
    (reviewerInput ?? []).forEach((entry, i) => {
      const key = `${k("githubReviewers")}[${i}]`;
      const slash = entry.indexOf("/");
      if (slash < 0) {
        if (GITHUB_LOGIN.test(entry)) users.push(entry);
        else reader.error({ key, value: entry, message: "is not a GitHub login", allowed: "a login such as alice, or org/team-slug for a team", fix: reader.pathCommand(`githubReviewers[${i}]`, "alice") });
        return;
      }
      const [org, team] = [entry.slice(0, slash), entry.slice(slash + 1)];
      if (!TEAM_SLUG.test(team) || (githubOwner !== undefined && org.toLowerCase() !== githubOwner.toLowerCase())) {
        reader.error({ key, value: entry, message: `is not a team of the repository's owner${githubOwner ? ` ${githubOwner}` : ""}`, allowed: "org/team-slug, where org is liftoff:githubOwner and team-slug is the team's URL name", fix: reader.pathCommand(`githubReviewers[${i}]`, `${githubOwner ?? "acme"}/platform`) });
      } else {
        teams.push(team);
      }
    });
    const reviewerCount = new Set(users).size + new Set(teams).size;
    const refused = (reviewerInput?.length ?? 0) - users.length - teams.length;
    if (reviewerInput !== undefined && reviewerInput.length > 0 && !requireReviewers) {
      reader.error({ key: k("githubReviewers"), value: JSON.stringify(reviewerInput), message: `is set, but a ${core.profileName} environment requires no review: every deployment to ${core.stack} would wait for an approval nobody expects`, allowed: "no reviewers on a non-prod environment; reviewers belong to stacks with the prod profile", fix: `remove it: pulumi config rm ${k("githubReviewers")} --stack ${core.stack}` });
    } else if (requireReviewers && githubOwner !== undefined && githubRepository !== undefined && reviewerCount === 0 && refused === 0) {
      reader.error({ key: k("githubReviewers"), value: reviewerInput ? "[]" : undefined, message: `is empty, but a ${core.profileName} environment must not deploy without someone's approval`, allowed: `1 to ${MAX_REVIEWERS} GitHub logins or org/team slugs`, fix: reader.yamlFix("liftoff:githubReviewers: [alice, acme/platform]") });
    } else if (reviewerCount > MAX_REVIEWERS) {
      reader.error({ key: k("githubReviewers"), value: JSON.stringify(reviewerInput), message: `names ${reviewerCount} reviewers; GitHub takes at most ${MAX_REVIEWERS} per environment`, allowed: `1 to ${MAX_REVIEWERS} logins or teams (a team counts once however large)`, fix: "name a team instead of several of its members" });
    }

    // Images: only the configured owner's, unless an operator allowed a repository by name.
    const ownerText = reader.text("registryOwner") ?? githubOwner;
    if (ownerText === undefined) {
      reader.error({ key: k("registryOwner"), message: "is not set; liftoff runs only images that belong to the owner you name", allowed: `the GitHub user or organisation of your images: ${GHCR}/<owner>/<name>`, fix: reader.setCommand("registryOwner", "acme") });
    } else if (!GITHUB_LOGIN.test(ownerText)) {
      reader.error({ key: k(reader.isSet("registryOwner") ? "registryOwner" : "githubOwner"), value: ownerText, message: "is not a GitHub user or organisation name", allowed: "1-39 letters, digits and single hyphens", fix: reader.setCommand("registryOwner", "acme") });
    }
    const owner = ownerText?.toLowerCase();
    const externalInput = reader.structured("externalImages", stringListSchema, "a list of image repositories (registry/path, no tag)", "liftoff:externalImages: [docker.io/library/redis]") ?? [];
    // Normalized as Docker reads names, so `redis`, `library/redis` and `docker.io/library/redis`
    // allow the same images (`redis:alpine` among them).
    const externalImages: string[] = [];
    externalInput.forEach((entry, i) => {
      const parsed = parseImageRepository(entry);
      if (parsed.ok) {
        if (!externalImages.includes(parsed.name)) externalImages.push(parsed.name);
        return;
      }
      reader.error({
        key: `${k("externalImages")}[${i}]`,
        value: entry,
        message: `is not an image repository: ${parsed.detail}`,
        allowed: "registry/path without tag or digest, e.g. docker.io/library/redis (or redis, library/redis), ghcr.io/other/tool",
        fix: reader.pathCommand(`externalImages[${i}]`, parsed.withoutTag ?? "docker.io/library/redis"),
      });
    });
    if (owner !== undefined) {
      const used = new Set<string>();
      // Each repository still to allow gets its own index after the list's end, so the commands,
      // run in the order printed, add every one of them instead of overwriting one entry.
      const toAllow = new Map<string, number>();
      for (const service of core.services) {
        const repository = `${service.image.registry}/${service.image.repository}`;
        if (service.image.registry === GHCR && service.image.repository.split("/")[0] === owner) continue;
        if (externalImages.includes(repository)) {
          used.add(repository);
          continue;
        }
        const index = toAllow.get(repository) ?? externalInput.length + toAllow.size;
        toAllow.set(repository, index);
        reader.error({
          key: service.imageKey,
          value: service.imageText,
          message: `is outside the registry owner ${GHCR}/${owner}; liftoff only runs images from there unless a repository is allowed by name`,
          allowed: `${GHCR}/${owner}/<name>:<tag>, or a repository listed in ${k("externalImages")}`,
          fix: `if you trust ${repository}: pulumi config set --path '${k(`externalImages[${index}]`)}' ${repository} --stack ${core.stack}`,
        });
      }
      for (const repository of externalImages.filter((r) => !used.has(r))) {
        reader.warn({ key: k("externalImages"), value: repository, message: "allows an image no service runs", allowed: "repositories of the images the services run", fix: `remove it from Pulumi.${core.stack}.yaml` });
      }
    }

    const github = githubOwner !== undefined && githubRepository !== undefined;
    const secrets: SecretRequirement[] = [];
    if (github) {
      secrets.push(reader.requireSecret(GITHUB_TOKEN));
    } else if (reader.isSet(GITHUB_TOKEN.key)) {
      reader.warn({ key: k(GITHUB_TOKEN.key), value: "(hidden)", message: "is set, but no GitHub repository is configured, so it is unused", allowed: "liftoff:githubOwner and liftoff:githubRepository with it, or neither", fix: `remove it: pulumi config rm ${k(GITHUB_TOKEN.key)} --stack ${core.stack}, or set ${k("githubOwner")} and ${k("githubRepository")}` });
    }

    if (countErrors(reader) > errorsBefore || username === undefined || owner === undefined) return undefined;
    return {
      registry: { server: GHCR, owner, username, externalImages },
      ...(github
        ? {
            github: {
              owner: githubOwner,
              repository: githubRepository,
              environment: core.stack,
              reviewers: { users: [...new Set(users)], teams: [...new Set(teams)] },
              protected: requireReviewers,
            },
          }
        : {}),
      secrets,
    };
  },
};

function countErrors(reader: ConfigReader): number {
  return reader.problems.filter((p) => p.severity === "error").length;
}

