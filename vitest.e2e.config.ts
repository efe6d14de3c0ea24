/**
 * The e2e suite: the release agent applied for real on the local test host. Long timeouts,
 * one file at a time, tests in order (the scenarios build on each other).
 * Start the test host first: `npm run testbed -- up`; then `npm run test:e2e`.
 */
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    maxWorkers: 1,
    sequence: { concurrent: false, shuffle: false },
    reporters: ["verbose"],
    // Never retried: a flaky zero-downtime claim must show up as a failure.
    retry: 0,
  },
});
