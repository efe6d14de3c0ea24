import type * as pulumi from "@pulumi/pulumi";
import { Host } from "../components/host";
import type { Environment } from "../environments/load";
import type { FoundationLayer } from "./foundation";

/** Where the deploy layer keeps releases, the proxy file and the agent's state on the host. */
export const RELEASE_ROOT = "/srv/liftoff";

/** What the host layer hands the layers after it. */
export interface HostLayer {
  readonly vmName: pulumi.Output<string>;
  /** The VM's per-instance id: it changes when the VM is replaced, unlike its ARM id. */
  readonly vmId: pulumi.Output<string>;
}

/** The VM and its cloud-init, on the foundation's subnet and public IP. */
export function hostLayer(
  environment: Environment,
  { foundation }: { readonly foundation: FoundationLayer },
): HostLayer {
  const { spec } = environment;
  const host = new Host("host", {
    resourceGroupName: foundation.resourceGroupName,
    location: spec.region,
    namePrefix: spec.namePrefix,
    tags: spec.tags,
    subnetId: foundation.network.subnetId,
    publicIpId: foundation.network.publicIpId,
    vmSize: spec.host.vmSize,
    osDisk: spec.host.osDisk,
    adminUser: spec.host.adminUser,
    sshPublicKey: foundation.sshPublicKey,
    cloudInit: {
      deployUser: spec.host.deployUser,
      deployAuthorizedKeys: [foundation.sshPublicKey],
      sshPort: spec.network.sshPort,
      releaseRoot: RELEASE_ROOT,
    },
    ...(spec.host.autoShutdown ? { autoShutdown: spec.host.autoShutdown } : {}),
    protect: spec.protect,
  });
  return { vmName: host.vmName, vmId: host.vmId };
}
