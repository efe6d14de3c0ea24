import { getRegistryImageOutput } from "@pulumi/docker/getRegistryImage";
import { Provider as DockerProvider } from "@pulumi/docker/provider";
import { ActionsEnvironmentSecret } from "@pulumi/github/actionsEnvironmentSecret";
import { ActionsEnvironmentVariable } from "@pulumi/github/actionsEnvironmentVariable";
import { getRepositoryOutput } from "@pulumi/github/getRepository";
import { getTeamOutput } from "@pulumi/github/getTeam";
import { getUserOutput } from "@pulumi/github/getUser";
import { Provider as GitHubProvider } from "@pulumi/github/provider";
import { RepositoryEnvironment } from "@pulumi/github/repositoryEnvironment";
import { RepositoryEnvironmentDeploymentPolicy } from "@pulumi/github/repositoryEnvironmentDeploymentPolicy";
import * as pulumi from "@pulumi/pulumi";
import type { ImageRef } from "../../environments/image-ref";
import { checkActionsName, environmentProtection } from "./github";
import { imageResolution, newerImageLine, pinnedReference } from "./images";

export { checkActionsName, environmentProtection, GITHUB_SECRETS, GITHUB_VARIABLES, type Protection } from "./github";
export { imageResolution, newerImageLine, pinnedReference, registryLookupName, type ImageResolution } from "./images";

/** Credentials for one registry, as `docker login` takes them. */
export interface RegistryCredentials {
  readonly server: string;
  readonly username: string;
  /** Secret. */
  readonly password: pulumi.Output<string>;
}

export interface ContainerImagesArgs {
  /** Pull credentials; used for images on `registry.server`, others are looked up anonymously. */
  readonly registry: { readonly server: string; readonly username: string; readonly password: pulumi.Input<string> };
  /** Name → image, by tag or by digest. */
  readonly images: Readonly<Record<string, ImageRef>>;
  /**
   * Name → `registry/repository@sha256:...` to use instead of what the tag names now (a drift
   * check pins the release to the last `pulumi up`); the tag is still looked up, and a tag that
   * moved is logged as a "newer image" information line.
   */
  readonly pins?: Readonly<Record<string, string>>;
}

/**
 * Pins every image to a digest: one given by digest as is, one given by tag by asking the registry
 * (no pull, no Docker daemon) which digest the tag names at `pulumi up`. A release then says exactly
 * what runs, and a tag moved later changes nothing until the next `pulumi up`.
 */
export class ContainerImages extends pulumi.ComponentResource {
  /** Name → `registry/repository@sha256:...`. */
  public readonly references: Readonly<Record<string, pulumi.Output<string>>>;
  public readonly credentials: RegistryCredentials;

  constructor(name: string, args: ContainerImagesArgs, opts?: pulumi.ComponentResourceOptions) {
    super("liftoff:delivery:ContainerImages", name, {}, opts);
    const password = pulumi.secret(args.registry.password);
    const provider = new DockerProvider(
      `${name}-registry`,
      {
        // Digest lookups talk to the registry's API only; there is no Docker daemon where `pulumi up` runs.
        disableDockerDaemonCheck: true,
        registryAuth: [{ address: args.registry.server, username: args.registry.username, password }],
      },
      { parent: this },
    );

    const references: Record<string, pulumi.Output<string>> = {};
    for (const [key, ref] of Object.entries(args.images)) {
      const resolution = imageResolution(ref);
      if (resolution.kind === "pinned") {
        references[key] = pulumi.output(resolution.reference);
        continue;
      }
      const current = getRegistryImageOutput({ name: resolution.name }, { provider, parent: this }).apply((image) =>
        pinnedReference(ref, image.sha256Digest),
      );
      const pin = args.pins?.[key];
      references[key] =
        pin === undefined
          ? current
          : current.apply((now) => {
              if (now !== pin) pulumi.log.info(newerImageLine(key, ref, now, pin), this);
              return pin;
            });
    }
    this.references = references;
    this.credentials = { server: args.registry.server, username: args.registry.username, password };
    this.registerOutputs({
      references: this.references,
      registryServer: args.registry.server,
      registryUsername: args.registry.username,
    });
  }
}

