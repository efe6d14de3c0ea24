import { coreSection } from "./core";
import { ConfigReader, NAMESPACE, closest, type ConfigInput, type Problem, type SecretRequirement } from "./reader";
import { readUnsafeProdAllowances, reportUnusedAllowances, unsafeInProd } from "./prod-safety";
import { releasePolicy } from "./runtime";
import { LAYER_SECTIONS, SECTIONS, type LayerSpecs } from "./sections";
import { CORE_SETTINGS } from "./settings";
import type { CoreSpec, EnvironmentSpec } from "./spec";

export interface ValidationResult {
  /** Present only when there is no error. */
  readonly spec?: EnvironmentSpec;
  readonly problems: readonly Problem[];
}

/** Every setting liftoff reads, from every section's table, so a mistyped key is caught instead of silently ignored. */
const KNOWN_KEYS: readonly string[] = SECTIONS.flatMap((section) => Object.values(section.settings).map((s) => s.key));

/**
 * The one validation step: merges the stack's profile with its config into one spec, checking
 * every rule of every section and reporting every problem at once. Pure: the same input gives the
 * same result, and nothing is declared. Each step reports to the one reader; the spec exists only
 * when no step reported an error.
 */
export function buildEnvironmentSpec(input: ConfigInput): ValidationResult {
  const reader = new ConfigReader(input);
  readUnknownKeys(reader);
  readOtherNamespaces(reader);
  // Every layer is checked even when the core is not valid, against the core's draft (its valid
  // parts and stand-ins), so one bad core setting does not hide a layer's problems.
  const core = coreSection.read(reader);
  readUnsafeProdAllowances(reader, core.profileName, CORE_SETTINGS.allowUnsafeProd);
  checkProdHost(reader, core);
  const layers = Object.fromEntries(
    LAYER_SECTIONS.map((section) => [section.name, section.read(reader, core)]),
  ) as unknown as LayerSpecs;
  reportUnusedAllowances(reader);
  if (reader.hasErrors) return { problems: reader.problems };
  // A section without secrets (the runtime's) has no `secrets` in its part.
  const secrets = [
    ...core.secrets,
    ...LAYER_SECTIONS.flatMap(
      (section) => (layers[section.name] as { readonly secrets?: readonly SecretRequirement[] }).secrets ?? [],
    ),
  ];
  return { spec: { ...core, ...layers, secrets, release: releasePolicy(layers.runtime) }, problems: reader.problems };
}

/** A `liftoff:` key no section declares: a typo, named with the key it most likely meant. */
function readUnknownKeys(reader: ConfigReader): void {
  for (const key of Object.keys(reader.input.values)) {
    if (KNOWN_KEYS.includes(key)) continue;
    const near = closest(key, KNOWN_KEYS);
    reader.error({
      key: reader.key(key),
      value: reader.text(key),
      message: "is not a setting liftoff knows, so it would be ignored",
      allowed: KNOWN_KEYS.map((k) => reader.key(k)).join(", "),
      fix: near
        ? `rename it to ${reader.key(near)}`
        : `remove it: pulumi config rm ${reader.key(key)} --stack ${reader.stack}`,
    });
  }
}

/** A key in a namespace one typo away from liftoff's (`liftof:autoShutdown`), which liftoff would never read. */
function readOtherNamespaces(reader: ConfigReader): void {
  const namespace = reader.input.namespace ?? NAMESPACE;
  for (const fullKey of reader.input.otherKeys ?? []) {
    const colon = fullKey.indexOf(":");
    if (colon < 0) continue;
    const [space, key] = [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
    if (space === namespace || closest(space, [namespace]) === undefined) continue;
    const meant = KNOWN_KEYS.includes(key) ? key : closest(key.replace(/[.[].*$/, ""), KNOWN_KEYS);
    reader.error({
      key: fullKey,
      message: `is in the namespace ${space}, not ${namespace}, so liftoff never reads it`,
      allowed: `${namespace}:<setting>, one of ${KNOWN_KEYS.map((k) => reader.key(k)).join(", ")}`,
      fix: meant
        ? `rename it to ${reader.key(meant)} in Pulumi.${reader.stack}.yaml`
        : `rename it to ${namespace}:${key} in Pulumi.${reader.stack}.yaml, or remove it: pulumi config rm '${fullKey}' --stack ${reader.stack}`,
    });
  }
}

/** A prod host runs around the clock: a nightly shutdown is a dev setting. */
function checkProdHost(reader: ConfigReader, core: CoreSpec): void {
  const shutdown = core.host.autoShutdown;
  if (!shutdown) return;
  const time = `${shutdown.time.slice(0, 2)}:${shutdown.time.slice(2)}`;
  const key = CORE_SETTINGS.autoShutdown.key;
  unsafeInProd(reader, "autoShutdown", {
    key: reader.key(key),
    value: time,
    message: `shuts the host down every day at ${time} ${shutdown.timeZone}`,
    allowed: "off (the prod profile's default)",
    fix: `pulumi config rm ${reader.key(key)} --stack ${reader.stack}`,
  });
}

/**
 * Renders problems for a terminal: errors first, each with its key, value, what is allowed and a fix.
 * `withSeverity: false` leaves out the `error:`/`warning:` prefix, for loggers that add their own.
 */
export function formatProblems(problems: readonly Problem[], options: { withSeverity?: boolean } = {}): string {
  const sorted = [...problems].sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
  return sorted
    .map((p) =>
      [
        `${options.withSeverity === false ? "" : `${p.severity}: `}${p.key}${p.value !== undefined ? ` = ${JSON.stringify(p.value)}` : ""} ${p.message}`,
        `  allowed: ${p.allowed}`,
        `  fix:     ${p.fix}`,
      ].join("\n"),
    )
    .join("\n");
}
