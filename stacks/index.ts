/**
 * The liftoff program. `pulumi up` runs it through the entry module Pulumi.yaml's `main` names
 * (index.ts, which reads the host facts from the process's environment), the offline plan calls it
 * with its own. Layers run in order and data flows one way: spec → layers → deploy.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadEnvironment } from "../environments/load";
import type { EvaluationMode } from "../environments/reader";
import { containerAppsStack } from "./containerapps";
import { vmStack } from "./vm";

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

/** Runs every layer of the stack's runtime and returns its outputs. */
export function liftoff(context: ProgramContext) {
  // Validation first: a bad setting stops here, before any resource is declared.
  const environment = loadEnvironment(context.mode);
  const { spec } = environment;

  // The runtime (`liftoff:runtime`): one VM reached over SSH, or Azure Container Apps. Both have the
  // same data, observability and delivery layers; only the one chosen is declared.
  const vm = spec.runtime.kind === "vm" ? vmStack(environment, context) : undefined;
  const aca = spec.runtime.kind === "containerapps" ? containerAppsStack(environment, context) : undefined;
  const { data, observability, delivery } = (vm ?? aca)!;

  return {
    runtime: spec.runtime.kind,
    fqdn: vm?.foundation.network.fqdn,
    publicIp: vm?.foundation.network.publicIpAddress,
    sshUser: vm ? spec.host.adminUser : undefined,
    deployUser: vm ? spec.host.deployUser : undefined,
    sshCommand: vm
      ? pulumi.interpolate`ssh -p ${spec.network.sshPort} ${spec.host.adminUser}@${vm.foundation.network.fqdn}`
      : undefined,
    /** Present only when liftoff generated the key pair: `pulumi stack output sshPrivateKey --show-secrets`. */
    sshPrivateKey: vm?.foundation.sshPrivateKey,
    /** Per public service, the URL it answers on. */
    endpoints: aca
      ? aca.release.endpointHostnames.apply((hosts) =>
          Object.fromEntries(spec.publicEndpoints.map((e) => [e.service, `https://${hosts[e.name]}`])),
        )
      : Object.fromEntries(spec.publicEndpoints.map((e) => [e.service, e.url])),
    vmName: vm?.host.vmName,
    /** containerapps: where the apps are, for `npm run rollback -- <stack>`. */
    resourceGroupName: aca?.resourceGroupName,
    subscriptionId: aca?.platform.foundation.subscriptionId,
    /** containerapps: the NAT gateway's address, the one Neon and Atlas let in. */
    egressIp: aca?.platform.egressIp,
    /** containerapps: the managed environment, its default domain and inbound address (custom domains' A records). */
    containerAppsEnvironmentId: aca?.platform.managedEnvironmentId,
    containerAppsDefaultDomain: aca?.platform.defaultDomain,
    containerAppsStaticIp: aca?.platform.staticIp,
    /** containerapps: per service, the revision serving 100 % after this `up`. */
    liveRevisions: aca?.release.liveRevisions,
    /** The environment's Grafana: dashboards, alerts, logs, traces. */
    grafanaUrl: observability.grafanaUrl,
    dashboards: observability.dashboardUrls,
    /** For pointing a service on a laptop at this environment's stack; the headers are secret. */
    otlpEndpoint: observability.otlp.endpoint,
    otlpHeaders: observability.otlp.headers,
    /** What each service runs, pinned by digest at this `pulumi up`. */
    images: delivery.images,
    /** The host collector's image, pinned the same way (with `images`, what a drift check pins to). */
    collectorImage: vm ? delivery.collectorImage : undefined,
    githubEnvironment: delivery.github
      ? pulumi.interpolate`${delivery.github.repository} (${delivery.github.environment})`
      : undefined,

    /** Which database each service owns or shares (and whose), and as whom (no secrets). */
    databases:
      spec.data.databases.length > 0
        ? Object.fromEntries(
            spec.data.databases.map((d) => [
              `${d.service}/${d.kind}`,
              { database: d.database, user: d.user, ...(d.sharedFrom ? { sharedFrom: d.sharedFrom } : {}) },
            ]),
          )
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
    databaseUrls:
      Object.keys(data.services).length > 0
        ? pulumi.secret(
            Object.fromEntries(
              Object.entries(data.services).map(([service, d]) => [
                service,
                {
                  ...(d.postgres ? { postgres: d.postgres.uri, postgresPooled: d.postgres.pooledUri } : {}),
                  ...(d.mongodb ? { mongodb: d.mongodb.uri } : {}),
                },
              ]),
            ),
          )
        : undefined,
    /** The release the host runs: `liftoff-release status` on the host says the same. */
    liveReleaseId: vm?.deploy.liveReleaseId,
    /**
     * What that release runs, without its env files (which hold the secrets): compose.yaml,
     * accessories.yaml, Caddyfile, manifest.json. The plan diff shows changes to them line by line.
     */
    releaseFiles: vm?.deploy.releaseFiles,
    /**
     * Per service, the value of every binding its compose file may reference (`${LIFTOFF_...}`, see
     * docs/bindings.md); secret, as it holds the passwords: `pulumi stack output bindings --show-secrets`.
     */
    bindings: vm?.deploy.bindings ?? aca?.bindings,
  };
}
