/**
 * The compose loader: reads the operator's compose file(s) exactly as Compose v2 does (overrides,
 * `extends`, anchors and merge keys, interpolation, profiles, env files), checks each file against
 * the Compose Specification's schema, and returns the services in canonical form. Pure: every file
 * is read through the injected {@link FileReader}. liftoff's own rules run afterwards, on this
 * result only (rules.ts), so nothing written with an anchor, a merge key or `extends` escapes them.
 */
import * as path from "node:path/posix";
import { canonicalService, durationNanos, keyValueMap, type EnvFileRef } from "./canonical";
import { DotenvError, parseDotenv } from "./dotenv";
import { parseYaml, type FileReader, type ParsedYaml } from "./files";
import { InterpolationError, MARKERS, interpolate, type Lookup, type Variable } from "./interpolate";
import { mergeSection, mergeService } from "./merge";
import { fieldPath, pathOf, type LoaderProblem, type Reporter } from "./report";
import { checkSchema } from "./schema";
import { closest } from "../reader";
import { isBindingName } from "./bindings";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

export interface ComposeInput {
  /** Absolute project directory: relative paths in config are relative to it. */
  readonly projectDir: string;
  /** The compose files, relative to the project directory, in merge order. */
  readonly files: readonly string[];
  /** Per-stack variables (`liftoff:composeVariables`); they win over the `.env` file. */
  readonly variables: Readonly<Record<string, Variable>>;
  /** Active profiles (`liftoff:composeProfiles`). */
  readonly profiles: readonly string[];
  readonly reader: FileReader;
}

/** A service after merging, before liftoff's rules: canonical fields, env not yet resolved. */
export interface LoadedService {
  readonly name: string;
  readonly compose: Obj;
  /** The files (relative names) that define the service, in merge order, for line lookups. */
  readonly files: readonly string[];
}

export interface LoadedProject {
  /** Relative names of the files read, in merge order. */
  readonly files: readonly string[];
  /** Absolute directory of the first file: Compose's project directory. */
  readonly dir: string;
  readonly services: readonly LoadedService[];
  readonly top: {
    readonly networks: Obj;
    readonly volumes: Obj;
    readonly secrets: Obj;
    readonly configs: Obj;
    readonly xLiftoff: unknown;
  };
  /** The merged project environment: `.env` then the stack's variables. */
  readonly lookup: Lookup;
  /** A line for a field of a service, from the last file that writes it. */
  lineOf(file: string, p: readonly (string | number)[]): number | undefined;
}

const LIFTOFF_KEY = "x-liftoff";

/** True for keys that look like a mistyped `x-liftoff` (`x-liftof`, `x_liftoff`, `xliftoff`, `X-Liftoff`). */
export function isLiftoffNearMiss(key: string): boolean {
  if (key === LIFTOFF_KEY) return false;
  const squashed = key.toLowerCase().replace(/[^a-z]/g, "");
  return squashed === "xliftoff" || closest(squashed, ["xliftoff"]) !== undefined;
}

