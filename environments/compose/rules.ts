/**
 * liftoff's rules, on the loaded (merged, interpolated, canonical) project only: `x-liftoff`
 * settings, what liftoff carries and refuses, host access opt-ins, bindings and secret variables in
 * `environment`, and the files a release ships. Produces the {@link AppDefinition}.
 */
import { HEALTH_PATH_ALLOWED, healthPathProblem } from "../../components/deploy/rules";
import * as path from "node:path/posix";
import { parseImageRef, type ImageRef } from "../image-ref";
import { closest } from "../reader";
import { serviceBindings } from "./bindings";
import type { FileReader } from "./files";
import { BINDING_CLOSE, BINDING_OPEN, MARKERS, SECRET_CLOSE, SECRET_OPEN, displayText } from "./interpolate";
import { resolveEnvironment, type LoadedProject, type LoadedService } from "./loader";
import {
  DATABASE_KINDS,
  type AppDefinition,
  type AppEndpoint,
  type AppService,
  type DatabaseDeclaration,
  type DatabaseKind,
  type EnvPart,
  type EnvTemplate,
  type HostAccessKind,
  type JobPhase,
  type ReleaseAsset,
} from "./model";
import { fieldPath, pathOf, type LoaderProblem, type Reporter } from "./report";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

const SERVICE_NAME = /^[a-z][a-z0-9-]{0,30}[a-z0-9]$/;
const ENDPOINT_NAME = /^[a-z][a-z0-9-]{0,30}$/;
/** Total size of the files one release may ship (bind-mounted files, secret and config files). */
export const MAX_ASSET_BYTES = 1024 * 1024;
export const DEFAULT_JOB_TIMEOUT_SECONDS = 600;

/** The service fields liftoff carries to the host with their meaning (besides x-liftoff). */
export const CARRIED_FIELDS: readonly string[] = [
  "image",
  "command",
  "entrypoint",
  "environment",
  "env_file",
  "ports",
  "expose",
  "volumes",
  "secrets",
  "configs",
  "depends_on",
  "healthcheck",
  "restart",
  "networks",
  "user",
  "working_dir",
  "ulimits",
  "init",
  "tmpfs",
  "stop_signal",
  "stop_grace_period",
  "labels",
  "extra_hosts",
  "dns",
  "dns_search",
  "cap_add",
  "cap_drop",
  "privileged",
  "pid",
  "ipc",
  "network_mode",
  "devices",
  "read_only",
  "shm_size",
  "mem_limit",
  "mem_reservation",
  "cpus",
  "logging",
  "sysctls",
  "security_opt",
  "hostname",
  "tty",
  "stdin_open",
  "group_add",
  "pids_limit",
  "oom_score_adj",
];

/** Fields that break side-by-side releases or bypass the proxy, with the reason. */
const FORBIDDEN_FIELDS: Readonly<Record<string, string>> = {
  container_name: "fixes the container's name, so two releases could not run side by side",
  build: "liftoff deploys images; build in CI, push to GHCR and name the image instead",
  links: "is legacy; services reach each other by name on their network",
  external_links: "reaches containers outside the release, which a blue/green slot cannot follow",
  volumes_from: "ties containers of two releases together",
  scale: "runs several copies of a service; liftoff runs one per slot",
  deploy: "is Swarm's section; liftoff reads mem_limit, cpus and restart instead",
};

/** Docker's default capability set: `cap_add` of anything else is host access. */
export const DEFAULT_CAPABILITIES: readonly string[] = [
  "AUDIT_WRITE",
  "CHOWN",
  "DAC_OVERRIDE",
  "FOWNER",
  "FSETID",
  "KILL",
  "MKNOD",
  "NET_BIND_SERVICE",
  "NET_RAW",
  "SETFCAP",
  "SETGID",
  "SETPCAP",
  "SETUID",
  "SYS_CHROOT",
];

const SERVICE_SETTINGS = ["public", "health", "accessory", "databases", "job", "hostAccess"] as const;
const TOP_SETTINGS = ["endpoints"] as const;
const SIMPLE_ACCESS: Readonly<Record<string, HostAccessKind>> = {
  privileged: "privileged",
  "host-pid": "host-pid",
  "host-ipc": "host-ipc",
  "host-network": "host-network",
};

interface Grants {
  readonly kinds: Set<HostAccessKind>;
  readonly hostPaths: string[];
  readonly capabilities: string[];
  readonly devices: string[];
}

