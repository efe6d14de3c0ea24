import { describe, expect, it } from "vitest";
import { configInput } from "../../test/config-input";
import { buildEnvironmentSpec } from "../validate";
import { composeFilesOf, loadApp, memoryReader, type LoadAppInput } from ".";
import { durationNanos, goDuration, shellSplit } from "./canonical";
import { parseDotenv } from "./dotenv";
import { InterpolationError, interpolate, type Variable } from "./interpolate";

const DIR = "/p";

function load(files: Record<string, string>, options: Partial<LoadAppInput> = {}) {
  const reader = memoryReader(Object.fromEntries(Object.entries(files).map(([k, v]) => [`${DIR}/${k}`, v])));
  return loadApp({ projectDir: DIR, files: ["compose.yaml"], reader, ...options });
}
const errors = (r: ReturnType<typeof load>) => r.problems.filter((p) => p.severity === "error");
const vars = (v: Record<string, string>, secret: string[] = []): Record<string, Variable> =>
  Object.fromEntries(Object.entries(v).map(([k, value]) => [k, { value, secret: secret.includes(k) }]));

describe("interpolation (Compose's syntax)", () => {
  const lookup = (v: Record<string, string>) => (n: string) => (n in v ? { value: v[n]!, secret: false } : undefined);
  it.each([
    ["${A}", { A: "1" }, "1"],
    ["$A.b", { A: "1" }, "1.b"],
    ["${A:-d}", { A: "" }, "d"],
    ["${A-d}", { A: "" }, ""],
    ["${A-d}", {}, "d"],
    ["${A:?e}", { A: "x" }, "x"],
    ["${A?e}", { A: "" }, ""],
    ["${A:+alt}", { A: "x" }, "alt"],
    ["${A:+alt}", { A: "" }, ""],
    ["${A+alt}", { A: "" }, "alt"],
    ["${A:-${B:-z}}", {}, "z"],
    ["${A:-x}}", { A: "1" }, "1}"],
    ["$$HOME and $${X}", {}, "$HOME and ${X}"],
    ["a $ b, x$1", {}, "a $ b, x$1"],
  ])("%s with %j is %j", (text, v, expected) => {
    expect(interpolate(text, lookup(v))).toBe(expected);
  });

  it("refuses an unset variable without default, a required one, and a malformed template", () => {
    expect(() => interpolate("${NOPE}", lookup({}))).toThrow(/NOPE is not set/);
    expect(() => interpolate("${A:?set A to the region}", lookup({ A: "" }))).toThrow(/set A to the region/);
    expect(() => interpolate("${A", lookup({}))).toThrow(InterpolationError);
    expect(() => interpolate("${1}", lookup({}))).toThrow(InterpolationError);
  });
});

describe("env files", () => {
  it("reads Compose's forms: export, comments, quotes, interpolation, bare names", () => {
    const entries = parseDotenv('# c\nexport A=1 # note\nB="x \\"y\\" # z"\nC=\'lit ${A}\'\nD=${A}-2\nE\nF=\n', (n) =>
      n === "E" ? { value: "from-env", secret: false } : undefined,
    );
    expect(Object.fromEntries(entries.map((e) => [e.name, e.value]))).toEqual({
      A: "1",
      B: 'x "y" # z',
      C: "lit ${A}",
      D: "1-2",
      E: "from-env",
      F: "",
    });
  });
});

describe("canonical helpers", () => {
  it("splits commands as go-shellwords does", () => {
    expect(shellSplit(`sh -c 'echo "a b"' x\\ y ""`)).toEqual(["sh", "-c", 'echo "a b"', "x y", ""]);
  });
  it("writes durations as Go does", () => {
    expect(goDuration("90s")).toBe("1m30s");
    expect(goDuration("1500ms")).toBe("1.5s");
    expect(goDuration("1h")).toBe("1h0m0s");
    expect(Number.isNaN(durationNanos("soon"))).toBe(true);
  });
});

