/**
 * The differential test: every project of test/compose-corpus is read by liftoff's loader and by
 * the real `docker compose config --format json` (Compose v2, no daemon needed); the two must agree
 * on every field liftoff carries, and a project Compose rejects must be rejected by liftoff too.
 *
 * Each project's `case.json`: `files` (default [compose.yaml]), `variables`, `profiles`,
 * `expect`: "equal" | "rejected", and optionally `liftoff`: "ok" (liftoff's rules accept it too)
 * or a text one of liftoff's problems must contain (a rule of liftoff's own refuses it).
 *
 * The only differences normalized away are Compose's documented output habits: it re-escapes `$`
 * as `$$`, adds `command: null` / `entrypoint: null`, a `name` to top-level networks, volumes,
 * secrets and configs and an empty `ipam` to networks, and drops service-level `x-` fields.
 */
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { fsReader, loadApp, loadCanonical, type AppDefinition } from ".";

import { composeV2 } from "../../test/tools";
const CORPUS = path.resolve(__dirname, "..", "..", "test", "compose-corpus");

interface Case {
  readonly files?: string[];
  readonly variables?: Record<string, string>;
  readonly secretVariables?: string[];
  readonly profiles?: string[];
  /** equal: both read it alike; rejected: both refuse it; refused-by-liftoff: Compose reads it, a liftoff rule refuses it. */
  readonly expect: "equal" | "rejected" | "refused-by-liftoff";
  readonly liftoff?: string;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

function unescapeDollars(v: unknown): unknown {
  if (typeof v === "string") return v.replace(/\$\$/g, "$");
  if (Array.isArray(v)) return v.map(unescapeDollars);
  if (isObj(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unescapeDollars(x)]));
  return v;
}

/** Compose's output with its documented habits undone, in the shape of liftoff's view. */
function normalizeCompose(out: Obj, mine: { services: Obj; top: Obj }): { services: Obj; top: Obj } {
  const services: Obj = {};
  for (const [name, svc] of Object.entries((out["services"] as Obj) ?? {})) {
    const s: Obj = {};
    for (const [k, v] of Object.entries(svc as Obj)) {
      if (k.startsWith("x-") || k === "profiles") continue;
      if ((k === "command" || k === "entrypoint") && v === null) continue;
      s[k] = unescapeDollars(v);
    }
    services[name] = s;
  }
  const top: Obj = {};
  for (const section of ["networks", "volumes", "secrets", "configs"]) {
    const mineSection = (mine.top[section] as Obj | undefined) ?? {};
    top[section] = Object.fromEntries(
      Object.entries((out[section] as Obj | undefined) ?? {}).map(([name, def]) => {
        const d: Obj = { ...(def as Obj) };
        const m = (mineSection[name] as Obj | undefined) ?? {};
        if (!("name" in m)) delete d["name"];
        if (isObj(d["ipam"]) && Object.keys(d["ipam"]).length === 0 && !("ipam" in m)) delete d["ipam"];
        return [name, unescapeDollars(d)];
      }),
    );
  }
  return { services, top };
}

/**
 * The model itself against Compose's output, with the model's documented differences undone:
 * `environment` is lifted out (bindings as `${NAME}`), a public service's `ports` are the proxy's,
 * relative bind mounts and `file:` secrets and configs point into the release.
 */
function expectModelEqualsCompose(app: AppDefinition, theirs: { services: Obj; top: Obj }, dir: string): void {
  const fromRelease = (p: string) => {
    const asset = app.assets.find((a) => `./${a.path}` === p || a.path.startsWith(`app/${p.replace(/^\.\//, "")}`));
    return asset ? path.join(dir, p.startsWith("./secrets/") || p.startsWith("./configs/") ? asset.source : p) : p;
  };
  for (const s of app.services) {
    const compose: Obj = JSON.parse(JSON.stringify(s.compose)) as Obj;
    for (const v of (compose["volumes"] as Obj[] | undefined) ?? []) {
      if (v["type"] === "bind" && typeof v["source"] === "string" && v["source"].startsWith("./"))
        v["source"] = path.join(dir, v["source"]);
    }
    const environment = Object.fromEntries(
      Object.entries(s.environment).map(([k, parts]) => [
        k,
        parts.map((p) => (typeof p === "string" ? p : `\${${p.binding}}`)).join(""),
      ]),
    );
    if (Object.keys(environment).length > 0) compose["environment"] = environment;
    const expected = { ...(theirs.services[s.name] as Obj) };
    if (s.public) delete expected["ports"];
    expect(compose, `model of ${s.name}`).toEqual(expected);
  }
  expect(Object.keys(theirs.services).sort()).toEqual(app.services.map((s) => s.name));
  expect(app.volumes).toEqual(theirs.top["volumes"]);
  expect(app.networks).toEqual(theirs.top["networks"]);
  for (const section of ["secrets", "configs"] as const) {
    const mine = Object.fromEntries(
      Object.entries(app[section]).map(([k, v]) => {
        const e = { ...(v as Obj) };
        if (typeof e["file"] === "string") e["file"] = fromRelease(e["file"]);
        return [k, e];
      }),
    );
    expect(mine).toEqual(theirs.top[section]);
  }
}

