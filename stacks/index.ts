/**
 * The liftoff program: `pulumi up` runs this module (Pulumi.yaml `main`), and so does the offline
 * plan. Layers run in order and data flows one way: spec → layers → deploy.
 */
import * as pulumi from "@pulumi/pulumi";
import { loadEnvironment } from "../environments/load";
import { foundationLayer } from "./foundation";
import { hostLayer } from "./host";

// Validation first: a bad setting stops here, before any resource is declared.
const { spec } = loadEnvironment();

const foundation = foundationLayer(spec);
const host = hostLayer(spec, foundation);
// Next layers plug in here, each taking the spec and the outputs above:
// data (Neon, Atlas; allow-listed to foundation.network.publicIpAddress), observability (Grafana
// Cloud), delivery (GHCR, image digests, GitHub environments), then deploy (the release on `host`).

export const fqdn = foundation.network.fqdn;
export const publicIp = foundation.network.publicIpAddress;
export const sshUser = spec.host.adminUser;
export const deployUser = spec.host.deployUser;
export const sshCommand = pulumi.interpolate`ssh -p ${spec.network.sshPort} ${spec.host.adminUser}@${foundation.network.fqdn}`;
/** Present only when liftoff generated the key pair: `pulumi stack output sshPrivateKey --show-secrets`. */
export const sshPrivateKey = foundation.sshPrivateKey;
export const endpoints = Object.fromEntries(spec.publicEndpoints.map((e) => [e.service, e.url]));
export const vmName = host.vmName;
