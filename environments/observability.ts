import { z } from "zod";
import { GRAFANA_CLOUD_REGIONS, GRAFANA_REGION_ALIASES, PROBE_NAME_PATTERN, STACK_SLUG_PATTERN, grafanaStackUrl, slugFromLabel } from "./grafana";
import type { AlertThresholds } from "./profiles";
import { closest, type ConfigReader, type Section, type SecretDefinition } from "./reader";
import type { CoreSpec, ObservabilitySpec } from "./spec";

/** The Grafana Cloud token liftoff manages the stack with; the services never see it. */
export const GRAFANA_CLOUD_TOKEN: SecretDefinition = {
  key: "grafanaCloudToken",
  purpose: "lets liftoff create the environment's Grafana Cloud stack, its access policies, tokens and service account",
  howToSet:
    "in the Grafana Cloud portal (Administration > Cloud access policies) create a policy with the scopes stacks:read, stacks:write, stacks:delete, accesspolicies:read, accesspolicies:write, accesspolicies:delete, stack-service-accounts:write, add a token to it, then: pulumi config set --secret liftoff:grafanaCloudToken",
};

/** What each threshold may be: below or above these an alert is either always or never firing. */
export const THRESHOLD_RANGES: Readonly<Record<keyof AlertThresholds, { min: number; max: number; integer: boolean; unit: string }>> = {
  gateway5xxPercent: { min: 0.1, max: 50, integer: false, unit: "percent of the gateway's requests answered 5xx" },
  p95LatencyMs: { min: 10, max: 60_000, integer: true, unit: "milliseconds of 95th-percentile request duration" },
  healthCheckSuccessPercent: { min: 1, max: 100, integer: false, unit: "percent of health probes that must succeed" },
  diskUsedPercent: { min: 50, max: 99, integer: false, unit: "percent of the root filesystem used" },
  containerRestarts: { min: 1, max: 100, integer: true, unit: "restarts of one container within 15 minutes" },
};

// Pulumi stores a value set with `config set --path` as text, a value written in YAML as a number:
// take both.
const numberLike = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);
const thresholdsSchema = z.strictObject(
  Object.fromEntries(Object.keys(THRESHOLD_RANGES).map((k) => [k, numberLike.optional()])) as Record<keyof AlertThresholds, z.ZodOptional<typeof numberLike>>,
);
const stringListSchema = z.array(z.string());

/**
 * An address a mail server would take: a local part without spaces or brackets, and a domain of
 * DNS labels with a dot. Deliberately not RFC 5322's full grammar: quoted local parts and IP-literal
 * domains are legal there but never what an on-call list means.
 */
const EMAIL = /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

const KEYS = ["grafanaRegion", "grafanaStackSlug", "alertEmails", "alertThresholds", "syntheticProbes", "gatewayService", GRAFANA_CLOUD_TOKEN.key];

