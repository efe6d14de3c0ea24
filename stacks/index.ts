/**
 * The liftoff program. `pulumi up` runs it through the entry module Pulumi.yaml's `main` names
 * (index.ts, which reads the host facts from the process's environment), the offline plan calls it
 * with its own. Layers run in order and data flows one way: spec → layers → deploy.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadEnvironment } from "../environments/load";
import type { EvaluationMode } from "../environments/reader";
import { dataLayer } from "./data";
import { deployLayer } from "./deploy";
import { deliveryLayer } from "./delivery";
import { foundationLayer } from "./foundation";
import { hostLayer } from "./host";
import { observabilityLayer } from "./observability";

/** How and where the program is being evaluated: everything it learns from outside Pulumi's config. */
export interface ProgramContext {
  /** `up`: the Pulumi engine runs it (`pulumi up`, `pulumi preview`); `plan`: the offline plan, under mocks. */
  readonly mode: EvaluationMode;
  /**
   * The operator's SSH agent (SSH_AUTH_SOCK), which the deploy layer logs in with when liftoff did
   * not generate the key pair. Only whether there is one matters: the command provider finds it itself.
   */
  readonly sshAgentSocket?: string;
  /**
   * In a drift check (LIFTOFF_PINNED_IMAGES, set by .github/workflows/drift.yml), the image digests of
   * the last `pulumi up` as JSON, so the preview shows infrastructure drift only; unset: none.
   */
  readonly pinnedImages?: string;
}

/** Runs every layer for the stack and returns its outputs. */
export function liftoff(context: ProgramContext) {
  // Validation first: a bad setting stops here, before any resource is declared.
  const environment = loadEnvironment(context.mode);
  const { spec } = environment;

  // Each layer takes the environment and, by name, the layers it stands on, and returns a
  // read-only record of outputs.
  const foundation = foundationLayer(environment);
  const host = hostLayer(environment, { foundation });
  // Neon and Atlas; Atlas lets in only foundation.network.publicIpAddress. `data.services` is what the
  // deploy layer hands each service (secrets).
  const data = dataLayer(environment, { foundation });
  const observability = observabilityLayer(environment);
  const delivery = deliveryLayer(environment, { foundation, observability, pinnedImages: context.pinnedImages });
  // Last, the release of the application on the host: every service with its databases and OTLP
  // settings, images by digest, the collector beside them.
  const deploy = deployLayer(environment, { foundation, host, data, observability, delivery, sshAgentSocket: context.sshAgentSocket });

  return {
    fqdn: foundation.network.fqdn,
    publicIp: foundation.network.publicIpAddress,
    sshUser: spec.host.adminUser,
    deployUser: spec.host.deployUser,
    sshCommand: pulumi.interpolate`ssh -p ${spec.network.sshPort} ${spec.host.adminUser}@${foundation.network.fqdn}`,
    /** Present only when liftoff generated the key pair: `pulumi stack output sshPrivateKey --show-secrets`. */
    sshPrivateKey: foundation.sshPrivateKey,
    endpoints: Object.fromEntries(spec.publicEndpoints.map((e) => [e.service, e.url])),
    vmName: host.vmName,
    /** The environment's Grafana: dashboards, alerts, logs, traces. */
    grafanaUrl: observability.grafanaUrl,
    dashboards: observability.dashboardUrls,
    /** For pointing a service on a laptop at this environment's stack; the headers are secret. */
    otlpEndpoint: observability.otlp.endpoint,
    otlpHeaders: observability.otlp.headers,
    /** What each service runs, pinned by digest at this `pulumi up`. */
    images: delivery.images,
    /** The host collector's image, pinned the same way (with `images`, what a drift check pins to). */
    collectorImage: delivery.collectorImage,
    githubEnvironment: delivery.github ? pulumi.interpolate`${delivery.github.repository} (${delivery.github.environment})` : undefined,
    /** Which database each service owns or shares (and whose), and as whom (no secrets). */
    databases: spec.data.databases.length > 0
      ? Object.fromEntries(spec.data.databases.map((d) => [`${d.service}/${d.kind}`, { database: d.database, user: d.user, ...(d.sharedFrom ? { sharedFrom: d.sharedFrom } : {}) }]))
      : undefined,
    neonProjectId: data.postgres?.projectId,
    /** The branch the services use: what `npm run recreate` restores another stack from. */
    neonBranchId: data.postgres?.branchId,
    /** The Postgres compute the services use (the restore branch's during a recovery). */
    neonHost: data.postgres?.host,
    atlasProjectId: data.mongodb?.projectId,
    atlasClusterName: data.mongodb?.clusterName,
    /** The cluster's address without credentials, e.g. for mongosh from the host. */
    atlasSrv: data.mongodb?.standardSrv,
    /**
     * Each service's connection strings, for maintenance (secret):
     * `pulumi stack output databaseUrls --show-secrets`.
     */
    databaseUrls: Object.keys(data.services).length > 0
      ? pulumi.secret(Object.fromEntries(Object.entries(data.services).map(([service, d]) => [service, {
        ...(d.postgres ? { postgres: d.postgres.uri, postgresPooled: d.postgres.pooledUri } : {}),
        ...(d.mongodb ? { mongodb: d.mongodb.uri } : {}),
      }])))
      : undefined,
    /** The release the host runs: `liftoff-release status` on the host says the same. */
    liveReleaseId: deploy.liveReleaseId,
    /**
     * What that release runs, without its env files (which hold the secrets): compose.yaml,
     * accessories.yaml, Caddyfile, manifest.json. The plan diff shows changes to them line by line.
     */
    releaseFiles: deploy.releaseFiles,
    /**
     * Per service, the value of every binding its compose file may reference (`${LIFTOFF_...}`, see
     * docs/bindings.md); secret, as it holds the passwords: `pulumi stack output bindings --show-secrets`.
     */
    bindings: deploy.bindings,
  };
}
