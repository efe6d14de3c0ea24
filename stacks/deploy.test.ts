import { gunzipSync } from "node:zlib";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { extract } from "tar-stream";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { byType, reveal, runStack } from "../test/harness";
import { runTool } from "../test/tools";

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

function envFile(text: string): Record<string, string> {
  return Object.fromEntries(text.trim().split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]));
}

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

  it("shows reviewers the release without its env files, and no secret of the release is in what it shows", async () => {
    const sentinels = { ghcrToken: "SENTINEL-ghcr-token-0001", grafanaCloudToken: "SENTINEL-grafana-token-0002", neonApiKey: "SENTINEL-neon-key-0003", atlasPrivateKey: "SENTINEL-atlas-key-0004" };
    const plan = await runStack(stack, { secrets: sentinels });
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
        else expect(name, `${file}: a setting the check does not know; classify it here`).toMatch(/^(OTEL_|BROKER_URL$)/);
      }
    }
    expect(secrets.length).toBeGreaterThan(10);
    const everything = Object.values(reviewable).join("\n");
    for (const secret of secrets) expect(everything.includes(secret), `a secret of ${secret.length} characters is shown`).toBe(false);
  });

  it("runs every image by digest, public services on loopback only, the collector beside them", async () => {
    const { files } = await shippedRelease(await runStack(stack));
    const manifest = JSON.parse(files["manifest.json"]!) as { services: { name: string; image: string }[]; accessories: { name: string; image: string }[]; registry: { server: string; username: string } };
    for (const s of [...manifest.services, ...manifest.accessories]) expect(s.image, s.name).toMatch(/@sha256:[0-9a-f]{64}$/);
    expect(manifest.accessories.map((a) => a.name)).toEqual(["broker", "alloy"]);
    expect(manifest.registry).toEqual({ server: "ghcr.io", username: "acme-deploy-bot" });
    const compose = parse(files["compose.yaml"]!) as { services: Record<string, { ports?: string[] }> };
    expect(compose.services["api-gateway"]!.ports).toEqual(["127.0.0.1:${LIFTOFF_PORT_API_GATEWAY}:8080"]);
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

  it("gives the collector its token and config, and the config is what the observability layer rendered", async () => {
    const plan = await runStack(stack);
    const { files } = await shippedRelease(plan);
    const alloy = envFile(files["env/alloy.env"]!);
    expect(alloy["GRAFANA_CLOUD_TOKEN"]).toBeTruthy();
    const config = Buffer.from(alloy["ALLOY_CONFIG_B64"]!, "base64").toString("utf8");
    expect(config).toContain("prometheus.remote_write");
    expect(config).toContain('sys.env("GRAFANA_CLOUD_TOKEN")');
    const accessories = parse(files["accessories.yaml"]!) as { services: Record<string, { volumes: string[]; entrypoint: string[] }> };
    expect(accessories.services["alloy"]!.volumes).toContainEqual({ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock", read_only: true, bind: { create_host_path: true } });
    expect(accessories.services["alloy"]!.entrypoint[2]).toContain('base64 -d > /tmp/config.alloy && exec /bin/alloy "$$@"');
  });

  it("is a release the real docker-compose and the host agent accept", async () => {
    const { files } = await shippedRelease(await runStack(stack));
    const dir = mkdtempSync(path.join(tmpdir(), "liftoff-shipped-"));
    for (const [name, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
      writeFileSync(path.join(dir, name), content);
    }
    const env = { LIFTOFF_PORT_API_GATEWAY: "20000", LIFTOFF_PORT_IDENTITY_SERVICE: "20002" };
    for (const file of ["compose.yaml", "accessories.yaml"]) {
      const result = runTool("docker-compose", ["--project-directory", dir, "-f", path.join(dir, file), "config", "--quiet"], "docker-compose", { env });
      expect(result.output, file).toBe("");
    }
    const verified = runTool("bash", [path.join(__dirname, "..", "components", "deploy", "agent", "liftoff-release"), "verify", dir], "bash");
    expect(verified.status).toBe(0);
  });
});

describe("reaching the host", () => {
  it("logs in with the generated key when liftoff made the key pair", async () => {
    const plan = await runStack("dev");
    for (const command of byType(plan, "command:remote:Command")) {
      expect(reveal(command)["connection"], command.name).toMatchObject({ user: "deploy", port: 22, host: "198.51.100.10", privateKey: expect.stringContaining("PRIVATE KEY") });
    }
  });

  it("logs in through the operator's SSH agent when the operator gave the public key, and stops `pulumi up` without one", async () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOperatorOperatorOperatorOperatorOperator op@laptop";
    const saved = process.env["SSH_AUTH_SOCK"];
    try {
      process.env["SSH_AUTH_SOCK"] = "/tmp/agent.sock";
      const withAgent = await runStack("dev", { config: { sshPublicKey: key } });
      const apply = byType(withAgent, "command:remote:Command").find((c) => c.name === "deploy-apply")!;
      expect(reveal(apply)["connection"]).toMatchObject({ agentSocketPath: "/tmp/agent.sock" });
      expect(reveal(apply)["connection"]).not.toHaveProperty("privateKey");
      delete process.env["SSH_AUTH_SOCK"];
      const secrets = { ghcrToken: "g", grafanaCloudToken: "g", githubToken: "g", neonApiKey: "n", atlasPublicKey: "a", atlasPrivateKey: "a" };
      const up = await runStack("dev", { mode: "up", secrets, config: { sshPublicKey: key, atlasOrgId: "5f1e9c0a2b3c4d5e6f708192" } });
      expect(up.error).toContain("SSH_AUTH_SOCK is not set");
    } finally {
      if (saved === undefined) delete process.env["SSH_AUTH_SOCK"];
      else process.env["SSH_AUTH_SOCK"] = saved;
    }
  });
});

describe("the host collector", () => {
  it("declares its host access through the same x-liftoff opt-in the operator's services use", async () => {
    const { collectorService } = await import("./deploy");
    const alloy = collectorService("docker.io/grafana/alloy:v1.8.3");
    expect(alloy.accessory).toBe(true);
    expect(alloy.hostAccess).toEqual(["host-paths", "host-pid", "privileged"]);
    expect(alloy.hostAccessGrants!.hostPaths).toEqual(["/proc", "/sys", "/", "/var/run/docker.sock", "/var/lib/docker", "/dev/disk"]);
  });
});
