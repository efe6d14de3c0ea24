import { Provider as AtlasProvider } from "@pulumi/mongodbatlas/provider";
import * as pulumi from "@pulumi/pulumi";
import { AtlasMongo, type MongoLogin } from "../components/atlas";
import { NeonPostgres, type PostgresLogin } from "../components/neon";
import type { Environment } from "../environments/load";
import type { FoundationLayer } from "./foundation";
import { stackSecret } from "./secrets";

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
  readonly network: Pick<FoundationLayer["network"], "publicIpAddress">;
}

/** What the data layer gives the layers after it. */
export interface DataLayer {
  /** Per service that needs a database; services without one are absent. */
  readonly services: Readonly<Record<string, ServiceDatabases>>;
  readonly postgres?: {
    readonly projectId: pulumi.Output<string>;
    /** The branch the services use: what `npm run recreate` restores another stack from. */
    readonly branchId: pulumi.Output<string>;
    /** The compute the services use (the restore branch's during a recovery). */
    readonly host: pulumi.Output<string>;
  };
  readonly mongodb?: {
    readonly projectId: pulumi.Output<string>;
    readonly clusterName: pulumi.Output<string>;
    /** The cluster's address without credentials. */
    readonly standardSrv: pulumi.Output<string>;
  };
}

/**
 * Neon Postgres and Atlas MongoDB for the services that need them. Atlas is reachable only from the
 * host's static IP; Neon too (plus the operators' SSH ranges) on the Scale plan, the one with IP
 * Allow. In prod the databases are protected and kept even if Pulumi deletes them.
 */
export function dataLayer(
  environment: Environment,
  { foundation }: { readonly foundation: DataFoundation },
): DataLayer {
  const { spec } = environment;
  const { data } = spec;
  const services: Record<string, { postgres?: ServiceDatabases["postgres"]; mongodb?: ServiceDatabases["mongodb"] }> =
    {};
  const entry = (service: string) => (services[service] ??= {});

  let postgres: DataLayer["postgres"];
  if (data.postgres) {
    const claims = data.databases
      .filter((d) => d.kind === "postgres")
      .map((d) => ({
        service: d.service,
        database: d.database,
        role: d.user,
        ...(d.sharedFrom ? { sharedFrom: d.sharedFrom } : {}),
      }));
    const neon = new NeonPostgres("postgres", {
      projectName: data.postgres.projectName,
      region: data.postgres.region,
      pgVersion: data.postgres.pgVersion,
      historyRetentionSeconds: data.postgres.historyRetentionSeconds,
      ...(data.postgres.orgId ? { orgId: data.postgres.orgId } : {}),
      ...(data.postgres.restoreFrom ? { restoreFrom: data.postgres.restoreFrom } : {}),
      // The host, and the operators' admin ranges for maintenance; nobody else.
      ...(data.postgres.ipAllow
        ? { allowedIps: [foundation.network.publicIpAddress, ...spec.network.sshAllowedCidrs] }
        : {}),
      // Recovery into this stack: the branch lives in the source's project, whose IP Allow list (if it
      // restricts anything) must also let this host in; the source's owners keep the rest of it.
      ...(data.postgres.restoreSource
        ? { restoreSource: data.postgres.restoreSource, allowedIps: [foundation.network.publicIpAddress] }
        : {}),
      databases: claims,
      protect: spec.protect,
    });
    for (const [service, c] of Object.entries(neon.connections)) {
      entry(service).postgres = {
        database: c.database,
        role: c.role,
        login: c.login,
        uri: c.uri,
        pooledUri: c.pooledUri,
      };
    }
    postgres = { projectId: neon.projectId, branchId: neon.branchId, host: neon.host };
  }

  let mongodb: DataLayer["mongodb"];
  if (data.mongodb) {
    const m = data.mongodb;
    // Credentials are passed to an explicit provider so they come from liftoff's own (secret)
    // settings; placeholders only in the offline plan, which never calls Atlas.
    const credentials =
      m.credentials === "serviceAccount"
        ? {
            clientId: stackSecret(environment, "atlasClientId"),
            clientSecret: stackSecret(environment, "atlasClientSecret"),
          }
        : {
            publicKey: stackSecret(environment, "atlasPublicKey"),
            privateKey: stackSecret(environment, "atlasPrivateKey"),
          };
    const atlas = new AtlasProvider("atlas", credentials);
    const cluster = new AtlasMongo(
      "mongodb",
      {
        orgId: m.orgId,
        projectName: m.projectName,
        clusterName: m.clusterName,
        region: m.region,
        instanceSize: m.instanceSize,
        ...(m.backup
          ? { backup: { pointInTimeRestore: m.pointInTimeRestore, snapshotRetentionDays: m.snapshotRetentionDays } }
          : {}),
        users: data.databases
          .filter((d) => d.kind === "mongodb")
          .map((d) => ({
            service: d.service,
            username: d.user,
            database: d.database,
            ...(d.sharedFrom ? { sharedFrom: d.sharedFrom } : {}),
          })),
        hostIp: foundation.network.publicIpAddress,
        tags: spec.tags,
        protect: spec.protect,
        ...(m.restoreSource ? { restoreSource: m.restoreSource } : {}),
      },
      { providers: [atlas] },
    );
    for (const [service, c] of Object.entries(cluster.connections)) {
      entry(service).mongodb = { database: c.database, username: c.username, login: c.login, uri: c.uri };
    }
    mongodb = { projectId: cluster.projectId, clusterName: cluster.clusterName, standardSrv: cluster.standardSrv };
  }

  return { services, ...(postgres ? { postgres } : {}), ...(mongodb ? { mongodb } : {}) };
}
