/**
 * The delivery layer's section: where images may come from, and the stack's GitHub environment
 * (DELIVERY_SETTINGS in settings.ts). Each `readX` step reports to the one collector.
 */
import type { CoreSpec } from "./core";
import { parseImageRepository } from "./image-ref";
import type { ConfigReader, SecretRequirement } from "./reader";
import { DELIVERY_SETTINGS } from "./settings";
import type { Section } from "./setting";

/** The delivery layer's part: where images come from and the GitHub environment deployments run in. */
export interface DeliverySpec {
  readonly registry: {
    /** Always `ghcr.io`: the pull credentials are a GitHub token. */
    readonly server: string;
    /** The GitHub user or organisation every service image must belong to. */
    readonly owner: string;
    /** The user `docker login ghcr.io` authenticates as (the PAT's owner). */
    readonly username: string;
    /** Image repositories (`registry/path`, no tag) allowed from outside the owner. */
    readonly externalImages: readonly string[];
  };
  /** Absent when the stack configures no GitHub repository: the layer then declares nothing of GitHub. */
  readonly github?: {
    readonly owner: string;
    readonly repository: string;
    /** The repository environment's name: the stack's name. */
    readonly environment: string;
    /** GitHub logins, and team slugs of the owner organisation, who must approve a deployment. */
    readonly reviewers: { readonly users: readonly string[]; readonly teams: readonly string[] };
    /** Reviewers required, self-review prevented, admins cannot bypass, default branch only. */
    readonly protected: boolean;
  };
  readonly secrets: readonly SecretRequirement[];
}

/** The registry liftoff pulls service images from, with the `ghcrToken` PAT. */
export const GHCR = "ghcr.io";

/** GitHub allows at most six reviewers (users and teams together) on an environment. */
export const MAX_REVIEWERS = 6;

const S = DELIVERY_SETTINGS;
const GITHUB_LOGIN = /^[A-Za-z0-9](?:[A-Za-z0-9]|-(?=[A-Za-z0-9])){0,38}$/;
const GITHUB_REPOSITORY = /^(?!\.\.?$)[A-Za-z0-9._-]{1,100}$/;
const TEAM_SLUG = /^[a-z0-9][a-z0-9_-]{0,99}$/;

export const deliverySection: Section<"delivery", CoreSpec, DeliverySpec> = {
  name: "delivery",
  title: "Delivery: images and the GitHub environment",
  settings: DELIVERY_SETTINGS,
  read(reader: ConfigReader, core: CoreSpec): DeliverySpec {
    const username = readGhcrUser(reader);
    const repository = readGithubRepository(reader);
    const reviewers = readGithubReviewers(reader, core, repository);
    const owner = readRegistryOwner(reader, repository.owner);
    const externalImages = readExternalImages(reader);
    if (owner !== undefined) checkImageOwners(reader, core, owner, externalImages);
    const github =
      repository.owner !== undefined && repository.name !== undefined
        ? { owner: repository.owner, repository: repository.name }
        : undefined;
    const secrets = readGithubToken(reader, github !== undefined);
    return {
      registry: { server: GHCR, owner: owner ?? "", username: username ?? "", externalImages: externalImages.names },
      ...(github
        ? {
            github: {
              ...github,
              environment: core.stack,
              reviewers,
              protected: core.profile.delivery.requireReviewers,
            },
          }
        : {}),
      secrets,
    };
  },
};

function readGhcrUser(reader: ConfigReader): string | undefined {
  const username = S.ghcrUser.read(reader);
  if (username === undefined) {
    reader.error({
      key: reader.key(S.ghcrUser.key),
      message:
        "is not set; `docker login ghcr.io` on the host needs the GitHub user who owns the ghcrToken PAT (a PAT cannot be minted by any API, so it is always a person's or a bot account's)",
      allowed: "a GitHub login",
      fix: reader.setCommand(S.ghcrUser.key, S.ghcrUser.example),
    });
  } else if (!GITHUB_LOGIN.test(username)) {
    reader.error({
      key: reader.key(S.ghcrUser.key),
      value: username,
      message: "is not a GitHub login",
      allowed: "1-39 letters, digits and single hyphens, not starting or ending with a hyphen",
      fix: reader.setCommand(S.ghcrUser.key, S.ghcrUser.example),
    });
  }
  return username;
}

interface GithubRepository {
  readonly owner?: string;
  readonly name?: string;
  /** Whether any GitHub setting is given: the owner and the repository then must be. */
  readonly wanted: boolean;
  readonly reviewerInput?: readonly string[];
}