describe("the compose loader", () => {
  const base = "services:\n  web:\n    image: ghcr.io/acme/web:1.0.0\n";

  it("reads compose.yaml plus compose.override.yaml by default, and liftoff:composeFiles when set", () => {
    const reader = memoryReader({ "/p/app/compose.yaml": base, "/p/app/compose.override.yaml": "services: {}\n" });
    expect(composeFilesOf("app/compose.yaml", undefined, "/p", reader)).toEqual([
      "app/compose.yaml",
      "app/compose.override.yaml",
    ]);
    expect(composeFilesOf("app/compose.yaml", ["app/compose.yaml"], "/p", reader)).toEqual(["app/compose.yaml"]);
    expect(composeFilesOf("app/compose.yaml", undefined, "/p", memoryReader({ "/p/app/compose.yaml": base }))).toEqual([
      "app/compose.yaml",
    ]);
  });

  it("names the file, line, service and field of an unset variable", () => {
    const [p] = errors(load({ "compose.yaml": `${base}    command: ["--region", "\${REGION}"]\n` }));
    expect(p!.key).toBe("compose.yaml:4: services.web.command[1]");
    expect(p!.message).toContain("REGION is not set");
    expect(p!.fix).toContain("liftoff:composeVariables.REGION");
  });

  it("applies merge keys before any rule: an anchor cannot smuggle privileged, host ports or the Docker socket", () => {
    const text = `x-base: &base\n  privileged: true\n  ports: ["0.0.0.0:9000:9000"]\n  volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\nservices:\n  sneaky:\n    <<: *base\n    image: ghcr.io/acme/sneaky:1.0.0\n`;
    const found = errors(load({ "compose.yaml": text }));
    expect(found.map((p) => p.key.replace(/:\d+:/, ":"))).toEqual(
      expect.arrayContaining([
        "compose.yaml: services.sneaky.ports",
        "compose.yaml: services.sneaky.privileged",
        "compose.yaml: services.sneaky.volumes[0]",
      ]),
    );
  });

  it("refuses host access that is not declared, with the exact x-liftoff line to add", () => {
    const text = `${base}    privileged: true\n    cap_add: [SYS_ADMIN, NET_BIND_SERVICE]\n    volumes: ["/var/run/docker.sock:/var/run/docker.sock"]\n`;
    const found = errors(load({ "compose.yaml": text }));
    expect(found).toHaveLength(3);
    for (const p of found)
      expect(p.fix).toContain(
        "x-liftoff: { hostAccess: [privileged, { capabilities: [SYS_ADMIN] }, { hostPaths: [/var/run/docker.sock] }] }",
      );
  });

  it("accepts declared host access with a warning the plan shows", () => {
    const text = `${base}    pid: host\n    volumes: ["/proc:/host/proc:ro"]\n    x-liftoff:\n      hostAccess: [host-pid, { hostPaths: [/proc] }]\n`;
    const r = load({ "compose.yaml": text });
    expect(errors(r)).toEqual([]);
    expect(r.app!.services[0]!.hostAccess).toEqual(["host-paths", "host-pid"]);
    expect(r.problems.filter((p) => p.severity === "warning").map((p) => p.key)).toEqual([
      "compose.yaml:4: services.web.pid",
      "compose.yaml:5: services.web.volumes[0]",
    ]);
  });

  it("names the intended key for near misses of x-liftoff, at the top level, on a service and inside it", () => {
    const text = `x_liftoff: {}\nservices:\n  web:\n    image: ghcr.io/acme/web:1.0.0\n    xliftoff: {}\n  broker:\n    image: ghcr.io/acme/broker:1.0.0\n    volumes: [d:/d]\n    x-liftoff: { acessory: true }\nvolumes: { d: {} }\n`;
    const found = errors(load({ "compose.yaml": text }));
    expect(found.map((p) => p.fix)).toEqual(
      expect.arrayContaining(["rename x_liftoff to x-liftoff", "rename xliftoff to x-liftoff"]),
    );
    const r2 = errors(load({ "compose.yaml": text.replace("x_liftoff: {}\n", "").replace("    xliftoff: {}\n", "") }));
    expect(r2.map((p) => [p.key, p.fix])).toEqual([
      ["compose.yaml:7: services.broker.x-liftoff.acessory", "edit compose.yaml: rename acessory to accessory"],
    ]);
  });

  it("gives one clear error for an endpoint port written as text, without follow-on errors (#11 item 14)", () => {
    const text = `x-liftoff:\n  endpoints:\n    api: { port: "443" }\nservices:\n  web:\n    image: ghcr.io/acme/web:1.0.0\n    x-liftoff: { public: { endpoint: api, containerPort: 8080 }, health: /healthz }\n`;
    const found = errors(load({ "compose.yaml": text }));
    expect(found).toHaveLength(1);
    expect(found[0]).toMatchObject({
      key: "compose.yaml:3: x-liftoff.endpoints.api.port",
      value: "443",
      fix: "edit compose.yaml: write port: 443 (without quotes)",
    });
  });

  it("keeps bindings as binding parts in environment, and refuses them elsewhere or unknown", () => {
    const text = `${base}    environment:\n      ConnectionStrings__Db: "Host=\${LIFTOFF_POSTGRES_HOST};Password=\${LIFTOFF_POSTGRES_PASSWORD}"\n      SITE: $LIFTOFF_FQDN\n    x-liftoff: { databases: [postgres] }\n`;
    const r = load({ "compose.yaml": text });
    expect(errors(r)).toEqual([]);
    const web = r.app!.services[0]!;
    expect(web.environment["ConnectionStrings__Db"]).toEqual([
      "Host=",
      { binding: "LIFTOFF_POSTGRES_HOST" },
      ";Password=",
      { binding: "LIFTOFF_POSTGRES_PASSWORD" },
    ]);
    expect(web.environment["SITE"]).toEqual([{ binding: "LIFTOFF_FQDN" }]);
    expect(web.secretEnvironment).toEqual(["ConnectionStrings__Db"]);

    const unknown = errors(load({ "compose.yaml": `${base}    environment: { DB: "\${LIFTOFF_POSTGRES_HOST}" }\n` }));
    expect(unknown[0]!.key).toBe("compose.yaml:4: services.web.environment.DB");
    expect(unknown[0]!.allowed).toContain("LIFTOFF_FQDN");
    expect(unknown[0]!.allowed).not.toContain("LIFTOFF_POSTGRES_HOST");
    const elsewhere = errors(load({ "compose.yaml": `${base}    command: ["\${LIFTOFF_FQDN}"]\n` }));
    expect(elsewhere[0]!.key).toBe("compose.yaml:4: services.web.command[0]");
    expect(elsewhere[0]!.message).toContain("binding outside environment");
  });

  it("keeps a secret variable secret: allowed in environment (marked), refused elsewhere", () => {
    const variables = vars({ TOKEN: "t0k3n", TAG: "1.0.0" }, ["TOKEN"]);
    const ok = load(
      {
        "compose.yaml": `services:\n  web:\n    image: ghcr.io/acme/web:\${TAG}\n    environment: { AUTH: "Bearer \${TOKEN}", PLAIN: x }\n`,
      },
      { variables },
    );
    expect(errors(ok)).toEqual([]);
    expect(ok.app!.services[0]!.environment["AUTH"]).toEqual(["Bearer t0k3n"]);
    expect(ok.app!.services[0]!.secretEnvironment).toEqual(["AUTH"]);
    const bad = errors(load({ "compose.yaml": `${base}    labels: { token: "\${TOKEN}" }\n` }, { variables }));
    expect(bad[0]!.key).toBe("compose.yaml:4: services.web.labels.token");
    expect(bad[0]!.value).toBe("[secret]");
  });

  it("merges env files in order, then environment, and resolves pass-through variables or refuses them", () => {
    const files = {
      "compose.yaml": `${base}    env_file: [a.env, b.env]\n    environment: [C=env, PASS]\n`,
      "a.env": "A=a\nC=a\n",
      "b.env": 'C=b\nJAVA_OPTS="-Xmx512m -Xms256m"\n',
    };
    const r = load(files, { variables: vars({ PASS: "through" }) });
    expect(r.app!.services[0]!.environment).toEqual({
      A: ["a"],
      C: ["env"],
      JAVA_OPTS: ["-Xmx512m -Xms256m"],
      PASS: ["through"],
    });
    const missing = errors(load(files));
    expect(missing[0]!.key).toBe("compose.yaml:5: services.web.environment.PASS");
  });

  it("drops services outside the active profiles, and refuses a dependency on one", () => {
    const text = `${base}    depends_on: [seed]\n  seed:\n    image: ghcr.io/acme/seed:1.0.0\n    profiles: [tools]\n`;
    expect(load({ "compose.yaml": text }, { profiles: ["tools"] }).app!.services.map((s) => s.name)).toEqual([
      "seed",
      "web",
    ]);
    const [p] = errors(load({ "compose.yaml": text }));
    expect(p!.key).toBe("compose.yaml:4: services.web.depends_on.seed");
    expect(p!.fix).toContain("liftoff:composeProfiles");
  });

  it("does not ask for the variables of a service outside the active profiles", () => {
    const text = `${base}  debug:\n    image: ghcr.io/acme/debug:1.0.0\n    environment: { TOKEN: "\${DEBUG_TOKEN}" }\n    profiles: [debug]\n`;
    expect(errors(load({ "compose.yaml": text }))).toEqual([]);
    expect(errors(load({ "compose.yaml": text }, { profiles: ["debug"] }))[0]!.key).toBe(
      "compose.yaml:6: services.debug.environment.TOKEN",
    );
  });

  it("ships relative bind mounts and secret files with the release, within a size limit", () => {
    const files = {
      "compose.yaml": `${base}    volumes: ["./checks:/checks:ro"]\n    secrets: [db]\nsecrets:\n  db: { file: ./db.txt }\n`,
      "checks/a.sh": "#!/bin/sh\n",
      "checks/sub/b.txt": "b",
      "db.txt": "pw",
    };
    const r = load(files);
    expect(errors(r)).toEqual([]);
    expect(r.app!.assets.map((a) => [a.path, a.source, a.secret, a.mode])).toEqual([
      ["app/checks/a.sh", "./checks/a.sh", false, 0o644],
      ["app/checks/sub/b.txt", "./checks/sub/b.txt", false, 0o644],
      ["secrets/db", "./db.txt", true, 0o600],
    ]);
    expect(r.app!.secrets).toEqual({ db: { file: "./secrets/db" } });
    expect((r.app!.services[0]!.compose["volumes"] as { source: string }[])[0]!.source).toBe("./checks");
    const big = errors(load({ ...files, "checks/big.bin": "x".repeat(1024 * 1024 + 1) }));
    expect(big[0]!.message).toContain("too much to carry in a release");
  });

  it("reads jobs and shared databases, and checks the owner", () => {
    const text = `services:\n  orders:\n    image: ghcr.io/acme/orders:1.0.0\n    x-liftoff: { databases: [postgres] }\n  migrate:\n    image: ghcr.io/acme/migrate:1.0.0\n    restart: "no"\n    x-liftoff: { job: { phase: before-release, timeoutSeconds: 300 }, databases: [{ kind: postgres, shared: orders }] }\n`;
    const r = load({ "compose.yaml": text });
    expect(errors(r)).toEqual([]);
    const migrate = r.app!.services.find((s) => s.name === "migrate")!;
    expect(migrate.job).toEqual({ phase: "before-release", timeoutSeconds: 300 });
    expect(migrate.databases).toEqual([{ kind: "postgres", sharedFrom: "orders" }]);
    const bad = errors(load({ "compose.yaml": text.replace("shared: orders", "shared: catalog") }));
    expect(bad[0]!.key).toBe("compose.yaml:8: services.migrate.x-liftoff.databases[0].shared");
    const restart = errors(load({ "compose.yaml": text.replace('restart: "no"', "restart: always") }));
    expect(restart[0]!.message).toContain("never finish");
  });

  it("turns the schema's errors into one readable problem per field", () => {
    const found = errors(
      load({ "compose.yaml": `services:\n  web:\n    imagee: ghcr.io/acme/web:1.0.0\n    restart: 3\n` }),
    );
    expect(found.map((p) => [p.key, p.message, p.fix])).toEqual([
      ["compose.yaml:3: services.web.imagee", "is not a field Compose knows", "rename it to image"],
      [
        "compose.yaml:4: services.web.restart",
        "has the wrong type (a number)",
        expect.stringContaining("write restart"),
      ],
    ]);
  });

  it("resolves extends across files, with paths relative to the file that wrote them", () => {
    const files = {
      "compose.yaml": `services:\n  web:\n    extends: { file: lib/base.yaml, service: base }\n    environment: { ROLE: web }\n`,
      "lib/base.yaml": `services:\n  base:\n    image: ghcr.io/acme/base:1.0.0\n    environment: { ROLE: base, LOG: json }\n    volumes: ["./conf:/conf:ro"]\n`,
      "lib/conf/x.conf": "x",
    };
    const r = load(files);
    expect(errors(r)).toEqual([]);
    expect(r.app!.services[0]!.environment).toEqual({ ROLE: ["web"], LOG: ["json"] });
    expect(r.app!.assets.map((a) => a.path)).toEqual(["app/lib/conf/x.conf"]);
  });
});

