/**
 * The liftoff program: `pulumi up` runs this module (Pulumi.yaml `main`), and so does the offline
 * plan. Layers run in order and data flows one way: spec → layers → deploy.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadEnvironment } from "../environments/load";
import { containerAppsStack } from "./containerapps";
import { vmStack } from "./vm";

// Validation first: a bad setting stops here, before any resource is declared.
const environment = loadEnvironment();
const { spec } = environment;

// The runtime (`liftoff:runtime`): one VM reached over SSH, or Azure Container Apps. Both have the
// same data, observability and delivery layers; only the one chosen is declared.
const vm = spec.runtime.kind === "vm" ? vmStack(spec, environment) : undefined;
const aca = spec.runtime.kind === "containerapps" ? containerAppsStack(spec, environment) : undefined;
const { data, observability, delivery } = (vm ?? aca)!;

export const runtime = spec.runtime.kind;
export const fqdn = vm?.foundation.network.fqdn;
export const publicIp = vm?.foundation.network.publicIpAddress;
export const sshUser = vm ? spec.host.adminUser : undefined;
export const deployUser = vm ? spec.host.deployUser : undefined;
export const sshCommand = vm ? pulumi.interpolate`ssh -p ${spec.network.sshPort} ${spec.host.adminUser}@${vm.foundation.network.fqdn}` : undefined;
/** Present only when liftoff generated the key pair: `pulumi stack output sshPrivateKey --show-secrets`. */
export const sshPrivateKey = vm?.foundation.sshPrivateKey;
/** Per public service, the URL it answers on. */
export const endpoints = aca
  ? aca.release.endpointHostnames.apply((hosts) => Object.fromEntries(spec.publicEndpoints.map((e) => [e.service, `https://${hosts[e.name]}`])))
  : Object.fromEntries(spec.publicEndpoints.map((e) => [e.service, e.url]));
export const vmName = vm?.host.vmName;
/** containerapps: where the apps are, for `npm run rollback -- <stack>`. */
export const resourceGroupName = aca?.resourceGroupName;
export const subscriptionId = aca?.platform.foundation.subscriptionId;
/** containerapps: the NAT gateway's address, the one Neon and Atlas let in. */
export const egressIp = aca?.platform.egressIp;
/** containerapps: the managed environment, its default domain and inbound address (custom domains' A records). */
export const containerAppsEnvironmentId = aca?.platform.managedEnvironmentId;
export const containerAppsDefaultDomain = aca?.platform.defaultDomain;
export const containerAppsStaticIp = aca?.platform.staticIp;
/** containerapps: per service, the revision serving 100 % after this `up`. */
export const liveRevisions = aca?.release.liveRevisions;
/** The environment's Grafana: dashboards, alerts, logs, traces. */
export const grafanaUrl = observability.grafanaUrl;
export const dashboards = observability.dashboardUrls;
/** For pointing a service on a laptop at this environment's stack; the headers are secret. */
export const otlpEndpoint = observability.otlp.endpoint;
export const otlpHeaders = observability.otlp.headers;
/** What each service runs, pinned by digest at this `pulumi up`. */
export const images = delivery.images;
/** The host collector's image, pinned the same way (with `images`, what a drift check pins to). */
export const collectorImage = vm ? delivery.collectorImage : undefined;
export const githubEnvironment = delivery.github ? pulumi.interpolate`${delivery.github.repository} (${delivery.github.environment})` : undefined;

/** Which database each service owns or shares (and whose), and as whom (no secrets). */
export const databases = spec.data.databases.length > 0
  ? Object.fromEntries(spec.data.databases.map((d) => [`${d.service}/${d.kind}`, { database: d.database, user: d.user, ...(d.sharedFrom ? { sharedFrom: d.sharedFrom } : {}) }]))
  : undefined;
export const neonProjectId = data.postgres?.projectId;
/** The branch the services use: what `npm run recreate` restores another stack from. */
export const neonBranchId = data.postgres?.branchId;
/** The Postgres compute the services use (the restore branch's during a recovery). */
export const neonHost = data.postgres?.host;
export const atlasProjectId = data.mongodb?.projectId;
export const atlasClusterName = data.mongodb?.clusterName;
/** The cluster's address without credentials, e.g. for mongosh from the host. */
export const atlasSrv = data.mongodb?.standardSrv;
/**
 * Each service's connection strings, for maintenance (secret):
 * `pulumi stack output databaseUrls --show-secrets`.
 */
export const databaseUrls = Object.keys(data.services).length > 0
  ? pulumi.secret(Object.fromEntries(Object.entries(data.services).map(([service, d]) => [service, {
    ...(d.postgres ? { postgres: d.postgres.uri, postgresPooled: d.postgres.pooledUri } : {}),
    ...(d.mongodb ? { mongodb: d.mongodb.uri } : {}),
  }])))
  : undefined;
/** The release the host runs: `liftoff-release status` on the host says the same. */
export const liveReleaseId = vm?.deploy.liveReleaseId;
/**
 * What that release runs, without its env files (which hold the secrets): compose.yaml,
 * accessories.yaml, Caddyfile, manifest.json. The plan diff shows changes to them line by line.
 */
export const releaseFiles = vm?.deploy.releaseFiles;
/**
 * Per service, the value of every binding its compose file may reference (`${LIFTOFF_...}`, see
 * docs/bindings.md); secret, as it holds the passwords: `pulumi stack output bindings --show-secrets`.
 */
export const bindings = vm?.deploy.bindings ?? aca?.bindings;
