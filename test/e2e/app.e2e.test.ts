/**
 * An operator's own compose files, rendered by the real renderer and applied by the agent on the
 * local test host exactly as the deploy component does (its command line and stdin, over SSH):
 * env values byte for byte, jobs before and after the switch (and what a failing one does),
 * custom networks, a secret file, a config file and a relative bind mount.
 *
 * Needs `npm run testbed -- up`. Without it every test here FAILS saying so; none is skipped.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { applyReleaseCommand, applyReleaseStdin, renderRelease, type RenderedRelease } from "../../components/deploy";
import type { TestbedInfo } from "../../tools/testbed/render";
import { appFromCompose } from "../compose-app";
import { HOSTILE_ENV } from "../env-corpus";
import { TestHost, checkTestbedUp, loadTestbed, resetHost, shq, startLoad, type CommandResult } from "./harness";

const GATEWAY = "http://127.0.0.1:18443";
const DB_PASSWORD = 'e2e-db-password: s3cr3t $ "quoted"\n';

interface Files {
  readonly [path: string]: string;
}

/** A YAML double-quoted scalar with everything outside printable ASCII escaped (no YAML reader folds or refuses it). */
function yamlString(text: string): string {
  return `"${[...text]
    .map((c) => {
      const cp = c.codePointAt(0)!;
      if (c === "\\" || c === '"') return `\\${c}`;
      if (cp >= 0x20 && cp < 0x7f) return c;
      return cp > 0xffff ? `\\U${cp.toString(16).padStart(8, "0")}` : `\\u${cp.toString(16).padStart(4, "0")}`;
    })
    .join("")}"`;
}

function image(tb: TestbedInfo, name: string, tag = "v1"): string {
  const ref = tb.images[name]?.[tag];
  if (!ref) throw new Error(`testbed.json has no image ${name}:${tag}: run \`npm run testbed -- up\``);
  return ref;
}

/** A compose project on disk (compose.yaml and its files), rendered as the component renders it. */
function render(
  tb: TestbedInfo,
  label: string,
  compose: string,
  files: Files = {},
  bindings: Record<string, Record<string, string>> = {},
): RenderedRelease {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `liftoff-app-e2e-${label}-`));
  fs.writeFileSync(path.join(dir, "compose.yaml"), compose);
  for (const [p, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, p)), { recursive: true });
    fs.writeFileSync(path.join(dir, p), content, { mode: 0o644 });
  }
  const names = [...new Set(Object.values(bindings).flatMap((b) => Object.keys(b)))];
  const app = appFromCompose(dir, { endpoints: { api: 443 }, bindings: names });
  return renderRelease({
    project: "shop",
    environment: "e2e",
    app,
    images: Object.fromEntries(app.services.map((s) => [s.name, s.imageText])),
    sites: { api: GATEWAY },
    bind: "127.0.0.1",
    bindings,
    registry: { server: tb.registry.url, username: tb.registry.username },
    healthTimeoutSeconds: 60,
    // The proxy's gate files live under the agent's root: the test host's, not a real host's.
    releaseRoot: tb.agentRoot,
  });
}

function onTestHost(host: TestHost, command: string): string {
  const env = Object.entries(host.tb.agentEnv)
    .map(([k, v]) => `export ${k}=${shq(v)}`)
    .join("; ");
  return `${env}; ${command}`;
}

async function apply(host: TestHost, release: RenderedRelease): Promise<CommandResult> {
  const stdin = await applyReleaseStdin(release, host.tb.registry.password);
  return host.start(onTestHost(host, applyReleaseCommand(host.root, release.id)), stdin).done;
}

async function get(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url, { signal: AbortSignal.timeout(8000) });
  return { status: res.status, body: await res.text() };
}

/** The container of a service in the live slot. */
async function liveContainer(host: TestHost, service: string): Promise<string> {
  const status = JSON.parse((await host.agent("status --json")).stdout) as { live: { slot: string } };
  const id = (
    await host.sshOk(
      `docker ps -q --filter label=com.docker.compose.project=liftoff-${status.live.slot} --filter label=com.docker.compose.service=${service}`,
    )
  ).trim();
  if (!id) throw new Error(`no running container of ${service} in slot ${status.live.slot}`);
  return id;
}

