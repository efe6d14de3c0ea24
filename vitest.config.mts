import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["{environments,components,stacks,tools,test,bootstrap,policy}/**/*.test.ts"],
    exclude: ["**/node_modules/**", "test/e2e/**"],
    // Program evaluations load the Azure SDK; the first one in a worker takes a few seconds.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
