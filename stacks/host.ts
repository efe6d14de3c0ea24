import { Host } from "../components/host";
import type { EnvironmentSpec } from "../environments/spec";
import type { Foundation } from "./foundation";

/** Where the deploy layer keeps releases, the proxy file and the agent's state on the host. */
export const RELEASE_ROOT = "/srv/liftoff";

/** The VM and its cloud-init, on the foundation's subnet and public IP. */
export function hostLayer(spec: EnvironmentSpec, foundation: Foundation): Host {
  return new Host("host", {
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
}
