/**
 * Which image references a prod stack may run: pinned ones. A tag such as `latest` or `main` moves
 * when someone pushes, so what prod runs would change at the next `pulumi up` without anyone
 * choosing it, and a rollback could not bring the old image back.
 */
import type { ImageRef } from "./image-ref";

export const IMAGE_POLICIES = ["strict", "warn"] as const;
export type ImagePolicy = (typeof IMAGE_POLICIES)[number];

/** Tags that name a release: `1.4.2`, `v2`, `3.13-alpine`, `2026.11.20`, or a commit (`sha-1a2b3c4`, 7-40 hex). */
const VERSION_TAG = /^v?\d+(\.\d+)*([-+_.][0-9A-Za-z][0-9A-Za-z._-]*)?$/;
const COMMIT_TAG = /^(sha-)?[0-9a-f]{7,40}$/;

/** Why the reference would move under a prod stack, or undefined when it is pinned. */
export function movingReference(ref: ImageRef): string | undefined {
  if (ref.digest) return undefined;
  if (ref.tag === undefined) return "names no tag, so it means `latest`, which moves with every push";
  if (VERSION_TAG.test(ref.tag) || COMMIT_TAG.test(ref.tag)) return undefined;
  return `is pinned to the tag \`${ref.tag}\`, which is not a version and moves when someone pushes`;
}
