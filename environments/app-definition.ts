import { parseDocument } from "yaml";
import { z } from "zod";
import { parseImageRef, type ImageRef } from "./image-ref";
import type { ProblemInput } from "./reader";
// The one health-path rule, shared with the renderer and the host agent (issue #11 item 15).
import { HEALTH_PATH_ALLOWED, healthPathProblem } from "../components/deploy/rules";

/** Database kinds liftoff provisions per environment. */
export const DATABASE_KINDS = ["postgres", "mongodb"] as const;
export type DatabaseKind = (typeof DATABASE_KINDS)[number];

/** A public endpoint: a TLS port on the host, opened in the firewall and served by the proxy. */
export interface AppEndpoint {
  readonly name: string;
  readonly port: number;
}

/** A database a service asks for: its kind, and optionally its name (default: from the service's). */
export interface DatabaseDeclaration {
  readonly kind: DatabaseKind;
  readonly database?: string;
}

export interface AppService {
  readonly name: string;
  /** The reference as written in the compose file. */
  readonly imageText: string;
  readonly image: ImageRef;
  /** Accessories (brokers, caches) are stateful: updated in place, never run twice. */
  readonly accessory: boolean;
  readonly public?: { readonly endpoint: string; readonly containerPort: number };
  /** HTTP path answering 2xx when the service is ready. */
  readonly healthPath?: string;
  /** The databases the service owns, one per kind: liftoff provisions them and hands it their URLs. */
  readonly databases: readonly DatabaseDeclaration[];
  /** The service's own compose definition without `x-liftoff`, passed through to the release. */
  readonly compose: Readonly<Record<string, unknown>>;
}

/** The operator's application: their compose file, read together with its `x-liftoff` settings. */
export interface AppDefinition {
  readonly file: string;
  readonly endpoints: readonly AppEndpoint[];
  readonly services: readonly AppService[];
  /** Top-level named volumes, passed through. */
  readonly volumes: Readonly<Record<string, unknown>>;
}

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const ENDPOINT_NAME = /^[a-z][a-z0-9-]{0,30}$/;

const serviceSettings = z.strictObject({
  public: z.strictObject({ endpoint: z.string(), containerPort: z.number().int().min(1).max(65535).optional() }).optional(),
  health: z.string().optional(),
  accessory: z.boolean().optional(),
  databases: z.array(z.union([z.string(), z.strictObject({ kind: z.string(), database: z.string().optional() })])).optional(),
});
const topSettings = z.strictObject({
  endpoints: z.record(z.string(), z.strictObject({ port: z.number().int() })),
});

/**
 * Fields that would break running two releases side by side or bypass the proxy, with the reason.
 * Blue/green needs Compose to name containers; the proxy must be the only way in.
 */
const FORBIDDEN_FIELDS: Readonly<Record<string, string>> = {
  container_name: "fixes the container's name, so two releases could not run side by side",
  network_mode: "takes the service off the release's own network (or onto the host's), bypassing the proxy",
  build: "liftoff deploys images; build in CI, push to GHCR and name the image instead",
};

/**
 * Reads and validates the operator's compose file with its `x-liftoff` settings. Pure: takes the
 * file's text; every problem names the service and the field.
 */