export function loadProject(input: ComposeInput, report: Reporter): LoadedProject | undefined {
  const parsedFiles = new Map<string, ParsedYaml>();
  const rel = (abs: string) => path.relative(input.projectDir, abs) || abs;
  const firstAbs = path.resolve(input.projectDir, input.files[0]!);
  const dir = path.dirname(firstAbs);

  // Variables: the `.env` beside the first file, then the stack's own (which win).
  const stackVars = input.variables;
  const dotenv = new Map<string, Variable>();
  const envPath = path.join(dir, ".env");
  const envText = input.reader.readFile(envPath);
  if (envText !== undefined) {
    try {
      for (const e of parseDotenv(envText.toString("utf8"), (n) => stackVars[n] ?? dotenv.get(n))) {
        if (isBindingName(e.name)) {
          report.error({
            file: rel(envPath),
            line: e.line,
            field: e.name,
            message: "is a name liftoff reserves for its bindings; it would never be used",
            allowed: "variable names not starting with LIFTOFF_",
            fix: `rename it in ${rel(envPath)}`,
          });
        } else if (e.value !== undefined) dotenv.set(e.name, { value: e.value, secret: false });
      }
    } catch (e) {
      if (!(e instanceof DotenvError)) throw e;
      report.error({
        file: rel(envPath),
        line: e.line,
        message: `cannot be read: ${e.message}`,
        allowed: "KEY=value lines, as Compose reads them",
        fix: `correct line ${e.line} of ${rel(envPath)}`,
      });
    }
  }
  const lookup: Lookup = (n) => stackVars[n] ?? dotenv.get(n);

  // Interpolation problems wait until the profiles are known: a service that is not deployed
  // (and that no deployed service extends) may use variables this stack does not set.
  const pendingInterpolation: { path: (string | number)[]; problem: LoaderProblem }[] = [];
  const extendsTargets = new Set<string>();

  /** Reads, parses, interpolates and schema-checks one file (once). */
  const cache = new Map<string, Obj | null>();
  const readFile = (abs: string, from?: { file: string; service: string }): Obj | undefined => {
    if (cache.has(abs)) return cache.get(abs) ?? undefined;
    cache.set(abs, null);
    const name = rel(abs);
    const bytes = input.reader.readFile(abs);
    if (bytes === undefined) {
      report.error({
        file: from?.file ?? name,
        ...(from ? { service: from.service, field: "extends.file" } : {}),
        value: name,
        message: "cannot be read: no such file",
        allowed: "a compose file that exists, relative to the project",
        fix: from
          ? `create ${name} or correct extends.file`
          : `create ${name}, or list the files you have in liftoff:composeFiles`,
      });
      return undefined;
    }
    const parsed = parseYaml(bytes.toString("utf8"));
    parsedFiles.set(name, parsed);
    if (parsed.errors.length > 0) {
      for (const e of parsed.errors)
        report.error({
          file: name,
          ...(e.line !== undefined ? { line: e.line } : {}),
          message: `is not valid YAML: ${e.message}`,
          allowed: "a Compose file (YAML)",
          fix: `correct the YAML syntax in ${name}`,
        });
      return undefined;
    }
    if (!isObj(parsed.data)) {
      report.error({
        file: name,
        message: "is not a Compose file: the top level must be a map",
        allowed: "a map with `services:`",
        fix: `start from app/compose.yaml`,
      });
      return undefined;
    }
    const data = interpolateTree(parsed.data, [], lookup, (p, message) =>
      pendingInterpolation.push({
        path: p,
        problem: {
          file: name,
          line: parsed.lineOf(p),
          ...placeOf(p),
          message: `cannot be interpolated: ${message}`,
          allowed: "a variable set in liftoff:composeVariables or .env, or a default (${VAR:-default})",
          fix: `set it: pulumi config set --path 'liftoff:composeVariables.${/variable (\w+)/.exec(message)?.[1] ?? "NAME"}' <value>, or give a default in ${name}`,
        },
      }),
    ) as Obj;
    let ok = true;
    // Near misses of x-liftoff, before the schema (which would only say "not allowed").
    for (const [scope, map] of [
      [[], data],
      ...Object.entries(isObj(data["services"]) ? data["services"] : {}).map(([s, d]) => [["services", s], d]),
    ] as [string[], unknown][]) {
      if (!isObj(map)) continue;
      for (const key of Object.keys(map)) {
        if (isLiftoffNearMiss(key)) {
          ok = false;
          report.error({
            file: name,
            line: parsed.lineOf([...scope, key]),
            ...placeOf([...scope, key]),
            value: key,
            message: `looks like a misspelt ${LIFTOFF_KEY}: liftoff would ignore it, and Compose too`,
            allowed: LIFTOFF_KEY,
            fix: `rename ${key} to ${LIFTOFF_KEY}`,
          });
          delete map[key];
        }
      }
    }
    for (const p of checkSchema(withoutMarkers(data))) {
      ok = false;
      report.error({
        file: name,
        line: parsed.lineOf(p.path),
        ...placeOf(p.path),
        ...(p.value !== undefined ? { value: p.value } : {}),
        message: p.message,
        allowed: p.allowed,
        fix: p.fix,
      });
    }
    if (data["include"] !== undefined) {
      ok = false;
      report.error({
        file: name,
        line: parsed.lineOf(["include"]),
        field: "include",
        message: "is not supported by liftoff",
        allowed: "the files listed in liftoff:composeFiles",
        fix: "list the included files in liftoff:composeFiles instead",
      });
    }
    if (!ok) return undefined;
    cache.set(abs, data);
    return data;
  };

  // Services per file, with extends resolved, then merged file by file.
  const merged = new Map<string, { compose: Obj; files: string[] }>();
  const top = {
    networks: {} as Obj,
    volumes: {} as Obj,
    secrets: {} as Obj,
    configs: {} as Obj,
    xLiftoff: undefined as unknown,
  };
  let ok = true;
  const mainFiles = new Set(input.files.map((f) => path.resolve(input.projectDir, f)));
  for (const f of input.files) {
    const abs = path.resolve(input.projectDir, f);
    const data = readFile(abs);
    if (!data) {
      ok = false;
      continue;
    }
    const name = rel(abs);
    const services = isObj(data["services"]) ? data["services"] : {};
    for (const [svc, def] of Object.entries(services)) {
      const resolved = resolveService(abs, svc, isObj(def) ? def : {}, [], {
        readFile,
        report,
        rel,
        dirOf: (f) => (mainFiles.has(f) ? dir : path.dirname(f)),
        extendsTargets,
      });
      if (!resolved) {
        ok = false;
        continue;
      }
      const existing = merged.get(svc);
      merged.set(
        svc,
        existing
          ? { compose: mergeService(existing.compose, resolved), files: [...existing.files, name] }
          : { compose: resolved, files: [name] },
      );
    }
    for (const section of ["networks", "volumes", "secrets", "configs"] as const) {
      const v = data[section];
      if (isObj(v)) {
        const normalized = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, topEntry(section, x, dir)]));
        top[section] = mergeSection(top[section], normalized);
      }
    }
    if (data[LIFTOFF_KEY] !== undefined)
      top.xLiftoff =
        isObj(top.xLiftoff) && isObj(data[LIFTOFF_KEY])
          ? mergeSection(top.xLiftoff, data[LIFTOFF_KEY])
          : data[LIFTOFF_KEY];
  }
  if (!ok) return undefined;

  if (merged.size === 0) {
    report.error({
      file: rel(firstAbs),
      field: "services",
      message: "is missing or empty; a Compose file needs at least one service",
      allowed: "a map of service name to definition",
      fix: `add services: to ${rel(firstAbs)}`,
    });
    return undefined;
  }

  // Profiles: services outside the active ones are not part of the project at all.
  const active = new Set(input.profiles);
  const services: LoadedService[] = [];
  for (const [name, { compose, files }] of [...merged.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const profiles = compose["profiles"];
    if (Array.isArray(profiles) && profiles.length > 0 && !profiles.some((p) => active.has(String(p)))) continue;
    const { profiles: _p, ...rest } = compose;
    services.push({ name, compose: rest, files });
  }
  const deployed = new Set(services.map((s) => s.name));
  for (const { path: p, problem } of pendingInterpolation) {
    const service = p[0] === "services" ? String(p[1]) : undefined;
    if (service === undefined || deployed.has(service) || extendsTargets.has(service)) report.error(problem);
  }
  if (report.hasErrors) return undefined;
  const lineOf = (file: string, p: readonly (string | number)[]) => parsedFiles.get(file)?.lineOf(p);
  if (!checkReferences(services, [...merged.keys()], top, lineOf, report)) return undefined;
  const used = usedTopLevel(services);
  for (const section of ["networks", "volumes", "secrets", "configs"] as const) {
    top[section] = Object.fromEntries(Object.entries(top[section]).filter(([k]) => used[section].has(k)));
  }
  return { files: input.files.map((f) => rel(path.resolve(input.projectDir, f))), dir, services, top, lookup, lineOf };
}