export interface DeploymentEnvironmentArgs {
  readonly owner: string;
  readonly repository: string;
  /** A token that may administer the repository's environments (secret). */
  readonly token: pulumi.Input<string>;
  /** The environment's name, e.g. `prod`. */
  readonly environment: string;
  /** Logins and team slugs (of `owner`) who may approve; used only when `protected`. */
  readonly reviewers: { readonly users: readonly string[]; readonly teams: readonly string[] };
  /** Reviewers required, self-review prevented, admins bound, default branch only. */
  readonly protected: boolean;
  /** Actions variables of the environment (`vars.NAME`). */
  readonly variables: Readonly<Record<string, pulumi.Input<string>>>;
  /** Actions secrets of the environment (`secrets.NAME`); stored secret in state, encrypted by GitHub. */
  readonly secrets: Readonly<Record<string, pulumi.Input<string>>>;
}

/** The stack's GitHub repository environment with its protection rules, variables and secrets. */
export class DeploymentEnvironment extends pulumi.ComponentResource {
  public readonly environmentName: pulumi.Output<string>;

  constructor(name: string, args: DeploymentEnvironmentArgs, opts?: pulumi.ComponentResourceOptions) {
    super("liftoff:delivery:DeploymentEnvironment", name, {}, opts);
    const provider = new GitHubProvider(
      `${name}-github`,
      { owner: args.owner, token: pulumi.secret(args.token) },
      { parent: this },
    );
    const onGitHub = { parent: this, provider };
    const protection = environmentProtection(args.protected);

    // GitHub wants numeric ids for reviewers; the config names them as people do.
    const reviewers = args.protected
      ? [
          {
            users: args.reviewers.users.map((username) =>
              getUserOutput({ username }, onGitHub).apply((u) => Number(u.id)),
            ),
            teams: args.reviewers.teams.map((slug) =>
              getTeamOutput({ slug, summaryOnly: true }, onGitHub).apply((t) => Number(t.id)),
            ),
          },
        ]
      : [];

    const environment = new RepositoryEnvironment(
      `${name}-environment`,
      {
        repository: args.repository,
        environment: args.environment,
        reviewers,
        preventSelfReview: protection.preventSelfReview,
        canAdminsBypass: protection.canAdminsBypass,
        ...(protection.deploymentBranchPolicy
          ? { deploymentBranchPolicy: { ...protection.deploymentBranchPolicy } }
          : {}),
      },
      onGitHub,
    );

    if (protection.defaultBranchOnly) {
      const defaultBranch = getRepositoryOutput({ fullName: `${args.owner}/${args.repository}` }, onGitHub).apply(
        (r) => r.defaultBranch,
      );
      new RepositoryEnvironmentDeploymentPolicy(
        `${name}-default-branch`,
        {
          repository: args.repository,
          environment: environment.environment,
          branchPattern: defaultBranch,
        },
        onGitHub,
      );
    }

    for (const [variableName, value] of Object.entries(args.variables)) {
      new ActionsEnvironmentVariable(
        `${name}-${variableName.toLowerCase().replace(/_/g, "-")}`,
        {
          repository: args.repository,
          environment: environment.environment,
          variableName: checkActionsName(variableName),
          value,
        },
        onGitHub,
      );
    }
    for (const [secretName, value] of Object.entries(args.secrets)) {
      new ActionsEnvironmentSecret(
        `${name}-${secretName.toLowerCase().replace(/_/g, "-")}`,
        {
          repository: args.repository,
          environment: environment.environment,
          secretName: checkActionsName(secretName),
          value: pulumi.secret(value),
        },
        onGitHub,
      );
    }

    this.environmentName = environment.environment;
    this.registerOutputs({ environmentName: this.environmentName });
  }
}
