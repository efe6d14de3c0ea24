/**
 * One service's fields in Compose's canonical form: the form `docker compose config --format json`
 * (v2) prints. Short syntaxes become long ones, sizes become bytes, durations Go's duration text,
 * relative host paths absolute (against the directory of the file that wrote them). Pure.
 */
import * as path from "node:path/posix";

type Json = unknown;
type Obj = Record<string, Json>;

export interface CanonicalContext {
  /** Absolute directory relative host paths are resolved against. */
  readonly dir: string;
}

/** An env file reference, resolved to an absolute path. */
export interface EnvFileRef {
  readonly path: string;
  readonly required: boolean;
}

const isObj = (v: Json): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const str = (v: Json): string =>
  typeof v === "string" ? v : typeof v === "number" || typeof v === "boolean" ? String(v) : JSON.stringify(v);

/** Converts every field liftoff carries; unknown fields are returned unchanged (the loader refuses them). */
export function canonicalService(raw: Obj, ctx: CanonicalContext): Obj {
  const out: Obj = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === null && key !== "command" && key !== "entrypoint") continue;
    const convert = CONVERTERS[key];
    out[key] = convert ? convert(value, ctx) : value;
  }
  return out;
}

const CONVERTERS: Record<string, (v: Json, ctx: CanonicalContext) => Json> = {
  command: (v) => (typeof v === "string" ? shellSplit(v) : v),
  entrypoint: (v) => (typeof v === "string" ? shellSplit(v) : v),
  environment: (v) => keyValueMap(v, true),
  labels: (v) => mapValues(keyValueMap(v, false), (x) => x ?? ""),
  sysctls: (v) => mapValues(keyValueMap(v, false), (x) => x ?? ""),
  env_file: (v, ctx) => envFiles(v, ctx),
  ports: (v) => unique((v as Json[]).flatMap(port)),
  expose: (v) => (v as Json[]).map(str),
  volumes: (v, ctx) => (v as Json[]).map((x) => volume(x, ctx)),
  secrets: (v) =>
    (v as Json[]).map((x) =>
      typeof x === "string" ? { source: x, target: `/run/secrets/${x}` } : fileRefLong(x as Obj, true),
    ),
  configs: (v) => (v as Json[]).map((x) => (typeof x === "string" ? { source: x } : fileRefLong(x as Obj, false))),
  depends_on: (v) => dependsOn(v),
  networks: (v) => (Array.isArray(v) ? Object.fromEntries(v.map((n) => [str(n), null])) : v),
  healthcheck: (v) => healthcheck(v as Obj),
  dns: (v) => (Array.isArray(v) ? v : [v]),
  dns_search: (v) => (Array.isArray(v) ? v : [v]),
  tmpfs: (v) => (Array.isArray(v) ? v : [v]),
  extra_hosts: (v) => extraHosts(v),
  devices: (v) => (v as Json[]).map(device),
  mem_limit: sizeText,
  mem_reservation: sizeText,
  memswap_limit: sizeText,
  shm_size: sizeText,
  cpus: (v) => Number(v),
  stop_grace_period: (v) => goDuration(str(v)),
  ulimits: (v) => v,
};

function unique(list: Obj[]): Obj[] {
  const seen = new Set<string>();
  return list.filter((x) => {
    const key = JSON.stringify(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)));
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Bytes as text, as Compose prints sizes; the text as written when it is not a size (refused later). */
function sizeText(v: Json): string {
  const b = bytes(v);
  return Number.isNaN(b) ? str(v) : String(b);
}

function mapValues(m: Record<string, string | null>, f: (v: string | null) => Json): Obj {
  return Object.fromEntries(Object.entries(m).map(([k, v]) => [k, f(v)]));
}

/** `["A=1", "B"]` or `{A: 1, B: null}` → `{A: "1", B: null}` (null: pass-through, no value). */
export function keyValueMap(v: Json, nullForBare: boolean): Record<string, string | null> {
  const out: Record<string, string | null> = {};
  if (Array.isArray(v)) {
    for (const item of v) {
      const s = str(item);
      const eq = s.indexOf("=");
      if (eq < 0) out[s] = nullForBare ? null : "";
      else out[s.slice(0, eq)] = s.slice(eq + 1);
    }
  } else if (isObj(v)) {
    for (const [k, x] of Object.entries(v)) out[k] = x === null ? null : str(x);
  }
  return out;
}

function envFiles(v: Json, ctx: CanonicalContext): EnvFileRef[] {
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => {
    const p = typeof x === "string" ? x : str((x as Obj)["path"]);
    const required = typeof x === "string" ? true : (x as Obj)["required"] !== false;
    return { path: path.resolve(ctx.dir, p), required };
  });
}

