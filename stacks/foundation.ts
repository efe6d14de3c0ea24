import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";
import { Network } from "../components/network";
import type { Environment } from "../environments/load";
import { resourceGroupName } from "./names";

/** What the foundation hands the layers after it. */
export interface FoundationLayer {
  readonly resourceGroupName: pulumi.Output<string>;
  readonly network: {
    readonly subnetId: pulumi.Output<string>;
    readonly publicIpId: pulumi.Output<string>;
    /** The host's static public IP: what the databases let in. */
    readonly publicIpAddress: pulumi.Output<string>;
    /** `<dnsLabel>.<region>.cloudapp.azure.com`. */
    readonly fqdn: pulumi.Output<string>;
  };
  /** The key the admin and deploy users log in with. */
  readonly sshPublicKey: pulumi.Output<string>;
  /** Only when liftoff generated the key pair (secret). */
  readonly sshPrivateKey?: pulumi.Output<string>;
}

/** Resource group, network edge and SSH identity: what the host and every later layer stand on. */
export function foundationLayer(environment: Environment): FoundationLayer {
  const { spec } = environment;
  const group = new resources.ResourceGroup(
    "resource-group",
    {
      resourceGroupName: resourceGroupName(spec.namePrefix),
      location: spec.region,
      tags: { ...spec.tags },
    },
    { protect: spec.protect },
  );

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
  const edge = {
    resourceGroupName: group.name,
    network: {
      subnetId: network.subnetId,
      publicIpId: network.publicIpId,
      publicIpAddress: network.publicIpAddress,
      fqdn: network.fqdn,
    },
  };

  if (spec.host.sshPublicKey) return { ...edge, sshPublicKey: pulumi.output(spec.host.sshPublicKey) };
  // The private key lives in the (encrypted) stack state and is exported as a secret output.
  const key = new tls.PrivateKey("ssh-key", { algorithm: "ED25519" });
  return { ...edge, sshPublicKey: key.publicKeyOpenssh, sshPrivateKey: pulumi.secret(key.privateKeyOpenssh) };
}
