import { describe, expect, it } from "vitest";
import { poolerHost, postgresUri } from "./uri";

const LOGIN = {
  host: "ep-cool-darkness-123456.eu-central-1.aws.neon.tech",
  role: "orders",
  password: "npg_AbC123",
  database: "orders",
};

describe("Neon connection URIs", () => {
  it("reaches the compute directly, over TLS with channel binding", () => {
    expect(postgresUri(LOGIN)).toBe(
      "postgresql://orders:npg_AbC123@ep-cool-darkness-123456.eu-central-1.aws.neon.tech/orders?sslmode=require&channel_binding=require",
    );
  });

  it("reaches the pooler at the endpoint id with -pooler", () => {
    expect(poolerHost(LOGIN.host)).toBe("ep-cool-darkness-123456-pooler.eu-central-1.aws.neon.tech");
    expect(postgresUri(LOGIN, { pooled: true })).toContain(
      "@ep-cool-darkness-123456-pooler.eu-central-1.aws.neon.tech/orders?",
    );
  });

  it("percent-encodes what would break the URI", () => {
    const uri = postgresUri({ ...LOGIN, password: "p@ss:w/rd?#%", database: "my db" });
    expect(uri).toContain("orders:p%40ss%3Aw%2Frd%3F%23%25@");
    expect(uri).toContain("/my%20db?");
    expect(new URL(uri).password).toBe("p%40ss%3Aw%2Frd%3F%23%25");
  });

  it("refuses a host that is not a compute host", () => {
    expect(() => poolerHost("localhost")).toThrow(/not a Neon compute host/);
  });
});
