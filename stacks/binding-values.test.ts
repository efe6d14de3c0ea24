import { describe, expect, it } from "vitest";
import { postgresUri } from "../components/neon/uri";
import { mongoConnectionString } from "../components/atlas/cluster";
import { serviceBindings } from "../environments/compose/bindings";
import type { DatabaseDeclaration, EnvTemplate } from "../environments/compose/model";
import { OTEL_VARIABLES, otelEnvironment } from "../components/observability/otel";
import {
  appWithDefaultVariables,
  bindingValues,
  defaultVariableTemplates,
  defaultVariables,
  endpointUrl,
  mongoBindingValues,
  ownVariableNames,
  postgresBindingValues,
  resolveTemplate,
  srvHost,
  withDefaultVariables,
} from "./binding-values";

/** A password with every character a URL must encode, and a role that needs it too. */
const PG = {
  host: "ep-cool-darkness-123456.eu-central-1.aws.neon.tech",
  role: "orders",
  password: "p@ss:w/rd?#%&= é",
  database: "orders",
};
const MONGO = {
  standardSrv: "mongodb+srv://liftoff-prod.ab12c.mongodb.net",
  username: "catalog",
  password: "p@ss/w:rd",
  database: "catalog",
  appName: "liftoff-prod",
};
const APP = {
  endpoints: [
    { name: "api", port: 443 },
    { name: "identity", port: 8443 },
  ],
};
const PARTS = {
  stack: "prod",
  fqdn: "shop-prod.westeurope.cloudapp.azure.com",
  otlp: {
    endpoint: "https://otlp-gateway-prod-eu-west-3.grafana.net/otlp",
    headers: "Authorization=Basic%20MTIzOnRva2Vu",
  },
};
const service = (name: string, databases: DatabaseDeclaration[] = []) => ({ name, databases });

