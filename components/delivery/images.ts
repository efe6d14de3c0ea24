/** Which images need their digest looked up, and the exact reference the deploy layer pulls. */
import { formatImageRef, type ImageRef } from "../../environments/image-ref";

const DIGEST = /^sha256:[a-f0-9]{64}$/;

export type ImageResolution =
  /** Given by digest: used as is, no lookup. */
  | { readonly kind: "pinned"; readonly reference: string }
  /** Given by tag: the registry is asked which digest the tag names at `pulumi up`. */
  | { readonly kind: "lookup"; readonly name: string; readonly ref: ImageRef };

export function imageResolution(ref: ImageRef): ImageResolution {
  if (ref.digest) return { kind: "pinned", reference: pinnedReference(ref, ref.digest) };
  return { kind: "lookup", name: registryLookupName(ref), ref };
}

/** The names Docker Hub's registry goes by in an image reference. */
const DOCKER_HUB = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

/**
 * The name to hand the docker provider's `getRegistryImage` for a digest lookup by tag.
 *
 * The provider (terraform-provider-docker `parseImageOptions`, used by the `docker_registry_image`
 * data source) takes the first path component as the registry host when the name has more than one
 * `/` or its first component contains `.` or `:`, and sends `HEAD https://<that host>/v2/...`. A
 * name without a registry goes to `registry-1.docker.io`, with `library/` put before a one-part
 * repository. So `docker.io/grafana/alloy:v1` would be asked of `https://docker.io/v2/`, which is
 * Docker's website, not its registry: Docker Hub images are looked up registry-less
 * (`grafana/alloy:v1`, `library/redis:7`). A Hub repository of three or more parts cannot be
 * written registry-less (its first part would be taken for a host), so it names the registry the
 * provider would have used, `registry-1.docker.io`. Every other registry is spelled out as is.
 * The host still pulls `docker.io/...@sha256:...` (pinnedReference), which Docker resolves itself.
 */
export function registryLookupName(ref: ImageRef): string {
  if (!ref.tag) throw new Error(`${formatImageRef(ref)} names no tag to look up`);
  if (!DOCKER_HUB.has(ref.registry)) return `${ref.registry}/${ref.repository}:${ref.tag}`;
  const parts = ref.repository.split("/");
  if (parts.length === 1) return `library/${ref.repository}:${ref.tag}`;
  if (parts.length === 2) return `${ref.repository}:${ref.tag}`;
  return `registry-1.docker.io/${ref.repository}:${ref.tag}`;
}

/**
 * `registry/repository@sha256:...`: the registry is always spelled out and the tag dropped, since a
 * digest names exactly one image and a tag beside it would only suggest it could move.
 */
export function pinnedReference(ref: ImageRef, digest: string): string {
  if (!DIGEST.test(digest)) {
    throw new Error(
      `the registry answered "${digest}" as the digest of ${formatImageRef(ref)}; expected sha256:<64 hex>`,
    );
  }
  return `${ref.registry}/${ref.repository}@${digest}`;
}

/**
 * The information line for a tag that names another digest than the one pinned (a drift check
 * pins the release to the last `pulumi up`'s digests); the drift job's report collects these lines.
 */
export function newerImageLine(key: string, ref: ImageRef, current: string, pinned: string): string {
  const digest = (reference: string) => reference.slice(reference.indexOf("@") + 1);
  return `newer image: ${key} ${formatImageRef(ref)} now names ${digest(current)}; the stack runs ${digest(pinned)} until the next pulumi up`;
}