interface ResolveContext {
  readFile(abs: string, from?: { file: string; service: string }): Obj | undefined;
  readonly report: Reporter;
  rel(abs: string): string;
  dirOf(fileAbs: string): string;
  readonly extendsTargets: Set<string>;
}

/**
 * One service in canonical form with its `extends` chain applied: the base (from this file or
 * another, itself possibly extending) first, then this service's own fields by the merge rules.
 * Relative paths resolve against the file that wrote them, as Compose does.
 */
function resolveService(
  fileAbs: string,
  name: string,
  def: Obj,
  chain: readonly string[],
  ctx: ResolveContext,
): Obj | undefined {
  const file = ctx.rel(fileAbs);
  const id = `${fileAbs}#${name}`;
  if (chain.includes(id)) {
    ctx.report.error({
      file,
      service: name,
      field: "extends",
      message: `extends itself through ${[...chain, id].map((c) => c.split("#")[1]).join(" → ")}`,
      allowed: "a chain of extends without a cycle",
      fix: `break the cycle in ${file}`,
    });
    return undefined;
  }
  // Paths in the files listed for the stack are relative to the project directory; a file reached
  // only through `extends` resolves its paths against its own directory.
  const own = canonicalService(omit(def, "extends"), { dir: ctx.dirOf(fileAbs) });
  const ext = def["extends"];
  if (ext === undefined) return own;
  const spec = typeof ext === "string" ? { service: ext } : (ext as { service: string; file?: string });
  ctx.extendsTargets.add(spec.service);
  const baseAbs = spec.file ? path.resolve(path.dirname(fileAbs), spec.file) : fileAbs;
  const baseData = ctx.readFile(baseAbs, { file, service: name });
  if (!baseData) return undefined;
  const baseDef = isObj(baseData["services"]) ? baseData["services"][spec.service] : undefined;
  if (!isObj(baseDef)) {
    const known = Object.keys(isObj(baseData["services"]) ? baseData["services"] : {});
    ctx.report.error({
      file,
      service: name,
      field: "extends.service",
      value: spec.service,
      message: `names a service ${ctx.rel(baseAbs)} does not define`,
      allowed: known.join(", ") || "a service of that file",
      fix: `correct extends.service of ${name}`,
    });
    return undefined;
  }
  const base = resolveService(baseAbs, spec.service, baseDef, [...chain, id], ctx);
  if (!base) return undefined;
  return mergeService(base, own);
}

