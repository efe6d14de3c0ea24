import { gunzipSync } from "node:zlib";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { extract } from "tar-stream";
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { PROJECT_DIR, byType, reveal, runStack } from "../test/harness";
import { runComposeV2, runTool, tempFile } from "../test/tools";
import { sshAgentCheck } from "./deploy";
import { LANES } from "../components/deploy/release";

/** Every secret a `pulumi up` of dev or prod needs, so the program runs as under the engine. */
const UP_SECRETS = {
  ghcrToken: "g",
  grafanaCloudToken: "g",
  githubToken: "g",
  neonApiKey: "n",
  atlasPublicKey: "a",
  atlasPrivateKey: "a",
};

type Files = Record<string, string>;

/** The release the apply command would send to the host, unpacked from its (revealed) stdin. */
async function shippedRelease(plan: Awaited<ReturnType<typeof runStack>>): Promise<{ token: string; files: Files }> {
  const apply = byType(plan, "command:remote:Command").find((c) => c.name === "deploy-apply")!;
  const [token, archive] = String(reveal(apply)["stdin"]).split("\n");
  const files: Files = {};
  const unpack = extract();
  unpack.on("entry", (header, stream, next) => {
    const chunks: Buffer[] = [];
    stream.on("data", (c: unknown) => chunks.push(c as Buffer));
    stream.on("end", () => {
      files[header.name] = Buffer.concat(chunks).toString("utf8");
      next();
    });
  });
  const done = new Promise<void>((resolve) => unpack.on("finish", () => resolve()));
  unpack.end(gunzipSync(Buffer.from(archive!, "base64")));
  await done;
  return { token: token!, files };
}

/** An env file as the renderer writes it: `NAME="value"` lines, `\\ \" \$ \n \r` escaped. */
function envFile(text: string): Record<string, string> {
  return Object.fromEntries(
    text
      .trim()
      .split("\n")
      .map((l) => [
        l.slice(0, l.indexOf("=")),
        JSON.parse(l.slice(l.indexOf("=") + 1).replace(/\\\$/g, "$")) as string,
      ]),
  );
}

describe("the deploy layer with the operator's own values", () => {
  const exampleWith = (replace: (text: string) => string) =>
    tempFile("compose.yaml", replace(readFileSync(path.join(__dirname, "..", "app", "compose.yaml"), "utf8")));

  it("plans env values with spaces, quotes, # and backslashes and dotted names, and ships them exact (they crashed the plan)", async () => {
    const values = {
      JAVA_OPTS: "-Xmx512m -Xms256m",
      GREETING: 'say "hi" #not-a-comment',
      WIN_PATH: "C:\\temp\\x",
      "Serilog__MinimumLevel__Override__Microsoft.AspNetCore": "Warning",
      "my-var": "é ü 😀",
    };
    const compose = exampleWith((t) =>
      t.replace(
        "      BROKER_URL: amqp://broker:5672\n",
        `      BROKER_URL: amqp://broker:5672\n${Object.entries(values)
          .map(([k, v]) => `      ${k}: ${JSON.stringify(v)}\n`)
          .join("")}`,
      ),
    );
    const plan = await runStack("dev", { config: { composeFile: compose } });
    expect(plan.error).toBeUndefined();
    const env = envFile((await shippedRelease(plan)).files["env/orders.env"]!);
    expect(env).toMatchObject(values);
  });

  it("carries liftoff:bakeSeconds and liftoff:canary to the release the host gets (manifest release object), over the profile's bake window", async () => {
    const release = async (stack: string, config: Record<string, string>) => {
      const plan = await runStack(stack, { config });
      expect(plan.error).toBeUndefined();
      return (JSON.parse((await shippedRelease(plan)).files["manifest.json"]!) as { release: unknown }).release;
    };
    expect(await release("dev", {})).toEqual({
      bakeSeconds: 30,
      canary: { steps: [100], stepSeconds: 30 },
      maxErrorRate: 0.02,
      minRequests: 20,
    });
    expect(await release("prod", {})).toMatchObject({ bakeSeconds: 120 });
    expect(
      await release("dev", { bakeSeconds: "45", canary: JSON.stringify({ steps: [10, 50, 100], stepSeconds: 20 }) }),
    ).toMatchObject({ bakeSeconds: 45, canary: { steps: [10, 50, 100], stepSeconds: 20 } });
  });

  it("refuses in the plan a health path the host agent would refuse (/healthz;x), naming the field", async () => {
    const plan = await runStack("dev", {
      config: { composeFile: exampleWith((t) => t.replace("      health: /healthz\n", "      health: /healthz;x\n")) },
    });
    expect(plan.resources).toEqual([]);
    expect(plan.error).toContain("x-liftoff.health");
    expect(plan.error).toContain('holds ";"');
  });
});

