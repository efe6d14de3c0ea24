/**
 * Test helper: a small compose project read by the real Compose v2 (`docker compose config
 * --format json`) and turned into the normalized model of environments/compose/model.ts, the way
 * the loader does for the fields the renderer's tests use. Not the loader: no liftoff rules, no
 * messages; it exists so the renderer can be tested on exactly what Compose itself makes of a file.
 *
 * Bindings: a value may reference `${LIFTOFF_...}`; each such variable is given Compose a sentinel
 * value, which is split back into `{ binding }` parts.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { AppDefinition, AppService, EnvPart, ReleaseAsset } from "../environments/compose/model";
import { parseImageRef } from "../environments/image-ref";
import { parse } from "yaml";
import { composeV2 as composeV2Binary } from "./tools";

/**
 * Runs Compose v2 (test/tools.ts finds it, failing loudly when it is missing) with an environment
 * of PATH and HOME only plus `env`, so nothing of the test's own environment is interpolated.
 */
export function composeV2(
  args: readonly string[],
  options: { cwd?: string; env?: Record<string, string> } = {},
): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(composeV2Binary(), args, {
    encoding: "utf8",
    cwd: options.cwd,
    env: { PATH: "/usr/bin:/bin", HOME: process.env["HOME"] ?? "/root", ...options.env },
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `docker compose config --format json` of a project directory, as JSON. */
export function composeConfig(
  dir: string,
  files: readonly string[] = ["compose.yaml"],
  env: Record<string, string> = {},
  extra: readonly string[] = [],
): Record<string, unknown> {
  const r = composeV2(
    [
      "--project-directory",
      dir,
      ...files.flatMap((f) => ["-f", path.join(dir, f)]),
      ...extra,
      "config",
      "--format",
      "json",
    ],
    { env },
  );
  if (r.status !== 0) throw new Error(`docker compose config failed in ${dir}:\n${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, unknown>;
}

const SENTINEL = (name: string) => `\u2983${name}\u2984`;
const SENTINELS = /\u2983([A-Z0-9_]+)\u2984/g;

/** Compose's JSON output writes every literal `$` as `$$`; the model's strings are literal. */
export function unescapeDollars<T>(value: T): T {
  if (typeof value === "string") return value.replace(/\$\$/g, "$") as T;
  if (Array.isArray(value)) return value.map((v) => unescapeDollars(v as unknown)) as T;
  if (value && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unescapeDollars(v as unknown)])) as T;
  return value;
}

function envTemplate(value: string): EnvPart[] {
  const parts: EnvPart[] = [];
  let last = 0;
  for (const m of value.matchAll(SENTINELS)) {
    if (m.index! > last) parts.push(value.slice(last, m.index));
    parts.push({ binding: m[1]! });
    last = m.index! + m[0].length;
  }
  if (last < value.length || parts.length === 0) parts.push(value.slice(last));
  return parts;
}

function filesUnder(root: string, rel: string): string[] {
  const full = path.join(root, rel);
  if (fs.statSync(full).isFile()) return [rel];
  return fs
    .readdirSync(full)
    .sort()
    .flatMap((n) => filesUnder(root, path.posix.join(rel, n)));
}

function asset(root: string, rel: string, releasePath: string, secret: boolean): ReleaseAsset {
  const full = path.join(root, rel);
  return {
    path: releasePath,
    contentBase64: fs.readFileSync(full).toString("base64"),
    secret,
    mode: fs.statSync(full).mode & 0o777,
    source: `./${rel}`,
  };
}

/**
 * The app of a compose project directory: services with `x-liftoff` read for public, health,
 * accessory and job; environment as templates; relative bind mounts, secret and config files as
 * assets (`app/<path>`, `secrets/<name>`, `configs/<name>`).
 */
export function appFromCompose(
  dir: string,
  options: {
    files?: readonly string[];
    bindings?: readonly string[];
    endpoints?: Record<string, number>;
    variables?: Record<string, string>;
  } = {},
): AppDefinition {
  const env = { ...options.variables, ...Object.fromEntries((options.bindings ?? []).map((b) => [b, SENTINEL(b)])) };
  const raw = composeConfig(dir, options.files ?? ["compose.yaml"], env);
  const project = String(raw["name"]);
  const root = fs.realpathSync(dir);
  const assets = new Map<string, ReleaseAsset>();
  const stripName = (section: unknown, kind: string): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries((section ?? {}) as Record<string, Record<string, unknown>>).map(([k, v]) => {
        const { name, ...rest } = v;
        return [k, name === `${project}_${k}` ? rest : v];
        void kind;
      }),
    );
  // Compose's JSON output leaves out the services' extension fields: read x-liftoff from the files.
  const liftoff: Record<string, Record<string, unknown>> = {};
  for (const f of options.files ?? ["compose.yaml"]) {
    const doc = parse(fs.readFileSync(path.join(dir, f), "utf8")) as {
      services?: Record<string, { "x-liftoff"?: Record<string, unknown> }>;
    };
    for (const [name, svc] of Object.entries(doc.services ?? {}))
      if (svc?.["x-liftoff"]) liftoff[name] = { ...liftoff[name], ...svc["x-liftoff"] };
  }
  const services: AppService[] = Object.entries(raw["services"] as Record<string, Record<string, unknown>>)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, svc]) => {
      const { environment, image, ...compose } = svc;
      const settings = (liftoff[name] ?? {}) as {
        public?: { endpoint: string; containerPort: number };
        health?: string;
        accessory?: boolean;
        job?: string;
        timeout?: number;
      };
      const volumes = Array.isArray(compose["volumes"])
        ? (compose["volumes"] as Record<string, unknown>[]).map((v) => {
            if (v["type"] !== "bind" || typeof v["source"] !== "string" || !v["source"].startsWith(`${root}/`))
              return v;
            const rel = path.relative(root, v["source"]);
            for (const f of filesUnder(root, rel)) assets.set(`app/${f}`, asset(root, f, `app/${f}`, false));
            return { ...v, source: `./${rel}` };
          })
        : undefined;
      const imageText = String(image).replace(/\$\$/g, "$");
      const parsed = parseImageRef(imageText);
      if (!parsed.ok) throw new Error(`image ${imageText}: ${parsed.detail}`);
      return {
        name,
        imageText,
        image: parsed.ref,
        accessory: settings.accessory ?? false,
        ...(settings.job
          ? {
              job: {
                phase: settings.job as "before-release" | "after-release",
                timeoutSeconds: settings.timeout ?? 300,
              },
            }
          : {}),
        ...(settings.public ? { public: settings.public } : {}),
        ...(settings.health ? { healthPath: settings.health } : {}),
        databases: [],
        hostAccess: [],
        environment: Object.fromEntries(
          Object.entries((environment ?? {}) as Record<string, string | null>).map(([k, v]) => [
            k,
            envTemplate(unescapeDollars(v ?? "")),
          ]),
        ),
        compose: unescapeDollars({ ...compose, ...(volumes ? { volumes } : {}) }),
      };
    });
  const files = (kind: "secrets" | "configs") =>
    Object.fromEntries(
      Object.entries((raw[kind] ?? {}) as Record<string, Record<string, unknown>>).map(([k, v]) => {
        const { name: _name, file, ...rest } = v;
        if (typeof file !== "string") return [k, rest];
        const releasePath = `${kind}/${k}`;
        assets.set(releasePath, asset(root, path.relative(root, file), releasePath, kind === "secrets"));
        return [k, { ...rest, file: releasePath }];
      }),
    );
  const secrets = files("secrets");
  const configs = files("configs");
  const endpoints = Object.entries(options.endpoints ?? {}).map(([name, port]) => ({ name, port }));
  return {
    files: options.files ?? ["compose.yaml"],
    file: (options.files ?? ["compose.yaml"])[0]!,
    endpoints,
    services,
    volumes: unescapeDollars(stripName(raw["volumes"], "volumes")),
    networks: unescapeDollars(
      Object.fromEntries(
        Object.entries(stripName(raw["networks"], "networks"))
          .filter(([k, v]) => !(k === "default" && Object.keys(v as object).every((f) => f === "ipam")))
          .map(([k, v]) => {
            const { ipam, ...rest } = v as Record<string, unknown>;
            return [k, ipam && Object.keys(ipam as object).length > 0 ? v : rest];
          }),
      ),
    ),
    secrets,
    configs,
    assets: [...assets.values()].sort((a, b) => (a.path < b.path ? -1 : 1)),
  };
}