export function buildApp(project: LoadedProject, reader: FileReader, report: Reporter): AppDefinition | undefined {
  const file = project.files[0]!;
  const topLine = (p: (string | number)[]) => {
    for (const f of [...project.files].reverse()) {
      const l = project.lineOf(f, p);
      if (l !== undefined) return { file: f, line: l };
    }
    return { file };
  };
  const problemAt = (
    service: LoadedService | undefined,
    field: string,
    p: (string | number)[],
  ): Pick<LoaderProblem, "file" | "line" | "service" | "field"> => {
    if (!service) return { ...topLine(p), field };
    for (const f of [...service.files].reverse()) {
      const line = project.lineOf(f, ["services", service.name, ...p]);
      if (line !== undefined) return { file: f, line, service: service.name, field };
    }
    return { file: service.files.at(-1)!, service: service.name, field };
  };
  const fix = (what: string) => `edit ${file}: ${what}`;

  // Top-level x-liftoff.
  const endpoints: AppEndpoint[] = [];
  const top = project.top.xLiftoff;
  if (top !== undefined && !isObj(top)) {
    report.error({
      ...topLine(["x-liftoff"]),
      field: "x-liftoff",
      value: top,
      message: "is not a map",
      allowed: "x-liftoff: { endpoints: { <name>: { port: <number> } } }",
      fix: fix("x-liftoff: { endpoints: { api: { port: 443 } } }"),
    });
  } else if (top) {
    unknownKeys(top, TOP_SETTINGS, (key, near) =>
      report.error({
        ...topLine(["x-liftoff", key]),
        field: `x-liftoff.${key}`,
        message: "is not a setting liftoff knows",
        allowed: TOP_SETTINGS.join(", "),
        fix: near ? `rename it to ${near}` : `remove it`,
      }),
    );
    const eps = top["endpoints"];
    if (eps !== undefined && !isObj(eps)) {
      report.error({
        ...topLine(["x-liftoff", "endpoints"]),
        field: "x-liftoff.endpoints",
        value: eps,
        message: "is not a map",
        allowed: "endpoints: { <name>: { port: <number> } }",
        fix: fix("x-liftoff: { endpoints: { api: { port: 443 } } }"),
      });
    }
    for (const [name, ep] of Object.entries(isObj(eps) ? eps : {})) {
      const at = topLine(["x-liftoff", "endpoints", name]);
      const field = `x-liftoff.endpoints.${name}`;
      if (!ENDPOINT_NAME.test(name)) {
        report.error({
          ...at,
          field,
          value: name,
          message: "is not a usable endpoint name",
          allowed: "lowercase letters, digits and hyphens, starting with a letter",
          fix: fix("rename the endpoint, e.g. api"),
        });
        continue;
      }
      const port = isObj(ep) ? ep["port"] : undefined;
      if (isObj(ep))
        unknownKeys(ep, ["port"], (key, near) =>
          report.error({
            ...topLine(["x-liftoff", "endpoints", name, key]),
            field: `${field}.${key}`,
            message: "is not a setting of an endpoint",
            allowed: "port",
            fix: near ? `rename it to ${near}` : "remove it",
          }),
        );
      if (typeof port === "number" && Number.isInteger(port)) {
        endpoints.push({ name, port });
      } else if (typeof port === "string" && /^\d+$/.test(port.trim())) {
        // Written as text ("443"): one error, and the endpoint still counts, so the services
        // that name it get no follow-on error.
        report.error({
          ...topLine(["x-liftoff", "endpoints", name, "port"]),
          field: `${field}.port`,
          value: port,
          message: "is text, not a number: x-liftoff is liftoff's own, and Compose does not convert it",
          allowed: "a TCP port as a YAML number",
          fix: fix(`write port: ${port.trim()} (without quotes)`),
        });
        endpoints.push({ name, port: Number(port.trim()) });
      } else {
        report.error({
          ...topLine(["x-liftoff", "endpoints", name]),
          field: `${field}.port`,
          value: port ?? null,
          message: port === undefined ? "is missing" : "is not a port number",
          allowed: "a TCP port as a YAML number, e.g. 443",
          fix: fix(`x-liftoff: { endpoints: { ${name}: { port: 443 } } }`),
        });
        endpoints.push({ name, port: NaN });
      }
    }
  }
  const endpointNames = new Set(endpoints.map((e) => e.name));
  const usedEndpoints = new Map<string, string>();

  // Top-level sections referenced by services must exist (as Compose requires), then file-backed
  // secrets and configs become release assets.
  const assets: ReleaseAsset[] = [];
  let assetBytes = 0;
  const secrets = fileSection("secrets", project.top.secrets, true);
  const configs = fileSection("configs", project.top.configs, false);
  function fileSection(section: "secrets" | "configs", entries: Obj, secret: boolean): Obj {
    const out: Obj = {};
    for (const [name, def] of Object.entries(entries)) {
      const at = { ...topLine([section, name]), field: `${section}.${name}` };
      const e = def as Obj;
      if (typeof e["file"] === "string") {
        const source = path.relative(project.dir, e["file"]);
        if (source.startsWith("..")) {
          report.error({
            ...at,
            value: source,
            message: "is a file outside the project directory, which the release cannot ship",
            allowed: `a file under ${path.basename(project.dir) || "the project directory"}`,
            fix: `move it beside the compose file`,
          });
          continue;
        }
        const bytes = reader.readFile(e["file"]);
        if (!bytes) {
          report.error({
            ...at,
            value: source,
            message: "names a file that does not exist; liftoff ships it with the release",
            allowed: "a file beside the compose file",
            fix: `create ${source}`,
          });
          continue;
        }
        const releasePath = `${section}/${name}`;
        assetBytes += bytes.length;
        assets.push({
          path: releasePath,
          contentBase64: bytes.toString("base64"),
          secret,
          mode: secret ? 0o600 : 0o644,
          source: `./${source}`,
        });
        out[name] = { ...omitKey(e, "file"), file: `./${releasePath}` };
      } else if (e["external"] === true || (e["name"] !== undefined && e["external"] !== undefined)) {
        out[name] = e;
      } else if (section === "configs" && typeof e["content"] === "string") {
        out[name] = e;
      } else {
        report.error({
          ...at,
          value: e,
          message: `is not a file: liftoff ships ${section} as files in the release`,
          allowed: `${section}: { ${name}: { file: ./${name}.txt } }`,
          fix:
            section === "secrets"
              ? `write the secret to a file beside the compose file (kept out of git), or pass it as a variable in environment`
              : `write it to a file beside the compose file`,
        });
      }
    }
    return out;
  }

  const services: AppService[] = [];
  const byName = new Map(project.services.map((s) => [s.name, s]));
  const pendingShares: {
    service: string;
    at: Pick<LoaderProblem, "file" | "line" | "service" | "field">;
    kind: DatabaseKind;
    owner: string;
  }[] = [];

  for (const svc of project.services) {
    const c: Obj = { ...svc.compose };
    const name = svc.name;
    const at = (field: string, p: (string | number)[] = pathOf(field)) => problemAt(svc, field, p);
    let ok = true;
    const err = (p: Omit<LoaderProblem, "file">) => {
      ok = false;
      report.error({ ...at(p.field ?? ""), ...p });
    };

    if (!SERVICE_NAME.test(name)) {
      err({
        field: "",
        value: name,
        message: "is not a usable service name",
        allowed: "2-32 lowercase letters, digits and hyphens, starting with a letter",
        fix: fix(`rename the service, e.g. ${name.toLowerCase().replace(/[^a-z0-9-]/g, "-")}`),
      });
      continue;
    }

    // What liftoff carries, refuses, and cannot carry yet.
    for (const key of Object.keys(c)) {
      if (key === "x-liftoff" || key.startsWith("x-")) continue;
      if (FORBIDDEN_FIELDS[key]) {
        err({
          field: key,
          value: c[key],
          message: FORBIDDEN_FIELDS[key]!,
          allowed: `no ${key}`,
          fix: fix(`remove ${key} from ${name}`),
        });
      } else if (!CARRIED_FIELDS.includes(key)) {
        err({
          field: key,
          value: c[key],
          message: "is a Compose field liftoff does not carry to the host (it would be dropped)",
          allowed: CARRIED_FIELDS.join(", "),
          fix: fix(`remove ${key} from ${name}, or ask for it to be supported`),
        });
      }
    }
    if (c["network_mode"] !== undefined && c["network_mode"] !== "host") {
      err({
        field: "network_mode",
        value: c["network_mode"],
        message: "takes the service off the release's own network, bypassing the proxy",
        allowed: "no network_mode (or host, with x-liftoff.hostAccess: [host-network])",
        fix: fix(`remove network_mode from ${name}`),
      });
    }

    // Markers: secret variables and bindings belong in environment (and env files) only.
    for (const [p, text] of strings(omitKey(omitKey(c, "environment"), "x-liftoff"), [])) {
      if (!MARKERS.test(text)) continue;
      const field = fieldPath(p);
      if (text.includes(SECRET_OPEN)) {
        err({
          field,
          value: displayText(text),
          message:
            "uses a variable that holds a secret; a secret may only reach a service through environment (kept in 0600 env files)",
          allowed: "secret variables in environment only",
          fix: fix(`move the value into environment of ${name}, or make the variable non-secret`),
        });
      }
      if (text.includes(BINDING_OPEN)) {
        const valid = serviceBindings({ endpoints }, { name, databases: [] }).map((b) => b.name);
        err({
          field,
          value: displayText(text),
          message:
            "uses a liftoff binding outside environment; bindings exist only at `pulumi up`, in the service's environment",
          allowed: `bindings in environment only: ${valid.join(", ")}`,
          fix: fix(`read the value from an environment variable instead`),
        });
      }
    }

    // Image.
    const imageText = c["image"];
    let image: ImageRef | undefined;
    if (typeof imageText !== "string") {
      err({
        field: "image",
        value: imageText ?? null,
        message: "is missing; liftoff runs images from a registry",
        allowed: "ghcr.io/<owner>/<name>:<tag> or ...@sha256:<digest>",
        fix: fix(`set image: ghcr.io/acme/${name}:1.0.0`),
      });
    } else {
      const parsed = parseImageRef(imageText);
      if (parsed.ok) image = parsed.ref;
      else
        err({
          field: "image",
          value: imageText,
          message: `is not a usable image reference: ${parsed.detail}`,
          allowed: "registry/owner/name:tag or registry/owner/name@sha256:<digest>",
          fix: fix(`pin a version, e.g. ${imageText.split(/[:@]/)[0]}:1.0.0`),
        });
    }

    // x-liftoff of the service.
    const raw = c["x-liftoff"] ?? {};
    delete c["x-liftoff"];
    const s: Obj = isObj(raw) ? raw : {};
    if (!isObj(raw))
      err({
        field: "x-liftoff",
        value: raw,
        message: "is not a map",
        allowed: `x-liftoff: { ${SERVICE_SETTINGS.join(", ")} }`,
        fix: fix(`correct x-liftoff of ${name}`),
      });
    unknownKeys(s, SERVICE_SETTINGS, (key, near) =>
      err({
        field: `x-liftoff.${key}`,
        message: "is not a setting liftoff knows, so it would be ignored",
        allowed: SERVICE_SETTINGS.join(", "),
        fix: near ? fix(`rename ${key} to ${near}`) : fix(`remove ${key}`),
      }),
    );

    const accessory = s["accessory"] === true;
    if (s["accessory"] !== undefined && typeof s["accessory"] !== "boolean")
      err({
        field: "x-liftoff.accessory",
        value: s["accessory"],
        message: "is not true or false",
        allowed: "true or false",
        fix: fix("accessory: true"),
      });

    let healthPath: string | undefined;
    if (s["health"] !== undefined) {
      // One rule with the renderer and the host agent (issue #11 item 15).
      const problem = typeof s["health"] === "string" ? healthPathProblem(s["health"]) : "is not a path";
      if (problem === undefined) healthPath = s["health"] as string;
      else
        err({
          field: "x-liftoff.health",
          value: s["health"],
          message: problem,
          allowed: HEALTH_PATH_ALLOWED,
          fix: fix(`set health: /healthz on ${name}`),
        });
    }

    // Job.
    let job: AppService["job"];
    if (s["job"] !== undefined) {
      const j = s["job"];
      const phase = typeof j === "string" ? j : isObj(j) ? j["phase"] : undefined;
      const timeout = isObj(j) ? (j["timeoutSeconds"] ?? DEFAULT_JOB_TIMEOUT_SECONDS) : DEFAULT_JOB_TIMEOUT_SECONDS;
      if (isObj(j))
        unknownKeys(j, ["phase", "timeoutSeconds"], (key, near) =>
          err({
            field: `x-liftoff.job.${key}`,
            message: "is not a setting of a job",
            allowed: "phase, timeoutSeconds",
            fix: near ? fix(`rename ${key} to ${near}`) : fix(`remove ${key}`),
          }),
        );
      if (phase !== "before-release" && phase !== "after-release") {
        err({
          field: "x-liftoff.job",
          value: j,
          message: "is not a job phase",
          allowed: "before-release, after-release, or { phase: before-release, timeoutSeconds: 600 }",
          fix: fix(`job: before-release`),
        });
      } else if (typeof timeout !== "number" || !Number.isInteger(timeout) || timeout < 1 || timeout > 86400) {
        err({
          field: "x-liftoff.job.timeoutSeconds",
          value: timeout,
          message: "is not a whole number of seconds from 1 to 86400",
          allowed: "1-86400",
          fix: fix(`timeoutSeconds: ${DEFAULT_JOB_TIMEOUT_SECONDS}`),
        });
      } else {
        job = { phase: phase as JobPhase, timeoutSeconds: timeout };
        if (accessory)
          err({
            field: "x-liftoff.job",
            value: phase,
            message: "marks an accessory as a job; accessories run all the time",
            allowed: "a job or an accessory",
            fix: fix(`remove job or accessory from ${name}`),
          });
        const restart = c["restart"];
        if (restart !== undefined && restart !== "no" && !String(restart).startsWith("on-failure")) {
          err({
            field: "restart",
            value: restart,
            message: "restarts a job after it completes, so it would never finish",
            allowed: `"no" or on-failure[:N]`,
            fix: fix(`remove restart from ${name}, or write restart: "no"`),
          });
        }
      }
    }

    // Databases.
    const databases: DatabaseDeclaration[] = [];
    const dbs = s["databases"];
    if (dbs !== undefined && !Array.isArray(dbs))
      err({
        field: "x-liftoff.databases",
        value: dbs,
        message: "is not a list",
        allowed:
          "databases: [postgres] or [{ kind: postgres, database: orders }] or [{ kind: postgres, shared: <owner service> }]",
        fix: fix("databases: [postgres]"),
      });
    (Array.isArray(dbs) ? dbs : []).forEach((entry, i) => {
      const field = `x-liftoff.databases[${i}]`;
      const where = { field, ...at(field, ["x-liftoff", "databases", i]) };
      const decl = typeof entry === "string" ? { kind: entry } : isObj(entry) ? entry : undefined;
      if (!decl)
        return err({
          ...where,
          value: entry,
          message: "is not a database declaration",
          allowed: "postgres, mongodb, or { kind, database?, shared? }",
          fix: fix("databases: [postgres]"),
        });
      unknownKeys(decl, ["kind", "database", "shared"], (key, near) =>
        err({
          ...where,
          field: `${field}.${key}`,
          message: "is not a setting of a database",
          allowed: "kind, database, shared",
          fix: near ? fix(`rename ${key} to ${near}`) : fix(`remove ${key}`),
        }),
      );
      const kind = decl["kind"];
      if (typeof kind !== "string" || !(DATABASE_KINDS as readonly string[]).includes(kind)) {
        return err({
          ...where,
          value: kind,
          message: "is not a database kind liftoff provisions",
          allowed: DATABASE_KINDS.join(", "),
          fix: fix(`use one of ${DATABASE_KINDS.join(", ")}, or provision it yourself and pass its URL in environment`),
        });
      }
      if (databases.some((d) => d.kind === kind)) {
        return err({
          ...where,
          value: kind,
          message: `is listed twice for ${name}: a service gets one database of each kind`,
          allowed: "each kind once per service",
          fix: fix(`remove the duplicate from ${name}'s x-liftoff.databases`),
        });
      }
      const shared = decl["shared"];
      if (shared !== undefined) {
        if (typeof shared !== "string" || shared === name)
          return err({
            ...where,
            field: `${field}.shared`,
            value: shared,
            message: "is not another service's name",
            allowed: "the service that owns the database",
            fix: fix(`shared: <owner service>`),
          });
        if (decl["database"] !== undefined)
          return err({
            ...where,
            field: `${field}.database`,
            value: decl["database"],
            message: "names a database on a shared declaration; the owner's database is used",
            allowed: "kind and shared only",
            fix: fix(`remove database from ${name}'s declaration`),
          });
        pendingShares.push({ service: name, at: where, kind: kind as DatabaseKind, owner: shared });
        databases.push({ kind: kind as DatabaseKind, sharedFrom: shared });
      } else {
        if (decl["database"] !== undefined && typeof decl["database"] !== "string")
          return err({
            ...where,
            field: `${field}.database`,
            value: decl["database"],
            message: "is not a name",
            allowed: "a database name",
            fix: fix(`database: ${name.replace(/-/g, "_")}`),
          });
        databases.push({
          kind: kind as DatabaseKind,
          ...(typeof decl["database"] === "string" ? { database: decl["database"] } : {}),
        });
      }
      return undefined;
    });

    // Public endpoint and ports.
    const published = containerPorts(c["ports"]);
    let publicSettings: AppService["public"];
    const pub = s["public"];
    if (pub !== undefined) {
      const endpoint = isObj(pub) ? pub["endpoint"] : undefined;
      if (isObj(pub))
        unknownKeys(pub, ["endpoint", "containerPort"], (key, near) =>
          err({
            field: `x-liftoff.public.${key}`,
            message: "is not a setting of public",
            allowed: "endpoint, containerPort",
            fix: near ? fix(`rename ${key} to ${near}`) : fix(`remove ${key}`),
          }),
        );
      if (typeof endpoint !== "string") {
        err({
          field: "x-liftoff.public",
          value: pub,
          message: "does not name an endpoint",
          allowed: "public: { endpoint: <name>, containerPort: <port> }",
          fix: fix(`public: { endpoint: api, containerPort: 8080 }`),
        });
      } else {
        if (accessory)
          err({
            field: "x-liftoff.public",
            value: endpoint,
            message: "makes an accessory public; accessories are internal helpers",
            allowed: "public application services only",
            fix: fix(`remove public from ${name}, or accessory: true`),
          });
        if (job)
          err({
            field: "x-liftoff.public",
            value: endpoint,
            message: "makes a job public; a job runs to completion and serves nothing",
            allowed: "public application services only",
            fix: fix(`remove public or job from ${name}`),
          });
        if (!endpointNames.has(endpoint)) {
          err({
            field: "x-liftoff.public.endpoint",
            value: endpoint,
            message: "is not an endpoint declared under x-liftoff.endpoints",
            allowed: [...endpointNames].join(", ") || "an endpoint you declare under the top-level x-liftoff.endpoints",
            fix: fix(`declare it: x-liftoff: { endpoints: { ${endpoint}: { port: 443 } } }`),
          });
        } else if (usedEndpoints.has(endpoint)) {
          err({
            field: "x-liftoff.public.endpoint",
            value: endpoint,
            message: `is already served by ${usedEndpoints.get(endpoint)}`,
            allowed: "one service per endpoint",
            fix: fix("declare another endpoint for this service"),
          });
        } else {
          usedEndpoints.set(endpoint, name);
        }
        if (healthPath === undefined)
          err({
            field: "x-liftoff.health",
            message: "is missing: a public service needs a health check, or a broken release would take traffic",
            allowed: "a path answering 2xx when ready, e.g. /healthz",
            fix: fix(`add health: /healthz to x-liftoff of ${name}`),
          });
        const cp = isObj(pub) ? pub["containerPort"] : undefined;
        const containerPort = cp ?? (published.length === 1 ? published[0] : undefined);
        if (containerPort === undefined) {
          err({
            field: "x-liftoff.public.containerPort",
            message:
              published.length > 1
                ? "is ambiguous: the service publishes several ports"
                : "is missing: which port does the service listen on?",
            allowed: "the container port the proxy forwards to",
            fix: fix(`set public: { endpoint: ${endpoint}, containerPort: 8080 }`),
          });
        } else if (
          typeof containerPort !== "number" ||
          !Number.isInteger(containerPort) ||
          containerPort < 1 ||
          containerPort > 65535
        ) {
          err({
            field: "x-liftoff.public.containerPort",
            value: containerPort,
            message: "is not a port number",
            allowed: "1-65535 as a YAML number",
            fix: fix(`containerPort: 8080`),
          });
        } else {
          publicSettings = { endpoint, containerPort };
        }
      }
      // A public service's ports name the container port only: the proxy is its one way in.
      delete c["ports"];
    } else if (c["ports"] !== undefined) {
      err({
        field: "ports",
        value: c["ports"],
        message: "publishes a port on the host, around the proxy and the firewall's intent",
        allowed: "no ports on internal services; public services declare x-liftoff.public",
        fix: fix(`remove ports from ${name}, or make it public with x-liftoff.public`),
      });
    }

    // Host access: used ⊆ declared, else an error with the exact line to add.
    const grants = readGrants(s["hostAccess"], (p) => err({ ...p, field: p.field ?? "x-liftoff.hostAccess" }), fix);
    const used = hostAccessUsed(c, project.dir);
    const missing: string[] = [];
    const undeclared: UsedAccess[] = [];
    const declared = new Set<HostAccessKind>();
    for (const u of used) {
      const granted =
        u.kind === "host-paths"
          ? grants.hostPaths.some((g) => u.detail === g || u.detail!.startsWith(g.endsWith("/") ? g : `${g}/`))
          : u.kind === "capabilities"
            ? grants.capabilities.includes(u.detail!)
            : u.kind === "devices"
              ? grants.devices.includes(u.detail!)
              : grants.kinds.has(u.kind);
      if (granted) {
        declared.add(u.kind);
        report.warn({
          ...at(u.field),
          value: u.detail ?? true,
          message: `has host access (${u.kind}) that ${name} declares in x-liftoff.hostAccess: the container can reach the host beyond Docker's isolation`,
          allowed: "declared host access, reviewed",
          fix: `review it; remove it from ${name} if it is not needed`,
        });
      } else {
        undeclared.push(u);
        missing.push(
          u.kind === "host-paths"
            ? `{ hostPaths: [${u.detail}] }`
            : u.kind === "capabilities"
              ? `{ capabilities: [${u.detail}] }`
              : u.kind === "devices"
                ? `{ devices: [${u.detail}] }`
                : u.kind,
        );
      }
    }
    // Every host-access error of this service names the one line that declares all it uses.
    const accessLine = `x-liftoff: { hostAccess: [${[...new Set([...describeGrants(grants), ...missing])].join(", ")}] }`;
    for (const u of undeclared) {
      err({
        field: u.field,
        value: u.detail ?? c[u.field.split(/[.[]/)[0]!],
        message: `gives the container access to the host (${u.kind}) that ${name} does not declare`,
        allowed: "no host access, or host access declared in x-liftoff.hostAccess",
        fix: fix(`remove it, or if ${name} needs it, declare it under services.${name}: ${accessLine}`),
      });
    }

    if (accessory && !hasDataVolume(c["volumes"])) {
      err({
        field: "volumes",
        value: c["volumes"] ?? null,
        message: "is missing: an accessory keeps state, and without a volume it is lost on every update",
        allowed: "a named volume mounted where the accessory keeps its data",
        fix: fix(`add volumes: [${name}-data:/data] and a top-level volume ${name}-data`),
      });
    }

    // Relative bind mounts under the project: shipped with the release.
    if (Array.isArray(c["volumes"])) {
      c["volumes"] = (c["volumes"] as Obj[]).map((v, i) => {
        if (v["type"] !== "bind" || typeof v["source"] !== "string") return v;
        const rel = path.relative(project.dir, v["source"]);
        if (v["source"].startsWith("~") || rel.startsWith("..") || path.isAbsolute(rel)) return v;
        const shipped = shipPath(v["source"], rel);
        if (shipped === undefined) {
          err({
            field: `volumes[${i}]`,
            value: `./${rel}`,
            message: "bind-mounts a path under the project that does not exist; liftoff ships it with the release",
            allowed: "files and directories that exist beside the compose file",
            fix: `create ./${rel}, or use a named volume`,
          });
          return v;
        }
        return { ...v, source: `./${rel}` };
      });
    }

    // Environment: env files then environment, pass-through resolved; bindings and secrets kept apart.
    const env = resolveEnvironment(svc, project, reader, report);
    delete c["env_file"];
    delete c["environment"];
    if (!env) ok = false;
    const environment: Record<string, EnvTemplate> = {};
    const secretEnvironment: string[] = [];
    const valid = serviceBindings({ endpoints }, { name, databases });
    for (const [key, value] of Object.entries(env ?? {})) {
      const { parts, secret, bindings } = envTemplate(value);
      for (const b of bindings) {
        if (!valid.some((v) => v.name === b)) {
          const near = closest(
            b,
            valid.map((v) => v.name),
          );
          err({
            field: `environment.${key}`,
            value: `\${${b}}`,
            message: `is not a binding ${name} has`,
            allowed: valid.map((v) => v.name).join(", "),
            fix: near
              ? fix(`did you mean \${${near}}?`)
              : fix(`declare the database it needs in x-liftoff.databases, or use one of the names listed`),
          });
        }
      }
      if (secret || bindings.some((b) => valid.find((v) => v.name === b)?.secret)) secretEnvironment.push(key);
      environment[key] = parts;
    }

    // Canonical extras Compose adds: the default network for a service that names none.
    if (c["networks"] === undefined && c["network_mode"] === undefined) c["networks"] = { default: null };

    if (!ok || !image) continue;
    services.push({
      name,
      imageText: imageText as string,
      image,
      accessory,
      ...(job ? { job } : {}),
      ...(publicSettings ? { public: publicSettings } : {}),
      ...(healthPath ? { healthPath } : {}),
      databases,
      hostAccess: [...declared].sort(),
      ...(grants.hostPaths.length + grants.capabilities.length + grants.devices.length > 0
        ? {
            hostAccessGrants: {
              hostPaths: grants.hostPaths,
              capabilities: grants.capabilities,
              devices: grants.devices,
            },
          }
        : {}),
      environment,
      ...(secretEnvironment.length > 0 ? { secretEnvironment: secretEnvironment.sort() } : {}),
      compose: c,
    });
  }

  // Shared databases: the owner exists, is active, and owns one of that kind.
  for (const share of pendingShares) {
    const owner = services.find((s) => s.name === share.owner);
    const ownerDecl = owner?.databases.find((d) => d.kind === share.kind);
    if (!byName.has(share.owner)) {
      report.error({
        ...share.at,
        field: `${share.at.field}.shared`,
        value: share.owner,
        message: "names a service that is not in the project",
        allowed: [...byName.keys()].join(", "),
        fix: fix(`shared: <the service that declares databases: [${share.kind}]>`),
      });
    } else if (owner && (!ownerDecl || ownerDecl.sharedFrom !== undefined)) {
      report.error({
        ...share.at,
        field: `${share.at.field}.shared`,
        value: share.owner,
        message: `names a service that does not own a ${share.kind} database`,
        allowed:
          services
            .filter((s) => s.databases.some((d) => d.kind === share.kind && !d.sharedFrom))
            .map((s) => s.name)
            .join(", ") || `a service declaring databases: [${share.kind}]`,
        fix: fix(`declare databases: [${share.kind}] on ${share.owner}, or share another service's`),
      });
    }
  }

  for (const endpoint of endpoints) {
    if (!usedEndpoints.has(endpoint.name)) {
      report.error({
        ...topLine(["x-liftoff", "endpoints", endpoint.name]),
        field: `x-liftoff.endpoints.${endpoint.name}`,
        value: String(endpoint.port),
        message: "is served by no service; its port would be opened for nothing",
        allowed: "endpoints a service names in x-liftoff.public.endpoint",
        fix: fix(`remove it, or set x-liftoff.public.endpoint: ${endpoint.name} on a service`),
      });
    }
  }

  if (assetBytes > MAX_ASSET_BYTES) {
    const largest = [...assets]
      .sort((a, b) => b.contentBase64.length - a.contentBase64.length)
      .slice(0, 3)
      .map((a) => `${a.source} (${Math.round((a.contentBase64.length * 3) / 4 / 1024)} KiB)`);
    report.error({
      file,
      field: "volumes",
      value: `${Math.round(assetBytes / 1024)} KiB`,
      message:
        "is what the release would ship (bind-mounted files, secret and config files): too much to carry in a release",
      allowed: `at most ${MAX_ASSET_BYTES / 1024} KiB per release`,
      fix: `bake large files into the image, or keep them in a named volume; largest: ${largest.join(", ")}`,
    });
  }

  if (report.hasErrors) return undefined;

  // Networks: the default one exists when a service uses it, as Compose adds it.
  const networks: Obj = { ...project.top.networks };
  if (
    services.some((s) => isObj(s.compose["networks"]) && "default" in (s.compose["networks"] as Obj)) &&
    !("default" in networks)
  )
    networks["default"] = {};
  return {
    files: project.files,
    file,
    endpoints,
    services,
    volumes: project.top.volumes,
    networks,
    secrets,
    configs,
    assets: assets.sort((a, b) => (a.path < b.path ? -1 : 1)),
  };

  /** Adds the file or directory at `abs` to the assets; the release path, or undefined when missing. */
  function shipPath(abs: string, rel: string): string | undefined {
    const bytes = reader.readFile(abs);
    if (bytes) {
      addAsset(abs, rel, bytes);
      return rel;
    }
    const entries = reader.readDir(abs);
    if (!entries) return undefined;
    for (const e of entries) shipPath(path.join(abs, e), path.join(rel, e));
    return rel;
  }
  function addAsset(abs: string, rel: string, bytes: Buffer): void {
    const releasePath = `app/${rel}`;
    if (assets.some((a) => a.path === releasePath)) return;
    assetBytes += bytes.length;
    const executable = (reader.mode?.(abs) ?? 0o644) & 0o111;
    assets.push({
      path: releasePath,
      contentBase64: bytes.toString("base64"),
      secret: false,
      mode: executable ? 0o755 : 0o644,
      source: `./${rel}`,
    });
  }
}

function unknownKeys(o: Obj, known: readonly string[], report: (key: string, near: string | undefined) => void): void {
  for (const key of Object.keys(o)) if (!known.includes(key)) report(key, closest(key, known));
}

function omitKey(o: Obj, key: string): Obj {
  const { [key]: _drop, ...rest } = o;
  return rest;
}

function* strings(v: unknown, at: (string | number)[]): Generator<[(string | number)[], string]> {
  if (typeof v === "string") yield [at, v];
  else if (Array.isArray(v)) for (let i = 0; i < v.length; i++) yield* strings(v[i], [...at, i]);
  else if (isObj(v)) for (const [k, x] of Object.entries(v)) yield* strings(x, [...at, k]);
}

/** A value with markers → parts (literal text and bindings), and whether a secret variable went in. */
function envTemplate(value: string): { parts: EnvTemplate; secret: boolean; bindings: string[] } {
  const parts: EnvPart[] = [];
  const bindings: string[] = [];
  let secret = false;
  let text = "";
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (ch === BINDING_OPEN) {
      const end = value.indexOf(BINDING_CLOSE, i);
      const b = value.slice(i + 1, end);
      if (text) parts.push(text);
      text = "";
      parts.push({ binding: b });
      bindings.push(b);
      i = end;
    } else if (ch === SECRET_OPEN || ch === SECRET_CLOSE) {
      secret = true;
    } else {
      text += ch;
    }
  }
  if (text || parts.length === 0) parts.push(text);
  return { parts, secret, bindings };
}

