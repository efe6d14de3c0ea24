import { describe, expect, it } from "vitest";
import { checkJob, checkJobPattern, checkTimeoutMs, healthUrl, probeIds } from "./checks";

describe("synthetic checks", () => {
  it("probe each endpoint's health path", () => {
    expect(healthUrl("https://h.example:8443", "/healthz")).toBe("https://h.example:8443/healthz");
    expect(healthUrl("https://h.example/", "healthz")).toBe("https://h.example/healthz");
  });

  it("are found by the health alert through their job names", () => {
    const pattern = new RegExp(`^${checkJobPattern("liftoff-prod")}$`);
    expect(pattern.test(checkJob("liftoff-prod", "api-gateway"))).toBe(true);
    expect(pattern.test(checkJob("liftoff-prod-dr", "api-gateway"))).toBe(true);
    expect(pattern.test("other-api-gateway-health")).toBe(false);
  });

  it("run from the named probes, and fail naming the available ones when a name is unknown", () => {
    expect(probeIds({ Amsterdam: 7, London: 5 }, ["London", "Amsterdam"])).toEqual([5, 7]);
    expect(() => probeIds({ Amsterdam: 7, London: 5 }, ["Amsterdan"])).toThrow(
      "no probe named Amsterdan; set liftoff:syntheticProbes to some of: Amsterdam, London",
    );
  });

  it("time out well within their period", () => {
    expect(checkTimeoutMs(60)).toBe(10_000);
    expect(checkTimeoutMs(5)).toBe(2_500);
    expect(checkTimeoutMs(1)).toBe(1_000);
  });
});
