/**
 * The application definition: the operator's compose file(s), read by the compose loader
 * (environments/compose/) into the normalized model. This module keeps the names other code
 * imports; the model and the loader live in environments/compose/.
 */
import * as path from "node:path/posix";
import { loadApp, memoryReader, type AppDefinition } from "./compose";
import type { ProblemInput } from "./reader";

// Every name of the model, for the code that imports the application definition from here.
export * from "./compose/model";
export {
  composeFilesOf,
  fsReader,
  loadApp,
  memoryReader,
  type FileReader,
  type LoadAppInput,
  type LoadAppResult,
} from "./compose";

/** Where an in-memory compose file is placed when only its text is known. */
const VIRTUAL_PROJECT = "/project";

/**
 * Reads one compose file given as text (no override file, no variables, no profiles), through the
 * same loader and rules as a stack's files. For tools and tests that hold the text only; warnings
 * (declared host access) are dropped, errors returned.
 */
export function parseAppDefinition(
  text: string,
  file: string,
  files: Readonly<Record<string, string>> = {},
): { app?: AppDefinition; problems: ProblemInput[] } {
  const reader = memoryReader({
    [path.join(VIRTUAL_PROJECT, file)]: text,
    ...Object.fromEntries(Object.entries(files).map(([name, content]) => [path.join(VIRTUAL_PROJECT, name), content])),
  });
  const result = loadApp({ projectDir: VIRTUAL_PROJECT, files: [file], reader });
  const problems = result.problems.filter((p) => p.severity === "error").map(({ severity: _s, ...p }) => p);
  return { ...(result.app ? { app: result.app } : {}), problems };
}
