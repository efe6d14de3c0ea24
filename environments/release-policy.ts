/**
 * `liftoff:bakeSeconds` and `liftoff:canary`: how a release on the VM moves traffic and how long it
 * is watched before the previous release is let go (components/deploy/release.ts ReleasePolicy,
 * the manifest's `release` object). Read with the core settings; the profile gives the bake window.
 */
import { z } from "zod";
import { DEFAULT_RELEASE_POLICY, type ReleasePolicy } from "../components/deploy/release";
import type { Profile } from "./profiles";
import type { ConfigReader } from "./reader";

export const RELEASE_POLICY_KEYS: readonly string[] = ["bakeSeconds", "canary"];

export const MAX_BAKE_SECONDS = 3600;
export const MAX_STEP_SECONDS = 3600;

const CANARY_ALLOWED = "{ steps: [whole percentages from 1 to 100, ascending, the last 100], stepSeconds: 0-3600 }, e.g. { steps: [10, 50, 100], stepSeconds: 30 }";
const CANARY_EXAMPLE = "liftoff:canary: { steps: [10, 50, 100], stepSeconds: 30 }";

const canarySchema = z
  .object({
    steps: z.array(z.number().int("is not a whole number").min(1, "is below 1 %").max(100, "is above 100 %")).min(1, "is empty"),
    stepSeconds: z.number().int("is not a whole number").min(0, "is negative").max(MAX_STEP_SECONDS, `is above ${MAX_STEP_SECONDS}`).optional(),
  })
  .strict()
  .superRefine((c, ctx) => {
    c.steps.forEach((n, i) => {
      if (i > 0 && n <= c.steps[i - 1]!) ctx.addIssue({ code: "custom", path: ["steps", i], message: `is not above the step before it (${c.steps[i - 1]})` });
    });
    if (c.steps.length > 0 && c.steps[c.steps.length - 1] !== 100) {
      ctx.addIssue({ code: "custom", path: ["steps", c.steps.length - 1], message: "is the last step but not 100: a release must end serving every request" });
    }
  });

/** The stack's release policy: its settings over the profile's defaults; the defaults where a setting is invalid (its problem is reported). */
export function readReleasePolicy(reader: ConfigReader, profile: Pick<Profile, "deploy">): ReleasePolicy {
  const bakeSeconds = reader.integer("bakeSeconds", profile.deploy.bakeSeconds, 0, MAX_BAKE_SECONDS, String(profile.deploy.bakeSeconds)) ?? profile.deploy.bakeSeconds;
  const canary = reader.structured("canary", canarySchema, CANARY_ALLOWED, CANARY_EXAMPLE);
  return {
    ...DEFAULT_RELEASE_POLICY,
    bakeSeconds,
    canary: {
      steps: canary?.steps ?? DEFAULT_RELEASE_POLICY.canary.steps,
      stepSeconds: canary?.stepSeconds ?? DEFAULT_RELEASE_POLICY.canary.stepSeconds,
    },
  };
}
