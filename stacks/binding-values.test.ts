import { describe, expect, it } from "vitest";
import { postgresUri } from "../components/neon/uri";
import { mongoConnectionString } from "../components/atlas/cluster";
import { serviceBindings } from "../environments/compose/bindings";
import type { DatabaseDeclaration } from "../environments/compose/model";
import { DEFAULT_DATABASE_VARIABLES, bindingValues, defaultVariables, endpointUrl, mongoBindingValues, ownVariableNames, postgresBindingValues, srvHost } from "./binding-values";

/** A password with every character a URL must encode, and a role that needs it too. */
const PG = { host: "ep-cool-darkness-123456.eu-central-1.aws.neon.tech", role: "orders", password: "p@ss:w/rd?#%&= é", database: "orders" };
const MONGO = { standardSrv: "mongodb+srv://liftoff-prod.ab12c.mongodb.net", username: "catalog", password: "p@ss/w:rd", database: "catalog", appName: "liftoff-prod" };
const APP = { endpoints: [{ name: "api", port: 443 }, { name: "identity", port: 8443 }] };
const PARTS = { stack: "prod", fqdn: "shop-prod.westeurope.cloudapp.azure.com", otlp: { endpoint: "https://otlp-gateway-prod-eu-west-3.grafana.net/otlp", headers: "Authorization=Basic%20MTIzOnRva2Vu" } };
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
    expect(v["URL"]).toBe("postgresql://orders:p%40ss%3Aw%2Frd%3F%23%25%26%3D%20%C3%A9@ep-cool-darkness-123456-pooler.eu-central-1.aws.neon.tech/orders?sslmode=require&channel_binding=require");
    expect(v).toMatchObject({ HOST: "ep-cool-darkness-123456-pooler.eu-central-1.aws.neon.tech", HOST_DIRECT: PG.host, PORT: "5432", DATABASE: "orders", USER: "orders", PASSWORD: PG.password });
    // The password inside the URL is the PASSWORD binding, once decoded.
    expect(decodeURIComponent(new URL(v["URL"]!).password)).toBe(v["PASSWORD"]);
  });

  it("gives the MongoDB URL exactly as the data layer's connection string, and the SRV host", () => {
    const v = mongoBindingValues(MONGO);
    expect(v["URL"]).toBe(mongoConnectionString(MONGO));
    expect(v["URL"]).toBe("mongodb+srv://catalog:p%40ss%2Fw%3Ard@liftoff-prod.ab12c.mongodb.net/catalog?retryWrites=true&w=majority&authSource=admin&appName=liftoff-prod");
    expect(v).toMatchObject({ HOST: "liftoff-prod.ab12c.mongodb.net", DATABASE: "catalog", USER: "catalog", PASSWORD: MONGO.password });
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
    expect(() => bindingValues(APP, service("orders", [{ kind: "postgres" }]), PARTS)).toThrow("orders declares a postgres database, but the data layer gave no postgres login for it");
  });

  it("makes a .NET key-value connection string from the parts", () => {
    const v = bindingValues(APP, service("orders", [{ kind: "postgres" }]), { ...PARTS, postgres: PG });
    const template = "Host=${LIFTOFF_POSTGRES_HOST};Database=${LIFTOFF_POSTGRES_DATABASE};Username=${LIFTOFF_POSTGRES_USER};Password=${LIFTOFF_POSTGRES_PASSWORD};SSL Mode=Require";
    const filled = template.replace(/\$\{(\w+)\}/g, (_, name: string) => v[name]!);
    expect(filled).toBe(`Host=ep-cool-darkness-123456-pooler.eu-central-1.aws.neon.tech;Database=orders;Username=orders;Password=${PG.password};SSL Mode=Require`);
  });
});

describe("default variables", () => {
  const bindings = { LIFTOFF_POSTGRES_URL: "pooled", LIFTOFF_POSTGRES_URL_DIRECT: "direct", LIFTOFF_STACK: "prod" };
  const otel = { OTEL_SERVICE_NAME: "orders", OTEL_EXPORTER_OTLP_HEADERS: "h" };

  it("keeps today's names for a service that sets none of them", () => {
    expect(defaultVariables(bindings, otel, new Set())).toEqual({ DATABASE_URL: "pooled", DATABASE_URL_UNPOOLED: "direct", OTEL_SERVICE_NAME: "orders", OTEL_EXPORTER_OTLP_HEADERS: "h" });
    expect(defaultVariables({ LIFTOFF_MONGODB_URL: "m" }, {}, new Set())).toEqual({ MONGODB_URI: "m" });
    expect(Object.values(DEFAULT_DATABASE_VARIABLES).sort()).toEqual(["LIFTOFF_MONGODB_URL", "LIFTOFF_POSTGRES_URL", "LIFTOFF_POSTGRES_URL_DIRECT"]);
  });

  it("leaves out a name the service sets itself, so its own value wins", () => {
    expect(defaultVariables(bindings, otel, new Set(["DATABASE_URL", "OTEL_SERVICE_NAME"]))).toEqual({ DATABASE_URL_UNPOOLED: "direct", OTEL_EXPORTER_OTLP_HEADERS: "h" });
  });

  it("reads the names a service sets from the normalized environment, or from either compose form", () => {
    expect(ownVariableNames({ environment: { DATABASE_URL: ["x"] }, compose: { environment: { OTHER: "y" } } })).toEqual(new Set(["DATABASE_URL"]));
    expect(ownVariableNames({ compose: { environment: ["DATABASE_URL=postgres://x", "PASS_THROUGH"] } })).toEqual(new Set(["DATABASE_URL", "PASS_THROUGH"]));
    expect(ownVariableNames({ compose: { environment: { MONGODB_URI: "x" } } })).toEqual(new Set(["MONGODB_URI"]));
    expect(ownVariableNames({ compose: {} })).toEqual(new Set());
  });
});
