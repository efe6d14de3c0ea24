/** Container image references, parsed the way Docker reads them. */

export interface ImageRef {
  /** Registry host, e.g. `ghcr.io`; `docker.io` when the reference names none (or Docker Hub's other names). */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `acme/api-gateway`; `library/redis` for Docker Hub's `redis`. */
  readonly repository: string;
  readonly tag?: string;
  /** `sha256:<64 hex>` when the reference pins a digest. */
  readonly digest?: string;
}

const COMPONENT = "[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*";
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;
const DIGEST = /^sha256:[a-f0-9]{64}$/;

export type ImageParse =
  { ok: true; ref: ImageRef } | { ok: false; reason: "no-tag-or-digest" | "malformed"; detail: string };

export function parseImageRef(raw: string): ImageParse {
  const value = raw.trim();
  let rest = value;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest))
      return { ok: false, reason: "malformed", detail: `digest "${digest}" is not sha256:<64 lowercase hex>` };
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { ok: false, reason: "malformed", detail: `tag "${tag}" is not a valid tag` };
  }
  const name = parseRepositoryName(rest);
  if (!name.ok) return { ok: false, reason: "malformed", detail: name.detail };
  const { registry, repository } = name;
  if (!tag && !digest) {
    return {
      ok: false,
      reason: "no-tag-or-digest",
      detail: "it names neither a tag nor a digest, so what runs would change under you",
    };
  }
  return { ok: true, ref: { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) } };
}

/** Names Docker Hub answers to; Docker itself treats them all as `docker.io`. */
const DOCKER_HUB_NAMES = new Set(["docker.io", "index.docker.io", "registry-1.docker.io", "registry.hub.docker.com"]);

type RepositoryName = { ok: true; registry: string; repository: string } | { ok: false; detail: string };

/**
 * `registry/path` as Docker reads it: no registry means Docker Hub, and a one-part Docker Hub name is
 * an official image under `library/`. So `redis`, `library/redis` and `docker.io/library/redis` are
 * one repository, `docker.io/library/redis`.
 */
function parseRepositoryName(value: string): RepositoryName {
  const parts = value.split("/");
  const first = parts[0] ?? "";
  const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasRegistry ? (DOCKER_HUB_NAMES.has(first.toLowerCase()) ? "docker.io" : first) : "docker.io";
  let repository = hasRegistry ? parts.slice(1).join("/") : value;
  if (!REPOSITORY.test(repository)) {
    return { ok: false, detail: `repository "${repository}" must be lowercase path components` };
  }
  if (registry === "docker.io" && !repository.includes("/")) repository = `library/${repository}`;
  return { ok: true, registry, repository };
}

export type RepositoryParse =
  | { ok: true; registry: string; repository: string; /** `registry/repository`, normalized. */ name: string }
  | {
      ok: false;
      reason: "has-tag-or-digest" | "malformed";
      detail: string;
      /** The repository without the tag or digest, when that is the only problem. */ withoutTag?: string;
    };

/**
 * An image repository without tag or digest, as `liftoff:externalImages` lists them, normalized like
 * {@link parseImageRef}: `redis`, `library/redis` and `docker.io/library/redis` all give
 * `docker.io/library/redis`.
 */
export function parseImageRepository(raw: string): RepositoryParse {
  const value = raw.trim();
  const image = parseImageRef(value);
  if (image.ok) {
    const withoutTag = `${image.ref.registry}/${image.ref.repository}`;
    return {
      ok: false,
      reason: "has-tag-or-digest",
      detail: "it names a tag or digest; list the repository alone",
      withoutTag,
    };
  }
  if (value.includes("@")) return { ok: false, reason: "malformed", detail: image.detail };
  const name = parseRepositoryName(value);
  if (!name.ok) return { ok: false, reason: "malformed", detail: name.detail };
  return {
    ok: true,
    registry: name.registry,
    repository: name.repository,
    name: `${name.registry}/${name.repository}`,
  };
}

export function formatImageRef(ref: ImageRef): string {
  const name = ref.registry === "docker.io" ? ref.repository : `${ref.registry}/${ref.repository}`;
  return `${name}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}
