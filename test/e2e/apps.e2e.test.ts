/**
 * The three sample applications (test/e2e/apps/: an override file, a migration job, networks with
 * a secret file; five services or more each) deployed one after the other on the local test host
 * with the test images, as the deploy component does it: each passes its health checks and does
 * what its compose file says.
 *
 * Needs `npm run testbed -- up`. Without it every test here FAILS saying so; none is skipped.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { applyReleaseCommand, applyReleaseStdin, type RenderedRelease } from "../../components/deploy";
import type { TestbedInfo } from "../../tools/testbed/render";
import { renderSampleApp, type SampleImages } from "./apps";
import { TestHost, checkTestbedUp, loadTestbed, resetHost, shq, type CommandResult } from "./harness";

const GATEWAY = "http://127.0.0.1:18443";

function images(tb: TestbedInfo): SampleImages {
  const ref = (name: string, tag = "v1") => {
    const r = tb.images[name]?.[tag];
    if (!r) throw new Error(`testbed.json has no image ${name}:${tag}: run \`npm run testbed -- up\``);
    return r;
  };
  return {
    GATEWAY_IMAGE: ref("api-gateway"),
    IDENTITY_IMAGE: ref("identity-service"),
    ORDERS_IMAGE: ref("orders"),
    CATALOG_IMAGE: ref("catalog"),
    BROKER_IMAGE: ref("broker"),
  };
}

async function apply(host: TestHost, release: RenderedRelease): Promise<CommandResult> {
  const env = Object.entries(host.tb.agentEnv)
    .map(([k, v]) => `export ${k}=${shq(v)}`)
    .join("; ");
  return host.start(
    `${env}; ${applyReleaseCommand(host.root, release.id)}`,
    await applyReleaseStdin(release, host.tb.registry.password),
  ).done;
}

async function body(url: string): Promise<string> {
  const res = await fetch(url, { signal: AbortSignal.timeout(8000) });
  return `${res.status} ${await res.text()}`;
}

async function live(host: TestHost, service: string): Promise<string> {
  const status = JSON.parse((await host.agent("status --json")).stdout) as {
    live: { slot: string };
    slots: Record<string, { service: string; state: string }[]>;
  };
  const id = (
    await host.sshOk(
      `docker ps -q --filter label=com.docker.compose.project=liftoff-${status.live.slot} --filter label=com.docker.compose.service=${service}`,
    )
  ).trim();
  if (!id) throw new Error(`no running ${service} in slot ${status.live.slot}`);
  return id;
}

describe("three sample applications on the local test host", () => {
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

  it("shop (compose.yaml + compose.override.yaml, six services) passes its health checks with the override applied", async () => {
    const result = await apply(
      host,
      renderSampleApp(
        "shop",
        images(host.tb),
        GATEWAY,
        { server: host.tb.registry.url, username: host.tb.registry.username },
        host.tb.agentRoot,
      ),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(await body(`${GATEWAY}/version`)).toBe("200 api-gateway v1\n");
    expect(await body(`${GATEWAY}/cgi-bin/env`)).toContain("APP_MODE=override");
    expect(await body(`${GATEWAY}/cgi-bin/call?basket`)).toContain("catalog v1");
    const basket = await host.sshOk(`docker exec ${await live(host, "basket")} sh -c 'printf %s "$APP_GREETING"'`);
    expect(basket).toBe('Grüße, "shopper" #1 $5 off');
  });

  it("ledger (five services, a migration job before the release and a job after it) runs both jobs and passes its health checks", async () => {
    const result = await apply(
      host,
      renderSampleApp(
        "ledger",
        images(host.tb),
        GATEWAY,
        { server: host.tb.registry.url, username: host.tb.registry.username },
        host.tb.agentRoot,
      ),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toContain("job migrate completed");
    expect(result.stderr).toContain("job warm-up completed");
    expect(await body(`${GATEWAY}/cgi-bin/broker`)).toContain("ledger-schema-0007");
  });

  it("media (five services on a front and an internal back network, a secret file, a config file, a bind mount) passes its health checks", async () => {
    const result = await apply(
      host,
      renderSampleApp(
        "media",
        images(host.tb),
        GATEWAY,
        { server: host.tb.registry.url, username: host.tb.registry.username },
        host.tb.agentRoot,
      ),
    );
    expect(result.code, result.stderr).toBe(0);
    expect(await body(`${GATEWAY}/static/index.html`)).toBe("200 <h1>media</h1>\n");
    expect(await body(`${GATEWAY}/cgi-bin/call?uploads`)).toContain("orders v1");
    expect(await body(`${GATEWAY}/cgi-bin/call?transcoder`)).toMatch(/^502 /);
    const uploads = await live(host, "uploads");
    expect(await host.sshOk(`docker exec ${uploads} cat /run/secrets/db_password`)).toBe("media-db-password-7f3a\n");
    expect(await host.sshOk(`docker exec ${uploads} wget -q -O - http://thumbs:8080/version`)).toContain(
      "identity-service v1",
    );
    expect(await host.sshOk(`docker exec ${uploads} wget -q -O - http://queue:8080/version`)).toContain("broker v1");
    expect(await host.sshOk(`docker exec ${await live(host, "transcoder")} cat /etc/transcoder.conf`)).toBe(
      "max_upload_mb = 50\n",
    );
  });
});
