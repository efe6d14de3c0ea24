import { describe, expect, it } from "vitest";
import { byType, input, one, runComponent } from "../../test/harness";
import { Network, SSH_WINDOW_PRIORITIES } from ".";

function declare(protectPublicIp?: boolean) {
  return runComponent(() => {
    const net = new Network("network", {
      resourceGroupName: "rg-test",
      location: "westeurope",
      namePrefix: "liftoff-test",
      tags: { environment: "test" },
      addressSpace: "10.42.0.0/16",
      subnetPrefix: "10.42.1.0/24",
      dnsLabel: "acme-test",
      firewall: {
        publicPorts: [{ service: "api-gateway", port: 443 }],
        acmePort: 80,
        ssh: { port: 22, sources: ["203.0.113.7/32"] },
      },
      ...(protectPublicIp === undefined ? {} : { protectPublicIp }),
    });
    return { fqdn: net.fqdn, ip: net.publicIpAddress, subnetId: net.subnetId };
  });
}

describe("Network component", () => {
  it("declares VNet, subnet, NSG and public IP under one component", async () => {
    const plan = await declare();
    expect(plan.error).toBeUndefined();
    const component = one(plan, "liftoff:network:Network");
    for (const type of ["VirtualNetwork", "Subnet", "NetworkSecurityGroup", "PublicIPAddress"]) {
      expect(one(plan, `azure-native:network:${type}`).parent).toBe(component.urn);
    }
  });

  it("puts the NSG on the hosts' subnet, with no implicit outbound path", async () => {
    const plan = await declare();
    const nsg = one(plan, "azure-native:network:NetworkSecurityGroup");
    const subnet = one(plan, "azure-native:network:Subnet");
    expect(input(subnet, "networkSecurityGroup.id")).toBe(nsg.id);
    expect(input(subnet, "addressPrefix")).toBe("10.42.1.0/24");
    expect(input(subnet, "defaultOutboundAccess")).toBe(false);
  });

  it("declares every firewall rule as its own SecurityRule on the NSG, in priority order, ending in an explicit deny", async () => {
    const plan = await declare();
    const nsg = one(plan, "azure-native:network:NetworkSecurityGroup");
    // Inline rules would make azure-native delete any rule added outside Pulumi (the CI SSH window).
    expect(nsg.inputs).not.toHaveProperty("securityRules");
    const rules = byType(plan, "azure-native:network:SecurityRule");
    expect(rules.map((r) => r.inputs["securityRuleName"])).toEqual([
      "allow-ssh-admin",
      "allow-http-acme",
      "allow-https-api-gateway",
      "deny-all-inbound",
    ]);
    for (const rule of rules) {
      expect(rule.inputs).toMatchObject({
        networkSecurityGroupName: "liftoff-test-nsg",
        resourceGroupName: "rg-test",
        direction: "Inbound",
      });
      expect(rule.inputs).not.toHaveProperty("name");
    }
    expect(rules[0]!.inputs).toMatchObject({
      sourceAddressPrefix: "203.0.113.7/32",
      destinationPortRange: "22",
      access: "Allow",
    });
    expect(rules.at(-1)!.inputs).toMatchObject({
      access: "Deny",
      sourceAddressPrefix: "*",
      destinationPortRange: "*",
      protocol: "*",
    });
    const priorities = rules.map((r) => r.inputs["priority"] as number);
    expect(priorities.every((p) => p < SSH_WINDOW_PRIORITIES.first || p > SSH_WINDOW_PRIORITIES.last)).toBe(true);
  });

  it("attaches the NSG to the subnet only after the last security rule, so no two writes to the NSG run at once", async () => {
    const plan = await declare();
    const rules = byType(plan, "azure-native:network:SecurityRule");
    const subnet = one(plan, "azure-native:network:Subnet");
    expect(subnet.dependencies).toContain(rules.at(-1)!.urn);
    // ... and the rules are a chain: each waits for the one before it.
    rules.slice(1).forEach((rule, i) => expect(rule.dependencies, rule.name).toContain(rules[i]!.urn));
    // Nothing else writes to the NSG: the rules and the subnet are all that reference it.
    const nsg = one(plan, "azure-native:network:NetworkSecurityGroup");
    const writers = plan.resources
      .filter((r) => r.dependencies.includes(nsg.urn))
      .map((r) => r.type)
      .sort();
    expect(writers).toEqual([...rules.map((r) => r.type), subnet.type].sort());
  });

  it("gives a Standard static public IP with the DNS label and outputs its FQDN", async () => {
    const plan = await declare();
    const ip = one(plan, "azure-native:network:PublicIPAddress");
    expect(ip.inputs).toMatchObject({
      sku: { name: "Standard" },
      publicIPAllocationMethod: "Static",
      dnsSettings: { domainNameLabel: "acme-test" },
    });
    expect(plan.outputs["fqdn"]!.value).toBe("acme-test.westeurope.cloudapp.azure.com");
    expect(ip.options.protect).toBe(false);
  });

  it("protects the public IP when asked", async () => {
    expect(one(await declare(true), "azure-native:network:PublicIPAddress").options.protect).toBe(true);
  });
});
