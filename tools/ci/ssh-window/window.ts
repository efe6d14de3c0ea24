/**
 * The CI runner's temporary SSH window, as data: which rule to add to the environment's NSG, which
 * stale ones to remove, and the exact `az` commands that do it. Pure; tools/ci/ssh-window.ts runs
 * the commands. A window admits one public IPv4 address (/32) to the SSH port, for one workflow run,
 * at a priority from the band the firewall reserves for it, and names its own expiry so a later run
 * removes it when the runner that opened it died before closing it.
 */
import { SSH_WINDOW_PRIORITIES } from "../../../components/network/firewall";

export { SSH_WINDOW_PRIORITIES };

/** Every window rule's name starts with this; nothing else in an NSG may. */
export const WINDOW_RULE_PREFIX = "liftoff-ci-ssh-";
const WINDOW_RULE_NAME = /^liftoff-ci-ssh-(\d+-\d+)-until-(\d{10})$/;
/** `<run id>-<run attempt>`, as GitHub numbers them. */
const RUN_ID = /^[1-9]\d{0,19}-[1-9]\d{0,3}$/;

export const TTL_MINUTES = { min: 5, default: 90, max: 360 } as const;

export type Checked<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly problem: string };

/** Where the window opens: the environment's NSG and its SSH port. */
export interface WindowTarget {
  readonly resourceGroup: string;
  readonly networkSecurityGroup: string;
  readonly sshPort: number;
}

/** A rule as `az network nsg rule list` reports it (only what the plan needs). */
export interface ExistingRule {
  readonly name: string;
  readonly priority: number;
}

export interface WindowRule {
  readonly name: string;
  readonly priority: number;
  /** Always a single address: `a.b.c.d/32`. */
  readonly source: string;
  readonly port: number;
  readonly description: string;
}

/** Address ranges that are not the public internet (RFC 6890 and friends): a runner never egresses from them. */
const NOT_PUBLIC: readonly (readonly [string, number])[] = [
  ["0.0.0.0", 8],
  ["10.0.0.0", 8],
  ["100.64.0.0", 10],
  ["127.0.0.0", 8],
  ["169.254.0.0", 16],
  ["172.16.0.0", 12],
  ["192.0.0.0", 24],
  ["192.0.2.0", 24],
  ["192.88.99.0", 24],
  ["192.168.0.0", 16],
  ["198.18.0.0", 15],
  ["198.51.100.0", 24],
  ["203.0.113.0", 24],
  ["224.0.0.0", 4],
  ["240.0.0.0", 4],
];

function octets(text: string): number[] | undefined {
  const parts = text.split(".");
  if (parts.length !== 4 || !parts.every((p) => /^(0|[1-9]\d{0,2})$/.test(p))) return undefined;
  const numbers = parts.map(Number);
  return numbers.every((n) => n <= 255) ? numbers : undefined;
}

const toInt = (o: readonly number[]) => ((o[0]! << 24) >>> 0) + (o[1]! << 16) + (o[2]! << 8) + o[3]!;

/**
 * The runner's address as the single-address source of a rule. Refuses anything but one public
 * IPv4 address (a range, `*`, `Internet`, a private or reserved address, IPv6), and two lookups
 * that disagree (a runner whose egress address is not stable cannot be admitted by address).
 */
export function runnerSource(ip: string, confirmation?: string): Checked<string> {
  const text = ip.trim().replace(/\/32$/, "");
  const allowed = "one public IPv4 address, e.g. 20.61.10.7 (or 20.61.10.7/32)";
  const parsed = octets(text);
  if (!parsed)
    return { ok: false, problem: `--ip = ${JSON.stringify(ip)} is not a single IPv4 address; allowed: ${allowed}` };
  const value = toInt(parsed);
  const reserved = NOT_PUBLIC.find(([base, bits]) => value >>> (32 - bits) === toInt(octets(base)!) >>> (32 - bits));
  if (reserved) {
    return {
      ok: false,
      problem: `--ip = ${text} is in ${reserved[0]}/${reserved[1]}, which is not a public address; allowed: ${allowed} (the address the runner reaches the internet from)`,
    };
  }
  if (confirmation !== undefined && confirmation.trim().replace(/\/32$/, "") !== text) {
    return {
      ok: false,
      problem: `--ip = ${text} and --confirm-ip = ${JSON.stringify(confirmation)} disagree: the runner's egress address is not stable, so no address rule can admit it; run again`,
    };
  }
  return { ok: true, value: `${text}/32` };
}

export function runId(text: string): Checked<string> {
  return RUN_ID.test(text)
    ? { ok: true, value: text }
    : {
        ok: false,
        problem: `--run = ${JSON.stringify(text)} is not <run id>-<attempt>; allowed: digits-digits, e.g. "\${{ github.run_id }}-\${{ github.run_attempt }}"`,
      };
}

export function ttlMinutes(text: string | undefined): Checked<number> {
  if (text === undefined) return { ok: true, value: TTL_MINUTES.default };
  const n = Number(text);
  return Number.isInteger(n) && n >= TTL_MINUTES.min && n <= TTL_MINUTES.max
    ? { ok: true, value: n }
    : {
        ok: false,
        problem: `--ttl-minutes = ${JSON.stringify(text)}; allowed: a whole number from ${TTL_MINUTES.min} to ${TTL_MINUTES.max} (longer than the job may run)`,
      };
}

export function windowRuleName(run: string, expiresAt: Date): string {
  return `${WINDOW_RULE_PREFIX}${run}-until-${Math.floor(expiresAt.getTime() / 1000)}`;
}

