import { CORE_KEYS, readCore } from "./core";
import { dataSection } from "./data";
import { deliverySection } from "./delivery";
import { observabilitySection } from "./observability";
import { ConfigReader, closest, type ConfigInput, type Problem } from "./reader";
import type { EnvironmentSpec } from "./spec";

export { NAMESPACE, type ConfigInput, type EvaluationMode, type Problem, type SecretDefinition } from "./reader";
export { DEFAULT_COMPOSE_FILE, REQUIRED_SECRETS } from "./core";
export { GRAFANA_CLOUD_TOKEN, THRESHOLD_RANGES } from "./observability";
export { GHCR, GITHUB_TOKEN, MAX_REVIEWERS } from "./delivery";

export interface ValidationResult {
  /** Present only when there is no error. */
  readonly spec?: EnvironmentSpec;
  readonly problems: readonly Problem[];
}

/**
 * Every setting liftoff reads, by section, so a mistyped key is caught instead of silently ignored.
 * A layer's section adds its keys here.
 */
const KNOWN_KEYS: readonly string[] = [...CORE_KEYS, ...dataSection.keys, ...observabilitySection.keys, ...deliverySection.keys];

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
  const core = readCore(reader);
  // Layer sections read here, each given the core spec: data (#3), observability and delivery (#4).
  // Their defaults come from the core's profile, so a section is read only once the core is valid.
  if (!core) return { problems: reader.problems };
  const data = dataSection.read(reader, core);
  const observability = observabilitySection.read(reader, core);
  const delivery = deliverySection.read(reader, core);
  if (!data || !observability || !delivery || reader.hasErrors) return { problems: reader.problems };
  return {
    spec: { ...core, data, observability, delivery, secrets: [...core.secrets, ...observability.secrets, ...delivery.secrets] },
    problems: reader.problems,
  };
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

