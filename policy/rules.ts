/**
 * The policies' logic: pure functions over plain data (a resource's type, properties and options,
 * and the stack's facts), each returning the violation messages for one resource. The pack
 * (pack.ts) only converts what the policy runtime hands it into this data.
 *
 * Messages name resources, rules, ports and settings, never a property's value that could be secret.
 */
import { INTERNET_SOURCES, MIN_SSH_PREFIX } from "../environments/network-address";
import { MIN_PROD_RESTORE_WINDOW_HOURS } from "../environments/prod-safety";
import type { StackFacts } from "./facts";

/** A value the engine cannot know yet (preview): a rule that needs it says nothing until `up`. */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");

export interface ResourceData {
  readonly type: string;
  readonly name: string;
  readonly props: Readonly<Record<string, unknown>>;
  readonly protect: boolean;
  readonly additionalSecretOutputs: readonly string[];
}

export type Rule = (resource: ResourceData, facts: StackFacts) => string[];

// ---------------------------------------------------------------------------------------------
// Network security groups: inline `securityRules` of an NSG, or standalone SecurityRule resources.

export const NSG_TYPE = "azure-native:network:NetworkSecurityGroup";
export const SECURITY_RULE_TYPE = "azure-native:network:SecurityRule";

interface InboundAllow {
  readonly label: string;
  readonly sources: readonly string[];
  readonly ports: readonly string[];
  readonly protocol: string;
}

/** Sources meaning "anyone": Azure's wildcard and service tags, and any range wider than /8. */
export function isInternetSource(prefix: string): boolean {
  const p = prefix.trim().toLowerCase();
  if (INTERNET_SOURCES.has(p)) return true;
  const cidr = /^[0-9a-f.:]+\/(\d{1,3})$/.exec(p);
  // Liftoff's validation allows SSH sources of MIN_SSH_PREFIX or narrower; anything wider is the internet.
  return cidr !== null && Number(cidr[1]) < MIN_SSH_PREFIX;
}

/** True when an Azure port range (`*`, `22`, `8000-8100`) includes the port. */
export function rangeCovers(range: string, port: number): boolean {
  const r = range.trim();
  if (r === "*") return true;
  const span = /^(\d+)\s*-\s*(\d+)$/.exec(r);
  if (span) return Number(span[1]) <= port && port <= Number(span[2]);
  return /^\d+$/.test(r) && Number(r) === port;
}

/** Ports in the range that are not in `allowed`; `*` or a huge range is reported as the range itself. */
export function portsOutside(range: string, allowed: readonly number[]): string[] {
  const r = range.trim();
  if (r === "*") return ["* (every port)"];
  const span = /^(\d+)\s*-\s*(\d+)$/.exec(r);
  const [lo, hi] = span ? [Number(span[1]), Number(span[2])] : /^\d+$/.test(r) ? [Number(r), Number(r)] : [NaN, NaN];
  if (Number.isNaN(lo) || Number.isNaN(hi)) return [`${r} (not a port range)`];
  const outside: number[] = [];
  for (let port = lo; port <= hi && outside.length <= 10; port++) if (!allowed.includes(port)) outside.push(port);
  if (outside.length === 0) return [];
  return outside.length > 10 || hi - lo > 10 ? [`${lo}-${hi}`] : outside.map(String);
}

const strings = (value: unknown): string[] => {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === "string");
  return [];
};

/** One Azure security rule's fields, inline or standalone, as an inbound allow (or undefined). */
function inboundAllow(rule: Readonly<Record<string, unknown>>, label: string): InboundAllow | undefined {
  const access = rule["access"];
  const direction = rule["direction"];
  // Unknown in preview: judged at `up`, when the engine analyzes the resolved inputs again.
  if (access === UNKNOWN || direction === UNKNOWN) return undefined;
  if (typeof access !== "string" || access.toLowerCase() !== "allow") return undefined;
  // Azure requires a direction; a rule without one is treated as inbound, the dangerous reading.
  if (typeof direction === "string" && direction.toLowerCase() !== "inbound") return undefined;
  return {
    label,
    sources: [...strings(rule["sourceAddressPrefix"]), ...strings(rule["sourceAddressPrefixes"])],
    ports: [...strings(rule["destinationPortRange"]), ...strings(rule["destinationPortRanges"])],
    protocol: typeof rule["protocol"] === "string" ? rule["protocol"] : "*",
  };
}