describe("binding values", () => {
  it("gives an endpoint's URL without the port for 443 and with it otherwise", () => {
    expect(endpointUrl("h.example", 443)).toBe("https://h.example");
    expect(endpointUrl("h.example", 8443)).toBe("https://h.example:8443");
  });

  it("gives Postgres URLs exactly as the data layer's connection strings, percent-encoded, and the raw parts beside them", () => {
    const v = postgresBindingValues(PG);
    expect(v["URL"]).toBe(postgresUri(PG, { pooled: true }));
    expect(v["URL_DIRECT"]).toBe(postgresUri(PG));
    expect(v["URL"]).toBe(
      "postgresql://orders:p%40ss%3Aw%2Frd%3F%23%25%26%3D%20%C3%A9@ep-cool-darkness-123456-pooler.eu-central-1.aws.neon.tech/orders?sslmode=require&channel_binding=require",
    );
    expect(v).toMatchObject({
      HOST: "ep-cool-darkness-123456-pooler.eu-central-1.aws.neon.tech",
      HOST_DIRECT: PG.host,
      PORT: "5432",
      DATABASE: "orders",
      USER: "orders",
      PASSWORD: PG.password,
    });
    // The password inside the URL is the PASSWORD binding, once decoded.
    expect(decodeURIComponent(new URL(v["URL"]!).password)).toBe(v["PASSWORD"]);
  });

  it("gives the MongoDB URL exactly as the data layer's connection string, and the SRV host", () => {
    const v = mongoBindingValues(MONGO);
    expect(v["URL"]).toBe(mongoConnectionString(MONGO));
    expect(v["URL"]).toBe(
      "mongodb+srv://catalog:p%40ss%2Fw%3Ard@liftoff-prod.ab12c.mongodb.net/catalog?retryWrites=true&w=majority&authSource=admin&appName=liftoff-prod",
    );
    expect(v).toMatchObject({
      HOST: "liftoff-prod.ab12c.mongodb.net",
      DATABASE: "catalog",
      USER: "catalog",
      PASSWORD: MONGO.password,
    });
    expect(srvHost("mongodb+srv://c.x.mongodb.net/?tls=true")).toBe("c.x.mongodb.net");
    expect(() => srvHost("mongodb://c.x.mongodb.net:27017")).toThrow(/not an Atlas SRV/);
  });

  it("gives a service with no database exactly the catalogue's names: stack, FQDN, itself, every endpoint, OTLP", () => {
    const v = bindingValues(APP, service("api-gateway"), PARTS);
    expect(Object.keys(v)).toEqual(serviceBindings(APP, service("api-gateway")).map((b) => b.name));
    expect(v).toEqual({
      LIFTOFF_STACK: "prod",
      LIFTOFF_FQDN: "shop-prod.westeurope.cloudapp.azure.com",
      LIFTOFF_SERVICE: "api-gateway",
      LIFTOFF_OTLP_ENDPOINT: "https://otlp-gateway-prod-eu-west-3.grafana.net/otlp",
      LIFTOFF_OTLP_PROTOCOL: "http/protobuf",
      LIFTOFF_OTLP_HEADERS: "Authorization=Basic%20MTIzOnRva2Vu",
      LIFTOFF_ENDPOINT_API_URL: "https://shop-prod.westeurope.cloudapp.azure.com",
      LIFTOFF_ENDPOINT_IDENTITY_URL: "https://shop-prod.westeurope.cloudapp.azure.com:8443",
    });
  });

  it("adds each database's parts under the catalogue's names, a shared database's as well", () => {
    const orders = service("reports", [{ kind: "postgres", sharedFrom: "orders" }, { kind: "mongodb" }]);
    const v = bindingValues(APP, orders, { ...PARTS, postgres: { ...PG, role: "reports" }, mongodb: MONGO });
    expect(Object.keys(v)).toEqual(serviceBindings(APP, orders).map((b) => b.name));
    expect(v["LIFTOFF_POSTGRES_USER"]).toBe("reports");
    expect(v["LIFTOFF_POSTGRES_DATABASE"]).toBe("orders");
    expect(v["LIFTOFF_POSTGRES_URL"]).toMatch(/^postgresql:\/\/reports:/);
    expect(v["LIFTOFF_MONGODB_URL"]).toBe(mongoConnectionString(MONGO));
  });

  it("refuses to invent a database login the data layer did not give", () => {
    expect(() => bindingValues(APP, service("orders", [{ kind: "postgres" }]), PARTS)).toThrow(
      "orders declares a postgres database, but the data layer gave no postgres login for it",
    );
  });

  it("makes a .NET key-value connection string from the parts", () => {
    const v = bindingValues(APP, service("orders", [{ kind: "postgres" }]), { ...PARTS, postgres: PG });
    const template =
      "Host=${LIFTOFF_POSTGRES_HOST};Database=${LIFTOFF_POSTGRES_DATABASE};Username=${LIFTOFF_POSTGRES_USER};Password=${LIFTOFF_POSTGRES_PASSWORD};SSL Mode=Require";
    const filled = template.replace(/\$\{(\w+)\}/g, (_, name: string) => v[name]!);
    expect(filled).toBe(
      `Host=ep-cool-darkness-123456-pooler.eu-central-1.aws.neon.tech;Database=orders;Username=orders;Password=${PG.password};SSL Mode=Require`,
    );
  });
});

