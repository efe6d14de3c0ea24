import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { Network } from "../components/network";
import type { EnvironmentSpec } from "../environments/spec";
import { resourceGroupName } from "./names";

export interface Foundation {
  readonly resourceGroupName: pulumi.Output<string>;
  readonly network: Network;
  /** The key the admin and deploy users log in with. */
  readonly sshPublicKey: pulumi.Output<string>;
  /** Only when liftoff generated the key pair (secret). */
  readonly sshPrivateKey?: pulumi.Output<string>;
}

/** Resource group, network edge and SSH identity: what the host and every later layer stand on. */
export function foundationLayer(spec: EnvironmentSpec): Foundation {
  const group = new resources.ResourceGroup("resource-group", {
    resourceGroupName: resourceGroupName(spec.namePrefix),
    location: spec.region,
    tags: { ...spec.tags },
  }, { protect: spec.protect });

  const network = new Network("network", {
    resourceGroupName: group.name,
    location: spec.region,
    namePrefix: spec.namePrefix,
    tags: spec.tags,
    addressSpace: spec.network.addressSpace,
    subnetPrefix: spec.network.subnetPrefix,
    dnsLabel: spec.host.dnsLabel,
    firewall: {
      publicPorts: spec.publicEndpoints,
      acmePort: spec.network.acmePort,
      ssh: { port: spec.network.sshPort, sources: spec.network.sshAllowedCidrs },
    },
    protectPublicIp: spec.protect,
  });

  if (spec.host.sshPublicKey) {
    return { resourceGroupName: group.name, network, sshPublicKey: pulumi.output(spec.host.sshPublicKey) };
  }
  // The private key lives in the (encrypted) stack state and is exported as a secret output.
  const key = new tls.PrivateKey("ssh-key", { algorithm: "ED25519" });
  return {
    resourceGroupName: group.name,
    network,
    sshPublicKey: key.publicKeyOpenssh,
    sshPrivateKey: pulumi.secret(key.privateKeyOpenssh),
  };
}