describe.each(["dev", "prod"])("the deploy layer of the %s stack", (stack) => {
  it("ships one release whose id is the live release output, with every secret on stdin only", async () => {
    const plan = await runStack(stack);
    expect(plan.error).toBeUndefined();
    const apply = byType(plan, "command:remote:Command").find((c) => c.name === "deploy-apply")!;
    expect(apply.secretPaths).toEqual(expect.arrayContaining(["stdin", "connection"]));
    const { files } = await shippedRelease(plan);
    const id = (JSON.parse(files["manifest.json"]!) as { id: string }).id;
    expect(plan.outputs["liveReleaseId"]).toEqual({ value: id, secret: false });
    expect(apply.inputs["triggers"]).toContain(id);
    expect(String(apply.inputs["create"])).not.toMatch(/postgres|mongodb|Basic|ghp_|glc_/);
  });

  it("shows reviewers the release without its env files, and no secret of the release or of any binding is in what it shows", async () => {
    const sentinels = {
      ghcrToken: "SENTINEL-ghcr-token-0001",
      grafanaCloudToken: "SENTINEL-grafana-token-0002",
      neonApiKey: "SENTINEL-neon-key-0003",
      atlasPrivateKey: "SENTINEL-atlas-key-0004",
    };
    // Every secret binding's value, as the program computed it for the renderer.
    const bindingSecrets: Promise<string | undefined>[] = [];
    const plan = await runStack(stack, {
      secrets: sentinels,
      onExports: (exports) => {
        for (const values of Object.values(
          exports["bindings"] as Record<string, Record<string, pulumi.Output<string>>>,
        )) {
          for (const output of Object.values(values)) {
            bindingSecrets.push(
              pulumi
                .isSecret(output)
                .then((secret) => (secret ? new Promise<string>((resolve) => output.apply(resolve)) : undefined)),
            );
          }
        }
      },
    });
    const { token, files } = await shippedRelease(plan);
    const shown = plan.outputs["releaseFiles"]!;
    expect(shown.secret).toBe(false);
    const reviewable = shown.value as Files;
    expect(Object.keys(reviewable).sort()).toEqual(["Caddyfile", "accessories.yaml", "compose.yaml", "manifest.json"]);
    for (const [file, text] of Object.entries(reviewable)) expect(text, file).toBe(files[file]);
    // Every credential the release carries: the registry token on stdin, and each env file's values.
    const secrets = [token, ...Object.values(sentinels)];
    for (const [file, text] of Object.entries(files).filter(([f]) => f.startsWith("env/"))) {
      for (const [name, value] of Object.entries(envFile(text))) {
        if (/URL|URI|HEADERS|TOKEN|PASSWORD|SECRET|KEY|CONFIG/.test(name) && value.length >= 8) secrets.push(value);
        else
          expect(name, `${file}: a setting the check does not know; classify it here`).toMatch(/^(OTEL_|BROKER_URL$)/);
      }
    }
    const fromBindings = (await Promise.all(bindingSecrets)).filter((v): v is string => v !== undefined);
    // Per service: OTLP headers; Postgres URL, URL_DIRECT, PASSWORD; MongoDB URL, PASSWORD.
    expect(fromBindings.length).toBe(5 + 2 * 3 + 2);
    secrets.push(...fromBindings);
    for (const secret of fromBindings) expect(secret.length).toBeGreaterThanOrEqual(8);
    expect(secrets.length).toBeGreaterThan(10);
    const everything = Object.values(reviewable).join("\n");
    for (const secret of secrets)
      expect(everything.includes(secret), `a secret of ${secret.length} characters is shown`).toBe(false);
  });

  it("runs every image by digest, public services on loopback only, the collector beside them", async () => {
    const { files } = await shippedRelease(await runStack(stack));
    const manifest = JSON.parse(files["manifest.json"]!) as {
      services: { name: string; image: string }[];
      accessories: { name: string; image: string }[];
      registry: { server: string; username: string };
    };
    for (const s of [...manifest.services, ...manifest.accessories])
      expect(s.image, s.name).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(manifest.accessories.map((a) => a.name)).toEqual(["broker", "alloy"]);
    expect(manifest.registry).toEqual({ server: "ghcr.io", username: "acme-deploy-bot" });
    const compose = parse(files["compose.yaml"]!) as { services: Record<string, { ports?: string[] }> };
    // LANES lanes (the same for every release): the slot's loopback network the agent exports
    // (127.77.<slot>), never a public interface.
    expect(compose.services["api-gateway"]!.ports).toEqual(
      Array.from({ length: LANES }, (_, k) => `\${LIFTOFF_LOOPBACK}.${k + 1}:\${LIFTOFF_PORT_API_GATEWAY}:8080`),
    );
    const traffic = (JSON.parse(files["manifest.json"]!) as { traffic: { loopback: Record<string, string> } }).traffic;
    for (const network of Object.values(traffic.loopback)) expect(network).toMatch(/^127\.\d+\.\d+$/);
    expect(compose.services["orders"]!.ports).toBeUndefined();
    expect(files["Caddyfile"]).toContain(`https://liftoff-acme-${stack}.westeurope.cloudapp.azure.com:8443 {`);
  });

  it("hands each service its own database URL and the OTLP settings, and nothing of another's", async () => {
    const { files } = await shippedRelease(await runStack(stack));
    const env = (service: string) => envFile(files[`env/${service}.env`]!);
    expect(env("orders")["DATABASE_URL"]).toMatch(/^postgresql:\/\/orders:/);
    expect(env("identity-service")["DATABASE_URL"]).toMatch(/^postgresql:\/\/identity_service:.*\/identity\?/);
    expect(env("catalog")["MONGODB_URI"]).toMatch(/^mongodb\+srv:\/\/catalog:/);
    expect(env("catalog")["DATABASE_URL"]).toBeUndefined();
    expect(env("api-gateway")["DATABASE_URL"]).toBeUndefined();
    expect(env("orders")["BROKER_URL"]).toBe("amqp://broker:5672");
    for (const service of ["api-gateway", "identity-service", "orders", "catalog", "broker"]) {
      expect(env(service)["OTEL_SERVICE_NAME"], service).toBe(service);
      expect(env(service)["OTEL_EXPORTER_OTLP_PROTOCOL"]).toBe("http/protobuf");
      expect(env(service)["OTEL_EXPORTER_OTLP_HEADERS"]).toMatch(/^Authorization=Basic%20/);
      expect(env(service)["OTEL_RESOURCE_ATTRIBUTES"]).toContain(`deployment.environment=${stack}`);
    }
  });

  it("keeps a service's own DATABASE_URL and OTEL_SERVICE_NAME instead of liftoff's defaults, and gives the rest", async () => {
    const compose = readFileSync(path.join(PROJECT_DIR, "app", "compose.yaml"), "utf8").replace(
      "      BROKER_URL: amqp://broker:5672\n",
      "      BROKER_URL: amqp://broker:5672\n      DATABASE_URL: postgresql://own@db.example/orders\n      OTEL_SERVICE_NAME: orders-api\n",
    );
    const { files } = await shippedRelease(
      await runStack(stack, { config: { composeFile: tempFile("compose.yaml", compose) } }),
    );
    const orders = envFile(files["env/orders.env"]!);
    expect(orders["DATABASE_URL"]).toBe("postgresql://own@db.example/orders");
    expect(orders["OTEL_SERVICE_NAME"]).toBe("orders-api");
    expect(orders["DATABASE_URL_UNPOOLED"]).toMatch(/^postgresql:\/\/orders:/);
    expect(orders["OTEL_EXPORTER_OTLP_PROTOCOL"]).toBe("http/protobuf");
  });

  it("gives the collector its token and config, and the config is what the observability layer rendered", async () => {
    const plan = await runStack(stack);
    const { files } = await shippedRelease(plan);
    const alloy = envFile(files["env/alloy.env"]!);
    expect(alloy["GRAFANA_CLOUD_TOKEN"]).toBeTruthy();
    const config = Buffer.from(alloy["ALLOY_CONFIG_B64"]!, "base64").toString("utf8");
    expect(config).toContain("prometheus.remote_write");
    expect(config).toContain('sys.env("GRAFANA_CLOUD_TOKEN")');
    const accessories = parse(files["accessories.yaml"]!) as {
      services: Record<string, { volumes: string[]; entrypoint: string[] }>;
    };
    expect(accessories.services["alloy"]!.volumes).toContainEqual({
      type: "bind",
      source: "/var/run/docker.sock",
      target: "/var/run/docker.sock",
      read_only: true,
      bind: { create_host_path: true },
    });
    expect(accessories.services["alloy"]!.entrypoint[2]).toContain(
      'base64 -d > /tmp/config.alloy && exec /bin/alloy "$$@"',
    );
  });

  it("is a release the real Compose v2 (`docker compose config`) and the host agent accept", async () => {
    const { files } = await shippedRelease(await runStack(stack));
    const dir = mkdtempSync(path.join(tmpdir(), "liftoff-shipped-"));
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), content);
    }
    const env = {
      LIFTOFF_LOOPBACK: "127.77.1",
      LIFTOFF_PORT_API_GATEWAY: "20000",
      LIFTOFF_PORT_IDENTITY_SERVICE: "20002",
    };
    for (const file of ["compose.yaml", "accessories.yaml"]) {
      const result = runComposeV2(["--project-directory", dir, "-f", path.join(dir, file), "config", "--quiet"], {
        env,
      });
      expect(result.output, file).toBe("");
    }
    const verified = runTool(
      "python3",
      [path.join(__dirname, "..", "components", "deploy", "agent", "liftoff_release"), "verify", dir],
      "python3",
    );
    expect(verified.status).toBe(0);
  });
});