/** GitHub's owner and repository come together or not at all. */
function readGithubRepository(reader: ConfigReader): GithubRepository {
  const owner = S.githubOwner.read(reader);
  const name = S.githubRepository.read(reader);
  const reviewerInput = S.githubReviewers.read(reader);
  const wanted = owner !== undefined || name !== undefined || reviewerInput !== undefined;
  if (wanted) {
    for (const [setting, value] of [
      [S.githubOwner, owner],
      [S.githubRepository, name],
    ] as const) {
      if (value === undefined) {
        reader.error({
          key: reader.key(setting.key),
          message:
            "is not set while other GitHub settings are: the repository environment needs the owner and the repository",
          allowed: "both liftoff:githubOwner and liftoff:githubRepository, or no GitHub setting at all",
          fix: reader.setCommand(setting.key, setting.example),
        });
      }
    }
  }
  if (owner !== undefined && !GITHUB_LOGIN.test(owner)) {
    reader.error({
      key: reader.key(S.githubOwner.key),
      value: owner,
      message: "is not a GitHub user or organisation name",
      allowed: S.githubOwner.allowed,
      fix: reader.setCommand(S.githubOwner.key, S.githubOwner.example),
    });
  }
  if (name !== undefined && !GITHUB_REPOSITORY.test(name)) {
    reader.error({
      key: reader.key(S.githubRepository.key),
      value: name,
      message: "is not a repository name",
      allowed: S.githubRepository.allowed,
      fix: reader.setCommand(S.githubRepository.key, S.githubRepository.example),
    });
  }
  return {
    ...(owner !== undefined ? { owner } : {}),
    ...(name !== undefined ? { name } : {}),
    wanted,
    ...(reviewerInput !== undefined ? { reviewerInput } : {}),
  };
}

/** Who approves deployments: logins and teams of the owner, 1 to 6 of them on prod, none elsewhere. */
function readGithubReviewers(
  reader: ConfigReader,
  core: CoreSpec,
  repository: GithubRepository,
): { users: string[]; teams: string[] } {
  const k = (key: string) => reader.key(key);
  const { owner: githubOwner, reviewerInput } = repository;
  const requireReviewers = core.profile.delivery.requireReviewers;
  const users: string[] = [];
  const teams: string[] = [];
  (reviewerInput ?? []).forEach((entry, i) => {
    const key = `${k(S.githubReviewers.key)}[${i}]`;
    const slash = entry.indexOf("/");
    if (slash < 0) {
      if (GITHUB_LOGIN.test(entry)) users.push(entry);
      else
        reader.error({
          key,
          value: entry,
          message: "is not a GitHub login",
          allowed: "a login such as alice, or org/team-slug for a team",
          fix: reader.pathCommand(`githubReviewers[${i}]`, "alice"),
        });
      return;
    }
    const [org, team] = [entry.slice(0, slash), entry.slice(slash + 1)];
    if (!TEAM_SLUG.test(team) || (githubOwner !== undefined && org.toLowerCase() !== githubOwner.toLowerCase())) {
      reader.error({
        key,
        value: entry,
        message: `is not a team of the repository's owner${githubOwner ? ` ${githubOwner}` : ""}`,
        allowed: "org/team-slug, where org is liftoff:githubOwner and team-slug is the team's URL name",
        fix: reader.pathCommand(`githubReviewers[${i}]`, `${githubOwner ?? "acme"}/platform`),
      });
    } else {
      teams.push(team);
    }
  });
  const reviewerCount = new Set(users).size + new Set(teams).size;
  const refused = (reviewerInput?.length ?? 0) - users.length - teams.length;
  if (reviewerInput !== undefined && reviewerInput.length > 0 && !requireReviewers) {
    reader.error({
      key: k(S.githubReviewers.key),
      value: JSON.stringify(reviewerInput),
      message: `is set, but a ${core.profileName} environment requires no review: every deployment to ${core.stack} would wait for an approval nobody expects`,
      allowed: "no reviewers on a non-prod environment; reviewers belong to stacks with the prod profile",
      fix: `remove it: pulumi config rm ${k(S.githubReviewers.key)} --stack ${core.stack}`,
    });
  } else if (
    requireReviewers &&
    githubOwner !== undefined &&
    repository.name !== undefined &&
    reviewerCount === 0 &&
    refused === 0
  ) {
    reader.error({
      key: k(S.githubReviewers.key),
      value: reviewerInput ? "[]" : undefined,
      message: `is empty, but a ${core.profileName} environment must not deploy without someone's approval`,
      allowed: `1 to ${MAX_REVIEWERS} GitHub logins or org/team slugs`,
      fix: reader.yamlFix(S.githubReviewers.example),
    });
  } else if (reviewerCount > MAX_REVIEWERS) {
    reader.error({
      key: k(S.githubReviewers.key),
      value: JSON.stringify(reviewerInput),
      message: `names ${reviewerCount} reviewers; GitHub takes at most ${MAX_REVIEWERS} per environment`,
      allowed: `1 to ${MAX_REVIEWERS} logins or teams (a team counts once however large)`,
      fix: "name a team instead of several of its members",
    });
  }
  return { users: [...new Set(users)], teams: [...new Set(teams)] };
}

