import { describe, expect, it } from "vitest";
import { input, one, runComponent } from "../../test/harness";
import { Network } from ".";

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
      firewall: { publicPorts: [{ service: "api-gateway", port: 443 }], acmePort: 80, ssh: { port: 22, sources: ["203.0.113.7/32"] } },
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

  it("holds the whole firewall inline in the NSG, ending in an explicit deny", async () => {
    const rules = input(one(await declare(), "azure-native:network:NetworkSecurityGroup"), "securityRules") as Record<string, unknown>[];
    expect(rules.map((r) => r["name"])).toEqual(["allow-ssh-admin", "allow-http-acme", "allow-https-api-gateway", "deny-all-inbound"]);
    expect(rules[0]).toMatchObject({ sourceAddressPrefix: "203.0.113.7/32", destinationPortRange: "22", access: "Allow" });
    expect(rules.at(-1)).toMatchObject({ access: "Deny", sourceAddressPrefix: "*", destinationPortRange: "*", protocol: "*" });
  });

  it("gives a Standard static public IP with the DNS label and outputs its FQDN", async () => {
    const plan = await declare();
    const ip = one(plan, "azure-native:network:PublicIPAddress");
    expect(ip.inputs).toMatchObject({ sku: { name: "Standard" }, publicIPAllocationMethod: "Static", dnsSettings: { domainNameLabel: "acme-test" } });
    expect(plan.outputs["fqdn"]!.value).toBe("acme-test.westeurope.cloudapp.azure.com");
    expect(ip.options.protect).toBe(false);
  });

  it("protects the public IP when asked", async () => {
    expect(one(await declare(true), "azure-native:network:PublicIPAddress").options.protect).toBe(true);
  });
});
