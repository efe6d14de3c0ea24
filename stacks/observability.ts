import type * as pulumi from "@pulumi/pulumi";
import {
  Observability,
  healthUrl,
  imageVersion,
  type CollectorSpec,
  type OtelVariable,
} from "../components/observability";
import type { Environment } from "../environments/load";
import { stackSecret } from "./secrets";

/** What the observability layer hands the layers after it (the deploy layer runs the services and the collector). */
export interface ObservabilityLayer {
  /** The Grafana Cloud stack, `https://<slug>.grafana.net`. */
  readonly grafanaUrl: pulumi.Output<string>;
  /** Dashboard name → URL. */
  readonly dashboardUrls: Readonly<Record<string, pulumi.Output<string>>>;
  /** Per service, the OTel environment; `OTEL_EXPORTER_OTLP_HEADERS` is secret. */
  readonly otelEnvironment: Readonly<Record<string, Readonly<Record<OtelVariable, pulumi.Output<string>>>>>;
  readonly otlp: { readonly endpoint: pulumi.Output<string>; readonly headers: pulumi.Output<string> };
  /** The host collector (Grafana Alloy): container settings, config, secret environment. */
  readonly collector: CollectorSpec;
}

/** Where the checks look when there is no host (runtime `containerapps`): each public endpoint's own hostname. */
export interface ObservabilityTargets {
  /** Public endpoint name -> hostname (the apps' FQDNs or custom domains, known once the release exists). */
  readonly endpointHostnames: pulumi.Output<Record<string, string>>;
}

/** The environment's Grafana Cloud stack, wired to every service and the host. */
export function observabilityLayer(
  environment: Environment,
  { targets }: { readonly targets?: ObservabilityTargets | undefined } = {},
): ObservabilityLayer {
  const { spec } = environment;
  const o = spec.observability;
  const observability = new Observability("observability", {
    environment: spec.stack,
    namePrefix: spec.namePrefix,
    cloudAccessPolicyToken: stackSecret(environment, "grafanaCloudToken"),
    region: o.grafana.region,
    stackSlug: o.grafana.stackSlug,
    deleteProtection: o.grafana.deleteProtection,
    protect: spec.protect,
    labels: { environment: spec.stack, profile: spec.profileName, owner: spec.owner },
    services: spec.services.map((s) => ({ name: s.name, version: imageVersion(s.image) })),
    ...(o.gatewayService ? { gatewayService: o.gatewayService } : {}),
    healthChecks: spec.publicEndpoints.map((e) => ({
      service: e.service,
      url: targets
        ? targets.endpointHostnames.apply((h) => healthUrl(`https://${h[e.name]}`, e.healthPath))
        : healthUrl(e.url, e.healthPath),
    })),
    syntheticCheck: o.syntheticCheck,
    alertThresholds: o.alertThresholds,
    alertEmails: o.alertEmails,
    // No host on containerapps: no host dashboard, no host alert rules.
    ...(targets ? {} : { host: spec.host.fqdn }),
  });
  return {
    grafanaUrl: observability.stackUrl,
    dashboardUrls: observability.dashboardUrls,
    otelEnvironment: observability.otelEnvironment,
    otlp: { endpoint: observability.otlpEndpoint, headers: observability.otlpHeaders },
    collector: observability.collector,
  };
}
