/**
 * The observability layer's section: the environment's Grafana Cloud stack, alerting and synthetic
 * checks (OBSERVABILITY_SETTINGS in settings.ts). Each `readX` step reports to the one collector.
 */
import {
  GRAFANA_CLOUD_REGIONS,
  GRAFANA_REGION_ALIASES,
  PROBE_NAME_PATTERN,
  STACK_SLUG_PATTERN,
  grafanaStackUrl,
  slugFromLabel,
} from "./grafana";
import type { CoreSpec } from "./core";
import { THRESHOLD_RANGES, type AlertThresholds } from "./profiles";
import { closest, type ConfigReader, type SecretRequirement } from "./reader";
import { OBSERVABILITY_SETTINGS } from "./settings";
import type { Section } from "./setting";

export { THRESHOLD_RANGES } from "./profiles";

/** The observability layer's part: the environment's Grafana Cloud stack and what it watches. */
export interface ObservabilitySpec {
  readonly grafana: {
    /** Grafana Cloud region slug, e.g. `prod-eu-west-3`; the stack and its access policies live there. */
    readonly region: string;
    /** Stack slug: the stack is `https://<slug>.grafana.net`. */
    readonly stackSlug: string;
    readonly stackUrl: string;
    /** Grafana refuses to delete the stack while on (prod); off in dev so it can be torn down. */
    readonly deleteProtection: boolean;
  };
  /** Who the alerts mail. */
  readonly alertEmails: readonly string[];
  readonly alertThresholds: AlertThresholds;
  /** The service whose 5xx ratio is alerted on: the one behind port 443, else the first public endpoint. */
  readonly gatewayService?: string;
  /** Public probe locations (Grafana's probe names) and how often each checks every health URL. */
  readonly syntheticCheck: { readonly probes: readonly string[]; readonly frequencySeconds: number };
  readonly secrets: readonly SecretRequirement[];
}

const S = OBSERVABILITY_SETTINGS;

/**
 * An address a mail server would take: a local part without spaces or brackets, and a domain of
 * DNS labels with a dot. Deliberately not RFC 5322's full grammar: quoted local parts and IP-literal
 * domains are legal there but never what an on-call list means.
 */
const EMAIL =
  /^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+$/;

export const observabilitySection: Section<"observability", CoreSpec, ObservabilitySpec> = {
  name: "observability",
  title: "Observability: Grafana Cloud",
  settings: OBSERVABILITY_SETTINGS,
  read(reader: ConfigReader, core: CoreSpec): ObservabilitySpec {
    const region = readGrafanaRegion(reader);
    const stackSlug = readStackSlug(reader, core);
    const alertEmails = readAlertEmails(reader);
    const alertThresholds = readAlertThresholds(reader, core);
    const probes = readSyntheticProbes(reader, core);
    const gatewayService = readGatewayService(reader, core);
    const secret = S.grafanaCloudToken.read(reader)!;
    return {
      grafana: {
        region: region ?? "",
        stackSlug: stackSlug ?? "",
        stackUrl: grafanaStackUrl(stackSlug ?? ""),
        deleteProtection: core.protect,
      },
      alertEmails,
      alertThresholds,
      ...(gatewayService ? { gatewayService } : {}),
      syntheticCheck: { probes, frequencySeconds: core.profile.observability.syntheticCheck.frequencySeconds },
      secrets: [secret],
    };
  },
};

function readGrafanaRegion(reader: ConfigReader): string | undefined {
  const region = S.grafanaRegion.read(reader);
  if (region === undefined) {
    reader.error({
      key: reader.key(S.grafanaRegion.key),
      message: "is not set; it says where the environment's Grafana Cloud stack and its access policies live",
      allowed: S.grafanaRegion.allowed,
      fix: reader.setCommand(S.grafanaRegion.key, S.grafanaRegion.example),
    });
  } else if (!GRAFANA_CLOUD_REGIONS.includes(region)) {
    const alias = GRAFANA_REGION_ALIASES[region];
    reader.error({
      key: reader.key(S.grafanaRegion.key),
      value: region,
      message: alias ? "is a short region name the access policy API does not take" : "is not a Grafana Cloud region",
      allowed: `a region slug as the region list API spells it: ${GRAFANA_CLOUD_REGIONS.join(", ")}`,
      fix: reader.setCommand(
        S.grafanaRegion.key,
        alias ?? closest(region, GRAFANA_CLOUD_REGIONS) ?? S.grafanaRegion.example,
      ),
    });
  }
  return region;
}

/** The stack slug, given or derived from the DNS label. */
function readStackSlug(reader: ConfigReader, core: CoreSpec): string | undefined {
  const given = S.grafanaStackSlug.read(reader);
  const slug = given ?? slugFromLabel(core.host.dnsLabel);
  const fallback = `acme${core.stack.replace(/[^a-z0-9]/g, "")}`;
  if (given !== undefined && !STACK_SLUG_PATTERN.test(given)) {
    reader.error({
      key: reader.key(S.grafanaStackSlug.key),
      value: given,
      message: "is a stack slug Grafana refuses",
      allowed: S.grafanaStackSlug.allowed,
      fix: reader.setCommand(S.grafanaStackSlug.key, slugFromLabel(given) ?? fallback),
    });
  } else if (slug === undefined && core.host.dnsLabel !== "") {
    reader.error({
      key: reader.key(S.grafanaStackSlug.key),
      message: `is not set, and none can be derived from dnsLabel "${core.host.dnsLabel}"`,
      allowed: S.grafanaStackSlug.allowed,
      fix: reader.setCommand(S.grafanaStackSlug.key, fallback),
    });
  }
  return slug;
}