interface UsedAccess {
  readonly kind: HostAccessKind;
  readonly field: string;
  readonly detail?: string;
}

/** The host access a canonical service uses. */
export function hostAccessUsed(c: Obj, projectDir: string): UsedAccess[] {
  const out: UsedAccess[] = [];
  if (c["privileged"] === true) out.push({ kind: "privileged", field: "privileged" });
  if (c["pid"] === "host") out.push({ kind: "host-pid", field: "pid" });
  if (c["ipc"] === "host") out.push({ kind: "host-ipc", field: "ipc" });
  if (c["network_mode"] === "host") out.push({ kind: "host-network", field: "network_mode" });
  ((c["cap_add"] as string[] | undefined) ?? []).forEach((cap, i) => {
    const name = String(cap).toUpperCase().replace(/^CAP_/, "");
    if (!DEFAULT_CAPABILITIES.includes(name)) out.push({ kind: "capabilities", field: `cap_add[${i}]`, detail: name });
  });
  ((c["devices"] as Obj[] | undefined) ?? []).forEach((d, i) =>
    out.push({ kind: "devices", field: `devices[${i}]`, detail: String(d["source"]) }),
  );
  ((c["volumes"] as Obj[] | undefined) ?? []).forEach((v, i) => {
    if (v["type"] !== "bind" || typeof v["source"] !== "string") return;
    const rel = path.relative(projectDir, v["source"]);
    if (v["source"].startsWith("~") || rel.startsWith("..") || path.isAbsolute(rel))
      out.push({ kind: "host-paths", field: `volumes[${i}]`, detail: v["source"] });
  });
  return out;
}

