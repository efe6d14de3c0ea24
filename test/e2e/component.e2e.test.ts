/**
 * The Pulumi deploy component's own path, end to end on the local test host: the release rendered
 * by the real renderer (components/deploy/release.ts) from an application definition, shipped and
 * applied by the exact command lines and stdin the `@pulumi/command` resources send
 * (components/deploy/commands.ts), over real SSH as the deploy user, under load.
 */
import * as fs from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import {
  agentArtifact,
  applyReleaseCommand,
  applyReleaseStdin,
  installAgentCommand,
  renderRelease,
  type RenderedRelease,
} from "../../components/deploy";
import * as os from "node:os";
import * as path from "node:path";
import { appFromCompose } from "../compose-app";
import type { TestbedInfo } from "../../tools/testbed/render";
import { TestHost, checkTestbedUp, loadTestbed, resetHost, startLoad, type CommandResult } from "./harness";

const GATEWAY = "http://127.0.0.1:18443";
const IDENTITY = "http://127.0.0.1:18444";

/** The example system, as an operator's compose file, on the test images. */
function appFor(tb: TestbedInfo, tag: "v1" | "v2") {
  const image = (name: string, t: string = tag) => {
    const ref = tb.images[name]?.[t];
    if (!ref) throw new Error(`testbed.json has no image ${name}:${t}: run \`npm run testbed -- up\``);
    return ref;
  };
  const compose = `
x-liftoff:
  endpoints:
    api: { port: 443 }
    identity: { port: 8443 }
services:
  api-gateway:
    image: ${image("api-gateway")}
    environment: { APP_SERVICE: api-gateway }
    x-liftoff: { public: { endpoint: api, containerPort: 8080 }, health: /healthz }
  identity-service:
    image: ${image("identity-service")}
    environment: { APP_SERVICE: identity-service }
    x-liftoff: { public: { endpoint: identity, containerPort: 8080 }, health: /healthz, databases: [postgres] }
  orders:
    image: ${image("orders")}
    environment: { DATABASE_URL: "\${LIFTOFF_POSTGRES_URL}" }
    x-liftoff: { databases: [postgres] }
  catalog:
    image: ${image("catalog")}
    x-liftoff: { databases: [mongodb] }
  broker:
    image: ${image("broker", "v1")}
    volumes: [broker-data:/data]
    x-liftoff: { accessory: true }
volumes:
  broker-data: {}
`;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-component-e2e-"));
  fs.writeFileSync(path.join(dir, "compose.yaml"), compose);
  return appFromCompose(dir, { endpoints: { api: 443, identity: 8443 }, bindings: ["LIFTOFF_POSTGRES_URL"] });
}

function render(tb: TestbedInfo, tag: "v1" | "v2"): RenderedRelease {
  const app = appFor(tb, tag);
  return renderRelease({
    project: "liftoff",
    environment: "e2e",
    app,
    images: Object.fromEntries(app.services.map((s) => [s.name, s.imageText])),
    sites: { api: GATEWAY, identity: IDENTITY },
    bind: "127.0.0.1",
    bindings: { orders: { LIFTOFF_POSTGRES_URL: "postgresql://orders:db-secret-e2e@db.example/orders" } },
    registry: { server: tb.registry.url, username: tb.registry.username },
    healthTimeoutSeconds: 60,
    // The proxy's gate files live under the agent's root: the test host's, not a real host's.
    releaseRoot: tb.agentRoot,
  });
}

/** The command line the component runs, with the test host's agent settings in front. */
function onTestHost(host: TestHost, command: string): string {
  const env = Object.entries(host.tb.agentEnv)
    .map(([k, v]) => `export ${k}='${v}'`)
    .join("; ");
  return `${env}; ${command}`;
}

async function applyLikeTheComponent(host: TestHost, release: RenderedRelease): Promise<CommandResult> {
  const stdin = await applyReleaseStdin(release, host.tb.registry.password);
  return host.start(onTestHost(host, applyReleaseCommand(host.root, release.id)), stdin).done;
}

async function version(url: string): Promise<string> {
  const res = await fetch(`${url}/version`, { signal: AbortSignal.timeout(5000) });
  return (await res.text()).trim();
}

describe("the deploy component's commands on the local test host", () => {
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

  it("installs the agent from stdin with the component's command", async () => {
    const result = await host.start(
      onTestHost(host, `mkdir -p '${host.root}/bin' && ${installAgentCommand(host.root)}`),
      `${agentArtifact().toString("base64")}\n`,
    ).done;
    // The test host runs no cron daemon: the installer says the boot-time repair is not set up, and nothing else.
    expect(result.stderr.replace(/^liftoff: no crontab on this host: .*\n/m, "")).toBe("");
    expect(result.code).toBe(0);
    expect((await host.agent("version")).stdout).toMatch(/^liftoff-release /);
  });

  it("applies a rendered release, then an upgrade without a failed request, then the same release as a no-op", async () => {
    const v1 = render(host.tb, "v1");
    const first = await applyLikeTheComponent(host, v1);
    expect(first.stderr).not.toContain(host.tb.registry.password);
    expect(first.code, first.stderr).toBe(0);
    expect(await version(GATEWAY)).toBe("api-gateway v1");

    const v2 = render(host.tb, "v2");
    expect(v2.id).not.toBe(v1.id);
    const load = startLoad([`${GATEWAY}/version`, `${IDENTITY}/version`], 200);
    const upgrade = await applyLikeTheComponent(host, v2);
    await new Promise((r) => setTimeout(r, 1500));
    const results = await load.stop();
    expect(upgrade.code, upgrade.stderr).toBe(0);
    for (const r of results) {
      expect(r.requests, r.url).toBeGreaterThan(100);
      expect(r.failed, `${r.url}: ${JSON.stringify(r.statusCodes)} ${JSON.stringify(r.errorKinds)}`).toBe(0);
    }
    expect(await version(GATEWAY)).toBe("api-gateway v2");
    expect(await version(IDENTITY)).toBe("identity-service v2");

    const again = await applyLikeTheComponent(host, v2);
    expect(again.code).toBe(0);
    expect(again.stderr).toContain("already live");

    const status = JSON.parse((await host.agent("status --json")).stdout) as { live: { release: string } };
    expect(status.live.release).toBe(v2.id);
    // The shipped copy is gone; only the agent's own copy of the release stays, env files 0600.
    expect(await host.sshOk(`ls -A '${host.root}/incoming'`)).not.toContain(v2.id);
    expect((await host.sshOk(`stat -c '%a' '${host.root}/releases/${v2.id}/env/orders.env'`)).trim()).toBe("600");
  });

  it("a rendered release whose service fails its health check leaves the old one serving", async () => {
    await host.ensureLive(render(host.tb, "v2"));
    const app = appFor(host.tb, "v2");
    const bad = renderRelease({
      project: "liftoff",
      environment: "e2e",
      app,
      images: Object.fromEntries(
        app.services.map((s) => [s.name, s.name === "orders" ? host.tb.images["orders"]!["unhealthy"]! : s.imageText]),
      ),
      sites: { api: GATEWAY, identity: IDENTITY },
      bind: "127.0.0.1",
      bindings: { orders: { LIFTOFF_POSTGRES_URL: "postgresql://orders:db-secret-e2e@db.example/orders" } },
      registry: { server: host.tb.registry.url, username: host.tb.registry.username },
      healthTimeoutSeconds: 20,
      releaseRoot: host.tb.agentRoot,
    });
    const result = await applyLikeTheComponent(host, bad);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain("orders");
    expect(await version(GATEWAY)).toBe("api-gateway v2");
  });
});
