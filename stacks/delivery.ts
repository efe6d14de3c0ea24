import * as pulumi from "@pulumi/pulumi";
import {
  ContainerImages,
  DeploymentEnvironment,
  GITHUB_SECRETS,
  GITHUB_VARIABLES,
  type RegistryCredentials,
} from "../components/delivery";
import { parseImageRef, type ImageRef } from "../environments/image-ref";
import type { Environment } from "../environments/load";
import type { FoundationLayer } from "./foundation";
import type { ObservabilityLayer } from "./observability";
import { PINNED_IMAGES_ENV, imagePins } from "./image-pins";
import { stackSecret } from "./secrets";

/** What the delivery layer hands the deploy layer. */
export interface DeliveryLayer {
  /** Service → `registry/repository@sha256:...`, exactly what the host pulls. */
  readonly images: Readonly<Record<string, pulumi.Output<string>>>;
  /** The host collector's image, pinned the same way. */
  readonly collectorImage: pulumi.Output<string>;
  /** `docker login` credentials for the services' registry; the password is secret. */
  readonly registry: RegistryCredentials;
  /** The GitHub repository environment, when the stack configures one. */
  readonly github?: { readonly repository: string; readonly environment: pulumi.Output<string> };
}

/** GHCR credentials, every image pinned by digest, and the stack's GitHub environment. */
/**
 * What the delivery layer hands the workflows of a host: its name and the deploy login. Absent on
 * `containerapps`, which has no host and no SSH: its workflows get no host variables or key.
 */
export type DeliveryFoundation = Pick<FoundationLayer, "sshPrivateKey"> & {
  readonly network: Pick<FoundationLayer["network"], "fqdn">;
};

export function deliveryLayer(
  environment: Environment,
  {
    foundation,
    observability,
    pinnedImages,
  }: {
    /** The host's name and deploy login; absent on `containerapps`, which has no host and no SSH. */
    readonly foundation?: DeliveryFoundation | undefined;
    readonly observability: ObservabilityLayer;
    /** In a drift check, the digests of the last `pulumi up` (LIFTOFF_PINNED_IMAGES, see image-pins.ts). */
    readonly pinnedImages?: string | undefined;
  },
): DeliveryLayer {
  const { spec } = environment;
  const d = spec.delivery;
  const collector = parseImageRef(observability.collector.container.image);
  if (!collector.ok)
    throw new Error(
      `the collector image ${observability.collector.container.image} is not a valid reference: ${collector.detail}`,
    );
  const images: Record<string, ImageRef> = Object.fromEntries(spec.services.map((s) => [s.name, s.image]));

  const allImages = { ...images, [COLLECTOR]: collector.ref };
  const pins = driftCheckPins(pinnedImages, allImages);
  const containerImages = new ContainerImages("images", {
    registry: {
      server: d.registry.server,
      username: d.registry.username,
      password: stackSecret(environment, "ghcrToken"),
    },
    images: allImages,
    ...(pins ? { pins } : {}),
  });
  const { [COLLECTOR]: collectorImage, ...serviceImages } = containerImages.references;

  let github: DeliveryLayer["github"];
  if (d.github) {
    const deployment = new DeploymentEnvironment("github", {
      owner: d.github.owner,
      repository: d.github.repository,
      token: stackSecret(environment, "githubToken"),
      environment: d.github.environment,
      reviewers: d.github.reviewers,
      protected: d.github.protected,
      variables: foundation
        ? {
            [GITHUB_VARIABLES.host]: foundation.network.fqdn,
            [GITHUB_VARIABLES.sshUser]: spec.host.deployUser,
            [GITHUB_VARIABLES.sshPort]: String(spec.network.sshPort),
          }
        : {},
      secrets: foundation?.sshPrivateKey ? { [GITHUB_SECRETS.sshPrivateKey]: foundation.sshPrivateKey } : {},
    });
    github = { repository: `${d.github.owner}/${d.github.repository}`, environment: deployment.environmentName };
  } else {
    pulumi.log.info(
      `GitHub is not configured for stack ${spec.stack} (liftoff:githubOwner, liftoff:githubRepository): the delivery layer declares no repository environment, variables or secrets.`,
    );
  }

  return {
    images: serviceImages,
    collectorImage: collectorImage!,
    registry: containerImages.credentials,
    ...(github ? { github } : {}),
  };
}

/** The collector's key among the images; not a valid service name, so it cannot clash with one. */
const COLLECTOR = "(collector)";

/**
 * In a drift check (LIFTOFF_PINNED_IMAGES set by .github/workflows/drift.yml), the digests of the
 * last `pulumi up`, so the preview shows infrastructure drift only; unset: none.
 */
function driftCheckPins(
  text: string | undefined,
  images: Readonly<Record<string, ImageRef>>,
): Readonly<Record<string, string>> | undefined {
  if (text === undefined || text.trim() === "") return undefined;
  let result;
  try {
    result = imagePins(text, images, COLLECTOR);
  } catch (error) {
    throw new pulumi.RunError((error as Error).message);
  }
  for (const why of result.ignored)
    pulumi.log.warn(`${PINNED_IMAGES_ENV}: not pinned, ${why}: the preview shows the change`);
  pulumi.log.info(
    `drift check: the release is pinned to the ${Object.keys(result.pins).length} image digests of the last pulumi up (${PINNED_IMAGES_ENV}); a tag that moved since is reported as "newer image", not as a change`,
  );
  return result.pins;
}