function omit(o: Obj, key: string): Obj {
  const { [key]: _drop, ...rest } = o;
  return rest;
}

function topEntry(section: string, v: unknown, dir: string): Obj {
  const entry: Obj = isObj(v) ? { ...v } : {};
  if (entry["labels"] !== undefined)
    entry["labels"] = Object.fromEntries(
      Object.entries(keyValueMap(entry["labels"], false)).map(([k, x]) => [k, x ?? ""]),
    );
  if ((section === "secrets" || section === "configs") && typeof entry["file"] === "string")
    entry["file"] = path.resolve(dir, entry["file"]);
  return entry;
}

/** Where a path in a file points: the service and the field inside it, or a top-level field. */
function placeOf(p: readonly (string | number)[]): { service?: string; field?: string } {
  if (p[0] === "services" && p.length >= 2)
    return { service: String(p[1]), ...(p.length > 2 ? { field: fieldPath(p.slice(2)) } : {}) };
  return p.length > 0 ? { field: fieldPath(p) } : {};
}

/** Interpolates every string value (keys are not interpolated, as in Compose). */
function interpolateTree(
  v: unknown,
  at: (string | number)[],
  lookup: Lookup,
  onError: (p: (string | number)[], message: string) => void,
): unknown {
  if (typeof v === "string") {
    try {
      return interpolate(v, lookup);
    } catch (e) {
      if (!(e instanceof InterpolationError)) throw e;
      onError(at, e.message);
      return v;
    }
  }
  if (Array.isArray(v)) return v.map((x, i) => interpolateTree(x, [...at, i], lookup, onError));
  if (isObj(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, interpolateTree(x, [...at, k], lookup, onError)]));
  return v;
}

/** The data as Compose would see it: bindings as a placeholder word, secrets as their value. */
function withoutMarkers(v: unknown): unknown {
  if (typeof v === "string")
    return MARKERS.test(v) ? v.replace(/\uE000[^\uE001]*\uE001/g, "binding").replace(/[\uE002\uE003]/g, "") : v;
  if (Array.isArray(v)) return v.map(withoutMarkers);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, withoutMarkers(x)]));
  return v;
}

/**
 * The service's environment as Compose builds it: env files in order (each read with the project's
 * variables), then `environment` on top; pass-through entries take the project's variable.
 * Values keep their binding and secret markers. Problems name the env file or the entry.
 */