function runCompose(dir: string, c: Case): { ok: true; json: Obj } | { ok: false; stderr: string } {
  const args = [
    "--project-directory",
    dir,
    ...(c.files ?? ["compose.yaml"]).flatMap((f) => ["-f", path.join(dir, f)]),
    ...(c.profiles ?? []).flatMap((p) => ["--profile", p]),
    "config",
    "--format",
    "json",
  ];
  // liftoff's bindings exist only at `pulumi up`; Compose is given each as the literal text
  // `${NAME}`, which is how liftoff's canonical view writes a binding part.
  const bindings = Object.fromEntries(
    [
      ...new Set(
        readdirSync(dir, { recursive: true })
          .map(String)
          .filter((f) => /\.(ya?ml|env)$/.test(f))
          .flatMap((f) => readFileSync(path.join(dir, f), "utf8").match(/LIFTOFF_[A-Z0-9_]+/g) ?? []),
      ),
    ].map((n) => [n, `\${${n}}`]),
  );
  const env = {
    PATH: process.env["PATH"] ?? "/usr/bin:/bin",
    HOME: "/nonexistent",
    ...bindings,
    ...(c.variables ?? {}),
  };
  const r = spawnSync(composeV2(), args, { env, encoding: "utf8" });
  if (r.status !== 0) return { ok: false, stderr: r.stderr };
  return { ok: true, json: JSON.parse(r.stdout) as Obj };
}

const cases = existsSync(CORPUS)
  ? readdirSync(CORPUS)
      .filter((d) => existsSync(path.join(CORPUS, d, "case.json")))
      .sort()
  : [];

describe("compose corpus: liftoff's loader against docker compose config (v2)", () => {
  it("has the Compose v2 binary to compare with (tools/testbed/install-docker.sh installs it)", () => {
    // Throws, saying how to install it, when it is missing or not v2.
    expect(composeV2()).toMatch(/docker-compose$/);
  });

  it("has at least 30 projects", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30);
  });

  for (const name of cases) {
    it(name, () => {
      const dir = path.join(CORPUS, name);
      const c = JSON.parse(readFileSync(path.join(dir, "case.json"), "utf8")) as Case;
      const secret = new Set(c.secretVariables ?? []);
      const variables = Object.fromEntries(
        Object.entries(c.variables ?? {}).map(([k, v]) => [k, { value: v, secret: secret.has(k) }]),
      );
      const input = {
        projectDir: dir,
        files: c.files ?? ["compose.yaml"],
        variables,
        profiles: c.profiles ?? [],
        reader: fsReader,
      };
      const compose = runCompose(dir, c);
      const mine = loadCanonical(input);
      const errors = mine.problems.filter((p) => p.severity === "error");
      if (c.expect === "rejected") {
        expect(compose.ok, "Compose should reject this project").toBe(false);
        expect(errors.length, "liftoff should reject this project").toBeGreaterThan(0);
        return;
      }
      if (!compose.ok) throw new Error(`Compose rejected ${name}: ${compose.stderr}`);
      if (c.expect === "refused-by-liftoff") {
        const app = loadApp(input);
        expect(app.app).toBeUndefined();
        expect(
          app.problems
            .filter((p) => p.severity === "error")
            .map((p) => `${p.key} ${p.message} ${p.fix}`)
            .join("\n"),
        ).toContain(c.liftoff ?? "");
        return;
      }
      expect(errors, JSON.stringify(errors, null, 2)).toEqual([]);
      const theirs = normalizeCompose(compose.json, { services: mine.services!, top: mine.top! });
      expect(mine.services).toEqual(theirs.services);
      expect(mine.top).toEqual(theirs.top);

      if (c.liftoff !== undefined) {
        const app = loadApp(input);
        const appErrors = app.problems.filter((p) => p.severity === "error");
        if (c.liftoff === "ok") {
          expect(appErrors, JSON.stringify(appErrors, null, 2)).toEqual([]);
          expectModelEqualsCompose(app.app!, theirs, dir);
        } else expect(appErrors.map((p) => `${p.key} ${p.message} ${p.fix}`).join("\n")).toContain(c.liftoff);
      }
    });
  }
});
