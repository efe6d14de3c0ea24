import { CORE_KEYS, readCore } from "./core";
import { dataSection } from "./data";
import { deliverySection } from "./delivery";
import { observabilitySection } from "./observability";
import { ConfigReader, NAMESPACE, closest, type ConfigInput, type Problem } from "./reader";
import { readUnsafeProdAllowances, reportUnusedAllowances, unsafeInProd } from "./prod-safety";
import { runtimeSection } from "./runtime";
import type { CoreSpec, EnvironmentSpec } from "./spec";

export interface ValidationResult {
  /** Present only when there is no error. */
  readonly spec?: EnvironmentSpec;
  readonly problems: readonly Problem[];
}

/**
 * Every setting liftoff reads, by section, so a mistyped key is caught instead of silently ignored.
 * A layer's section adds its keys here.
 */
const KNOWN_KEYS: readonly string[] = [...CORE_KEYS, ...dataSection.keys, ...observabilitySection.keys, ...deliverySection.keys, ...runtimeSection.keys];

/**
 * The one validation step: merges the stack's profile with its config into one spec, checking
 * every rule of every section and reporting every problem at once. Pure: the same input gives the
 * same result, and nothing is declared.
 */
export function buildEnvironmentSpec(input: ConfigInput): ValidationResult {
  const reader = new ConfigReader(input);
  for (const key of Object.keys(input.values)) {
    if (KNOWN_KEYS.includes(key)) continue;
    const near = closest(key, KNOWN_KEYS);
    reader.error({
      key: reader.key(key),
      value: reader.text(key),
      message: "is not a setting liftoff knows, so it would be ignored",
      allowed: KNOWN_KEYS.map((k) => reader.key(k)).join(", "),
      fix: near ? `rename it to ${reader.key(near)}` : `remove it: pulumi config rm ${reader.key(key)} --stack ${input.stack}`,
    });
  }
  const namespace = input.namespace ?? NAMESPACE;
  for (const fullKey of input.otherKeys ?? []) {
    const colon = fullKey.indexOf(":");
    if (colon < 0) continue;
    const [space, key] = [fullKey.slice(0, colon), fullKey.slice(colon + 1)];
    if (space === namespace || closest(space, [namespace]) === undefined) continue;
    const meant = KNOWN_KEYS.includes(key) ? key : closest(key.replace(/[.[].*$/, ""), KNOWN_KEYS);
    reader.error({
      key: fullKey,
      message: `is in the namespace ${space}, not ${namespace}, so liftoff never reads it`,
      allowed: `${namespace}:<setting>, one of ${KNOWN_KEYS.map((k) => reader.key(k)).join(", ")}`,
      fix: meant ? `rename it to ${reader.key(meant)} in Pulumi.${input.stack}.yaml` : `rename it to ${namespace}:${key} in Pulumi.${input.stack}.yaml, or remove it: pulumi config rm '${fullKey}' --stack ${input.stack}`,
    });
  }
  const { spec: core, draft } = readCore(reader);
  readUnsafeProdAllowances(reader, draft.profileName);
  checkProdHost(reader, draft);
  // Every layer is checked even when the core is not valid, against the core's draft (its valid
  // parts and stand-ins), so one bad core setting does not hide a layer's problems.
  const data = dataSection.read(reader, draft);
  const observability = observabilitySection.read(reader, draft);
  const delivery = deliverySection.read(reader, draft);
  const runtime = runtimeSection.read(reader, draft);
  reportUnusedAllowances(reader);
  if (!core || !data || !observability || !delivery || !runtime || reader.hasErrors) return { problems: reader.problems };
  return {
    spec: { ...core, data, observability, delivery, runtime, secrets: [...core.secrets, ...observability.secrets, ...delivery.secrets] },
    problems: reader.problems,
  };
}

/** A prod host runs around the clock: a nightly shutdown is a dev setting. */
function checkProdHost(reader: ConfigReader, core: CoreSpec): void {
  const shutdown = core.host.autoShutdown;
  if (!shutdown) return;
  const time = `${shutdown.time.slice(0, 2)}:${shutdown.time.slice(2)}`;
  unsafeInProd(reader, "autoShutdown", {
    key: reader.key("autoShutdown"),
    value: time,
    message: `shuts the host down every day at ${time} ${shutdown.timeZone}`,
    allowed: "off (the prod profile's default)",
    fix: `pulumi config rm ${reader.key("autoShutdown")} --stack ${reader.stack}`,
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

