import { afterAll, beforeAll, beforeEach } from "vitest";
import { FakeNeonApi } from "./fake-neon-api";

/**
 * The stand-in for Neon's API for one test file: started before the first test, emptied before
 * each, stopped after the last. `baseUrl` is known once it has started.
 */
export function useFakeNeonApi(apiKey: string): { readonly neon: FakeNeonApi; readonly baseUrl: string } {
  const neon = new FakeNeonApi(apiKey);
  let baseUrl = "";
  beforeAll(async () => {
    baseUrl = await neon.start();
  });
  afterAll(() => neon.stop());
  beforeEach(() => neon.reset());
  return {
    neon,
    get baseUrl() {
      return baseUrl;
    },
  };
}
