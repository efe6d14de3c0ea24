/**
 * The drift job's two halves around `pulumi preview --refresh --expect-no-changes` (pure; the CLI
 * is tools/ci/drift-pins.ts):
 * - before: the digests of the last `pulumi up` (the stack's `images` and `collectorImage` outputs)
 *   as one line for $GITHUB_ENV, LIFTOFF_PINNED_IMAGES=..., which the program reads to pin the
 *   release (stacks/image-pins.ts), so only the infrastructure is compared;
 * - after: the program's "newer image" lines from the preview's output, as a report that fails
 *   nothing.
 */
import { parseImageRef } from "../../../environments/image-ref";
import { PINNED_IMAGES_ENV, type PinnedOutputs } from "../../../stacks/image-pins";

/** One `$GITHUB_ENV` line, or undefined when the stack has no images output yet (never deployed). */
export function pinEnvLine(stackOutputsJson: string): string | undefined {
  const outputs = JSON.parse(stackOutputsJson) as Record<string, unknown>;
  const images = outputs["images"];
  if (images === undefined || images === null) return undefined;
  const pinned: PinnedOutputs = {
    images: Object.fromEntries(
      Object.entries(images as Record<string, unknown>).map(([service, ref]) => [
        service,
        digestRef(`images.${service}`, ref),
      ]),
    ),
    ...(outputs["collectorImage"] !== undefined
      ? { collectorImage: digestRef("collectorImage", outputs["collectorImage"]) }
      : {}),
  };
  // Every value is a checked image reference and JSON.stringify escapes the rest: one line, so
  // nothing can add another variable to $GITHUB_ENV.
  return `${PINNED_IMAGES_ENV}=${JSON.stringify(pinned)}`;
}

function digestRef(what: string, value: unknown): string {
  const parsed = typeof value === "string" ? parseImageRef(value) : undefined;
  if (
    !parsed?.ok ||
    !parsed.ref.digest ||
    value !== `${parsed.ref.registry}/${parsed.ref.repository}@${parsed.ref.digest}`
  ) {
    throw new Error(
      `stack output ${what} = ${JSON.stringify(value)} is not an image by digest (<registry>/<repository>@sha256:<64 hex>)`,
    );
  }
  return value as string;
}

/** The distinct "newer image" lines in a preview's output, in order. */
export function newerImages(previewOutput: string): string[] {
  const found = previewOutput
    .split("\n")
    .map((l) => /newer image: (.*)$/.exec(l)?.[1]?.trim())
    .filter((l): l is string => !!l);
  return [...new Set(found)];
}

/** The job summary's section: what moved, and that it is not drift. */
export function newerImagesReport(stack: string, lines: readonly string[]): string {
  if (lines.length === 0) return `## Images on ${stack}\nEvery tag names the digest the last \`pulumi up\` pinned.\n`;
  return [
    `## Newer images for ${stack} (not drift)`,
    `These tags name another image than the one ${stack} runs; the next \`pulumi up\` (the deploy workflow) deploys them:`,
    "",
    ...lines.map((l) => `- ${l.replace(/^(\S+) (\S+)/, "`$1` `$2`")}`),
    "",
  ].join("\n");
}