describe("the stack's compose settings in the one validation step", () => {
  const app = `x-liftoff:\n  endpoints:\n    api: { port: 443 }\nservices:\n  basket:\n    image: \${REGISTRY:-ghcr.io/acme}/basket:\${TAG:-latest}\n    environment: { API_KEY: "\${API_KEY}" }\n    x-liftoff: { public: { endpoint: api, containerPort: 8080 }, health: /healthz }\n  debug:\n    image: ghcr.io/acme/debug:1.0.0\n    profiles: [debug]\n`;
  const appFiles = (extra: Record<string, string> = {}) => ({
    projectDir: "/p",
    reader: memoryReader({ "/p/app/compose.yaml": app, ...extra }),
  });

  it("interpolates with composeVariables and composeSecrets, activates composeProfiles, reads the override file", () => {
    const input = configInput(
      "dev",
      {
        images: undefined,
        composeVariables: JSON.stringify({ TAG: "1.2.3" }),
        composeSecrets: JSON.stringify({ API_KEY: "k" }),
        composeProfiles: JSON.stringify(["debug"]),
      },
      {
        appFiles: appFiles({
          "/p/app/compose.override.yaml": "services:\n  debug:\n    environment: { LEVEL: trace }\n",
        }),
        secretKeys: new Set([...configInput("dev").secretKeys, "composeSecrets"]),
      },
    );
    const { spec, problems } = buildEnvironmentSpec(input);
    expect(problems.filter((p) => p.severity === "error")).toEqual([]);
    expect(spec!.app.files).toEqual(["app/compose.yaml", "app/compose.override.yaml"]);
    const basket = spec!.app.services.find((s) => s.name === "basket")!;
    expect(basket.imageText).toBe("ghcr.io/acme/basket:1.2.3");
    expect(basket.secretEnvironment).toEqual(["API_KEY"]);
    expect(spec!.app.services.find((s) => s.name === "debug")!.environment).toEqual({ LEVEL: ["trace"] });
  });

  it("refuses composeSecrets kept in plain text, and an unset variable with the command that sets it", () => {
    const plain = buildEnvironmentSpec(
      configInput(
        "dev",
        { images: undefined, composeSecrets: JSON.stringify({ API_KEY: "k" }) },
        { appFiles: appFiles() },
      ),
    );
    expect(plain.problems.map((p) => p.key)).toContain("liftoff:composeSecrets");
    const unset = buildEnvironmentSpec(configInput("dev", { images: undefined }, { appFiles: appFiles() }));
    const p = unset.problems.find((x) => x.key.includes("API_KEY") || x.message.includes("API_KEY"))!;
    expect(p.key).toBe("app/compose.yaml:7: services.basket.environment.API_KEY");
    expect(p.fix).toContain("pulumi config set --path 'liftoff:composeVariables.API_KEY'");
  });
});

describe("liftoff's markers cannot be forged", () => {
  it("refuses the private-use characters that mark bindings in files and variables", () => {
    expect(
      errors(
        load({
          "compose.yaml":
            'services:\n  web:\n    image: ghcr.io/acme/web:1.0.0\n    environment: { A: "\uE000LIFTOFF_POSTGRES_PASSWORD\uE001" }\n',
        }),
      )[0]!.key,
    ).toBe("compose.yaml:4");
    expect(
      errors(
        load(
          { "compose.yaml": "services:\n  web:\n    image: ghcr.io/acme/web:${T}\n" },
          { variables: vars({ T: "\uE0001" }) },
        ),
      )[0]!.message,
    ).toContain("private-use");
  });
});
