/** Facts about Grafana Cloud that validation checks against. */

/**
 * Grafana Cloud region slugs a stack can be created in, as the region list API spells them
 * (`curl -s https://grafana.com/api/stack-regions | jq -r '.items[].slug'`). Refresh this list when
 * Grafana opens a region; until then the region cannot be chosen here, by design: a mistyped region
 * would otherwise only fail half-way through `pulumi up`.
 */
export const GRAFANA_CLOUD_REGIONS: readonly string[] = [
  "prod-ap-northeast-0",
  "prod-ap-south-0",
  "prod-ap-southeast-0",
  "prod-ap-southeast-1",
  "prod-ap-southeast-2",
  "prod-au-southeast-0",
  "prod-au-southeast-1",
  "prod-ca-east-0",
  "prod-eu-north-0",
  "prod-eu-west-0",
  "prod-eu-west-2",
  "prod-eu-west-3",
  "prod-eu-west-5",
  "prod-gb-south-0",
  "prod-gb-south-1",
  "prod-me-central-0",
  "prod-sa-east-0",
  "prod-sa-east-1",
  "prod-us-central-0",
  "prod-us-east-0",
  "prod-us-east-2",
  "prod-us-east-4",
  "prod-us-west-0",
];

/**
 * Short names the stack API accepts but the access policy API does not: the OTLP token's policy must
 * name the same region as its stack, so liftoff asks for the full slug everywhere.
 */
export const GRAFANA_REGION_ALIASES: Readonly<Record<string, string>> = {
  us: "prod-us-central-0",
  eu: "prod-eu-west-0",
  au: "prod-au-southeast-0",
  "eu-azure": "prod-eu-west-3",
};

/**
 * A stack slug as Grafana accepts it (the Terraform provider checks the same): lowercase letters and
 * digits, starting with a letter, 2 to 29 characters. It is the stack's host name, `<slug>.grafana.net`,
 * so it must also be unique across Grafana Cloud.
 */
export const STACK_SLUG_PATTERN = /^[a-z][a-z0-9]{1,28}$/;

/** Public probe names as the synthetic monitoring API lists them, e.g. Amsterdam, NewYork, SaoPaulo. */
export const PROBE_NAME_PATTERN = /^[A-Z][A-Za-z0-9]{1,39}$/;

/** The stack's Grafana instance. */
export function grafanaStackUrl(slug: string): string {
  return `https://${slug}.grafana.net`;
}

/** A slug derived from a DNS label (hyphens dropped), or undefined when no valid slug results. */
export function slugFromLabel(label: string): string | undefined {
  const slug = label
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .replace(/^[^a-z]+/, "")
    .slice(0, 29);
  return STACK_SLUG_PATTERN.test(slug) ? slug : undefined;
}
