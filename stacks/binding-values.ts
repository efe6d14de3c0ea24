/**
 * The values of a service's bindings (environments/compose/bindings.ts names them), from plain
 * parts: pure, so every format is tested without Pulumi. stacks/bindings.ts feeds it the data and
 * observability layers' outputs and marks each value secret or not as the catalogue says.
 */
import { mongoConnectionString, type MongoLogin } from "../components/atlas/cluster";
import { poolerHost, postgresUri, type PostgresLogin } from "../components/neon/uri";
import {
  OTEL_VARIABLES,
  OTLP_PROTOCOL,
  imageVersion,
  otelEnvironment,
  type OtelVariable,
} from "../components/observability/otel";
import { databaseBindingName, endpointBindingName, serviceBindings } from "../environments/compose/bindings";
import type { AppDefinition, AppService, DatabaseKind, EnvTemplate } from "../environments/compose/model";

/** Neon's port, pooled and direct alike. */
export const POSTGRES_PORT = 5432;

/** `https://<fqdn>` for 443, else `https://<fqdn>:<port>`: what a browser or client calls. */
export function endpointUrl(fqdn: string, port: number): string {
  return port === 443 ? `https://${fqdn}` : `https://${fqdn}:${port}`;
}

/**
 * A Postgres login's bindings by key. The URLs are exactly the data layer's connection strings
 * (components/neon/uri.ts: user, password and database percent-encoded); HOST is the pooler's, as
 * URL is, and HOST_DIRECT the compute's, as URL_DIRECT is. The other parts are raw, for formats
 * that quote them their own way (key-value, JDBC properties).
 */
export function postgresBindingValues(login: PostgresLogin): Record<string, string> {
  return {
    URL: postgresUri(login, { pooled: true }),
    URL_DIRECT: postgresUri(login),
    HOST: poolerHost(login.host),
    HOST_DIRECT: login.host,
    PORT: String(POSTGRES_PORT),
    DATABASE: login.database,
    USER: login.role,
    PASSWORD: login.password,
  };
}

/** The host of Atlas's SRV string, `mongodb+srv://<host>`: what SRV-aware drivers resolve. */
export function srvHost(standardSrv: string): string {
  const match = /^mongodb\+srv:\/\/([^/?@]+)\/?(\?.*)?$/.exec(standardSrv);
  if (!match) throw new Error(`not an Atlas SRV connection string: ${JSON.stringify(standardSrv)}`);
  return match[1]!;
}

/** A MongoDB login's bindings by key; URL is exactly the data layer's connection string. */
export function mongoBindingValues(login: MongoLogin): Record<string, string> {
  return {
    URL: mongoConnectionString(login),
    HOST: srvHost(login.standardSrv),
    DATABASE: login.database,
    USER: login.username,
    PASSWORD: login.password,
  };
}

/** Everything a service's bindings are made of, as plain values. */
export interface BindingParts {
  readonly stack: string;
  readonly fqdn: string;
  readonly otlp: { readonly endpoint: string; readonly headers: string };
  /** The service's Postgres login: on its own database, or on the one it shares. */
  readonly postgres?: PostgresLogin;
  readonly mongodb?: MongoLogin;
}

type BindingApp = Pick<AppDefinition, "endpoints">;
type BindingService = Pick<AppService, "name" | "databases">;

/**
 * Every binding `service` may reference, name → value, exactly the names `serviceBindings` lists for
 * it and in its order. A database the service declares without its login in `parts` is a mistake of
 * the caller, not of the operator, and throws.
 */
export function bindingValues(app: BindingApp, service: BindingService, parts: BindingParts): Record<string, string> {
  const values: Record<string, string> = {
    LIFTOFF_STACK: parts.stack,
    LIFTOFF_FQDN: parts.fqdn,
    LIFTOFF_SERVICE: service.name,
    LIFTOFF_OTLP_ENDPOINT: parts.otlp.endpoint,
    LIFTOFF_OTLP_PROTOCOL: OTLP_PROTOCOL,
    LIFTOFF_OTLP_HEADERS: parts.otlp.headers,
  };
  for (const endpoint of app.endpoints)
    values[endpointBindingName(endpoint.name)] = endpointUrl(parts.fqdn, endpoint.port);
  const byKind: Record<DatabaseKind, () => Record<string, string> | undefined> = {
    postgres: () => (parts.postgres ? postgresBindingValues(parts.postgres) : undefined),
    mongodb: () => (parts.mongodb ? mongoBindingValues(parts.mongodb) : undefined),
  };
  for (const db of service.databases) {
    const kindValues = byKind[db.kind]();
    if (!kindValues)
      throw new Error(
        `${service.name} declares a ${db.kind} database, but the data layer gave no ${db.kind} login for it`,
      );
    for (const [key, value] of Object.entries(kindValues)) values[databaseBindingName(db.kind, key)] = value;
  }
  const names = serviceBindings(app, service).map((b) => b.name);
  const extra = Object.keys(values).filter((n) => !names.includes(n));
  const missing = names.filter((n) => values[n] === undefined);
  if (extra.length > 0 || missing.length > 0) {
    throw new Error(
      `the bindings of ${service.name} disagree with the catalogue: ${[...missing.map((n) => `${n} has no value`), ...extra.map((n) => `${n} is not in the catalogue`)].join(", ")}`,
    );
  }
  return Object.fromEntries(names.map((n) => [n, values[n]!]));
}