function readGrants(raw: unknown, err: (p: Omit<LoaderProblem, "file">) => void, fix: (s: string) => string): Grants {
  const grants: Grants = { kinds: new Set(), hostPaths: [], capabilities: [], devices: [] };
  if (raw === undefined) return grants;
  const allowed =
    "privileged, host-pid, host-ipc, host-network, { hostPaths: [/path, ...] }, { capabilities: [NAME, ...] }, { devices: [/dev/..., ...] }";
  if (!Array.isArray(raw)) {
    err({
      field: "x-liftoff.hostAccess",
      value: raw,
      message: "is not a list",
      allowed,
      fix: fix("hostAccess: [privileged, { hostPaths: [/var/run/docker.sock] }]"),
    });
    return grants;
  }
  raw.forEach((item, i) => {
    const field = `x-liftoff.hostAccess[${i}]`;
    if (typeof item === "string") {
      const kind = SIMPLE_ACCESS[item];
      if (kind) grants.kinds.add(kind);
      else {
        const near = closest(item, [...Object.keys(SIMPLE_ACCESS), "hostPaths", "capabilities", "devices"]);
        err({
          field,
          value: item,
          message: ["host-paths", "hostPaths", "capabilities", "devices"].includes(item)
            ? "must name what it grants"
            : "is not a kind of host access",
          allowed,
          fix: fix(
            near && SIMPLE_ACCESS[near]
              ? `write ${near}`
              : `write { ${near === "host-paths" ? "hostPaths" : (near ?? "hostPaths")}: [...] } naming each one`,
          ),
        });
      }
      return;
    }
    if (isObj(item)) {
      for (const [key, list] of Object.entries(item)) {
        const target =
          key === "hostPaths"
            ? grants.hostPaths
            : key === "capabilities"
              ? grants.capabilities
              : key === "devices"
                ? grants.devices
                : undefined;
        if (!target || !Array.isArray(list) || list.some((x) => typeof x !== "string")) {
          err({
            field: `${field}.${key}`,
            value: list,
            message: target ? "is not a list of names" : "is not a kind of host access",
            allowed,
            fix: fix(`hostAccess: [{ hostPaths: [/var/run/docker.sock] }]`),
          });
          continue;
        }
        if (key === "hostPaths") grants.kinds.add("host-paths");
        if (key === "capabilities") grants.kinds.add("capabilities");
        if (key === "devices") grants.kinds.add("devices");
        target.push(
          ...(list as string[]).map((x) => (key === "capabilities" ? x.toUpperCase().replace(/^CAP_/, "") : x)),
        );
      }
      return;
    }
    err({ field, value: item, message: "is not a kind of host access", allowed, fix: fix("hostAccess: [privileged]") });
  });
  return grants;
}

function describeGrants(g: Grants): string[] {
  const out: string[] = [...g.kinds].filter((k) => !["host-paths", "capabilities", "devices"].includes(k));
  if (g.hostPaths.length) out.push(`{ hostPaths: [${g.hostPaths.join(", ")}] }`);
  if (g.capabilities.length) out.push(`{ capabilities: [${g.capabilities.join(", ")}] }`);
  if (g.devices.length) out.push(`{ devices: [${g.devices.join(", ")}] }`);
  return out;
}

/** Container ports of canonical `ports` entries. */
function containerPorts(ports: unknown): number[] {
  if (!Array.isArray(ports)) return [];
  return [...new Set((ports as Obj[]).map((p) => Number(p["target"])).filter((n) => Number.isInteger(n) && n > 0))];
}

/** True when some mount keeps data outside the container (named volume or host path), writable. */
function hasDataVolume(volumes: unknown): boolean {
  if (!Array.isArray(volumes)) return false;
  return (volumes as Obj[]).some(
    (v) => (v["type"] === "volume" || v["type"] === "bind") && Boolean(v["source"]) && v["read_only"] !== true,
  );
}