/** The run and expiry a window rule's name records; undefined for any rule that is not a window. */
export function parseWindowRuleName(name: string): { readonly run: string; readonly expiresAt: Date } | undefined {
  const match = WINDOW_RULE_NAME.exec(name);
  return match ? { run: match[1]!, expiresAt: new Date(Number(match[2]) * 1000) } : undefined;
}

/** A window rule is ours to remove only when both its name and its priority say so. */
function windowOf(rule: ExistingRule) {
  const parsed = parseWindowRuleName(rule.name);
  const inBand = rule.priority >= SSH_WINDOW_PRIORITIES.first && rule.priority <= SSH_WINDOW_PRIORITIES.last;
  return parsed && inBand ? parsed : undefined;
}

/** Window rules whose expiry has passed: left by runners that died before closing them. */
export function staleRules(rules: readonly ExistingRule[], now: Date): string[] {
  return rules
    .filter((r) => {
      const w = windowOf(r);
      return w !== undefined && w.expiresAt <= now;
    })
    .map((r) => r.name);
}

export interface OpenPlan {
  readonly remove: readonly string[];
  /** Set when this run's window is already open (a retried step): nothing to create. */
  readonly alreadyOpen?: string;
  readonly create?: WindowRule;
}

export function planOpen(input: {
  readonly rules: readonly ExistingRule[];
  readonly run: string;
  readonly source: string;
  readonly port: number;
  readonly now: Date;
  readonly ttlMinutes: number;
}): Checked<OpenPlan> {
  const remove = staleRules(input.rules, input.now);
  const live = input.rules.filter((r) => !remove.includes(r.name));
  const mine = live.find((r) => windowOf(r)?.run === input.run);
  if (mine) return { ok: true, value: { remove, alreadyOpen: mine.name } };
  const taken = new Set(live.map((r) => r.priority));
  let priority: number | undefined;
  for (let p = SSH_WINDOW_PRIORITIES.first; p <= SSH_WINDOW_PRIORITIES.last && priority === undefined; p++)
    if (!taken.has(p)) priority = p;
  if (priority === undefined) {
    return {
      ok: false,
      problem: `every priority from ${SSH_WINDOW_PRIORITIES.first} to ${SSH_WINDOW_PRIORITIES.last} is taken by an unexpired window: close them (ssh-window close) or wait until they expire`,
    };
  }
  const expiresAt = new Date(input.now.getTime() + input.ttlMinutes * 60_000);
  return {
    ok: true,
    value: {
      remove,
      create: {
        name: windowRuleName(input.run, expiresAt),
        priority,
        source: input.source,
        port: input.port,
        description: `CI SSH window for GitHub Actions run ${input.run}, expires ${expiresAt.toISOString()}; removed by the run or by the next one after expiry`,
      },
    },
  };
}

/** Closing removes this run's window and every expired one. */
export function planClose(input: {
  readonly rules: readonly ExistingRule[];
  readonly run: string;
  readonly now: Date;
}): string[] {
  const stale = staleRules(input.rules, input.now);
  const mine = input.rules.filter((r) => windowOf(r)?.run === input.run).map((r) => r.name);
  return [...new Set([...mine, ...stale])];
}

// The az commands, as argument vectors (no shell in between).

const where = (t: WindowTarget) => ["--resource-group", t.resourceGroup, "--nsg-name", t.networkSecurityGroup];

export function showNsgCommand(t: WindowTarget): string[] {
  return [
    "network",
    "nsg",
    "show",
    "--resource-group",
    t.resourceGroup,
    "--name",
    t.networkSecurityGroup,
    "--query",
    "name",
    "--output",
    "tsv",
  ];
}

export function listRulesCommand(t: WindowTarget): string[] {
  return [
    "network",
    "nsg",
    "rule",
    "list",
    ...where(t),
    "--query",
    "[].{name:name,priority:priority}",
    "--output",
    "json",
  ];
}

export function createRuleCommand(t: WindowTarget, rule: WindowRule): string[] {
  if (!rule.source.endsWith("/32"))
    throw new Error(`refusing a window from ${rule.source}: only a single address (/32) is allowed`);
  return [
    "network",
    "nsg",
    "rule",
    "create",
    ...where(t),
    "--name",
    rule.name,
    "--priority",
    String(rule.priority),
    "--direction",
    "Inbound",
    "--access",
    "Allow",
    "--protocol",
    "Tcp",
    "--source-address-prefixes",
    rule.source,
    "--source-port-ranges",
    "*",
    "--destination-address-prefixes",
    "*",
    "--destination-port-ranges",
    String(rule.port),
    "--description",
    rule.description,
    "--output",
    "none",
  ];
}

export function deleteRuleCommand(t: WindowTarget, name: string): string[] {
  if (!name.startsWith(WINDOW_RULE_PREFIX))
    throw new Error(
      `refusing to delete ${name}: only window rules (${WINDOW_RULE_PREFIX}*) are the window's to remove`,
    );
  return ["network", "nsg", "rule", "delete", ...where(t), "--name", name, "--output", "none"];
}

/** What `az network nsg rule list --output json` printed, checked. */
export function parseRuleList(text: string): Checked<ExistingRule[]> {
  try {
    const value: unknown = JSON.parse(text);
    if (Array.isArray(value) && value.every((r) => typeof r?.name === "string" && typeof r?.priority === "number")) {
      return { ok: true, value: value.map((r: ExistingRule) => ({ name: r.name, priority: r.priority })) };
    }
  } catch {
    // reported below
  }
  return {
    ok: false,
    problem: `az network nsg rule list printed something that is not a list of rules: ${text.slice(0, 200)}`,
  };
}