export function parseAppDefinition(text: string, file: string): { app?: AppDefinition; problems: ProblemInput[] } {
  const problems: ProblemInput[] = [];
  const at = (path: string) => `${file}: ${path}`;
  const fix = (what: string) => `edit ${file}: ${what}`;
  const doc = parseDocument(text);
  if (doc.errors.length > 0) {
    for (const e of doc.errors) {
      const pos = e.linePos?.[0];
      problems.push({ key: at(pos ? `line ${pos.line}, column ${pos.col}` : "(document)"), message: `is not valid YAML: ${e.message.split("\n")[0]}`, allowed: "a Compose file (YAML)", fix: fix("correct the YAML syntax") });
    }
    return { problems };
  }
  const root = doc.toJS() as unknown;
  if (root === null || typeof root !== "object" || Array.isArray(root)) {
    return { problems: [{ key: at("(document)"), message: "is not a Compose file: the top level must be a map", allowed: "a map with `services:`", fix: fix("start from app/compose.yaml") }] };
  }
  const top = root as Record<string, unknown>;
  const servicesRaw = top["services"];
  if (servicesRaw === null || typeof servicesRaw !== "object" || Array.isArray(servicesRaw) || Object.keys(servicesRaw).length === 0) {
    return { problems: [{ key: at("services"), value: JSON.stringify(servicesRaw ?? null), message: "is missing or empty; a Compose file needs at least one service", allowed: "a map of service name to definition", fix: fix("add `services:`") }] };
  }

  const endpoints: AppEndpoint[] = [];
  const settings = topSettings.safeParse(top["x-liftoff"] ?? { endpoints: {} });
  if (!settings.success) {
    for (const issue of settings.error.issues) {
      problems.push({ key: at(["x-liftoff", ...issue.path.map(String)].join(".")), message: issue.message, allowed: "x-liftoff: { endpoints: { <name>: { port: <number> } } }", fix: fix("e.g. x-liftoff: { endpoints: { api: { port: 443 } } }") });
    }
  } else {
    for (const [name, endpoint] of Object.entries(settings.data.endpoints)) {
      if (!ENDPOINT_NAME.test(name)) {
        problems.push({ key: at(`x-liftoff.endpoints.${name}`), value: name, message: "is not a usable endpoint name", allowed: "lowercase letters, digits and hyphens, starting with a letter", fix: fix("rename the endpoint, e.g. api") });
        continue;
      }
      endpoints.push({ name, port: endpoint.port });
    }
  }
  const endpointNames = new Set(endpoints.map((e) => e.name));
  const used = new Map<string, string>();

  const services: AppService[] = [];
  for (const [name, definition] of Object.entries(servicesRaw as Record<string, unknown>)) {
    const path = (field: string) => at(`services.${name}${field ? `.${field}` : ""}`);
    if (!SERVICE_NAME.test(name)) {
      problems.push({ key: path(""), value: name, message: "is not a usable service name", allowed: "2-32 lowercase letters, digits and hyphens, starting with a letter", fix: fix(`rename the service, e.g. ${name.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`) });
      continue;
    }
    if (definition === null || typeof definition !== "object" || Array.isArray(definition)) {
      problems.push({ key: path(""), message: "is not a service definition", allowed: "a map with at least `image:`", fix: fix("give the service an image") });
      continue;
    }
    const { "x-liftoff": rawSettings, ...compose } = definition as Record<string, unknown>;
    let ok = true;
    for (const [field, reason] of Object.entries(FORBIDDEN_FIELDS)) {
      if (compose[field] !== undefined) {
        ok = false;
        problems.push({ key: path(field), value: JSON.stringify(compose[field]), message: reason, allowed: `no ${field}`, fix: fix(`remove ${field} from ${name}`) });
      }
    }

    const imageText = compose["image"];
    let image: ImageRef | undefined;
    if (typeof imageText !== "string") {
      ok = false;
      problems.push({ key: path("image"), value: JSON.stringify(imageText ?? null), message: "is missing; liftoff runs images from a registry", allowed: "ghcr.io/<owner>/<name>:<tag> or ...@sha256:<digest>", fix: fix(`set image: ghcr.io/acme/${name}:1.0.0`) });
    } else {
      const parsed = parseImageRef(imageText);
      if (parsed.ok) image = parsed.ref;
      else {
        ok = false;
        problems.push({ key: path("image"), value: imageText, message: `is not a usable image reference: ${parsed.detail}`, allowed: "registry/owner/name:tag or registry/owner/name@sha256:<digest>", fix: fix(`pin a version, e.g. ${imageText.split(/[:@]/)[0]}:1.0.0`) });
      }
    }

    const parsedSettings = serviceSettings.safeParse(rawSettings ?? {});
    if (!parsedSettings.success) {
      for (const issue of parsedSettings.error.issues) {
        problems.push({ key: path(["x-liftoff", ...issue.path.map(String)].join(".")), value: JSON.stringify(rawSettings), message: issue.message, allowed: "x-liftoff: { public: { endpoint, containerPort }, health, accessory, databases }", fix: fix(`correct x-liftoff of ${name}`) });
      }
      continue;
    }
    const s = parsedSettings.data;
    const accessory = s.accessory ?? false;

    const healthProblem = s.health === undefined ? undefined : healthPathProblem(s.health);
    if (healthProblem) {
      ok = false;
      problems.push({ key: path("x-liftoff.health"), value: s.health, message: healthProblem, allowed: HEALTH_PATH_ALLOWED, fix: fix(`set health: /healthz on ${name}`) });
    }

    const databases: DatabaseDeclaration[] = [];
    (s.databases ?? []).forEach((entry, i) => {
      const declaration = typeof entry === "string" ? { kind: entry } : entry;
      const key = path(`x-liftoff.databases[${i}]`);
      if (!(DATABASE_KINDS as readonly string[]).includes(declaration.kind)) {
        ok = false;
        problems.push({ key, value: declaration.kind, message: "is not a database kind liftoff provisions", allowed: DATABASE_KINDS.join(", "), fix: fix(`use one of ${DATABASE_KINDS.join(", ")}, or provision it yourself and pass its URL in environment`) });
      } else if (databases.some((d) => d.kind === declaration.kind)) {
        ok = false;
        problems.push({ key, value: declaration.kind, message: `is listed twice for ${name}: a service gets one database of each kind`, allowed: "each kind once per service", fix: fix(`remove the duplicate from ${name}'s x-liftoff.databases`) });
      } else {
        databases.push({ kind: declaration.kind as DatabaseKind, ...(declaration.database !== undefined ? { database: declaration.database } : {}) });
      }
    });

    const published = publishedContainerPorts(compose["ports"]);
    let publicSettings: AppService["public"];
    if (s.public) {
      if (accessory) {
        ok = false;
        problems.push({ key: path("x-liftoff.public"), value: s.public.endpoint, message: "makes an accessory public; accessories are internal helpers", allowed: "public application services only", fix: fix(`remove public from ${name}, or accessory: true`) });
      }
      if (!endpointNames.has(s.public.endpoint)) {
        ok = false;
        problems.push({ key: path("x-liftoff.public.endpoint"), value: s.public.endpoint, message: "is not an endpoint declared under x-liftoff.endpoints", allowed: [...endpointNames].join(", ") || "an endpoint you declare under the top-level x-liftoff.endpoints", fix: fix(`declare it: x-liftoff: { endpoints: { ${s.public.endpoint}: { port: 443 } } }`) });
      } else if (used.has(s.public.endpoint)) {
        ok = false;
        problems.push({ key: path("x-liftoff.public.endpoint"), value: s.public.endpoint, message: `is already served by ${used.get(s.public.endpoint)}`, allowed: "one service per endpoint", fix: fix("declare another endpoint for this service") });
      } else {
        used.set(s.public.endpoint, name);
      }
      if (s.health === undefined) {
        ok = false;
        problems.push({ key: path("x-liftoff.health"), message: "is missing: a public service needs a health check, or a broken release would take traffic", allowed: "a path answering 2xx when ready, e.g. /healthz", fix: fix(`add health: /healthz to x-liftoff of ${name}`) });
      }
      const containerPort = s.public.containerPort ?? (published.length === 1 ? published[0] : undefined);
      if (containerPort === undefined) {
        ok = false;
        problems.push({ key: path("x-liftoff.public.containerPort"), message: published.length > 1 ? "is ambiguous: the service publishes several ports" : "is missing: which port does the service listen on?", allowed: "the container port the proxy forwards to", fix: fix(`set public: { endpoint: ${s.public.endpoint}, containerPort: 8080 }`) });
      } else {
        publicSettings = { endpoint: s.public.endpoint, containerPort };
      }
    } else if (compose["ports"] !== undefined) {
      ok = false;
      problems.push({ key: path("ports"), value: JSON.stringify(compose["ports"]), message: "publishes a port on the host, around the proxy and the firewall's intent", allowed: "no ports on internal services; public services declare x-liftoff.public", fix: fix(`remove ports from ${name}, or make it public with x-liftoff.public`) });
    }

    if (accessory && !hasDataVolume(compose["volumes"])) {
      ok = false;
      problems.push({ key: path("volumes"), value: JSON.stringify(compose["volumes"] ?? null), message: "is missing: an accessory keeps state, and without a volume it is lost on every update", allowed: "a named volume mounted where the accessory keeps its data", fix: fix(`add volumes: [${name}-data:/data] and a top-level volume ${name}-data`) });
    }

    if (!ok || !image) continue;
    const { ports: _ports, ...passThrough } = compose;
    services.push({
      name,
      imageText: imageText as string,
      image,
      accessory,
      ...(publicSettings ? { public: publicSettings } : {}),
      ...(s.health ? { healthPath: s.health } : {}),
      databases,
      compose: publicSettings ? passThrough : compose,
    });
  }

  for (const endpoint of endpoints) {
    if (!used.has(endpoint.name)) {
      problems.push({ key: at(`x-liftoff.endpoints.${endpoint.name}`), value: String(endpoint.port), message: "is served by no service; its port would be opened for nothing", allowed: "endpoints a service names in x-liftoff.public.endpoint", fix: fix(`remove it, or set x-liftoff.public.endpoint: ${endpoint.name} on a service`) });
    }
  }

  if (problems.length > 0) return { problems };
  const volumes = top["volumes"];
  return {
    app: { file, endpoints, services, volumes: volumes && typeof volumes === "object" ? (volumes as Record<string, unknown>) : {} },
    problems,
  };
}

/** Container ports of Compose `ports` entries, short ("8080:8080", "127.0.0.1:80:8080/tcp") or long ({target}). */
function publishedContainerPorts(ports: unknown): number[] {
  if (!Array.isArray(ports)) return [];
  return ports
    .map((p) => {
      if (typeof p === "number") return p;
      if (typeof p === "string") return Number(p.replace(/\/(tcp|udp)$/, "").split(":").at(-1));
      if (p && typeof p === "object" && "target" in p) return Number((p as { target: unknown }).target);
      return NaN;
    })
    .filter((n) => Number.isInteger(n) && n > 0);
}

/** True when some volume mount keeps data outside the container (named volume or host path). */
function hasDataVolume(volumes: unknown): boolean {
  if (!Array.isArray(volumes)) return false;
  return volumes.some((v) => {
    if (typeof v === "string") return v.includes(":") && !v.endsWith(":ro");
    if (v && typeof v === "object") {
      const mount = v as { type?: string; source?: string; read_only?: boolean };
      return (mount.type === "volume" || mount.type === "bind") && Boolean(mount.source) && !mount.read_only;
    }
    return false;
  });
}
