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
  return { kind: "lookup", name: `${ref.registry}/${ref.repository}:${ref.tag}`, ref };
}

/**
 * `registry/repository@sha256:...`: the registry is always spelled out and the tag dropped, since a
 * digest names exactly one image and a tag beside it would only suggest it could move.
 */
export function pinnedReference(ref: ImageRef, digest: string): string {
  if (!DIGEST.test(digest)) {
    throw new Error(`the registry answered "${digest}" as the digest of ${formatImageRef(ref)}; expected sha256:<64 hex>`);
  }
  return `${ref.registry}/${ref.repository}@${digest}`;
}