function port(v: Json): Obj[] {
  if (isObj(v)) {
    const out: Obj = { mode: "ingress", protocol: "tcp", ...v };
    if (out["published"] !== undefined) out["published"] = str(out["published"]);
    if (typeof out["target"] === "string") out["target"] = Number(out["target"]);
    return [out];
  }
  let s = str(v);
  let protocol = "tcp";
  const slash = s.lastIndexOf("/");
  if (slash >= 0) {
    protocol = s.slice(slash + 1);
    s = s.slice(0, slash);
  }
  let hostIp: string | undefined;
  const bracket = /^\[([^\]]+)\]:(.*)$/.exec(s);
  if (bracket) {
    hostIp = bracket[1];
    s = bracket[2]!;
  }
  const parts = s.split(":");
  let published: string | undefined;
  let target: string;
  if (parts.length === 1) target = parts[0]!;
  else if (parts.length === 2 && hostIp === undefined) [published, target] = [parts[0]!, parts[1]!];
  else if (parts.length === 2) [published, target] = [parts[0]!, parts[1]!];
  else [hostIp, published, target] = [parts.slice(0, -2).join(":"), parts.at(-2)!, parts.at(-1)!];
  if (published === "") published = undefined;
  const base = (t: number, p: string | undefined): Obj => ({
    mode: "ingress",
    ...(hostIp !== undefined && hostIp !== "" ? { host_ip: hostIp } : {}),
    target: t,
    ...(p !== undefined ? { published: p } : {}),
    protocol,
  });
  const [t0, t1] = range(target);
  if (t1 === t0) return [base(t0, published)];
  if (published === undefined) return rangeOf(t0, t1).map((t) => base(t, undefined));
  const [p0, p1] = range(published);
  if (p1 - p0 === t1 - t0) return rangeOf(t0, t1).map((t, i) => base(t, String(p0 + i)));
  return rangeOf(t0, t1).map((t) => base(t, published));
}

function range(s: string): [number, number] {
  const [a, b] = s.split("-");
  return [Number(a), Number(b ?? a)];
}
function rangeOf(a: number, b: number): number[] {
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
}

const PROPAGATION = new Set(["shared", "rshared", "slave", "rslave", "private", "rprivate"]);

function isHostPath(source: string): boolean {
  return source.startsWith("/") || source.startsWith(".") || source.startsWith("~");
}

function resolveHostPath(source: string, ctx: CanonicalContext): string {
  // `~` is the home of whoever runs Compose: on the host that is not the operator's laptop, so it
  // is kept as written and refused by the loader as a host path.
  if (source.startsWith("~")) return source;
  return path.resolve(ctx.dir, source);
}

function volume(v: Json, ctx: CanonicalContext): Obj {
  if (isObj(v)) {
    const out: Obj = { ...v };
    if (out["type"] === "bind" && typeof out["source"] === "string")
      out["source"] = resolveHostPath(out["source"], ctx);
    const tmpfs = out["tmpfs"];
    if (isObj(tmpfs) && tmpfs["size"] !== undefined) out["tmpfs"] = { ...tmpfs, size: String(bytes(tmpfs["size"])) };
    return out;
  }
  const parts = str(v).split(":");
  if (parts.length === 1) return { type: "volume", target: parts[0], volume: {} };
  const [source, target, mode] = [parts[0]!, parts[1]!, parts.slice(2).join(":")];
  const options = mode ? mode.split(",") : [];
  const bind = isHostPath(source);
  const out: Obj = { type: bind ? "bind" : "volume", source: bind ? resolveHostPath(source, ctx) : source, target };
  if (options.includes("ro")) out["read_only"] = true;
  if (bind) {
    const b: Obj = {};
    const selinux = options.find((o) => o === "z" || o === "Z");
    if (selinux) b["selinux"] = selinux;
    const propagation = options.find((o) => PROPAGATION.has(o));
    if (propagation) b["propagation"] = propagation;
    b["create_host_path"] = true;
    out["bind"] = b;
  } else {
    out["volume"] = options.includes("nocopy") ? { nocopy: true } : {};
  }
  return out;
}