/** The observability layer's settings: the Grafana Cloud stack, alerting and synthetic checks. */
export const observabilitySection: Section<CoreSpec, ObservabilitySpec> = {
  keys: KEYS,
  read(reader: ConfigReader, core: CoreSpec): ObservabilitySpec | undefined {
    const k = (key: string) => reader.key(key);
    const errorsBefore = reader.problems.filter((p) => p.severity === "error").length;

    const region = reader.text("grafanaRegion");
    if (region === undefined) {
      reader.error({ key: k("grafanaRegion"), message: "is not set; it says where the environment's Grafana Cloud stack and its access policies live", allowed: "a Grafana Cloud region slug, e.g. prod-eu-west-3 (Azure, Netherlands), prod-eu-west-2, prod-us-east-0", fix: reader.setCommand("grafanaRegion", "prod-eu-west-3") });
    } else if (!GRAFANA_CLOUD_REGIONS.includes(region)) {
      const alias = GRAFANA_REGION_ALIASES[region];
      reader.error({
        key: k("grafanaRegion"),
        value: region,
        message: alias ? "is a short region name the access policy API does not take" : "is not a Grafana Cloud region",
        allowed: `a region slug as the region list API spells it: ${GRAFANA_CLOUD_REGIONS.join(", ")}`,
        fix: reader.setCommand("grafanaRegion", alias ?? closest(region, GRAFANA_CLOUD_REGIONS) ?? "prod-eu-west-3"),
      });
    }

    const slugText = reader.text("grafanaStackSlug");
    const derivedSlug = slugFromLabel(core.host.dnsLabel);
    const stackSlug = slugText ?? derivedSlug;
    const slugAllowed = "2-29 lowercase letters and digits, starting with a letter (no hyphens); it becomes <slug>.grafana.net and must be unique in Grafana Cloud";
    if (slugText !== undefined && !STACK_SLUG_PATTERN.test(slugText)) {
      reader.error({ key: k("grafanaStackSlug"), value: slugText, message: "is a stack slug Grafana refuses", allowed: slugAllowed, fix: reader.setCommand("grafanaStackSlug", slugFromLabel(slugText) ?? `acme${core.stack.replace(/[^a-z0-9]/g, "")}`) });
    } else if (stackSlug === undefined && core.host.dnsLabel !== "") {
      reader.error({ key: k("grafanaStackSlug"), message: `is not set, and none can be derived from dnsLabel "${core.host.dnsLabel}"`, allowed: slugAllowed, fix: reader.setCommand("grafanaStackSlug", `acme${core.stack.replace(/[^a-z0-9]/g, "")}`) });
    }

    const emailsExample = "liftoff:alertEmails: [oncall@example.com]";
    const emails = reader.structured("alertEmails", stringListSchema, "a list of e-mail addresses", emailsExample);
    if (!reader.isSet("alertEmails") || (emails !== undefined && emails.length === 0)) {
      reader.error({ key: k("alertEmails"), value: emails ? "[]" : undefined, message: "is empty; alerts would reach no one", allowed: "one or more e-mail addresses of whoever is on call", fix: reader.yamlFix(emailsExample) });
    }
    (emails ?? []).forEach((address, i) => {
      if (!EMAIL.test(address.trim())) {
        reader.error({ key: `${k("alertEmails")}[${i}]`, value: address, message: "is not an e-mail address", allowed: "name@domain.tld, one address per entry", fix: reader.pathCommand(`alertEmails[${i}]`, "oncall@example.com") });
      }
    });
    const alertEmails = [...new Set((emails ?? []).map((e) => e.trim()))];

    const thresholdInput = reader.structured("alertThresholds", thresholdsSchema, `a map of ${Object.keys(THRESHOLD_RANGES).join(", ")}`, "liftoff:alertThresholds: {p95LatencyMs: 800}") ?? {};
    const alertThresholds: { -readonly [K in keyof AlertThresholds]: number } = { ...core.profile.observability.alertThresholds };
    for (const [name, value] of Object.entries(thresholdInput)) {
      if (value === undefined) continue;
      const key = name as keyof AlertThresholds;
      const range = THRESHOLD_RANGES[key];
      if (value < range.min || value > range.max || (range.integer && !Number.isInteger(value))) {
        const example = String(core.profile.observability.alertThresholds[key]);
        reader.error({ key: `${k("alertThresholds")}.${name}`, value: String(value), message: "is out of range: the alert would fire all the time or never", allowed: `${range.integer ? "a whole number" : "a number"} from ${range.min} to ${range.max} (${range.unit})`, fix: reader.pathCommand(`alertThresholds.${name}`, example) });
      } else {
        alertThresholds[key] = value;
      }
    }

    const probes = reader.structured("syntheticProbes", stringListSchema, "a list of Grafana synthetic monitoring probe names", "liftoff:syntheticProbes: [Amsterdam, Frankfurt]") ?? [...core.profile.observability.syntheticCheck.probes];
    if (reader.isSet("syntheticProbes") && probes.length === 0) {
      reader.error({ key: k("syntheticProbes"), value: "[]", message: "is empty; the public health checks would run nowhere", allowed: "one or more public probe names, e.g. Amsterdam, Frankfurt, London", fix: reader.yamlFix("liftoff:syntheticProbes: [Amsterdam]") });
    }
    probes.forEach((probe, i) => {
      if (!PROBE_NAME_PATTERN.test(probe)) {
        reader.error({ key: `${k("syntheticProbes")}[${i}]`, value: probe, message: "is not a probe name", allowed: "a public probe name as Grafana lists it: one capitalised word such as Amsterdam, NewYork, SaoPaulo", fix: reader.pathCommand(`syntheticProbes[${i}]`, "Amsterdam") });
      }
    });

    const publicServices = core.publicEndpoints.map((e) => e.service);
    const gatewayText = reader.text("gatewayService");
    // With no readable application (its own error is reported) there is nothing to check against.
    if (gatewayText !== undefined && core.app.services.length > 0 && !publicServices.includes(gatewayText)) {
      reader.error({ key: k("gatewayService"), value: gatewayText, message: "is not a service with a public endpoint", allowed: publicServices.join(", ") || "a service listed in liftoff:publicEndpoints", fix: reader.setCommand("gatewayService", closest(gatewayText, publicServices) ?? publicServices[0] ?? "api-gateway") });
    }
    const gatewayService = gatewayText ?? (core.publicEndpoints.find((e) => e.port === 443) ?? core.publicEndpoints[0])?.service;

    const secret = reader.requireSecret(GRAFANA_CLOUD_TOKEN);

    const errorsAfter = reader.problems.filter((p) => p.severity === "error").length;
    if (errorsAfter > errorsBefore || region === undefined || stackSlug === undefined) return undefined;
    return {
      grafana: { region, stackSlug, stackUrl: grafanaStackUrl(stackSlug), deleteProtection: core.protect },
      alertEmails,
      alertThresholds,
      ...(gatewayService ? { gatewayService } : {}),
      syntheticCheck: { probes: [...new Set(probes)], frequencySeconds: core.profile.observability.syntheticCheck.frequencySeconds },
      secrets: [secret],
    };
  },
};
