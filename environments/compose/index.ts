/**
 * The application loader: the operator's compose file(s) → the normalized {@link AppDefinition},
 * or every problem at once. Pure given its {@link FileReader}.
 */
import * as path from "node:path/posix";
import type { Problem } from "../reader";
import type { FileReader } from "./files";
import type { Variable } from "./interpolate";
import { loadProject, resolveEnvironment } from "./loader";
import type { AppDefinition } from "./model";
import { isBindingName } from "./bindings";
import { Reporter } from "./report";
import { buildApp } from "./rules";

export { fsReader, memoryReader, type FileReader } from "./files";
export type { Variable } from "./interpolate";
export * from "./model";

/** The override file Compose reads beside the compose file when no files are named. */
export const OVERRIDE_FILE = "compose.override.yaml";

export interface LoadAppInput {
  /** Absolute project directory (where Pulumi runs); config paths are relative to it. */
  readonly projectDir: string;
  /** Compose files, relative to the project directory, in merge order. */
  readonly files: readonly string[];
  readonly variables?: Readonly<Record<string, Variable>>;
  readonly profiles?: readonly string[];
  readonly reader: FileReader;
}

export interface LoadAppResult {
  /** Present only when there is no error. */
  readonly app?: AppDefinition;
  /** Errors and warnings (declared host access), each naming file, line, service and field. */
  readonly problems: readonly Problem[];
}

export function loadApp(input: LoadAppInput): LoadAppResult {
  const report = new Reporter();
  for (const [name, v] of Object.entries(input.variables ?? {})) {
    if (/[\uE000-\uE003]/.test(v.value))
      report.error({
        file: "liftoff:composeVariables",
        field: name,
        message: "holds a private-use character liftoff reserves (U+E000-U+E003)",
        allowed: "any other text",
        fix: `remove the character from ${name}`,
      });
    if (isBindingName(name))
      report.error({
        file: "liftoff:composeVariables",
        field: name,
        message: "is a name liftoff reserves for its bindings; it would never be used",
        allowed: "variable names not starting with LIFTOFF_",
        fix: `rename it, and use the binding \${${name}} in environment if that is what you meant`,
      });
  }
  const project = loadProject(
    {
      projectDir: input.projectDir,
      files: input.files,
      variables: input.variables ?? {},
      profiles: input.profiles ?? [],
      reader: input.reader,
    },
    report,
  );
  if (!project || report.hasErrors) return { problems: report.problems };
  const app = buildApp(project, input.reader, report);
  return { ...(app && !report.hasErrors ? { app } : {}), problems: report.problems };
}

/**
 * The files of a stack: `liftoff:composeFiles` when set; else the compose file plus
 * `compose.override.yaml` beside it when that exists (as Compose does by default).
 */
export function composeFilesOf(
  composeFile: string,
  composeFiles: readonly string[] | undefined,
  projectDir: string,
  reader: FileReader,
): string[] {
  if (composeFiles && composeFiles.length > 0) return [...composeFiles];
  const override = path.join(path.dirname(composeFile), OVERRIDE_FILE);
  return reader.readFile(path.resolve(projectDir, override)) !== undefined ? [composeFile, override] : [composeFile];
}

/**
 * The loader's view before liftoff's rules: every active service in canonical form with its
 * environment resolved (markers removed), and the top-level sections. What the differential test
 * compares with `docker compose config --format json`.
 */
export function loadCanonical(input: LoadAppInput): {
  services?: Record<string, Record<string, unknown>>;
  top?: Record<string, unknown>;
  problems: readonly Problem[];
} {
  const report = new Reporter();
  const project = loadProject(
    {
      projectDir: input.projectDir,
      files: input.files,
      variables: input.variables ?? {},
      profiles: input.profiles ?? [],
      reader: input.reader,
    },
    report,
  );
  if (!project || report.hasErrors) return { problems: report.problems };
  const services: Record<string, Record<string, unknown>> = {};
  for (const s of project.services) {
    const env = resolveEnvironment(s, project, input.reader, report);
    const { env_file: _f, environment: _e, ...rest } = s.compose;
    // Compose drops service-level x- fields from its output.
    const c: Record<string, unknown> = Object.fromEntries(Object.entries(rest).filter(([k]) => !k.startsWith("x-")));
    if (env && Object.keys(env).length > 0)
      c["environment"] = Object.fromEntries(
        Object.entries(env).map(([k, v]) => [
          k,
          v.replace(/[\uE002\uE003]/g, "").replace(/\uE000([^\uE001]*)\uE001/g, "$${$1}"),
        ]),
      );
    if (c["networks"] === undefined && c["network_mode"] === undefined) c["networks"] = { default: null };
    services[s.name] = c;
  }
  const networks: Record<string, unknown> = { ...project.top.networks };
  if (
    Object.values(services).some((c) => c["networks"] && "default" in (c["networks"] as object)) &&
    !("default" in networks)
  )
    networks["default"] = {};
  if (report.hasErrors) return { problems: report.problems };
  return {
    services,
    top: { networks, volumes: project.top.volumes, secrets: project.top.secrets, configs: project.top.configs },
    problems: report.problems,
  };
}