/**
 * The variables services got before bindings existed, by the names their libraries read:
 * `DATABASE_URL` (pooled) and `DATABASE_URL_UNPOOLED` as Neon's integrations name them,
 * `MONGODB_URI`; each is the value of the binding named here.
 */
export const DEFAULT_DATABASE_VARIABLES: Readonly<Record<DatabaseKind, Readonly<Record<string, string>>>> = {
  postgres: {
    DATABASE_URL: databaseBindingName("postgres", "URL"),
    DATABASE_URL_UNPOOLED: databaseBindingName("postgres", "URL_DIRECT"),
  },
  mongodb: { MONGODB_URI: databaseBindingName("mongodb", "URL") },
};

/** The OTel SDK variables whose value is a binding's; the others are literal per service. */
const OTEL_VARIABLE_BINDINGS: Partial<Record<OtelVariable, string>> = {
  OTEL_EXPORTER_OTLP_ENDPOINT: "LIFTOFF_OTLP_ENDPOINT",
  OTEL_EXPORTER_OTLP_PROTOCOL: "LIFTOFF_OTLP_PROTOCOL",
  OTEL_EXPORTER_OTLP_HEADERS: "LIFTOFF_OTLP_HEADERS",
  OTEL_SERVICE_NAME: "LIFTOFF_SERVICE",
};

/**
 * A service's default variables as environment templates (model.ts `EnvTemplate`): its databases'
 * URLs under the names above and the OTel SDK's variables (the same values the observability
 * layer's `otelEnvironment` gives), each a reference to a binding or literal text. `environment`
 * is the stack (`deployment.environment`), `version` the service's image version.
 */
export function defaultVariableTemplates(
  service: BindingService,
  context: { readonly environment: string; readonly version: string },
): Record<string, EnvTemplate> {
  const templates: Record<string, EnvTemplate> = {};
  for (const db of service.databases) {
    for (const [variable, binding] of Object.entries(DEFAULT_DATABASE_VARIABLES[db.kind]))
      templates[variable] = [{ binding }];
  }
  const otel = otelEnvironment({
    endpoint: "",
    headers: "",
    environment: context.environment,
    services: [{ name: service.name, version: context.version }],
  })[service.name]!;
  for (const variable of OTEL_VARIABLES) {
    const binding = OTEL_VARIABLE_BINDINGS[variable];
    templates[variable] = binding ? [{ binding }] : [otel[variable]];
  }
  return templates;
}

/**
 * The service's environment with the default variables it does not set itself added: its own
 * value wins, whatever it is, and existing apps keep the names they read. For the renderer that
 * takes the normalized model (references are resolved from the service's bindings).
 */
export function withDefaultVariables<S extends Pick<AppService, "name" | "databases" | "environment">>(
  service: S,
  context: { readonly environment: string; readonly version: string },
): S {
  const defaults = defaultVariableTemplates(service, context);
  const added = Object.fromEntries(Object.entries(defaults).filter(([name]) => !(name in service.environment)));
  return { ...service, environment: { ...added, ...service.environment } };
}

/**
 * The application with every service's default variables added to its environment (see
 * {@link withDefaultVariables}): what the renderer that resolves bindings renders, so existing
 * apps keep `DATABASE_URL`, `MONGODB_URI` and the `OTEL_*` settings.
 */
export function appWithDefaultVariables<
  A extends {
    readonly services: readonly (Pick<AppService, "name" | "databases" | "environment"> & {
      readonly image: { readonly tag?: string; readonly digest?: string };
    })[];
  },
>(app: A, stack: string): A {
  return {
    ...app,
    services: app.services.map((s) => withDefaultVariables(s, { environment: stack, version: imageVersion(s.image) })),
  };
}

/** An environment template's value with its binding references filled in from `bindings`. */
export function resolveTemplate(template: EnvTemplate, bindings: Readonly<Record<string, string>>): string {
  return template
    .map((part) => {
      if (typeof part === "string") return part;
      const value = bindings[part.binding];
      if (value === undefined) throw new Error(`no value for binding ${part.binding}`);
      return value;
    })
    .join("");
}

/**
 * A service's default variables as values: {@link defaultVariableTemplates} resolved from its
 * bindings, except the names it sets itself (`ownNames`).
 */
export function defaultVariables(
  service: BindingService,
  context: { readonly environment: string; readonly version: string },
  bindings: Readonly<Record<string, string>>,
  ownNames: ReadonlySet<string>,
): Record<string, string> {
  return Object.fromEntries(
    Object.entries(defaultVariableTemplates(service, context))
      .filter(([name]) => !ownNames.has(name))
      .map(([name, template]) => [name, resolveTemplate(template, bindings)]),
  );
}

/**
 * The variable names a service sets itself: the normalized model's `environment` (env files and
 * `environment` merged) when the loader gives one, else the compose file's `environment` in either
 * of Compose's forms (a map, or a list of `NAME=value` / `NAME`).
 */
export function ownVariableNames(service: {
  readonly environment?: Readonly<Record<string, unknown>>;
  readonly compose: Readonly<Record<string, unknown>>;
}): Set<string> {
  if (service.environment) return new Set(Object.keys(service.environment));
  const environment = service.compose["environment"];
  if (Array.isArray(environment)) return new Set(environment.map((entry) => String(entry).split("=", 1)[0]!));
  if (environment && typeof environment === "object") return new Set(Object.keys(environment));
  return new Set();
}