/** The owner every image must belong to (lowercase, as GHCR names it): given, else the GitHub owner. */
function readRegistryOwner(reader: ConfigReader, githubOwner: string | undefined): string | undefined {
  const owner = S.registryOwner.read(reader) ?? githubOwner;
  if (owner === undefined) {
    reader.error({
      key: reader.key(S.registryOwner.key),
      message: "is not set; liftoff runs only images that belong to the owner you name",
      allowed: `the GitHub user or organisation of your images: ${GHCR}/<owner>/<name>`,
      fix: reader.setCommand(S.registryOwner.key, S.registryOwner.example),
    });
  } else if (!GITHUB_LOGIN.test(owner)) {
    reader.error({
      key: reader.key(reader.isSet(S.registryOwner.key) ? S.registryOwner.key : S.githubOwner.key),
      value: owner,
      message: "is not a GitHub user or organisation name",
      allowed: "1-39 letters, digits and single hyphens",
      fix: reader.setCommand(S.registryOwner.key, S.registryOwner.example),
    });
  }
  return owner?.toLowerCase();
}

/**
 * The repositories allowed from outside the owner, normalized as Docker reads names, so `redis`,
 * `library/redis` and `docker.io/library/redis` allow the same images (`redis:alpine` among them).
 */
function readExternalImages(reader: ConfigReader): { names: string[]; given: number } {
  const input = S.externalImages.read(reader) ?? [];
  const names: string[] = [];
  input.forEach((entry, i) => {
    const parsed = parseImageRepository(entry);
    if (parsed.ok) {
      if (!names.includes(parsed.name)) names.push(parsed.name);
      return;
    }
    reader.error({
      key: `${reader.key(S.externalImages.key)}[${i}]`,
      value: entry,
      message: `is not an image repository: ${parsed.detail}`,
      allowed:
        "registry/path without tag or digest, e.g. docker.io/library/redis (or redis, library/redis), ghcr.io/other/tool",
      fix: reader.pathCommand(`${S.externalImages.key}[${i}]`, parsed.withoutTag ?? "docker.io/library/redis"),
    });
  });
  return { names, given: input.length };
}

/** Images: only the owner's, unless an operator allowed a repository by name. */
function checkImageOwners(
  reader: ConfigReader,
  core: CoreSpec,
  owner: string,
  external: { names: readonly string[]; given: number },
): void {
  const k = (key: string) => reader.key(key);
  const used = new Set<string>();
  // Each repository still to allow gets its own index after the list's end, so the commands,
  // run in the order printed, add every one of them instead of overwriting one entry.
  const toAllow = new Map<string, number>();
  for (const service of core.services) {
    const repository = `${service.image.registry}/${service.image.repository}`;
    if (service.image.registry === GHCR && service.image.repository.split("/")[0] === owner) continue;
    if (external.names.includes(repository)) {
      used.add(repository);
      continue;
    }
    const index = toAllow.get(repository) ?? external.given + toAllow.size;
    toAllow.set(repository, index);
    reader.error({
      key: service.imageKey,
      value: service.imageText,
      message: `is outside the registry owner ${GHCR}/${owner}; liftoff only runs images from there unless a repository is allowed by name`,
      allowed: `${GHCR}/${owner}/<name>:<tag>, or a repository listed in ${k(S.externalImages.key)}`,
      fix: `if you trust ${repository}: pulumi config set --path '${k(`${S.externalImages.key}[${index}]`)}' ${repository} --stack ${core.stack}`,
    });
  }
  for (const repository of external.names.filter((r) => !used.has(r))) {
    reader.warn({
      key: k(S.externalImages.key),
      value: repository,
      message: "allows an image no service runs",
      allowed: "repositories of the images the services run",
      fix: `remove it from Pulumi.${core.stack}.yaml`,
    });
  }
}

/** The GitHub token is needed only with a repository; set without one it is unused. */
function readGithubToken(reader: ConfigReader, github: boolean): SecretRequirement[] {
  if (github) return [S.githubToken.read(reader)!];
  if (reader.isSet(S.githubToken.key)) {
    const k = (key: string) => reader.key(key);
    reader.warn({
      key: k(S.githubToken.key),
      value: "(hidden)",
      message: "is set, but no GitHub repository is configured, so it is unused",
      allowed: "liftoff:githubOwner and liftoff:githubRepository with it, or neither",
      fix: `remove it: pulumi config rm ${k(S.githubToken.key)} --stack ${reader.stack}, or set ${k(S.githubOwner.key)} and ${k(S.githubRepository.key)}`,
    });
  }
  return [];
}
