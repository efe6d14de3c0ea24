/**
 * Drift checks on stacks that track a tag (dev runs `:main`): a refresh resolves every tag again, so
 * a new image pushed to `:main` would show up as a changed release, indistinguishable from drift.
 * The drift job therefore hands the program the digests its last `pulumi up` pinned (the stack's
 * `images` and `collectorImage` outputs) in LIFTOFF_PINNED_IMAGES; the program then renders the
 * release with exactly those, so the preview compares only the infrastructure, and it reports a tag
 * that now names another digest as "newer image" information, which fails nothing.
 *
 * Pure: parsing and matching; stacks/delivery.ts reads the variable, the ContainerImages component
 * uses the pins.
 */
import { parseImageRef, type ImageRef } from "../environments/image-ref";

/** The mode input the drift job sets; unset in every `pulumi up`. */
export const PINNED_IMAGES_ENV = "LIFTOFF_PINNED_IMAGES";

/** The stack outputs a pin file is made of, as `pulumi stack output --json` prints them. */
export interface PinnedOutputs {
  readonly images?: Readonly<Record<string, string>>;
  readonly collectorImage?: string;
}

export interface ImagePins {
  /** Key (service, or the collector's key) → `registry/repository@sha256:...` of the last up. */
  readonly pins: Readonly<Record<string, string>>;
  /** Pins not used, and why (the program's image for it changed: a pending change, not drift). */
  readonly ignored: readonly string[];
}

/**
 * The pins for the images the program would look up by tag. A pin is used only when it names the
 * same registry and repository as the program's image for that key: a changed image is a change
 * the preview must show. Images given by digest need no pin. A value that is not JSON of the
 * outputs' shape, or a pin without a digest, is an error naming the variable.
 */
export function imagePins(text: string, images: Readonly<Record<string, ImageRef>>, collectorKey: string): ImagePins {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(
      `${PINNED_IMAGES_ENV} is not JSON; expected {"images": {"<service>": "<image>@sha256:..."}, "collectorImage": "<image>@sha256:..."} (the stack's outputs of its last pulumi up)`,
    );
  }
  const outputs = parsed as PinnedOutputs;
  const notAnObject = (v: unknown) => v === null || typeof v !== "object" || Array.isArray(v);
  if (notAnObject(parsed) || (outputs.images !== undefined && notAnObject(outputs.images))) {
    throw new Error(
      `${PINNED_IMAGES_ENV} must be an object with "images" (service → image by digest) and "collectorImage"`,
    );
  }
  const given: Record<string, unknown> = {
    ...(outputs.images ?? {}),
    ...(outputs.collectorImage !== undefined ? { [collectorKey]: outputs.collectorImage } : {}),
  };
  const pins: Record<string, string> = {};
  const ignored: string[] = [];
  for (const [key, value] of Object.entries(given)) {
    const ref = typeof value === "string" ? parseImageRef(value) : undefined;
    if (!ref?.ok || !ref.ref.digest) {
      throw new Error(
        `${PINNED_IMAGES_ENV}: ${key} = ${JSON.stringify(value)} is not an image by digest (<registry>/<repository>@sha256:<64 hex>)`,
      );
    }
    const wanted = images[key];
    if (!wanted) {
      ignored.push(`${key}: no such image in the program any more`);
      continue;
    }
    if (wanted.digest) continue;
    if (!sameRepository(wanted, ref.ref)) {
      ignored.push(
        `${key}: the program now runs ${wanted.registry}/${wanted.repository}, the last up ran ${ref.ref.registry}/${ref.ref.repository}`,
      );
      continue;
    }
    pins[key] = `${ref.ref.registry}/${ref.ref.repository}@${ref.ref.digest}`;
  }
  return { pins, ignored };
}

const DOCKER_HUB = new Set(["docker.io", "index.docker.io", "registry-1.docker.io"]);

function sameRepository(a: ImageRef, b: ImageRef): boolean {
  const registry = (r: ImageRef) => (DOCKER_HUB.has(r.registry) ? "docker.io" : r.registry);
  const repository = (r: ImageRef) =>
    DOCKER_HUB.has(r.registry) && !r.repository.includes("/") ? `library/${r.repository}` : r.repository;
  return registry(a) === registry(b) && repository(a) === repository(b);
}
