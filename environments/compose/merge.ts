/**
 * The Compose Specification's merge rules (overrides and `extends`), on services in canonical form:
 * mappings merge by key; `command`, `entrypoint` and `healthcheck.test` are replaced; `ports`,
 * `volumes`, `secrets` and `configs` merge by their unique key (a later entry with the same key
 * replaces the earlier one); other sequences append, keeping each value once.
 */
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

const REPLACED = new Set(["command", "entrypoint"]);

const UNIQUE_KEY: Record<string, (item: Obj) => string> = {
  ports: (p) => [p["host_ip"] ?? "", p["target"], p["published"] ?? "", p["protocol"] ?? "tcp"].join("|"),
  volumes: (v) => String(v["target"]),
  secrets: (s) => String(s["target"] ?? `/run/secrets/${String(s["source"])}`),
  configs: (c) => String(c["target"] ?? `/${String(c["source"])}`),
  devices: (d) => String(d["target"] ?? d["source"]),
};

/** `override` merged onto `base`, both canonical services (or parts of them). */
export function mergeService(base: Obj, override: Obj): Obj {
  const out: Obj = { ...base };
  for (const [key, value] of Object.entries(override)) {
    const current = out[key];
    if (current === undefined || REPLACED.has(key) || value === null) {
      out[key] = value;
    } else if (
      key === "logging" &&
      isObj(current) &&
      isObj(value) &&
      value["driver"] !== undefined &&
      value["driver"] !== current["driver"]
    ) {
      // Another driver: the earlier driver's options mean nothing to it.
      out[key] = value;
    } else if (key === "healthcheck" && isObj(current) && isObj(value)) {
      out[key] = { ...current, ...value };
    } else if (UNIQUE_KEY[key] && Array.isArray(current) && Array.isArray(value)) {
      const keyOf = UNIQUE_KEY[key]!;
      const merged = new Map<string, unknown>();
      for (const item of [...current, ...value]) merged.set(keyOf(item as Obj), item);
      out[key] = [...merged.values()];
    } else if (key === "env_file" && Array.isArray(current) && Array.isArray(value)) {
      out[key] = [...current, ...value];
    } else if (Array.isArray(current) && Array.isArray(value)) {
      const seen = new Set(current.map((x) => JSON.stringify(x)));
      out[key] = [...current, ...value.filter((x) => !seen.has(JSON.stringify(x)))];
      if (key === "extra_hosts") (out[key] as string[]).sort();
    } else if (isObj(current) && isObj(value)) {
      out[key] = mergeDeep(current, value);
    } else {
      out[key] = value;
    }
  }
  return out;
}

/** Mappings merge by key; sequences inside them (network aliases, ...) append, each value once. */
function mergeDeep(base: Obj, override: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(override)) {
    const c = out[k];
    if (isObj(c) && isObj(v)) out[k] = mergeDeep(c, v);
    else if (Array.isArray(c) && Array.isArray(v)) {
      const seen = new Set(c.map((x) => JSON.stringify(x)));
      out[k] = [...c, ...v.filter((x) => !seen.has(JSON.stringify(x)))];
    } else out[k] = v;
  }
  return out;
}

/** Top-level sections (networks, volumes, secrets, configs) merge by name, each entry as a mapping. */
export function mergeSection(base: Obj, override: Obj): Obj {
  return mergeDeep(base, override);
}
