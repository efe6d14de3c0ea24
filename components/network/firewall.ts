/**
 * Firewall rules as data, derived from the environment's public endpoints and SSH sources, so the
 * NSG and the reverse proxy's listeners come from the same list and cannot disagree.
 */

export interface FirewallRule {
  readonly name: string;
  readonly priority: number;
  readonly access: "Allow" | "Deny";
  readonly protocol: "Tcp" | "*";
  /** Azure source prefixes: CIDRs, or the `Internet` service tag, or `*`. */
  readonly sources: readonly string[];
  /** A single port, or `*`. */
  readonly port: number | "*";
  readonly description: string;
}

export interface FirewallInput {
  readonly publicPorts: readonly { readonly service: string; readonly port: number }[];
  /** Port left open for ACME HTTP-01 challenges and the HTTP→HTTPS redirect. */
  readonly acmePort: number;
  readonly ssh: { readonly port: number; readonly sources: readonly string[] };
}

/** Lowest priority number Azure allows for a custom rule; rules are spaced by 10 from here. */
const FIRST_PRIORITY = 100;
/** Highest (last evaluated) priority for a custom rule; below Azure's own default rules at 65000. */
export const DENY_ALL_PRIORITY = 4096;

/**
 * Priorities reserved for rules that live outside Pulumi: the CI runner's temporary SSH window
 * (tools/ci/ssh-window.ts). They sit after every rule of ours and before the final deny, so a
 * window can only add an address and never shadow or reorder the firewall.
 */
export const SSH_WINDOW_PRIORITIES = { first: 4000, last: 4089 } as const;

/** The NSG's Azure name; the CI SSH window finds it by the same function. */
export function networkSecurityGroupName(namePrefix: string): string {
  return `${namePrefix}-nsg`;
}

/**
 * Inbound rules, in priority order: SSH from the admin ranges only (omitted when there are none),
 * the ACME port and every public endpoint from the internet, then an explicit deny of everything
 * else, so Azure's default allow of VNet and load-balancer traffic never applies.
 */
export function firewallRules(input: FirewallInput): FirewallRule[] {
  const allows: Omit<FirewallRule, "priority">[] = [];
  if (input.ssh.sources.length > 0) {
    allows.push({
      name: "allow-ssh-admin",
      access: "Allow",
      protocol: "Tcp",
      sources: [...input.ssh.sources],
      port: input.ssh.port,
      description: "SSH from the configured admin ranges only",
    });
  }
  allows.push({
    name: "allow-http-acme",
    access: "Allow",
    protocol: "Tcp",
    sources: ["Internet"],
    port: input.acmePort,
    description: "HTTP for certificate issuance (ACME HTTP-01) and the redirect to HTTPS",
  });
  for (const endpoint of [...input.publicPorts].sort((a, b) => a.port - b.port)) {
    allows.push({
      name: `allow-https-${endpoint.service}`,
      access: "Allow",
      protocol: "Tcp",
      sources: ["Internet"],
      port: endpoint.port,
      description: `HTTPS to ${endpoint.service}`,
    });
  }
  const rules = allows.map((rule, i) => ({ ...rule, priority: FIRST_PRIORITY + 10 * i }));
  const last = rules.at(-1);
  if (last && last.priority >= SSH_WINDOW_PRIORITIES.first) {
    throw new Error(
      `${rules.length} firewall rules reach priority ${last.priority}, into the band ${SSH_WINDOW_PRIORITIES.first}-${SSH_WINDOW_PRIORITIES.last} reserved for the CI SSH window: open fewer public endpoints`,
    );
  }
  rules.push({
    name: "deny-all-inbound",
    priority: DENY_ALL_PRIORITY,
    access: "Deny",
    protocol: "*",
    sources: ["*"],
    port: "*",
    description: "Everything not allowed above",
  });
  return rules;
}

/** The security rule Azure expects for one of our rules (inbound; a standalone SecurityRule's args less its NSG). */
export function toAzureSecurityRule(rule: FirewallRule) {
  const single = rule.sources.length === 1;
  return {
    name: rule.name,
    priority: rule.priority,
    direction: "Inbound" as const,
    access: rule.access,
    protocol: rule.protocol,
    description: rule.description,
    sourcePortRange: "*",
    ...(single ? { sourceAddressPrefix: rule.sources[0] } : { sourceAddressPrefixes: [...rule.sources] }),
    destinationAddressPrefix: "*",
    destinationPortRange: String(rule.port),
  };
}
