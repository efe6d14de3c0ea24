/**
 * Bindings: the values liftoff provides a service, as variables its compose file interpolates in
 * `environment` (and env files) in the app's own names and formats, e.g.
 * `ConnectionStrings__OrderingDb: "Host=${LIFTOFF_POSTGRES_HOST};Password=${LIFTOFF_POSTGRES_PASSWORD}"`.
 *
 * The loader keeps a reference to a binding as `{ binding: name }` (its value exists only at
 * `pulumi up`); the deploy layer resolves it. This file is the one catalogue of their names.
 */
import type { AppDefinition, AppService, DatabaseKind } from "./model";

export interface BindingDefinition {
  readonly name: string;
  /** Secret bindings (passwords, URLs with credentials, OTLP headers) only reach 0600 env files. */
  readonly secret: boolean;
  readonly description: string;
}

const PREFIX = "LIFTOFF_";

/** `api-gateway` → `API_GATEWAY`: the part of a binding's name that names an endpoint. */
export function bindingSuffix(name: string): string {
  return name.toUpperCase().replace(/[^A-Z0-9]/g, "_");
}

/** `LIFTOFF_ENDPOINT_<NAME>_URL`: the public URL of endpoint `name`. */
export function endpointBindingName(endpoint: string): string {
  return `${PREFIX}ENDPOINT_${bindingSuffix(endpoint)}_URL`;
}

/** `LIFTOFF_<KIND>_<KEY>`, e.g. `LIFTOFF_POSTGRES_PASSWORD`. */
export function databaseBindingName(kind: DatabaseKind, key: string): string {
  return `${PREFIX}${kind.toUpperCase()}_${key}`;
}

type DatabaseBinding = Omit<BindingDefinition, "name"> & { readonly key: string };
const DATABASE_BINDINGS: Readonly<Record<DatabaseKind, readonly DatabaseBinding[]>> = {
  postgres: [
    {
      key: "URL",
      secret: true,
      description: "Postgres URL through Neon's connection pooler (postgresql://user:password@host/db?sslmode=require)",
    },
    { key: "URL_DIRECT", secret: true, description: "Postgres URL to the compute directly, for migrations and dumps" },
    { key: "HOST", secret: false, description: "pooled host name" },
    { key: "HOST_DIRECT", secret: false, description: "direct host name" },
    { key: "PORT", secret: false, description: "5432" },
    { key: "DATABASE", secret: false, description: "database name" },
    { key: "USER", secret: false, description: "login role" },
    { key: "PASSWORD", secret: true, description: "the login's password" },
  ],
  mongodb: [
    { key: "URL", secret: true, description: "mongodb+srv:// URL with credentials and the database" },
    { key: "HOST", secret: false, description: "the cluster's SRV host name" },
    { key: "DATABASE", secret: false, description: "database name" },
    { key: "USER", secret: false, description: "database user" },
    { key: "PASSWORD", secret: true, description: "the user's password" },
  ],
};

/** The bindings one service may reference: its databases', every endpoint's URL, FQDN, stack, OTLP. */
export function serviceBindings(
  app: Pick<AppDefinition, "endpoints">,
  service: Pick<AppService, "name" | "databases">,
): BindingDefinition[] {
  const out: BindingDefinition[] = [
    { name: `${PREFIX}STACK`, secret: false, description: "the Pulumi stack name, e.g. prod" },
    {
      name: `${PREFIX}FQDN`,
      secret: false,
      description: "the environment's DNS name, e.g. shop-prod.westeurope.cloudapp.azure.com",
    },
    { name: `${PREFIX}SERVICE`, secret: false, description: "this service's name" },
    {
      name: `${PREFIX}OTLP_ENDPOINT`,
      secret: false,
      description: "OTLP/HTTP endpoint of the environment's Grafana Cloud stack",
    },
    { name: `${PREFIX}OTLP_PROTOCOL`, secret: false, description: "http/protobuf" },
    {
      name: `${PREFIX}OTLP_HEADERS`,
      secret: true,
      description: "OTLP headers with the write token (Authorization=Basic ...)",
    },
  ];
  for (const endpoint of app.endpoints) {
    out.push({
      name: endpointBindingName(endpoint.name),
      secret: false,
      description: `public URL of endpoint ${endpoint.name}, e.g. https://<fqdn>:${endpoint.port}`,
    });
  }
  for (const db of service.databases) {
    for (const b of DATABASE_BINDINGS[db.kind]) {
      out.push({ name: databaseBindingName(db.kind, b.key), secret: b.secret, description: b.description });
    }
  }
  return out;
}

/** True for names in liftoff's reserved namespace (`LIFTOFF_...`): bindings, never the operator's own variables. */
export function isBindingName(name: string): boolean {
  return name.startsWith(PREFIX);
}
