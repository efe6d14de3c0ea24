/** Container image references, parsed the way Docker reads them. */

export interface ImageRef {
  /** Registry host, e.g. `ghcr.io`; `docker.io` when the reference names none. */
  readonly registry: string;
  /** Repository path inside the registry, e.g. `acme/api-gateway`. */
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
  | { ok: true; ref: ImageRef }
  | { ok: false; reason: "no-tag-or-digest" | "malformed"; detail: string };

export function parseImageRef(raw: string): ImageParse {
  const value = raw.trim();
  let rest = value;
  let digest: string | undefined;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) return { ok: false, reason: "malformed", detail: `digest "${digest}" is not sha256:<64 lowercase hex>` };
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf("/");
  const colon = rest.lastIndexOf(":");
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) return { ok: false, reason: "malformed", detail: `tag "${tag}" is not a valid tag` };
  }
  const parts = rest.split("/");
  const first = parts[0] ?? "";
  const hasRegistry = parts.length > 1 && (first.includes(".") || first.includes(":") || first === "localhost");
  const registry = hasRegistry ? first : "docker.io";
  const repository = hasRegistry ? parts.slice(1).join("/") : rest;
  if (!REPOSITORY.test(repository)) {
    return { ok: false, reason: "malformed", detail: `repository "${repository}" must be lowercase path components` };
  }
  if (!tag && !digest) {
    return { ok: false, reason: "no-tag-or-digest", detail: "it names neither a tag nor a digest, so what runs would change under you" };
  }
  return { ok: true, ref: { registry, repository, ...(tag ? { tag } : {}), ...(digest ? { digest } : {}) } };
}

export function formatImageRef(ref: ImageRef): string {
  const name = ref.registry === "docker.io" ? ref.repository : `${ref.registry}/${ref.repository}`;
  return `${name}${ref.tag ? `:${ref.tag}` : ""}${ref.digest ? `@${ref.digest}` : ""}`;
}