/** The environment a process started in the container gets (`docker exec <c> env -0`), exactly. */
async function containerEnv(host: TestHost, container: string): Promise<Record<string, string>> {
  const b64 = await host.sshOk(`docker exec ${container} env -0 | base64 -w0`);
  const entries = Buffer.from(b64.trim(), "base64")
    .toString("utf8")
    .split("\0")
    .filter((e) => e !== "");
  return Object.fromEntries(entries.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

/** The base app: a public gateway, an internal service and the broker accessory, on the test images. */
function baseCompose(tb: TestbedInfo, extra = "", orders = "", tag = "v1"): string {
  return `
services:
  api-gateway:
    image: ${image(tb, "api-gateway", tag)}
    x-liftoff: { public: { endpoint: api, containerPort: 8080 }, health: /healthz }
  orders:
    image: ${image(tb, "orders", tag)}
    x-liftoff: { health: /healthz }
${orders}
  broker:
    image: ${image(tb, "broker")}
    volumes: [broker-data:/data]
    x-liftoff: { accessory: true }
${extra}
volumes:
  broker-data: {}
`;
}

describe("an operator's compose app on the local test host", () => {
  let host: TestHost;

  // Every case stands alone (`-t '<case>'`): the host is checked and the agent installed here, and
  // a case that needs a release live first brings the host there (host.ensureLive).
  beforeAll(async () => {
    host = new TestHost(loadTestbed());
    await checkTestbedUp(host);
    await host.ensureAgent();
  });

  it("the test host is up, and reset to one that never saw a release", async () => {
    await resetHost(host);
  });

  it("gets every hostile env value and name to the container byte for byte (render -> agent -> docker exec env)", async () => {
    const environment = Object.entries(HOSTILE_ENV)
      .map(([k, v]) => `      ${yamlString(k)}: ${yamlString(v.replace(/\$/g, "$$$$"))}`)
      .join("\n");
    const compose = baseCompose(
      host.tb,
      "",
      `    environment:\n${environment}\n      FROM_BINDING: "pw=\${LIFTOFF_POSTGRES_PASSWORD};"`,
    );
    const release = render(
      host.tb,
      "env",
      compose,
      {},
      { orders: { LIFTOFF_POSTGRES_PASSWORD: "p@ss w0rd $ \" ' \\" } },
    );
    const result = await apply(host, release);
    expect(result.code, result.stderr).toBe(0);
    const env = await containerEnv(host, await liveContainer(host, "orders"));
    for (const [name, value] of Object.entries(HOSTILE_ENV)) expect(env[name], name).toBe(value);
    expect(env["FROM_BINDING"]).toBe("pw=p@ss w0rd $ \" ' \\;");
    // the env file on the host is secret material
    expect((await host.sshOk(`stat -c '%a' ${shq(`${host.root}/releases/${release.id}/env/orders.env`)}`)).trim()).toBe(
      "600",
    );
  });

  it("runs a before-release job in the new slot, with its env, the slot's network and the accessories, before the slot starts", async () => {
    const job = `
  migrate:
    image: ${image(host.tb, "orders", "v2")}
    entrypoint: ["/bin/sh", "-c", 'wget -q -O - "http://broker:8080/cgi-bin/messages?m=$$MIGRATION" && echo "migrated $$MIGRATION"']
    environment: { MIGRATION: "migration-0042" }
    x-liftoff: { job: before-release, timeout: 60 }`;
    await host.ensureLive(render(host.tb, "base-v1", baseCompose(host.tb)));
    const release = render(host.tb, "job-ok", baseCompose(host.tb, job, "", "v2"));
    const result = await apply(host, release);
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(
      /running the before-release job migrate in slot \w+[^]*job migrate completed[^]*starting release/,
    );
    expect((await get(`${GATEWAY}/cgi-bin/broker`)).body).toContain("migration-0042");
    expect((await get(`${GATEWAY}/version`)).body.trim()).toBe("api-gateway v2");
    // the job's one-off container is gone
    expect((await host.sshOk("docker ps -aq --filter label=com.docker.compose.oneoff=True")).trim()).toBe("");
  });

  it("a before-release job that fails stops the release with its last log lines, and the live release keeps serving without a failed request", async () => {
    const job = `
  migrate:
    image: ${image(host.tb, "orders", "v2")}
    entrypoint: ["/bin/sh", "-c", 'echo "applying 0043"; echo "migration 0043 failed: relation orders already exists" >&2; exit 3']
    x-liftoff: { job: before-release }`;
    await host.ensureLive(render(host.tb, "base-v2", baseCompose(host.tb, "", "", "v2")));
    const bad = render(host.tb, "job-fails", baseCompose(host.tb, job, "", "v1"));
    const load = startLoad([`${GATEWAY}/version`], 100);
    const result = await apply(host, bad);
    const [traffic] = await load.stop();
    expect(result.code, result.stderr).toBe(10);
    expect(result.stderr).toContain("the before-release job migrate failed: it exited with code 3");
    expect(result.stderr).toContain("migration 0043 failed: relation orders already exists");
    expect(result.stderr).toMatch(/is still live in slot/);
    expect(traffic!.failed, JSON.stringify(traffic!.statusCodes)).toBe(0);
    expect((await get(`${GATEWAY}/version`)).body.trim()).toBe("api-gateway v2");
  });

  it("a before-release job that outlives its timeout fails the release the same way", async () => {
    const job = `
  migrate:
    image: ${image(host.tb, "orders", "v2")}
    entrypoint: ["/bin/sh", "-c", "echo 'waiting for a lock'; sleep 60"]
    x-liftoff: { job: before-release, timeout: 3 }`;
    await host.ensureLive(render(host.tb, "base-v2", baseCompose(host.tb, "", "", "v2")));
    const result = await apply(host, render(host.tb, "job-timeout", baseCompose(host.tb, job, "", "v1")));
    expect(result.code, result.stderr).toBe(10);
    expect(result.stderr).toContain("the before-release job migrate did not finish within 3 s");
    expect(result.stderr).toContain("waiting for a lock");
    expect((await get(`${GATEWAY}/version`)).body.trim()).toBe("api-gateway v2");
  });

  it("an after-release job that fails is reported (exit 11) and the new release stays live", async () => {
    const job = `
  warm:
    image: ${image(host.tb, "orders", "v1")}
    entrypoint: ["/bin/sh", "-c", "echo 'cache warm-up failed' >&2; exit 1"]
    x-liftoff: { job: after-release }`;
    await host.ensureLive(render(host.tb, "base-v2", baseCompose(host.tb, "", "", "v2")));
    const result = await apply(host, render(host.tb, "after-fails", baseCompose(host.tb, job, "", "v1")));
    expect(result.code, result.stderr).toBe(11);
    expect(result.stderr).toContain("but the after-release job warm failed: it exited with code 1");
    expect(result.stderr).toContain("cache warm-up failed");
    expect((await get(`${GATEWAY}/version`)).body.trim()).toBe("api-gateway v1");
  });

  it("carries custom networks, a secret file, a config file and a relative bind mount", async () => {
    const compose = `
services:
  api-gateway:
    image: ${image(host.tb, "api-gateway", "v2")}
    networks: [front]
    volumes: ["./static:/www/static:ro"]
    configs: [{ source: gateway_conf, target: /etc/gateway.conf }]
    x-liftoff: { public: { endpoint: api, containerPort: 8080 }, health: /healthz }
  orders:
    image: ${image(host.tb, "orders", "v2")}
    networks: [front, back]
    secrets: [db_password]
  catalog:
    image: ${image(host.tb, "catalog", "v2")}
    networks: [back]
  broker:
    image: ${image(host.tb, "broker")}
    volumes: [broker-data:/data]
    networks:
      back: { aliases: [queue] }
    x-liftoff: { accessory: true }
networks:
  front: {}
  back: { internal: true }
volumes:
  broker-data: {}
secrets:
  db_password: { file: ./secrets/db_password.txt }
configs:
  gateway_conf: { file: ./gateway.conf }
`;
    const release = render(host.tb, "networks", compose, {
      "static/index.html": "<h1>shipped with the release</h1>\n",
      "secrets/db_password.txt": DB_PASSWORD,
      "gateway.conf": "upstream = orders\n",
    });
    const result = await apply(host, release);
    expect(result.code, result.stderr).toBe(0);
    // front: the gateway reaches orders; back only: it cannot reach catalog, orders can
    expect((await get(`${GATEWAY}/cgi-bin/call?orders`)).body).toContain("orders v2");
    expect((await get(`${GATEWAY}/cgi-bin/call?catalog`)).status).toBe(502);
    const orders = await liveContainer(host, "orders");
    expect(await host.sshOk(`docker exec ${orders} wget -q -O - http://catalog:8080/version`)).toContain("catalog v2");
    // the accessory is on back, under its name and its alias: orders reaches it, the gateway not
    expect(await host.sshOk(`docker exec ${orders} wget -q -O - http://queue:8080/version`)).toContain("broker v1");
    expect(
      await host.sshOk(`docker exec ${orders} wget -q -O - "http://broker:8080/cgi-bin/messages?m=from-orders"`),
    ).toContain("from-orders");
    expect((await get(`${GATEWAY}/cgi-bin/broker?m=from-the-gateway`)).status).toBe(502);
    // the shipped files
    expect((await get(`${GATEWAY}/static/index.html`)).body).toBe("<h1>shipped with the release</h1>\n");
    expect(await host.sshOk(`docker exec ${await liveContainer(host, "api-gateway")} cat /etc/gateway.conf`)).toBe(
      "upstream = orders\n",
    );
    expect(await host.sshOk(`docker exec ${orders} cat /run/secrets/db_password`)).toBe(DB_PASSWORD);
    const dir = `${host.root}/releases/${release.id}`;
    expect(
      (
        await host.sshOk(
          `stat -c '%a %n' ${shq(`${dir}/secrets`)} ${shq(`${dir}/secrets/db_password`)} ${shq(`${dir}/app/static/index.html`)}`,
        )
      )
        .trim()
        .split("\n")
        .map((l) => l.split(" ")[0]),
    ).toEqual(["700", "600", "644"]);
    // the slot's networks are its own
    const networks = await host.sshOk("docker network ls --format '{{.Name}}'");
    expect(networks).toMatch(/liftoff-(blue|green)_front/);
    expect(networks).toMatch(/liftoff-(blue|green)_back/);
  });
});
