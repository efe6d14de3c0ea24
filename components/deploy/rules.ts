/**
 * The rules a release must satisfy that the plan's validation checks too, in one place: the
 * validation step (environments/) calls these so that anything the renderer or the host agent
 * would refuse is refused before a resource is declared, with the same rule. Pure, no imports.
 */

/**
 * A health path the proxy (`health_uri`), the agent's probe (`curl http://127.0.0.1:<port><path>`)
 * and the manifest's `|`-separated records all carry unchanged: `/`, then unreserved characters,
 * `/`, a query (`?`, `=`, `&`, `+`) and well-formed percent escapes; at most 256 characters.
 * The host agent's copy of this pattern (`HPATH` in agent/liftoff-release) must be identical:
 * rules.test.ts compares them.
 */
export const HEALTH_PATH_PATTERN = String.raw`^/(?:[A-Za-z0-9._~/?=&+-]|%[0-9A-Fa-f]{2}){0,255}$`;
export const HEALTH_PATH = new RegExp(HEALTH_PATH_PATTERN);

/** What a problem with a health path says is allowed; for validation messages. */
export const HEALTH_PATH_ALLOWED =
  "a path starting with /, of letters, digits, . _ ~ / - and a query with ? = & +, percent-escapes (%2F) for anything else, at most 256 characters";

/** Why a health path cannot be used, or undefined when it can. */
export function healthPathProblem(path: string): string | undefined {
  if (HEALTH_PATH.test(path)) return undefined;
  const bad = [...path].find((c) => !/[A-Za-z0-9._~/?=&+%-]/.test(c));
  if (!path.startsWith("/")) return "does not start with /";
  if (bad !== undefined)
    return `holds ${JSON.stringify(bad)}, which the proxy's health check and the host agent do not carry; percent-encode it`;
  if (path.length > 256) return "is longer than 256 characters";
  return "holds a % that does not start a percent-escape (%XX)";
}

/**
 * A variable name an env file of Compose v2 reads (compose-go's dotenv, as in Compose 2.26):
 * Unicode letters and digits, `_`, `.`, `-`, `[` and `]`. Every name Compose's own env files
 * accept, so `Serilog__MinimumLevel__Override__Microsoft.AspNetCore` and `my-var` work.
 */
const ENV_NAME = /^[\p{L}\p{N}_.[\]-]+$/u;

/** Why an environment variable name cannot reach a container through a release, or undefined. */
export function envNameProblem(name: string): string | undefined {
  if (name === "") return "is empty";
  if (ENV_NAME.test(name)) return undefined;
  const bad = [...name].find((c) => !ENV_NAME.test(c));
  return `holds ${JSON.stringify(bad)}: Compose's env files take names of letters, digits, _ . - [ ] only`;
}

/**
 * Why an environment value cannot reach a container byte for byte, or undefined. Every string
 * Compose v2 can carry is allowed, multi-line included; what no process environment can hold
 * (NUL) and text that is not Unicode (a lone UTF-16 surrogate) are not. Never quotes the value:
 * it may be a secret.
 */
export function envValueProblem(value: string): string | undefined {
  if (value.includes("\0")) return "holds a NUL character, which no process environment can carry";
  if (/[\uD800-\uDFFF]/u.test(value)) return "is not valid Unicode text (a lone surrogate)";
  return undefined;
}

/**
 * One env file line for Compose v2: `NAME="value"`, the value double-quoted with `\\`, `\"`,
 * `\$`, `\n` and `\r` escaped and everything else literal. Measured with the real
 * `docker compose config` (2.26.1) over a hostile corpus (release.test.ts): in double quotes
 * compose-go turns `\n`, `\r`, `\t`, `\a`... into control characters, `\\` and `\"` into the
 * character, `\$` into `$`, and interpolates an unescaped `$`; single quotes would be literal but
 * cannot hold every value (a value ending in a backslash). The caller checks the name and value
 * with {@link envNameProblem} / {@link envValueProblem} first.
 */
export function envFileLine(name: string, value: string): string {
  return `${name}="${value.replace(/[\\"$\n\r]/g, (c) => ENV_ESCAPES[c]!)}"\n`;
}
const ENV_ESCAPES: Readonly<Record<string, string>> = { "\\": "\\\\", '"': '\\"', $: "\\$", "\n": "\\n", "\r": "\\r" };