describe("default variables", () => {
  const orders = service("orders", [{ kind: "postgres" }]);
  const context = { environment: "prod", version: "1.4.2" };
  const values = bindingValues(APP, orders, { ...PARTS, postgres: PG });

  it("keeps today's names for a service that sets none of them, with exactly today's values", () => {
    const env = defaultVariables(orders, context, values, new Set());
    expect(env["DATABASE_URL"]).toBe(postgresUri(PG, { pooled: true }));
    expect(env["DATABASE_URL_UNPOOLED"]).toBe(postgresUri(PG));
    expect(env["MONGODB_URI"]).toBeUndefined();
    // The OTel variables are what the observability layer has always given.
    const otel = otelEnvironment({
      endpoint: PARTS.otlp.endpoint,
      headers: PARTS.otlp.headers,
      environment: "prod",
      services: [{ name: "orders", version: "1.4.2" }],
    })["orders"]!;
    for (const variable of OTEL_VARIABLES) expect(env[variable], variable).toBe(otel[variable]);
    expect(Object.keys(env).sort()).toEqual(["DATABASE_URL", "DATABASE_URL_UNPOOLED", ...OTEL_VARIABLES].sort());
    const catalog = service("catalog", [{ kind: "mongodb" }]);
    expect(
      defaultVariables(catalog, context, bindingValues(APP, catalog, { ...PARTS, mongodb: MONGO }), new Set())[
        "MONGODB_URI"
      ],
    ).toBe(mongoConnectionString(MONGO));
  });

  it("leaves out a name the service sets itself, so its own value wins", () => {
    const env = defaultVariables(orders, context, values, new Set(["DATABASE_URL", "OTEL_SERVICE_NAME"]));
    expect(env["DATABASE_URL"]).toBeUndefined();
    expect(env["OTEL_SERVICE_NAME"]).toBeUndefined();
    expect(env["DATABASE_URL_UNPOOLED"]).toBe(postgresUri(PG));
  });

  it("adds them to a normalized service's environment as binding references, its own entries untouched", () => {
    const own: Record<string, EnvTemplate> = {
      DATABASE_URL: ["postgresql://mine@db/x"],
      ConnectionStrings__Db: ["Host=", { binding: "LIFTOFF_POSTGRES_HOST" }],
    };
    const withDefaults = withDefaultVariables({ ...orders, environment: own }, context);
    expect(withDefaults.environment["DATABASE_URL"]).toEqual(["postgresql://mine@db/x"]);
    expect(withDefaults.environment["ConnectionStrings__Db"]).toBe(own.ConnectionStrings__Db);
    expect(withDefaults.environment["DATABASE_URL_UNPOOLED"]).toEqual([{ binding: "LIFTOFF_POSTGRES_URL_DIRECT" }]);
    expect(withDefaults.environment["OTEL_EXPORTER_OTLP_HEADERS"]).toEqual([{ binding: "LIFTOFF_OTLP_HEADERS" }]);
    expect(withDefaults.environment["OTEL_SEMCONV_STABILITY_OPT_IN"]).toEqual(["http"]);
    // Every reference is to a binding the service has.
    const templates = defaultVariableTemplates(orders, context);
    for (const template of Object.values(templates)) expect(() => resolveTemplate(template, values)).not.toThrow();
    expect(() => resolveTemplate([{ binding: "LIFTOFF_NOPE" }], values)).toThrow("no value for binding LIFTOFF_NOPE");
  });

  it("adds them to every service of a normalized application, versioned by each service's image", () => {
    type Service = ReturnType<typeof service> & {
      image: { tag?: string; digest?: string };
      environment: Record<string, EnvTemplate>;
    };
    const services: Service[] = [
      { ...orders, image: { tag: "2.0.1" }, environment: {} },
      {
        ...service("web"),
        image: { digest: `sha256:${"ab".repeat(32)}` },
        environment: { OTEL_SERVICE_NAME: ["frontend"] },
      },
    ];
    const app = { services };
    const withDefaults = appWithDefaultVariables(app, "prod");
    expect(withDefaults.services[0]!.environment["DATABASE_URL"]).toEqual([{ binding: "LIFTOFF_POSTGRES_URL" }]);
    expect(withDefaults.services[0]!.environment["OTEL_RESOURCE_ATTRIBUTES"]).toEqual([
      "deployment.environment=prod,deployment.environment.name=prod,service.version=2.0.1",
    ]);
    expect(withDefaults.services[1]!.environment["DATABASE_URL"]).toBeUndefined();
    expect(withDefaults.services[1]!.environment["OTEL_SERVICE_NAME"]).toEqual(["frontend"]);
    expect(withDefaults.services[1]!.environment["OTEL_RESOURCE_ATTRIBUTES"]![0]).toContain(
      "service.version=sha256%3Aababababab",
    );
  });

  it("reads the names a service sets from the normalized environment, or from either compose form", () => {
    expect(
      ownVariableNames({ environment: { DATABASE_URL: ["x"] }, compose: { environment: { OTHER: "y" } } }),
    ).toEqual(new Set(["DATABASE_URL"]));
    expect(ownVariableNames({ compose: { environment: ["DATABASE_URL=postgres://x", "PASS_THROUGH"] } })).toEqual(
      new Set(["DATABASE_URL", "PASS_THROUGH"]),
    );
    expect(ownVariableNames({ compose: { environment: { MONGODB_URI: "x" } } })).toEqual(new Set(["MONGODB_URI"]));
    expect(ownVariableNames({ compose: {} })).toEqual(new Set());
  });
});