function fileRefLong(v: Obj, secret: boolean): Obj {
  const out: Obj = { ...v };
  if (secret && out["target"] === undefined) out["target"] = `/run/secrets/${str(out["source"])}`;
  if (typeof out["mode"] === "string") out["mode"] = parseInt(out["mode"], 8);
  return out;
}

function dependsOn(v: Json): Obj {
  if (Array.isArray(v))
    return Object.fromEntries(v.map((s) => [str(s), { condition: "service_started", required: true }]));
  return Object.fromEntries(Object.entries(v as Obj).map(([k, d]) => [k, { required: true, ...(d as Obj) }]));
}

function healthcheck(v: Obj): Obj {
  const out: Obj = {};
  for (const [k, x] of Object.entries(v)) {
    if (x === null) continue;
    if (k === "test") out[k] = typeof x === "string" ? ["CMD-SHELL", x] : x;
    else if (["interval", "timeout", "start_period", "start_interval"].includes(k)) out[k] = goDuration(str(x));
    else out[k] = x;
  }
  if (out["disable"] === false) delete out["disable"];
  return out;
}

function extraHosts(v: Json): string[] {
  const list = Array.isArray(v)
    ? v.map((h) => str(h).replace(/^([^=:]+)[:=]/, "$1="))
    : Object.entries(v as Obj).flatMap(([host, ip]) => (Array.isArray(ip) ? ip : [ip]).map((i) => `${host}=${str(i)}`));
  return list.sort();
}

function device(v: Json): Obj {
  if (isObj(v)) return { permissions: "rwm", ...v };
  const [source, target, permissions] = str(v).split(":");
  return { source, target: target ?? source, permissions: permissions ?? "rwm" };
}

/** Docker's RAMInBytes: `512m` → 536870912 (binary units, as Compose reads them). */
export function bytes(v: Json): number {
  if (typeof v === "number") return v;
  const m = /^(\d+(?:\.\d+)?)\s*([kmgtp]?)b?$/i.exec(str(v).trim());
  if (!m) return NaN;
  const unit = { "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4, p: 1024 ** 5 }[
    m[2]!.toLowerCase() as "" | "k"
  ];
  return Math.floor(Number(m[1]) * unit);
}

const UNITS: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Nanoseconds of a Go duration text (`1m30s`, `500ms`), NaN when malformed. */
export function durationNanos(text: string): number {
  if (/^\d+$/.test(text)) return Number(text) * 1e9;
  const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
  let total = 0;
  let matched = 0;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text))) {
    total += Number(m[1]) * UNITS[m[2]!]!;
    matched = re.lastIndex;
  }
  return matched === text.length && text !== "" ? Math.round(total) : NaN;
}

/** A duration as Go's `time.Duration.String()` prints it, which is how Compose writes them back. */
export function goDuration(text: string): string {
  const ns = durationNanos(text);
  if (Number.isNaN(ns)) return text;
  if (ns === 0) return "0s";
  if (ns < 1e9) {
    if (ns < 1e3) return `${ns}ns`;
    if (ns < 1e6) return `${trim(ns / 1e3)}µs`;
    return `${trim(ns / 1e6)}ms`;
  }
  let rest = ns;
  const h = Math.floor(rest / 3600e9);
  rest -= h * 3600e9;
  const m = Math.floor(rest / 60e9);
  rest -= m * 60e9;
  const s = trim(rest / 1e9);
  return `${h > 0 ? `${h}h` : ""}${h > 0 || m > 0 ? `${m}m` : ""}${s}s`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(9)));
}

/** Splits a command line as go-shellwords does for Compose: quotes and backslashes, no expansion. */
export function shellSplit(text: string): string[] {
  const out: string[] = [];
  let word = "";
  let inWord = false;
  let quote: "'" | '"' | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === "\\" && i + 1 < text.length && '"\\$`'.includes(text[i + 1]!)) word += text[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === "\\" && i + 1 < text.length) {
      word += text[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) out.push(word);
      word = "";
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (inWord) out.push(word);
  return out;
}