describe("reaching the host", () => {
  it("logs in with the generated key when liftoff made the key pair", async () => {
    const plan = await runStack("dev");
    for (const command of byType(plan, "command:remote:Command")) {
      expect(reveal(command)["connection"], command.name).toMatchObject({
        user: "deploy",
        port: 22,
        host: "198.51.100.10",
        privateKey: expect.stringContaining("PRIVATE KEY"),
      });
    }
  });

  it("logs in through the operator's SSH agent when the operator gave the public key, without the socket path as an input, and stops `pulumi up` without one", async () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMEIOiuTWnwttD1DcRZZiQzl+gu1AxuqPpq3zWEoqDhI op@laptop";
    const withAgent = await runStack("dev", {
      config: { sshPublicKey: key },
      host: { sshAgentSocket: "/tmp/agent.sock" },
    });
    const apply = byType(withAgent, "command:remote:Command").find((c) => c.name === "deploy-apply")!;
    // The provider reads SSH_AUTH_SOCK itself: a path that differs per shell or CI job is no input,
    // so it never shows as a change (and never re-runs the commands).
    expect(reveal(apply)["connection"]).not.toHaveProperty("agentSocketPath");
    expect(reveal(apply)["connection"]).not.toHaveProperty("privateKey");
    const up = await runStack("dev", {
      mode: "up",
      secrets: UP_SECRETS,
      config: { sshPublicKey: key, atlasOrgId: "5f1e9c0a2b3c4d5e6f708192" },
    });
    expect(up.error).toContain("SSH_AUTH_SOCK is not set");
  });

  it("previews (pull-request preview, drift check) a stack with liftoff:sshPublicKey and no SSH agent with a warning, not an error", async () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMEIOiuTWnwttD1DcRZZiQzl+gu1AxuqPpq3zWEoqDhI op@laptop";
    const preview = await runStack("dev", {
      mode: "up",
      preview: true,
      secrets: UP_SECRETS,
      config: { sshPublicKey: key, atlasOrgId: "5f1e9c0a2b3c4d5e6f708192" },
    });
    expect(preview.error).toBeUndefined();
    expect(preview.log.join("\n")).toMatch(/warning: .*SSH_AUTH_SOCK is not set: fine for a preview/);
    expect(byType(preview, "command:remote:Command").map((c) => c.name)).toEqual([
      "deploy-wait-for-host",
      "deploy-agent",
      "deploy-apply",
    ]);
  });

  it("sshAgentCheck: an agent is fine everywhere; without one, preview and offline plan warn and `pulumi up` stops", () => {
    expect(sshAgentCheck({ socket: "/run/agent", dryRun: false, offlinePlan: false })).toEqual({ ok: true });
    expect(sshAgentCheck({ socket: undefined, dryRun: true, offlinePlan: false })).toMatchObject({
      ok: false,
      severity: "warning",
    });
    expect(sshAgentCheck({ socket: undefined, dryRun: false, offlinePlan: true })).toMatchObject({
      ok: false,
      severity: "warning",
    });
    expect(sshAgentCheck({ socket: "", dryRun: false, offlinePlan: false })).toMatchObject({
      ok: false,
      severity: "error",
      message: expect.stringContaining("ssh-add"),
    });
  });
});

describe("the host collector", () => {
  it("declares its host access through the same x-liftoff opt-in the operator's services use", async () => {
    const { collectorService } = await import("./deploy");
    const alloy = collectorService("docker.io/grafana/alloy:v1.8.3");
    expect(alloy.accessory).toBe(true);
    expect(alloy.hostAccess).toEqual(["host-paths", "host-pid", "privileged"]);
    expect(alloy.hostAccessGrants!.hostPaths).toEqual([
      "/proc",
      "/sys",
      "/",
      "/var/run/docker.sock",
      "/var/lib/docker",
      "/dev/disk",
    ]);
  });
});
