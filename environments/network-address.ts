/** Parsing of the address forms an operator types into firewall settings. */

/** Sources Azure NSGs understand that mean "anyone on the internet" (lowercase). */
export const INTERNET_SOURCES: ReadonlySet<string> = new Set([
  "*",
  "internet",
  "any",
  "0.0.0.0",
  "0.0.0.0/0",
  "::/0",
  "::",
]);

export type SourceCheck =
  | { kind: "ok"; cidr: string }
  | { kind: "internet" }
  | { kind: "too-broad"; prefix: number }
  | { kind: "host-bits"; network: string }
  | { kind: "malformed" };

/** The widest admin range liftoff accepts for SSH; wider means "most of the internet". */
export const MIN_SSH_PREFIX = 8;

/**
 * Checks one SSH source: an IPv4 address or CIDR. A bare address means that one host (/32).
 * Service tags and IPv6 are refused: the host has only an IPv4 public address.
 */
export function checkSshSource(raw: string): SourceCheck {
  const value = raw.trim();
  if (INTERNET_SOURCES.has(value.toLowerCase())) return { kind: "internet" };
  const match = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(value);
  if (!match) return { kind: "malformed" };
  const octets = match.slice(1, 5).map(Number);
  const prefix = match[5] === undefined ? 32 : Number(match[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return { kind: "malformed" };
  if (prefix === 0) return { kind: "internet" };
  if (prefix < MIN_SSH_PREFIX) return { kind: "too-broad", prefix };
  const address = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const network = address - (address % size);
  if (network !== address) return { kind: "host-bits", network: `${toDotted(network)}/${prefix}` };
  return { kind: "ok", cidr: `${toDotted(address)}/${prefix}` };
}

function toDotted(address: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(address / 2 ** shift) % 256).join(".");
}
