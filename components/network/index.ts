import * as network from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";
import { firewallRules, networkSecurityGroupName, toAzureSecurityRule, type FirewallInput } from "./firewall";

export {
  firewallRules,
  networkSecurityGroupName,
  toAzureSecurityRule,
  DENY_ALL_PRIORITY,
  SSH_WINDOW_PRIORITIES,
  type FirewallRule,
  type FirewallInput,
} from "./firewall";

export interface NetworkArgs {
  readonly resourceGroupName: pulumi.Input<string>;
  readonly location: string;
  /** Prefix of every Azure resource name, e.g. `liftoff-prod`. */
  readonly namePrefix: string;
  readonly tags: Readonly<Record<string, string>>;
  /** VNet address space, e.g. `10.42.0.0/16`. */
  readonly addressSpace: string;
  /** The hosts' subnet, inside the address space. */
  readonly subnetPrefix: string;
  /** What the firewall lets in; everything else is denied. */
  readonly firewall: FirewallInput;
  /** DNS label of the public IP: `<label>.<location>.cloudapp.azure.com`. */
  readonly dnsLabel: string;
  /**
   * Protect the public IP from deletion (default false). Its address is what DNS records and the
   * database allow-lists point at, so losing it breaks more than the host.
   */
  readonly protectPublicIp?: boolean;
}

/**
 * The environment's network edge: VNet and subnet, the network security group (the firewall),
 * and a Standard static public IP with a DNS name.
 */
export class Network extends pulumi.ComponentResource {
  public readonly subnetId: pulumi.Output<string>;
  public readonly networkSecurityGroupId: pulumi.Output<string>;
  public readonly publicIpId: pulumi.Output<string>;
  public readonly publicIpAddress: pulumi.Output<string>;
  public readonly fqdn: pulumi.Output<string>;

  constructor(name: string, args: NetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("liftoff:network:Network", name, {}, opts);
    const child = { parent: this };
    const common = { resourceGroupName: args.resourceGroupName, location: args.location, tags: { ...args.tags } };

    // No inline `securityRules`: each rule is its own SecurityRule resource. azure-native keeps the
    // rules it finds when the NSG has none inline (pulumi-azure-native#1087), so a rule added outside
    // Pulumi (the CI runner's temporary SSH window) is neither dropped by an NSG update nor reported
    // as drift by a refresh; the two styles must never be mixed (they delete each other's rules).
    const nsg = new network.NetworkSecurityGroup(
      `${name}-nsg`,
      {
        ...common,
        networkSecurityGroupName: networkSecurityGroupName(args.namePrefix),
      },
      child,
    );

    // One after the other, in priority order: Azure serialises writes to an NSG, and parallel rule
    // writes fail with AnotherOperationInProgress.
    let previous: network.SecurityRule | undefined;
    for (const rule of firewallRules(args.firewall)) {
      const { name: securityRuleName, ...properties } = toAzureSecurityRule(rule);
      previous = new network.SecurityRule(
        `${name}-rule-${securityRuleName}`,
        {
          resourceGroupName: args.resourceGroupName,
          networkSecurityGroupName: nsg.name,
          securityRuleName,
          ...properties,
        },
        { ...child, ...(previous ? { dependsOn: [previous] } : {}) },
      );
    }

    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        ...common,
        virtualNetworkName: `${args.namePrefix}-vnet`,
        addressSpace: { addressPrefixes: [args.addressSpace] },
      },
      child,
    );

    const subnet = new network.Subnet(
      `${name}-subnet`,
      {
        resourceGroupName: args.resourceGroupName,
        virtualNetworkName: vnet.name,
        subnetName: "hosts",
        addressPrefix: args.subnetPrefix,
        networkSecurityGroup: { id: nsg.id },
        // No implicit outbound path: the host reaches out through its own public IP only.
        defaultOutboundAccess: false,
      },
      {
        ...child,
        // Attaching the NSG to the subnet is a write to the NSG too: after the last rule, so it never
        // runs beside a rule write and fails with 409 AnotherOperationInProgress (the azurerm provider
        // takes a lock on the NSG's name around both for the same reason).
        ...(previous ? { dependsOn: [previous] } : {}),
      },
    );

    const publicIp = new network.PublicIPAddress(
      `${name}-ip`,
      {
        ...common,
        publicIpAddressName: `${args.namePrefix}-ip`,
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
        dnsSettings: { domainNameLabel: args.dnsLabel },
        idleTimeoutInMinutes: 4,
      },
      { ...child, protect: args.protectPublicIp ?? false },
    );

    this.subnetId = subnet.id;
    this.networkSecurityGroupId = nsg.id;
    this.publicIpId = publicIp.id;
    this.publicIpAddress = publicIp.ipAddress.apply((ip) => ip ?? "");
    this.fqdn = publicIp.dnsSettings.apply((d) => d?.fqdn ?? "");
    this.registerOutputs({
      subnetId: this.subnetId,
      networkSecurityGroupId: this.networkSecurityGroupId,
      publicIpId: this.publicIpId,
      publicIpAddress: this.publicIpAddress,
      fqdn: this.fqdn,
    });
  }
}