function readAlertEmails(reader: ConfigReader): string[] {
  const emails = S.alertEmails.read(reader);
  if (!reader.isSet(S.alertEmails.key) || (emails !== undefined && emails.length === 0)) {
    reader.error({
      key: reader.key(S.alertEmails.key),
      value: emails ? "[]" : undefined,
      message: "is empty; alerts would reach no one",
      allowed: "one or more e-mail addresses of whoever is on call",
      fix: reader.yamlFix(S.alertEmails.example),
    });
  }
  (emails ?? []).forEach((address, i) => {
    if (!EMAIL.test(address.trim())) {
      reader.error({
        key: `${reader.key(S.alertEmails.key)}[${i}]`,
        value: address,
        message: "is not an e-mail address",
        allowed: "name@domain.tld, one address per entry",
        fix: reader.pathCommand(`${S.alertEmails.key}[${i}]`, "oncall@example.com"),
      });
    }
  });
  return [...new Set((emails ?? []).map((e) => e.trim()))];
}

/** The profile's thresholds, each one the stack sets replacing the profile's when in range. */
function readAlertThresholds(reader: ConfigReader, core: CoreSpec): AlertThresholds {
  const profileThresholds = core.profile.observability.alertThresholds;
  const given = S.alertThresholds.read(reader, core.profile) ?? {};
  const thresholds: { -readonly [K in keyof AlertThresholds]: number } = { ...profileThresholds };
  for (const [name, value] of Object.entries(given)) {
    if (value === undefined) continue;
    const key = name as keyof AlertThresholds;
    const range = THRESHOLD_RANGES[key];
    if (value < range.min || value > range.max || (range.integer && !Number.isInteger(value))) {
      reader.error({
        key: `${reader.key(S.alertThresholds.key)}.${name}`,
        value: String(value),
        message: "is out of range: the alert would fire all the time or never",
        allowed: `${range.integer ? "a whole number" : "a number"} from ${range.min} to ${range.max} (${range.unit})`,
        fix: reader.pathCommand(`${S.alertThresholds.key}.${name}`, String(profileThresholds[key])),
      });
    } else {
      thresholds[key] = value;
    }
  }
  return thresholds;
}

function readSyntheticProbes(reader: ConfigReader, core: CoreSpec): string[] {
  const probes = S.syntheticProbes.read(reader, core.profile) ?? [];
  if (reader.isSet(S.syntheticProbes.key) && probes.length === 0) {
    reader.error({
      key: reader.key(S.syntheticProbes.key),
      value: "[]",
      message: "is empty; the public health checks would run nowhere",
      allowed: "one or more public probe names, e.g. Amsterdam, Frankfurt, London",
      fix: reader.yamlFix("liftoff:syntheticProbes: [Amsterdam]"),
    });
  }
  probes.forEach((probe, i) => {
    if (!PROBE_NAME_PATTERN.test(probe)) {
      reader.error({
        key: `${reader.key(S.syntheticProbes.key)}[${i}]`,
        value: probe,
        message: "is not a probe name",
        allowed: "a public probe name as Grafana lists it: one capitalised word such as Amsterdam, NewYork, SaoPaulo",
        fix: reader.pathCommand(`${S.syntheticProbes.key}[${i}]`, "Amsterdam"),
      });
    }
  });
  return [...new Set(probes)];
}

/** The service alerted on for 5xx: given, or the one behind port 443, else the first public endpoint's. */
function readGatewayService(reader: ConfigReader, core: CoreSpec): string | undefined {
  const publicServices = core.publicEndpoints.map((e) => e.service);
  const given = S.gatewayService.read(reader);
  // With no readable application (its own error is reported) there is nothing to check against.
  if (given !== undefined && core.app.services.length > 0 && !publicServices.includes(given)) {
    reader.error({
      key: reader.key(S.gatewayService.key),
      value: given,
      message: "is not a service with a public endpoint",
      allowed:
        publicServices.join(", ") ||
        "a service that serves an endpoint (x-liftoff.public in the compose file); the application has none",
      fix:
        publicServices.length > 0
          ? reader.setCommand(S.gatewayService.key, closest(given, publicServices) ?? publicServices[0]!)
          : `remove it: pulumi config rm ${reader.key(S.gatewayService.key)} --stack ${reader.stack}, or give ${given} an endpoint in ${core.app.file} (x-liftoff.endpoints and the service's x-liftoff.public)`,
    });
  }
  return given ?? (core.publicEndpoints.find((e) => e.port === 443) ?? core.publicEndpoints[0])?.service;
}
