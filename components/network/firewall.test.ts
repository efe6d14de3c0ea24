import { describe, expect, it } from "vitest";
import { DENY_ALL_PRIORITY, firewallRules, toAzureSecurityRule } from "./firewall";

const base = {
  publicPorts: [
    { service: "identity-service", port: 8443 },
    { service: "api-gateway", port: 443 },
  ],
  acmePort: 80,
  ssh: { port: 22, sources: ["203.0.113.7/32", "198.51.100.0/24"] },
};

describe("firewall rules", () => {
  it("allows SSH from the admin ranges only, the public endpoints and ACME from the internet, and denies the rest", () => {
    const rules = firewallRules(base);
    expect(rules.map((r) => [r.name, r.access, r.sources.join(" "), r.port])).toEqual([
      ["allow-ssh-admin", "Allow", "203.0.113.7/32 198.51.100.0/24", 22],
      ["allow-http-acme", "Allow", "Internet", 80],
      ["allow-https-api-gateway", "Allow", "Internet", 443],
      ["allow-https-identity-service", "Allow", "Internet", 8443],
      ["deny-all-inbound", "Deny", "*", "*"],
    ]);
  });

  it("gives unique priorities, allows before the final deny", () => {
    const rules = firewallRules(base);
    const priorities = rules.map((r) => r.priority);
    expect(new Set(priorities).size).toBe(rules.length);
    expect(priorities).toEqual([...priorities].sort((a, b) => a - b));
    expect(rules.at(-1)).toMatchObject({ access: "Deny", priority: DENY_ALL_PRIORITY, protocol: "*" });
    expect(priorities.every((p) => p >= 100 && p <= 4096)).toBe(true);
  });

  it("opens no SSH rule at all when no admin range is configured", () => {
    const rules = firewallRules({ ...base, ssh: { port: 22, sources: [] } });
    expect(rules.some((r) => r.port === 22)).toBe(false);
    expect(rules.filter((r) => r.access === "Allow").every((r) => r.port !== 22)).toBe(true);
  });

  it("never lets the internet reach the SSH port", () => {
    const rules = firewallRules(base);
    expect(
      rules.filter((r) => r.access === "Allow" && r.sources.includes("Internet")).map((r) => r.port),
    ).not.toContain(22);
  });

  it("renders single and multiple sources the way the Azure API wants them", () => {
    const [ssh, acme] = firewallRules(base).map(toAzureSecurityRule);
    expect(ssh).toMatchObject({
      direction: "Inbound",
      sourceAddressPrefixes: ["203.0.113.7/32", "198.51.100.0/24"],
      destinationPortRange: "22",
    });
    expect(ssh).not.toHaveProperty("sourceAddressPrefix");
    expect(acme).toMatchObject({ sourceAddressPrefix: "Internet", destinationPortRange: "80", protocol: "Tcp" });
  });
});
