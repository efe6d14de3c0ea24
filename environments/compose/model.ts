/**
 * The normalized application model: the operator's compose file(s) read exactly as Compose v2
 * reads them, plus liftoff's `x-liftoff` settings, typed. The loader (`environments/compose/`)
 * produces it; every liftoff rule, the data layer and the release renderer read only this.
 *
 * Shape rule: `AppService.compose` is a service in Compose's canonical form, the form
 * `docker compose config --format json` (v2) prints, so the loader is checked field by field
 * against that oracle. The differences, each deliberate:
 * - strings are literal: `$$` in the file is `$` here (Compose's JSON output re-escapes it);
 * - `environment` and `env_file` are lifted out into {@link AppService.environment} (Compose
 *   merges env files into `environment` in the same order, which the loader reproduces);
 * - `x-liftoff`, `profiles`, `extends` and `build` are not in it (read, applied or refused);
 * - relative bind mounts name a file of the release: `source` is the path relative to the project
 *   directory (`./healthchecks`), and the file or directory is in {@link AppDefinition.assets}.
 */
import type { ImageRef } from "../image-ref";

/** Database kinds liftoff provisions per environment. */
export const DATABASE_KINDS = ["postgres", "mongodb"] as const;
export type DatabaseKind = (typeof DATABASE_KINDS)[number];

/** A public endpoint: a TLS port on the host, opened in the firewall and served by the proxy. */
export interface AppEndpoint {
  readonly name: string;
  readonly port: number;
}

/**
 * A database a service uses. The owner's declaration creates it (and its login); a service that
 * declares `shared: <owner service>` gets its own login granted access to the owner's database.
 */
export interface DatabaseDeclaration {
  readonly kind: DatabaseKind;
  /** The database's name; default derived from the owning service's name. */
  readonly database?: string;
  /** Set when this service uses another service's database: the owner's service name. */
  readonly sharedFrom?: string;
}

/**
 * One piece of an environment value: literal text, or a reference to a binding (a value liftoff
 * provides, such as a database password, known only at `pulumi up`). The renderer joins them.
 */
export type EnvPart = string | { readonly binding: string };
/** An environment value as parts; a plain value is one literal string part. */
export type EnvTemplate = readonly EnvPart[];

/** When a job service runs, relative to the release's traffic switch. */
export type JobPhase = "before-release" | "after-release";

/** Host access a service opted into explicitly with `x-liftoff.hostAccess`. */
export type HostAccessKind =
  "privileged" | "host-pid" | "host-ipc" | "host-network" | "capabilities" | "devices" | "host-paths";

export interface AppService {
  readonly name: string;
  /** The image reference after interpolation, as the operator wrote it. */
  readonly imageText: string;
  readonly image: ImageRef;
  /** Accessories (brokers, caches) are stateful: updated in place, never run twice. */
  readonly accessory: boolean;
  /** Set for a job (e.g. a migration): runs to completion once per release in the new slot. */
  readonly job?: { readonly phase: JobPhase; readonly timeoutSeconds: number };
  readonly public?: { readonly endpoint: string; readonly containerPort: number };
  /** HTTP path answering 2xx when the service is ready. */
  readonly healthPath?: string;
  readonly databases: readonly DatabaseDeclaration[];
  /** Host access the service declared; anything used but not declared is refused by the loader. */
  readonly hostAccess: readonly HostAccessKind[];
  /** What `x-liftoff.hostAccess` names for the kinds that take names (host paths, capabilities, devices). */
  readonly hostAccessGrants?: {
    readonly hostPaths: readonly string[];
    readonly capabilities: readonly string[];
    readonly devices: readonly string[];
  };
  /**
   * The service's environment in Compose's order of precedence already applied (env files in
   * order, then `environment`); pass-through variables resolved from the stack's variables.
   */
  readonly environment: Readonly<Record<string, EnvTemplate>>;
  /**
   * Names in `environment` whose value holds a secret (a secret stack variable, or a secret
   * binding): the renderer keeps them in 0600 env files only and never shows them.
   */
  readonly secretEnvironment?: readonly string[];
  /** The rest of the service in canonical form (see the file's comment). */
  readonly compose: Readonly<Record<string, unknown>>;
}

/** A file shipped inside the release: a relative bind mount's content, a secret or config file. */
export interface ReleaseAsset {
  /** Path inside the release directory, e.g. `app/healthchecks/check.sh` or `secrets/db_password`. */
  readonly path: string;
  /** The content, base64-encoded (binary files are allowed). */
  readonly contentBase64: string;
  /** Secret files are written 0600 and kept out of every reviewable output. */
  readonly secret: boolean;
  /** Unix permission bits to write it with (0600 forced for secrets). */
  readonly mode: number;
  /** Where it came from, relative to the project directory, for messages and the plan. */
  readonly source: string;
}

/** The operator's application: their compose file(s), normalized, with liftoff's settings. */
export interface AppDefinition {
  /** The compose files read, in merge order, as named in config (relative to the project). */
  readonly files: readonly string[];
  /** The first file, for messages. */
  readonly file: string;
  readonly endpoints: readonly AppEndpoint[];
  /** Services of the active profiles only, in name order. */
  readonly services: readonly AppService[];
  /** Top-level sections in canonical form (`name` only when the operator set it). */
  readonly volumes: Readonly<Record<string, unknown>>;
  readonly networks: Readonly<Record<string, unknown>>;
  /** `file:` entries point into the release (`secrets/<name>` / `configs/<name>`, see assets). */
  readonly secrets: Readonly<Record<string, unknown>>;
  readonly configs: Readonly<Record<string, unknown>>;
  /** Files the release ships (bind-mounted files and directories, secret and config files). */
  readonly assets: readonly ReleaseAsset[];
}
