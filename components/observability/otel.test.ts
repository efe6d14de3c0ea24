import { describe, expect, it } from "vitest";
import {
  OTEL_SECRET_VARIABLES,
  OTEL_VARIABLES,
  imageVersion,
  otelEnvironment,
  otlpEndpoint,
  otlpHeaders,
  resourceAttributes,
} from "./otel";

const decodeHeaders = (value: string) => {
  const [key, encoded] = [value.slice(0, value.indexOf("=")), value.slice(value.indexOf("=") + 1)];
  return { key, value: decodeURIComponent(encoded) };
};

describe("the OpenTelemetry settings each service gets", () => {
  const env = otelEnvironment({
    endpoint: "https://otlp-gateway-prod-eu-west-3.grafana.net/otlp",
    headers: otlpHeaders("123456", "glc_secret"),
    environment: "prod",
    services: [
      { name: "api-gateway", version: "1.4.2" },
      { name: "orders", version: "sha256:abcdef012345" },
    ],
  });

  it("gives every service every variable, with its own service name", () => {
    expect(Object.keys(env)).toEqual(["api-gateway", "orders"]);
    for (const [service, variables] of Object.entries(env)) {
      expect(Object.keys(variables).sort()).toEqual([...OTEL_VARIABLES].sort());
      expect(variables.OTEL_SERVICE_NAME).toBe(service);
      expect(variables.OTEL_EXPORTER_OTLP_PROTOCOL).toBe("http/protobuf");
      expect(variables.OTEL_EXPORTER_OTLP_ENDPOINT).toBe("https://otlp-gateway-prod-eu-west-3.grafana.net/otlp");
    }
  });

  it("authenticates with Basic base64(stack id:token), percent-encoded as the spec's header format wants", () => {
    const header = decodeHeaders(env["api-gateway"]!.OTEL_EXPORTER_OTLP_HEADERS);
    expect(header.key).toBe("Authorization");
    expect(header.value).toBe(`Basic ${Buffer.from("123456:glc_secret").toString("base64")}`);
    expect(env["api-gateway"]!.OTEL_EXPORTER_OTLP_HEADERS).not.toContain(" ");
    expect(OTEL_SECRET_VARIABLES).toEqual(["OTEL_EXPORTER_OTLP_HEADERS"]);
  });

  it("tags telemetry with the environment and the release version", () => {
    expect(env["api-gateway"]!.OTEL_RESOURCE_ATTRIBUTES).toBe(
      "deployment.environment=prod,deployment.environment.name=prod,service.version=1.4.2",
    );
    expect(env["orders"]!.OTEL_RESOURCE_ATTRIBUTES).toContain("service.version=sha256%3Aabcdef012345");
  });

  it("asks the instrumentations for the stable HTTP metrics the dashboards read", () => {
    expect(env["orders"]!.OTEL_SEMCONV_STABILITY_OPT_IN).toBe("http");
  });

  it("refuses a stack id that is not the numeric one the gateway expects as username", () => {
    expect(() => otlpHeaders("liftoffacmedev", "t")).toThrow(/numeric/);
  });

  it.each([
    ["https://otlp-gateway-prod-eu-west-3.grafana.net", "https://otlp-gateway-prod-eu-west-3.grafana.net/otlp"],
    ["https://otlp-gateway-prod-eu-west-3.grafana.net/otlp/", "https://otlp-gateway-prod-eu-west-3.grafana.net/otlp"],
  ])("points the SDKs at the gateway's /otlp base: %s", (url, expected) => {
    expect(otlpEndpoint(url)).toBe(expected);
  });

  it("percent-encodes attribute values that would break the list", () => {
    expect(resourceAttributes({ a: "x,y=z" })).toBe("a=x%2Cy%3Dz");
  });

  it("names an image's version by its tag, else by the start of its digest", () => {
    expect(imageVersion({ tag: "1.4.2" })).toBe("1.4.2");
    expect(imageVersion({ digest: `sha256:${"ab".repeat(32)}` })).toBe("sha256:abababababab");
  });
});
