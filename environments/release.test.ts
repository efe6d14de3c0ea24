import { describe, expect, it } from "vitest";
import { configInput, onlyError } from "../test/config-input";
import { buildEnvironmentSpec } from "./validate";

const specOf = (profile: "dev" | "prod", overrides: Record<string, unknown> = {}) => {
  const { spec, problems } = buildEnvironmentSpec(configInput(profile, overrides));
  expect(problems.filter((p) => p.severity === "error")).toEqual([]);
  return spec!;
};

describe("liftoff:bakeSeconds and liftoff:canary", () => {
  it("default to the profile's bake window (dev 30 s, prod 120 s) and straight to 100 %", () => {
    expect(specOf("dev").release).toEqual({
      bakeSeconds: 30,
      canary: { steps: [100], stepSeconds: 30 },
      maxErrorRate: 0.02,
      minRequests: 20,
    });
    expect(specOf("prod").release.bakeSeconds).toBe(120);
    expect(specOf("prod").release.canary.steps).toEqual([100]);
  });

  it("take the one liftoff:canary's maxErrorRate, and the list shorthand", () => {
    expect(specOf("dev", { canary: JSON.stringify({ steps: [10, 100], maxErrorRate: 0.1 }) }).release).toMatchObject({
      canary: { steps: [10, 100], stepSeconds: 30 },
      maxErrorRate: 0.1,
    });
    expect(specOf("dev", { canary: "[20, 100]" }).release.canary).toEqual({ steps: [20, 100], stepSeconds: 30 });
  });

  it("take the stack's values", () => {
    const release = specOf("dev", {
      bakeSeconds: "0",
      canary: JSON.stringify({ steps: [10, 50, 100], stepSeconds: 45 }),
    }).release;
    expect(release.bakeSeconds).toBe(0);
    expect(release.canary).toEqual({ steps: [10, 50, 100], stepSeconds: 45 });
    expect(specOf("prod", { canary: JSON.stringify({ steps: [25, 100] }) }).release.canary).toEqual({
      steps: [25, 100],
      stepSeconds: 30,
    });
  });

  it("refuse a bake window outside 0-3600 s, naming the key and the fix", () => {
    const p = onlyError("dev", { bakeSeconds: "3601" }, "liftoff:bakeSeconds");
    expect(p.value).toBe("3601");
    expect(p.allowed).toBe("a whole number from 0 to 3600");
    expect(p.fix).toBe("pulumi config set liftoff:bakeSeconds 30 --stack dev");
    onlyError("prod", { bakeSeconds: "1.5" }, "liftoff:bakeSeconds");
  });

  it("refuse canary steps that do not rise to 100, naming the step", () => {
    expect(
      onlyError("dev", { canary: JSON.stringify({ steps: [10, 50] }) }, "liftoff:canary.steps[1]").message,
    ).toMatch(/last step but not 100/);
    expect(
      onlyError("dev", { canary: JSON.stringify({ steps: [50, 10, 100] }) }, "liftoff:canary.steps[1]").message,
    ).toMatch(/not above the step before it \(50\)/);
    expect(
      onlyError("dev", { canary: JSON.stringify({ steps: [0, 100] }) }, "liftoff:canary.steps[0]").message,
    ).toMatch(/below 1 %/);
    onlyError("dev", { canary: JSON.stringify({ steps: [] }) }, "liftoff:canary.steps");
    expect(onlyError("dev", { canary: "[10, 50]" }, "liftoff:canary[1]").fix).toContain(
      "liftoff:canary: [10, 50, 100]",
    );
    onlyError("dev", { canary: JSON.stringify({ steps: [100], stepSeconds: 4000 }) }, "liftoff:canary.stepSeconds");
    const typo = onlyError("dev", { canary: JSON.stringify({ steps: [100], pauseSeconds: 10 }) }, "liftoff:canary");
    expect(typo.fix).toContain("liftoff:canary: {steps: [10, 50, 100], stepSeconds: 30, maxErrorRate: 0.02}");
  });
});