export function resolveEnvironment(
  service: LoadedService,
  project: LoadedProject,
  reader: FileReader,
  report: Reporter,
): Record<string, string> | undefined {
  const out: Record<string, string> = {};
  let ok = true;
  const file = service.files.at(-1)!;
  for (const ref of (service.compose["env_file"] as EnvFileRef[] | undefined) ?? []) {
    const name = path.relative(project.dir, ref.path);
    const bytes = reader.readFile(ref.path);
    if (bytes === undefined) {
      if (!ref.required) continue;
      ok = false;
      report.error({
        file,
        line: project.lineOf(file, ["services", service.name, "env_file"]),
        service: service.name,
        field: "env_file",
        value: name,
        message: "names an env file that does not exist",
        allowed: "env files beside the compose file, or `required: false` for optional ones",
        fix: `create ${name}, or write env_file: [{ path: ${name}, required: false }]`,
      });
      continue;
    }
    try {
      for (const e of parseDotenv(bytes.toString("utf8"), project.lookup)) {
        if (e.value !== undefined) out[e.name] = e.value;
      }
    } catch (e) {
      if (!(e instanceof DotenvError)) throw e;
      ok = false;
      report.error({
        file: name,
        line: e.line,
        service: service.name,
        field: "env_file",
        message: `cannot be read: ${e.message}`,
        allowed: "KEY=value lines, as Compose reads them",
        fix: `correct line ${e.line} of ${name}`,
      });
    }
  }
  const env = (service.compose["environment"] as Record<string, string | null> | undefined) ?? {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== null) {
      out[key] = value;
      continue;
    }
    const v = project.lookup(key);
    if (v === undefined) {
      ok = false;
      report.error({
        file,
        line: project.lineOf(file, ["services", service.name, "environment"]),
        service: service.name,
        field: `environment.${key}`,
        message:
          "passes a variable through from where Compose runs, but liftoff has no value for it (on the host it would be empty)",
        allowed: "a variable set in liftoff:composeVariables or .env, or a value written here",
        fix: `pulumi config set --path 'liftoff:composeVariables.${key}' <value> (add --secret for a secret)`,
      });
    } else {
      out[key] = v.secret ? `\uE002${v.value}\uE003` : v.value;
    }
  }
  return ok ? out : undefined;
}

/**
 * References Compose requires to resolve: depends_on to an active service, named volumes,
 * networks, secrets and configs to top-level entries. False after reporting a problem.
 */
