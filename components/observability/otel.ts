/**
 * The OpenTelemetry settings every service receives, as environment variables the OTel SDKs read
 * themselves (https://opentelemetry.io/docs/specs/otel/configuration/sdk-environment-variables/), so
 * no service needs Grafana-specific code.
 */

/** Grafana Cloud's OTLP gateway speaks OTLP over HTTP only, not gRPC. */
export const OTLP_PROTOCOL = "http/protobuf";

/** The variables each service gets; only the headers carry a credential. */
export const OTEL_VARIABLES = [
  "OTEL_EXPORTER_OTLP_ENDPOINT",
  "OTEL_EXPORTER_OTLP_PROTOCOL",
  "OTEL_EXPORTER_OTLP_HEADERS",
  "OTEL_SERVICE_NAME",
  "OTEL_RESOURCE_ATTRIBUTES",
  "OTEL_SEMCONV_STABILITY_OPT_IN",
] as const;
export type OtelVariable = (typeof OTEL_VARIABLES)[number];
export const OTEL_SECRET_VARIABLES: readonly OtelVariable[] = ["OTEL_EXPORTER_OTLP_HEADERS"];

/** A service as telemetry names it. */
export interface OtelService {
  readonly name: string;
  /** What `service.version` says: the release version, e.g. the image tag. */
  readonly version: string;
}

export interface OtelInput<T> {
  /** The stack's OTLP endpoint (see `otlpEndpoint`). */
  readonly endpoint: T;
  /** The `OTEL_EXPORTER_OTLP_HEADERS` value (see `otlpHeaders`); secret. */
  readonly headers: T;
  /** `deployment.environment`, e.g. `prod`. */
  readonly environment: string;
  readonly services: readonly OtelService[];
}

/**
 * Per service, the environment its OTel SDK reads. Generic in the endpoint and header values so the
 * component can pass Outputs (keeping the headers secret) and tests plain strings.
 */
export function otelEnvironment<T>(input: OtelInput<T>): Record<string, Record<OtelVariable, T | string>> {
  return Object.fromEntries(
    input.services.map((service) => [
      service.name,
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: input.endpoint,
        OTEL_EXPORTER_OTLP_PROTOCOL: OTLP_PROTOCOL,
        OTEL_EXPORTER_OTLP_HEADERS: input.headers,
        OTEL_SERVICE_NAME: service.name,
        OTEL_RESOURCE_ATTRIBUTES: resourceAttributes({
          "deployment.environment": input.environment,
          // The name newer semantic conventions use; Grafana reads either.
          "deployment.environment.name": input.environment,
          "service.version": service.version,
        }),
        // HTTP instrumentations still emit the old metric names unless asked: the dashboards and
        // alerts read the stable ones (http.server.request.duration in seconds).
        OTEL_SEMCONV_STABILITY_OPT_IN: "http",
      },
    ]),
  );
}

/**
 * The OTLP base URL the SDKs append `/v1/<signal>` to. The stack API reports the gateway with or
 * without its `/otlp` path depending on the region's age; the SDKs need it with.
 */
export function otlpEndpoint(otlpUrl: string): string {
  const base = otlpUrl.trim().replace(/\/+$/, "");
  return base.endsWith("/otlp") ? base : `${base}/otlp`;
}

/**
 * `Authorization=Basic%20<base64(stackId:token)>`: the gateway's username is the stack id. The
 * space is percent-encoded because the variable is W3C-baggage-like text, whose values the SDKs
 * percent-decode and in which a bare space is not allowed (Grafana's own instructions encode it too).
 */
export function otlpHeaders(stackId: string, token: string): string {
  if (!/^\d+$/.test(stackId))
    throw new Error(
      `Grafana stack id "${stackId}" is not numeric; the OTLP gateway expects the stack's numeric id as username`,
    );
  return `Authorization=Basic%20${Buffer.from(`${stackId}:${token}`, "utf8").toString("base64")}`;
}

/** `key=value,...` with values percent-encoded, as OTEL_RESOURCE_ATTRIBUTES wants. */
export function resourceAttributes(attributes: Readonly<Record<string, string>>): string {
  return Object.entries(attributes)
    .map(([key, value]) => `${key}=${encodeURIComponent(value)}`)
    .join(",");
}

/** What `service.version` says for an image: its tag, else the start of its digest. */
export function imageVersion(image: { readonly tag?: string; readonly digest?: string }): string {
  return image.tag ?? image.digest?.slice(0, "sha256:".length + 12) ?? "unknown";
}
