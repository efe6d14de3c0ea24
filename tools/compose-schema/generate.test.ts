import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { VALIDATOR_FILE, generateValidator } from "./generate";

describe("the generated Compose schema validator", () => {
  it("is what the vendored schema and the installed ajv produce (regenerate: node -r ./tools/ts-register.js tools/compose-schema/generate.ts)", () => {
    expect(readFileSync(VALIDATOR_FILE, "utf8") === generateValidator()).toBe(true);
  });
});