function checkReferences(
  services: readonly LoadedService[],
  defined: readonly string[],
  top: { networks: Obj; volumes: Obj; secrets: Obj; configs: Obj },
  lineOf: (file: string, p: readonly (string | number)[]) => number | undefined,
  report: Reporter,
): boolean {
  let ok = true;
  const active = new Set(services.map((s) => s.name));
  for (const svc of services) {
    const c = svc.compose;
    const file = svc.files.at(-1)!;
    const err = (field: string, value: string, message: string, allowed: string, fix: string) => {
      ok = false;
      const line = [...svc.files]
        .reverse()
        .map((f) => ({ f, l: lineOf(f, ["services", svc.name, ...pathOf(field)]) }))
        .find((x) => x.l !== undefined);
      report.error({
        file: line?.f ?? file,
        ...(line?.l !== undefined ? { line: line.l } : {}),
        service: svc.name,
        field,
        value,
        message,
        allowed,
        fix,
      });
    };
    for (const dep of Object.keys(isObj(c["depends_on"]) ? c["depends_on"] : {})) {
      if (active.has(dep)) continue;
      const inactive = defined.includes(dep);
      err(
        `depends_on.${dep}`,
        dep,
        inactive ? "depends on a service outside the active profiles" : "depends on an undefined service",
        [...active].join(", "),
        inactive
          ? `activate its profile in liftoff:composeProfiles, or remove the dependency from ${svc.name}`
          : `correct the name, or remove the dependency from ${svc.name}`,
      );
    }
    // What compose-go checks beyond the schema, on the canonical fields.
    ((c["volumes"] as Obj[] | undefined) ?? []).forEach((v, i) => {
      if (typeof v["target"] !== "string" || v["target"] === "")
        err(
          `volumes[${i}]`,
          JSON.stringify(v),
          "is missing a mount target",
          "a path inside the container, e.g. target: /data",
          `add target: to volumes[${i}] of ${svc.name}`,
        );
    });
    ((c["ports"] as Obj[] | undefined) ?? []).forEach((p, i) => {
      const target = Number(p["target"]);
      const published = p["published"] === undefined ? "" : String(p["published"]);
      if (
        !Number.isInteger(target) ||
        target < 1 ||
        target > 65535 ||
        (published !== "" && !/^\d+(-\d+)?$/.test(published))
      ) {
        err(
          `ports[${i}]`,
          JSON.stringify(p),
          "is not a port mapping Compose can read",
          "[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL], ports 1-65535",
          `correct ports[${i}] of ${svc.name}, e.g. "8080:80"`,
        );
      }
    });
    for (const [field, value] of [
      ["stop_grace_period", c["stop_grace_period"]],
      ...Object.entries(isObj(c["healthcheck"]) ? c["healthcheck"] : {})
        .filter(([k]) => ["interval", "timeout", "start_period", "start_interval"].includes(k))
        .map(([k, v]) => [`healthcheck.${k}`, v]),
    ] as [string, unknown][]) {
      if (value !== undefined && Number.isNaN(durationNanos(String(value))))
        err(
          field,
          String(value),
          "is not a duration",
          "a duration such as 30s, 1m30s, 500ms",
          `write ${field} as e.g. 30s`,
        );
    }
    for (const field of ["mem_limit", "mem_reservation", "memswap_limit", "shm_size"]) {
      if (c[field] !== undefined && Number.isNaN(Number(c[field])))
        err(
          field,
          String(c[field]),
          "is not a size",
          "a size such as 512m, 1g, or a number of bytes",
          `write ${field} as e.g. 512m`,
        );
    }
    const refs: [string, string, Obj][] = [
      ...Object.keys(isObj(c["networks"]) ? c["networks"] : {})
        .filter((n) => n !== "default")
        .map((n): [string, string, Obj] => ["networks", n, top.networks]),
      ...((c["volumes"] as Obj[] | undefined) ?? [])
        .filter((v) => v["type"] === "volume" && typeof v["source"] === "string")
        .map((v): [string, string, Obj] => ["volumes", String(v["source"]), top.volumes]),
      ...((c["secrets"] as Obj[] | undefined) ?? []).map((x): [string, string, Obj] => [
        "secrets",
        String(x["source"]),
        top.secrets,
      ]),
      ...((c["configs"] as Obj[] | undefined) ?? []).map((x): [string, string, Obj] => [
        "configs",
        String(x["source"]),
        top.configs,
      ]),
    ];
    for (const [field, name, section] of refs) {
      if (name in section) continue;
      const one = field.replace(/s$/, "");
      err(
        field,
        name,
        `refers to ${one} ${name}, which the top-level ${field} does not define`,
        Object.keys(section).join(", ") || `a ${one} declared under the top-level ${field}`,
        `declare it at the top level (${field}: { ${name}: {} }), or correct the name`,
      );
    }
  }
  return ok;
}

/** The top-level entries services use: Compose keeps only those. */
function usedTopLevel(
  services: readonly LoadedService[],
): Record<"networks" | "volumes" | "secrets" | "configs", Set<string>> {
  const used = {
    networks: new Set<string>(),
    volumes: new Set<string>(),
    secrets: new Set<string>(),
    configs: new Set<string>(),
  };
  for (const { compose: c } of services) {
    const nets = isObj(c["networks"]) ? Object.keys(c["networks"]) : c["network_mode"] === undefined ? ["default"] : [];
    nets.forEach((n) => used.networks.add(n));
    for (const v of (c["volumes"] as Obj[] | undefined) ?? [])
      if (v["type"] === "volume" && typeof v["source"] === "string") used.volumes.add(v["source"]);
    for (const x of (c["secrets"] as Obj[] | undefined) ?? []) used.secrets.add(String(x["source"]));
    for (const x of (c["configs"] as Obj[] | undefined) ?? []) used.configs.add(String(x["source"]));
  }
  return used;
}
