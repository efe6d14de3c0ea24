import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { IMAGES as PINNED_IMAGES, configInput, errors, onlyError as sharedOnlyError } from "../test/config-input";
import { SECTIONS } from "./sections";
import type { ConfigInput, Problem } from "./reader";
import { buildEnvironmentSpec, formatProblems } from "./validate";

const IMAGES = {
  "api-gateway": "ghcr.io/acme/api-gateway:main",
  orders: "ghcr.io/acme/orders@sha256:" + "a".repeat(64),
};
const COMPOSE = readFileSync(path.join(__dirname, "..", "app", "compose.yaml"), "utf8");

/** The example compose file with its endpoints' ports changed. */
function withEndpointPorts(ports: Record<string, number>): string {
  const doc = parse(COMPOSE) as { "x-liftoff": { endpoints: Record<string, { port: number }> } };
  for (const [name, port] of Object.entries(ports)) doc["x-liftoff"].endpoints[name] = { port };
  return stringify(doc);
}

/** A valid dev stack's settings, as Pulumi hands them over, with dev's image overrides. */
function input(overrides: Record<string, unknown> = {}, extra: Partial<ConfigInput> = {}): ConfigInput {
  return configInput("dev", { images: JSON.stringify(IMAGES), ...overrides }, extra);
}

function onlyError(overrides: Record<string, unknown>, key: string, extra: Partial<ConfigInput> = {}): Problem {
  return sharedOnlyError("dev", { images: JSON.stringify(IMAGES), ...overrides }, key, extra);
}

describe("environment spec", () => {
  it("merges the dev profile with the stack config into one spec", () => {
    const { spec, problems } = buildEnvironmentSpec(input());
    expect(problems).toEqual([]);
    expect(spec).toBeDefined();
    expect(spec!.host.vmSize).toBe("Standard_B2s");
    expect(spec!.host.fqdn).toBe("acme-dev.westeurope.cloudapp.azure.com");
    expect(spec!.host.autoShutdown).toEqual({ time: "1900", timeZone: "UTC" });
    expect(spec!.protect).toBe(false);
    expect(spec!.network.sshAllowedCidrs).toEqual(["203.0.113.7/32"]);
    expect(spec!.publicEndpoints.map((e) => [e.name, e.service, e.port, e.containerPort, e.healthPath, e.url])).toEqual(
      [
        ["api", "api-gateway", 443, 8080, "/healthz", "https://acme-dev.westeurope.cloudapp.azure.com"],
        ["identity", "identity-service", 8443, 8080, "/healthz", "https://acme-dev.westeurope.cloudapp.azure.com:8443"],
      ],
    );
    const image = (name: string) => spec!.services.find((s) => s.name === name)!.imageText;
    expect(image("orders")).toBe("ghcr.io/acme/orders@sha256:" + "a".repeat(64));
    expect(image("api-gateway")).toBe("ghcr.io/acme/api-gateway:main");
    expect(image("catalog")).toBe("ghcr.io/acme/catalog:1.4.2");
    expect(spec!.services.map((s) => s.name)).toEqual([
      "api-gateway",
      "broker",
      "catalog",
      "identity-service",
      "orders",
    ]);
    expect(spec!.tags).toMatchObject({ environment: "dev", owner: "platform-team", "managed-by": "liftoff" });
  });

  it("lets a new stack reuse the prod profile and override only what differs", () => {
    const { spec } = buildEnvironmentSpec({
      ...input({
        profile: "prod",
        vmSize: "Standard_D4s_v5",
        dnsLabel: "acme-prod-dr",
        images: JSON.stringify(PINNED_IMAGES),
      }),
      stack: "prod-dr",
    });
    expect(spec!.profileName).toBe("prod");
    expect(spec!.protect).toBe(true);
    expect(spec!.host.autoShutdown).toBeUndefined();
    expect(spec!.host.vmSize).toBe("Standard_D4s_v5");
    expect(spec!.host.osDisk).toEqual({ sizeGb: 128, type: "Premium_LRS" });
    expect(spec!.namePrefix).toBe("liftoff-prod-dr");
  });

  it("reports every problem at once, not only the first", () => {
    const result = buildEnvironmentSpec(
      input({ region: "mars", vmSize: "huge", dnsLabel: "Bad_Label", sshAllowedCidrs: '["0.0.0.0/0"]' }),
    );
    expect(
      errors(result)
        .map((p) => p.key)
        .sort(),
    ).toEqual(["liftoff:dnsLabel", "liftoff:region", "liftoff:sshAllowedCidrs[0]", "liftoff:vmSize"].sort());
    const text = formatProblems(result.problems);
    expect(text).toContain('liftoff:region = "mars" is not an Azure region');
    expect(text).toContain("allowed:");
    expect(text).toContain("fix:");
  });
});

