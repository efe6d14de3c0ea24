import { Provider as AtlasProvider } from "@pulumi/mongodbatlas/provider";
import * as pulumi from "@pulumi/pulumi";
import { AtlasMongo, type MongoLogin } from "../components/atlas";
import { NeonPostgres, type PostgresLogin } from "../components/neon";
import type { Environment } from "../environments/load";
import type { EnvironmentSpec } from "../environments/spec";
import type { Foundation } from "./foundation";

/** One service's databases, as the deploy layer hands them to the service. Every URI is a secret. */
export interface ServiceDatabases {
  readonly postgres?: {
    readonly database: string;
    readonly role: string;
    /** Host, role, password and database (secret), for the service's bindings. */
    readonly login: pulumi.Output<PostgresLogin>;
    /** Through Neon's pooler: what the application uses. */
    readonly pooledUri: pulumi.Output<string>;
    /** Straight to the compute: migrations, dumps, session-level features. */
    readonly uri: pulumi.Output<string>;
  };
  readonly mongodb?: {
    readonly database: string;
    readonly username: string;
    /** SRV string, user, password and database (secret), for the service's bindings. */
    readonly login: pulumi.Output<MongoLogin>;
    readonly uri: pulumi.Output<string>;
  };
}

/**
 * What the data layer needs of the foundation: the one address the services connect from (the
 * host's public IP on `vm`, the NAT gateway's on `containerapps`).
 */
export interface DataFoundation {
  readonly network: Pick<Foundation["network"], "publicIpAddress">;
}

/** What the data layer gives the layers after it. */
export interface DataLayer {
  /** Per service that needs a database; services without one are absent. */
  readonly services: Readonly<Record<string, ServiceDatabases>>;
  readonly postgres?: NeonPostgres;
  readonly mongodb?: AtlasMongo;
}

/**
 * Neon Postgres and Atlas MongoDB for the services that need them. Atlas is reachable only from the
 * host's static IP; Neon too (plus the operators' SSH ranges) on the Scale plan, the one with IP
 * Allow. In prod the databases are protected and kept even if Pulumi deletes them.
 */
export function dataLayer(spec: EnvironmentSpec, foundation: DataFoundation, env: Pick<Environment, "secret">): DataLayer {
  const { data } = spec;
  const services: Record<string, { postgres?: ServiceDatabases["postgres"]; mongodb?: ServiceDatabases["mongodb"] }> = {};
  const entry = (service: string) => (services[service] ??= {});

  let postgres: NeonPostgres | undefined;
  if (data.postgres) {
    const claims = data.databases.filter((d) => d.kind === "postgres").map((d) => ({ service: d.service, database: d.database, role: d.user, ...(d.sharedFrom ? { sharedFrom: d.sharedFrom } : {}) }));
    postgres = new NeonPostgres("postgres", {
      projectName: data.postgres.projectName,
      region: data.postgres.region,
      pgVersion: data.postgres.pgVersion,
      historyRetentionSeconds: data.postgres.historyRetentionSeconds,
      ...(data.postgres.orgId ? { orgId: data.postgres.orgId } : {}),
      ...(data.postgres.restoreFrom ? { restoreFrom: data.postgres.restoreFrom } : {}),
      // The host, and the operators' admin ranges for maintenance; nobody else.
      ...(data.postgres.ipAllow ? { allowedIps: [foundation.network.publicIpAddress, ...spec.network.sshAllowedCidrs] } : {}),
      // Recovery into this stack: the branch lives in the source's project, whose IP Allow list (if it
      // restricts anything) must also let this host in; the source's owners keep the rest of it.
      ...(data.postgres.restoreSource ? { restoreSource: data.postgres.restoreSource, allowedIps: [foundation.network.publicIpAddress] } : {}),
      databases: claims,
      protect: spec.protect,
    });
    for (const [service, c] of Object.entries(postgres.connections)) {
      entry(service).postgres = { database: c.database, role: c.role, login: c.login, uri: c.uri, pooledUri: c.pooledUri };
    }
  }

  let mongodb: AtlasMongo | undefined;
  if (data.mongodb) {
    const m = data.mongodb;
    // Credentials are passed to an explicit provider so they come from liftoff's own (secret)
    // settings; absent only in the offline plan, which never calls Atlas.
    const credentials = m.credentials === "serviceAccount"
      ? { clientId: env.secret("atlasClientId"), clientSecret: env.secret("atlasClientSecret") }
      : { publicKey: env.secret("atlasPublicKey"), privateKey: env.secret("atlasPrivateKey") };
    const atlas = new AtlasProvider("atlas", Object.fromEntries(Object.entries(credentials).filter(([, v]) => v !== undefined)));
    mongodb = new AtlasMongo("mongodb", {
      orgId: m.orgId,
      projectName: m.projectName,
      clusterName: m.clusterName,
      region: m.region,
      instanceSize: m.instanceSize,
      ...(m.backup ? { backup: { pointInTimeRestore: m.pointInTimeRestore, snapshotRetentionDays: m.snapshotRetentionDays } } : {}),
      users: data.databases.filter((d) => d.kind === "mongodb").map((d) => ({ service: d.service, username: d.user, database: d.database, ...(d.sharedFrom ? { sharedFrom: d.sharedFrom } : {}) })),
      hostIp: foundation.network.publicIpAddress,
      tags: spec.tags,
      protect: spec.protect,
      ...(m.restoreSource ? { restoreSource: m.restoreSource } : {}),
    }, { providers: [atlas] });
    for (const [service, c] of Object.entries(mongodb.connections)) {
      entry(service).mongodb = { database: c.database, username: c.username, login: c.login, uri: c.uri };
    }
  }

  return { services, ...(postgres ? { postgres } : {}), ...(mongodb ? { mongodb } : {}) };
}