/** Every inbound allow rule a resource declares: an NSG's inline rules or a standalone rule. */
export function inboundAllows(resource: ResourceData): InboundAllow[] {
  if (resource.type === SECURITY_RULE_TYPE) {
    const label = `rule ${String(resource.props["name"] ?? resource.props["securityRuleName"] ?? resource.name)}`;
    const allow = inboundAllow(resource.props, label);
    return allow ? [allow] : [];
  }
  if (resource.type !== NSG_TYPE) return [];
  const rules = resource.props["securityRules"];
  if (!Array.isArray(rules)) return [];
  return rules.flatMap((rule, i) => {
    if (rule === null || typeof rule !== "object") return [];
    const r = rule as Record<string, unknown>;
    const allow = inboundAllow(r, `rule ${typeof r["name"] === "string" ? r["name"] : `#${i}`}`);
    return allow ? [allow] : [];
  });
}

const fromInternet = (allow: InboundAllow) => allow.sources.filter(isInternetSource);
const carriesTcp = (protocol: string) => ["tcp", "*", "any"].includes(protocol.toLowerCase());

export const sshNotOpenToInternet: Rule = (resource, facts) =>
  inboundAllows(resource).flatMap((allow) => {
    const open = fromInternet(allow);
    if (open.length === 0 || !carriesTcp(allow.protocol)) return [];
    const ports = facts.sshPorts.filter((port) => allow.ports.some((range) => rangeCovers(range, port)));
    return ports.length === 0
      ? []
      : [
          `${resource.name}: ${allow.label} lets ${open.join(", ")} reach SSH (port ${ports.join(", ")}); ` +
            "allow SSH only from the operators' ranges (liftoff:sshAllowedCidrs, /8 or narrower)",
        ];
  });

export const onlyDeclaredPublicPorts: Rule = (resource, facts) =>
  inboundAllows(resource).flatMap((allow) => {
    const open = fromInternet(allow);
    if (open.length === 0) return [];
    const undeclared = allow.ports.flatMap((range) => portsOutside(range, facts.declaredPublicPorts));
    if (undeclared.length === 0) return [];
    const why = facts.problems.length > 0 ? ` (${facts.problems.join("; ")})` : "";
    return [
      `${resource.name}: ${allow.label} opens port ${undeclared.join(", ")} to ${open.join(", ")}, but the declared public ` +
        `ports are ${facts.declaredPublicPorts.join(", ")}${why}; declare the endpoint in the compose file's x-liftoff.endpoints ` +
        "or remove the rule",
    ];
  });

// ---------------------------------------------------------------------------------------------
// Virtual machines: SSH keys only.

export const VM_TYPES: Readonly<Record<string, string>> = {
  "azure-native:compute:VirtualMachine": "osProfile",
  "azure-native:compute:VirtualMachineScaleSet": "virtualMachineProfile.osProfile",
};

function at(value: unknown, dotted: string): unknown {
  return dotted
    .split(".")
    .reduce<unknown>(
      (v, key) => (v !== null && typeof v === "object" ? (v as Record<string, unknown>)[key] : undefined),
      value,
    );
}

export const vmSshKeysOnly: Rule = (resource) => {
  const osProfilePath = VM_TYPES[resource.type];
  if (!osProfilePath) return [];
  const osProfile = at(resource.props, osProfilePath);
  // A VM attached to an existing disk has no OS profile: nothing to log in with is declared here.
  if (osProfile === undefined || osProfile === UNKNOWN) return [];
  const problems: string[] = [];
  if (at(osProfile, "windowsConfiguration") !== undefined)
    problems.push("is a Windows VM, which always takes a password");
  const disabled = at(osProfile, "linuxConfiguration.disablePasswordAuthentication");
  if (disabled !== true && disabled !== UNKNOWN) {
    problems.push("does not set linuxConfiguration.disablePasswordAuthentication: true");
  }
  if (at(osProfile, "adminPassword") !== undefined) problems.push("sets an adminPassword");
  return problems.map((p) => `${resource.name}: ${p}; liftoff hosts accept SSH keys only`);
};

// ---------------------------------------------------------------------------------------------
// Production data: protected, backed up, with a restore window.

/** The shortest point-in-time restore window a prod database may have (the validation's own). */
export { MIN_PROD_RESTORE_WINDOW_HOURS };

const NEON_TYPE = /^pulumi-nodejs:dynamic(\/neon)?:/;
export const ATLAS_CLUSTER_TYPE = "mongodbatlas:index/advancedCluster:AdvancedCluster";
export const ATLAS_BACKUP_SCHEDULE_TYPE = "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule";
export const GRAFANA_STACK_TYPE = "grafana:cloud/stack:Stack";

/**
 * A resource belongs to a prod environment when the stack's profile is prod, or when the resource
 * itself says so (the program tags Azure and Atlas resources and labels the Grafana stack with
 * `profile`): either is enough, so a mislabelled stack cannot slip past.
 */
export function isProd(resource: ResourceData, facts: StackFacts): boolean {
  if (facts.profile === "prod") return true;
  return ["tags", "labels"].some((key) => at(resource.props, `${key}.profile`) === "prod");
}

/** Neon's dynamic-provider resources carry their kind as the `kind` input (components/neon/resources.ts). */
export function neonKind(resource: ResourceData): string | undefined {
  if (!NEON_TYPE.test(resource.type)) return undefined;
  const kind = resource.props["kind"];
  return typeof kind === "string" ? kind : undefined;
}

export const prodDatabasesProtected: Rule = (resource, facts) => {
  if (!isProd(resource, facts)) return [];
  const problems: string[] = [];
  const kind = neonKind(resource);
  if (kind === "project" || kind === "branch" || kind === "database") {
    if (!resource.protect) problems.push(`the Neon ${kind} is not protected (resource option protect)`);
    if (kind === "project") {
      const seconds = resource.props["historyRetentionSeconds"];
      if (
        seconds !== UNKNOWN &&
        !allowed(facts, "neonHistoryRetentionHours") &&
        !(typeof seconds === "number" && seconds >= MIN_PROD_RESTORE_WINDOW_HOURS * 3600)
      ) {
        problems.push(
          `the Neon project keeps ${typeof seconds === "number" ? `${seconds / 3600} h` : "Neon's default"} of history, ` +
            `less than the ${MIN_PROD_RESTORE_WINDOW_HOURS} h restore window prod needs (liftoff:neonHistoryRetentionHours)`,
        );
      }
    }
  } else if (resource.type === ATLAS_CLUSTER_TYPE) {
    if (!resource.protect) problems.push("the Atlas cluster is not protected (resource option protect)");
    const expect: [string, string, string?][] = [
      ["backupEnabled", "has no cloud backup (liftoff:atlasBackup)", "atlasBackup"],
      ["pitEnabled", "has no point-in-time restore (liftoff:atlasPointInTimeRestore)", "atlasPointInTimeRestore"],
      ["terminationProtectionEnabled", "has no termination protection"],
    ];
    for (const [key, message, rule] of expect) {
      if (rule !== undefined && allowed(facts, rule)) continue;
      const value = resource.props[key];
      if (value !== true && value !== UNKNOWN) problems.push(`the Atlas cluster ${message}`);
    }
  } else if (resource.type === ATLAS_BACKUP_SCHEDULE_TYPE) {
    const days = resource.props["restoreWindowDays"];
    if (days !== UNKNOWN && !(typeof days === "number" && days * 24 >= MIN_PROD_RESTORE_WINDOW_HOURS)) {
      problems.push(
        `the Atlas backup schedule has no restore window of at least ${MIN_PROD_RESTORE_WINDOW_HOURS} h (restoreWindowDays)`,
      );
    }
    const items = [
      "policyItemHourly",
      "policyItemDaily",
      "policyItemWeeklies",
      "policyItemMonthlies",
      "policyItemYearlies",
    ];
    if (
      !items.some((key) => {
        const v = resource.props[key];
        return v === UNKNOWN || (Array.isArray(v) ? v.length > 0 : v != null);
      })
    ) {
      problems.push("the Atlas backup schedule takes no snapshots (no policy item)");
    }
  }
  return problems.map((p) => `${resource.name}: ${p}`);
};

/** True when the stack deliberately breaks this prod rule (`liftoff:allowUnsafeProd`). */
function allowed(facts: StackFacts, rule: string): boolean {
  return facts.allowUnsafeProd.includes(rule);
}

export const AUTO_SHUTDOWN_TYPE = "azure-native:devtestlab:GlobalSchedule";

/** A prod host runs around the clock: an enabled daily shutdown schedule takes production down. */
export const prodNoAutoShutdown: Rule = (resource, facts) => {
  if (resource.type !== AUTO_SHUTDOWN_TYPE || !isProd(resource, facts) || allowed(facts, "autoShutdown")) return [];
  const task = resource.props["taskType"];
  if (typeof task === "string" && task !== "ComputeVmShutdownTask") return [];
  const status = resource.props["status"];
  // Azure's default status is Enabled: only an explicit Disabled is safe.
  if (status === UNKNOWN || (typeof status === "string" && status.toLowerCase() === "disabled")) return [];
  const time = at(resource.props, "dailyRecurrence.time");
  const when = typeof time === "string" ? ` every day at ${time}` : " every day";
  return [
    `${resource.name}: shuts the prod host down${when}; remove liftoff:autoShutdown (or name autoShutdown in liftoff:allowUnsafeProd)`,
  ];
};

export const grafanaDeleteProtectionInProd: Rule = (resource, facts) => {
  if (resource.type !== GRAFANA_STACK_TYPE || !isProd(resource, facts)) return [];
  // Grafana Cloud's default is on: only an explicit false turns it off.
  return resource.props["deleteProtection"] === false
    ? [
        `${resource.name}: the prod Grafana Cloud stack has deleteProtection off; one mistaken destroy would delete its dashboards and telemetry`,
      ]
    : [];
};

// ---------------------------------------------------------------------------------------------
// Tags.

/**
 * The azure-native types liftoff declares that take `tags`. Sub-resources (Subnet, SecurityRule)
 * have none in Azure; components and other providers are outside this rule (Atlas and Grafana
 * resources carry the same values as their own tags/labels, set by the same code).
 */
export const TAGGED_AZURE_TYPES: readonly string[] = [
  "azure-native:resources:ResourceGroup",
  "azure-native:network:VirtualNetwork",
  "azure-native:network:NetworkSecurityGroup",
  "azure-native:network:PublicIPAddress",
  "azure-native:network:NetworkInterface",
  "azure-native:compute:VirtualMachine",
  "azure-native:devtestlab:GlobalSchedule",
  "azure-native:network:NatGateway",
  "azure-native:app:ManagedEnvironment",
  "azure-native:storage:StorageAccount",
];

export const REQUIRED_TAGS = ["environment", "owner"] as const;

export const azureResourcesTagged: Rule = (resource, facts) => {
  if (!TAGGED_AZURE_TYPES.includes(resource.type)) return [];
  const tags = resource.props["tags"];
  if (tags === UNKNOWN) return [];
  const problems: string[] = [];
  for (const key of REQUIRED_TAGS) {
    const value = tags !== null && typeof tags === "object" ? (tags as Record<string, unknown>)[key] : undefined;
    if (value === UNKNOWN) continue;
    if (typeof value !== "string" || value.trim() === "") problems.push(`has no ${key} tag`);
    else if (key === "environment" && facts.stack && value !== facts.stack) {
      problems.push(`is tagged environment "${value}" but belongs to stack ${facts.stack}`);
    }
  }
  return problems.map((p) => `${resource.name}: ${p}`);
};

// ---------------------------------------------------------------------------------------------
// Host access: what the application's services may do to the host beyond a container's defaults.

/**
 * Every host access a service declares (privileged, host namespaces, capabilities, devices, host
 * paths) must be on the stack's `liftoff:hostAccessAllowed`: judged on the VM the access is to.
 * liftoff's own collector is not the application's and is not listed.
 */
export const hostAccessAllowListed: Rule = (resource, facts) => {
  if (!(resource.type in VM_TYPES)) return [];
  return facts.declaredHostAccess
    .filter((entry) => !facts.allowedHostAccess.includes(entry))
    .map((entry) => {
      const [service, kind] = entry.split(":");
      return `${resource.name}: service ${service} declares host access ${kind} (x-liftoff.hostAccess), which liftoff:hostAccessAllowed does not list: review it, then add "${entry}" to liftoff:hostAccessAllowed`;
    });
};