describe("validation rules (one test each)", () => {
  it.each(["0.0.0.0/0", "*", "Internet", "any", "::/0"])("refuses SSH open to the internet: %s", (source) => {
    const p = onlyError({ sshAllowedCidrs: JSON.stringify([source]) }, "liftoff:sshAllowedCidrs[0]");
    expect(p.value).toBe(source);
    expect(p.message).toContain("whole internet");
    expect(p.fix).toContain("pulumi config set --path 'liftoff:sshAllowedCidrs[0]'");
  });

  it("refuses an SSH range so broad it is the internet in effect", () => {
    expect(onlyError({ sshAllowedCidrs: '["10.0.0.0/4"]' }, "liftoff:sshAllowedCidrs[0]").message).toContain(
      "2^28 addresses",
    );
  });

  it.each(["203.0.113.300/32", "203.0.113/24", "2001:db8::/64", "AzureCloud", "10.0.0.0/33"])(
    "refuses a malformed SSH CIDR: %s",
    (source) => {
      expect(
        onlyError({ sshAllowedCidrs: JSON.stringify(["203.0.113.7/32", source]) }, "liftoff:sshAllowedCidrs[1]")
          .message,
      ).toContain("not an IPv4 address or CIDR");
    },
  );

  it("refuses a CIDR with host bits set and offers the network address", () => {
    const p = onlyError({ sshAllowedCidrs: '["203.0.113.7/24"]' }, "liftoff:sshAllowedCidrs[0]");
    expect(p.fix).toContain("203.0.113.0/24");
  });

  it("accepts a bare address as a single host", () => {
    const { spec } = buildEnvironmentSpec(input({ sshAllowedCidrs: '["198.51.100.4"]' }));
    expect(spec!.network.sshAllowedCidrs).toEqual(["198.51.100.4/32"]);
  });

  it("warns, without failing, when SSH is closed to everyone", () => {
    const result = buildEnvironmentSpec(input({ sshAllowedCidrs: "[]" }));
    expect(result.spec).toBeDefined();
    expect(result.problems).toEqual([expect.objectContaining({ severity: "warning", key: "liftoff:sshAllowedCidrs" })]);
  });

  it("refuses an unknown Azure region and suggests the nearest", () => {
    const p = onlyError({ region: "westeurop" }, "liftoff:region");
    expect(p.fix).toContain("liftoff:region westeurope");
  });

  it.each(["Standard B2s", "standard_b2s", "B2s", "Standard_"])("refuses a malformed VM size: %s", (size) => {
    expect(onlyError({ vmSize: size }, "liftoff:vmSize").value).toBe(size);
  });

  it.each(["Standard_B2s", "Standard_D4ds_v5", "Standard_E8ds_v5", "Standard_F4s_v2", "Standard_B2als_v2"])(
    "accepts the VM size %s",
    (size) => {
      expect(buildEnvironmentSpec(input({ vmSize: size })).spec?.host.vmSize).toBe(size);
    },
  );

  it.each(["ab", "Acme-dev", "acme_dev", "-acme", "acme-", "1acme", "a".repeat(64)])(
    "refuses a DNS label Azure would refuse: %s",
    (label) => {
      onlyError({ dnsLabel: label }, "liftoff:dnsLabel");
    },
  );

  it("refuses two public endpoints on the same port", () => {
    const p = onlyError({}, "app/compose.yaml: x-liftoff.endpoints.identity.port", {
      app: { file: "app/compose.yaml", text: withEndpointPorts({ identity: 443 }) },
    });
    expect(p.message).toContain("already the port of endpoint api");
  });

  it("refuses a public endpoint on the SSH port, on the SSH port's setting", () => {
    const p = onlyError({ sshPort: "2222" }, "liftoff:sshPort", {
      app: { file: "app/compose.yaml", text: withEndpointPorts({ identity: 2222 }) },
    });
    expect(p.message).toContain("the public endpoint identity");
  });

  it("refuses a public endpoint on the certificate-issuance port 80", () => {
    const p = onlyError({}, "app/compose.yaml: x-liftoff.endpoints.api.port", {
      app: { file: "app/compose.yaml", text: withEndpointPorts({ api: 80 }) },
    });
    expect(p.message).toContain("certificate issuance");
  });

  it("refuses an image override for a service the application does not define", () => {
    const p = onlyError(
      { images: JSON.stringify({ "api-gatway": "ghcr.io/acme/api-gateway:main" }) },
      "liftoff:images.api-gatway",
    );
    expect(p.allowed).toContain("api-gateway");
  });

  it.each(["ghcr.io/acme/orders", "ghcr.io/acme/orders@sha256:abc", "ghcr.io/Acme/Orders:1.0"])(
    "refuses an image reference without a usable tag or digest: %s",
    (ref) => {
      const p = onlyError({ images: JSON.stringify({ ...IMAGES, orders: ref }) }, "liftoff:images.orders");
      expect(p.value).toBe(ref);
      expect(p.allowed).toContain("@sha256:");
    },
  );

  it("reports the application's own problems in the same step, naming file, service and field", () => {
    const broken = COMPOSE.replace("image: ghcr.io/acme/catalog:1.4.2", "image: ghcr.io/acme/catalog");
    onlyError({}, "app/compose.yaml: services.catalog.image", { app: { file: "app/compose.yaml", text: broken } });
  });

  it("refuses in the validation step what the release could not carry to the host, instead of failing mid-`pulumi up`", () => {
    // Each is valid Compose that the loader carries, but two release slots cannot run side by side with it.
    const cases: [string, string, RegExp][] = [
      [COMPOSE + "networks:\n  shared: { external: true }\n", "app/compose.yaml: networks.shared", /external networks/],
      [
        COMPOSE + "networks:\n  shared: { name: fixed }\n",
        "app/compose.yaml: networks.shared.name",
        /slots would share it/,
      ],
    ];
    for (const [text, key, message] of cases) {
      const withNetwork = text.replace(
        "    x-liftoff:\n      databases: [mongodb]",
        "    networks: [shared]\n    x-liftoff:\n      databases: [mongodb]",
      );
      expect(withNetwork).not.toBe(text);
      const result = buildEnvironmentSpec(input({}, { app: { file: "app/compose.yaml", text: withNetwork } }));
      expect(errors(result).map((e) => [e.key, e.message])).toEqual([[key, expect.stringMatching(message)]]);
      const p = errors(result)[0]!;
      expect(p.fix).toContain("edit app/compose.yaml");
    }
  });

  it("refuses a liftoff:hostAccessAllowed entry the application does not declare, so the allow-list cannot outlive its reason", () => {
    const p = onlyError({ hostAccessAllowed: JSON.stringify(["orders:privileged"]) }, "liftoff:hostAccessAllowed[0]");
    expect(p.value).toBe("orders:privileged");
    expect(p.allowed).toContain("no service declares host access");
  });

  it("refuses to go on without the application's compose file", () => {
    const result = buildEnvironmentSpec({ ...input(), app: undefined });
    expect(errors(result)).toEqual([
      expect.objectContaining({ key: "liftoff:composeFile", value: "app/compose.yaml" }),
    ]);
  });

  it("refuses a missing required secret under `pulumi up`, with the exact command that sets it on this stack", () => {
    const p = onlyError({ ghcrToken: undefined }, "liftoff:ghcrToken");
    expect(p.message).toContain("`pulumi up` will need it");
    expect(p.fix).toMatch(/, then: pulumi config set --secret liftoff:ghcrToken --stack dev$/);
  });

  it("lists every section's secrets in the spec, the data layer's included, each with its command", () => {
    const { spec } = buildEnvironmentSpec(configInput("prod"));
    const sections = [spec!.data, spec!.observability, spec!.delivery];
    expect(spec!.secrets.map((s) => s.key)).toEqual([
      "ghcrToken",
      ...sections.flatMap((section) => section.secrets.map((s) => s.key)),
    ]);
    expect(spec!.secrets.map((s) => s.key)).toEqual(
      expect.arrayContaining(["neonApiKey", "atlasPublicKey", "atlasPrivateKey"]),
    );
    for (const s of spec!.secrets)
      expect(s.howToSet).toMatch(new RegExp(`, then: pulumi config set --secret liftoff:${s.key} --stack prod$`));
  });

  it("only warns about a missing secret in the offline plan", () => {
    const result = buildEnvironmentSpec(input({ ghcrToken: undefined }, { mode: "plan" }));
    expect(result.spec).toBeDefined();
    expect(result.problems).toEqual([expect.objectContaining({ severity: "warning", key: "liftoff:ghcrToken" })]);
    expect(result.spec!.secrets).toContainEqual(expect.objectContaining({ key: "ghcrToken", isSet: false }));
  });

  it("refuses a secret stored in plain text", () => {
    const result = buildEnvironmentSpec(input({}, { secretKeys: new Set(["grafanaCloudToken"]) }));
    expect(errors(result).map((p) => [p.key, p.message])).toEqual(
      ["liftoff:ghcrToken", "liftoff:neonApiKey", "liftoff:atlasPublicKey", "liftoff:atlasPrivateKey"].map((key) => [
        key,
        "is stored in plain text in the stack config",
      ]),
    );
    expect(formatProblems(result.problems)).not.toContain("ghp_example");
  });

  it("refuses an unknown profile", () => {
    const p = onlyError({ profile: "staging" }, "liftoff:profile");
    expect(p.allowed).toBe("dev, prod");
  });

  it("refuses a missing profile", () => {
    onlyError({ profile: undefined }, "liftoff:profile");
  });

  it("refuses a mistyped setting and names the one meant", () => {
    const p = onlyError({ vmsize: "Standard_B2s" }, "liftoff:vmsize");
    expect(p.fix).toBe("rename it to liftoff:vmSize");
  });

  it("knows every setting the sections' tables declare, in every section, and lists them when refusing a typo", () => {
    const declared = SECTIONS.flatMap((section) => Object.values(section.settings).map((s) => s.key));
    expect(declared).toEqual(
      expect.arrayContaining(["region", "neonPlan", "grafanaRegion", "ghcrUser", "neonApiKey", "atlasClientSecret"]),
    );
    for (const key of declared) {
      const unknown = buildEnvironmentSpec(input({ [key]: "x" })).problems.filter((p) =>
        p.message.includes("is not a setting liftoff knows"),
      );
      expect(unknown, key).toEqual([]);
    }
    const typo = onlyError({ neonPlna: "launch" }, "liftoff:neonPlna");
    expect(typo.fix).toBe("rename it to liftoff:neonPlan");
    expect(typo.allowed.split(", ")).toEqual(declared.map((key) => `liftoff:${key}`));
  });

  it("refuses a reserved admin user name", () => {
    onlyError({ adminUser: "admin" }, "liftoff:adminUser");
  });

  it("refuses a public key that is not an OpenSSH key", () => {
    onlyError({ sshPublicKey: "-----BEGIN PUBLIC KEY-----" }, "liftoff:sshPublicKey");
  });

  it("refuses an auto-shutdown time that is not a time", () => {
    onlyError({ autoShutdown: "7pm" }, "liftoff:autoShutdown");
  });

  it("turns auto-shutdown off on request", () => {
    expect(buildEnvironmentSpec(input({ autoShutdown: "off" })).spec!.host.autoShutdown).toBeUndefined();
  });

  it("refuses a structured setting with the wrong shape, naming the field", () => {
    const p = onlyError({ sshAllowedCidrs: JSON.stringify(["203.0.113.7/32", 42]) }, "liftoff:sshAllowedCidrs[1]");
    expect(p.value).toBe("42");
  });
});
