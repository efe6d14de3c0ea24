/**
 * Stack settings that Azure, Atlas, Neon or a prod operator would refuse later, refused in the one
 * validation step instead (issue #11 items 5, 10-13, 16; issue #10's typo and image-name bullets).
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { IMAGES, configInput, errors, onlyError } from "../test/config-input";
import { SSH_KEYS } from "../test/ssh-keys";
import { parseImageRef } from "./image-ref";
import type { ConfigInput, Problem } from "./reader";
import { buildEnvironmentSpec, formatProblems } from "./validate";

const COMPOSE = readFileSync(path.join(__dirname, "..", "app", "compose.yaml"), "utf8");
const withBrokerImage = (image: string) => ({
  app: { file: "app/compose.yaml", text: COMPOSE.replace("image: ghcr.io/acme/broker:3.13", `image: ${image}`) },
});
const warnings = (result: { problems: readonly Problem[] }) => result.problems.filter((p) => p.severity === "warning");

describe("#11 item 5: settings Azure refuses at create time", () => {
  it.each([
    ["ECDSA", SSH_KEYS.ecdsaP256, "ecdsa-sha2-nistp256 key"],
    ["DSA", SSH_KEYS.dsa, "ssh-dss key"],
    ["1024-bit RSA", SSH_KEYS.rsa1024, "1024-bit RSA key"],
  ])("refuses an SSH key Azure refuses: %s", (_, key, said) => {
    const p = onlyError("dev", { sshPublicKey: key }, "liftoff:sshPublicKey");
    expect(p.message).toContain(said);
    expect(p.allowed).toContain("Ed25519");
    expect(p.fix).toContain("ssh-keygen -t ed25519");
  });

  it.each([
    ["Ed25519", SSH_KEYS.ed25519],
    ["2048-bit RSA", SSH_KEYS.rsa2048],
  ])("accepts an SSH key Azure takes: %s", (_, key) => {
    const { spec, problems } = buildEnvironmentSpec(configInput("dev", { sshPublicKey: key }));
    expect(problems).toEqual([]);
    expect(spec!.host.sshPublicKey).toBe(key);
  });

  it("refuses a key whose algorithm and key body disagree", () => {
    const body = SSH_KEYS.rsa2048.split(" ")[1];
    expect(onlyError("dev", { sshPublicKey: `ssh-ed25519 ${body}` }, "liftoff:sshPublicKey").message).toContain(
      "its key is ssh-rsa",
    );
  });

  it.each(["PremiumV2_LRS", "UltraSSD_LRS"])("refuses an OS disk type Azure allows for data disks only: %s", (type) => {
    const p = onlyError("prod", { osDiskType: type }, "liftoff:osDiskType");
    expect(p.message).toContain("data disks only");
    expect(p.fix).toContain("liftoff:osDiskType Premium_LRS");
  });

  it("refuses a Premium OS disk on a size that cannot attach one", () => {
    const p = onlyError("prod", { vmSize: "Standard_D2_v5", osDiskType: "Premium_LRS" }, "liftoff:osDiskType");
    expect(p.fix).toContain("liftoff:vmSize Standard_D2s_v5");
  });

  it("refuses a VM size Azure does not have and suggests the nearest: Standard_Z99", () => {
    const p = onlyError("dev", { vmSize: "Standard_Z99" }, "liftoff:vmSize");
    expect(p.message).toContain("not an Azure VM size liftoff supports");
    expect(p.fix).toMatch(/liftoff:vmSize Standard_[A-Z]\d/);
  });

  it("refuses a mistyped size and suggests the one meant: Standard_D2s_v4 for Standard_D2sv4", () => {
    expect(onlyError("dev", { vmSize: "Standard_D2sv4" }, "liftoff:vmSize").fix).toContain(
      "liftoff:vmSize Standard_D2s_v4",
    );
  });

  it.each([
    ["Standard_B1ls", "0.5 GiB", "Standard_B2s"],
    ["Standard_B1ms", "1 vCPU, 2 GiB", "Standard_B2s"],
    ["Standard_B2ats_v2", "1 GiB", "Standard_B2als_v2"],
  ])("refuses a VM size too small for Docker and the services: %s", (size, said, suggested) => {
    const p = onlyError("dev", { vmSize: size }, "liftoff:vmSize");
    expect(p.message).toContain("too small");
    expect(p.message).toContain(said);
    expect(p.fix).toContain(`liftoff:vmSize ${suggested}`);
  });

  it("refuses a Windows time zone id that does not exist and suggests the nearest: Mars Standard Time", () => {
    const p = onlyError("dev", { autoShutdownTimeZone: "Mars Standard Time" }, "liftoff:autoShutdownTimeZone");
    expect(p.message).toContain("not a Windows time zone id");
    expect(p.fix).toMatch(/liftoff:autoShutdownTimeZone "[A-Za-z. ]+ Standard Time"/);
  });

  it("refuses an IANA time zone and gives its Windows id", () => {
    const p = onlyError("dev", { autoShutdownTimeZone: "America/Los_Angeles" }, "liftoff:autoShutdownTimeZone");
    expect(p.fix).toContain('liftoff:autoShutdownTimeZone "Pacific Standard Time"');
  });

  it.each(["W. Europe Standard Time", "UTC", "Pacific Standard Time (Mexico)", "Russia Time Zone 3"])(
    "accepts the Windows time zone id %s",
    (zone) => {
      expect(buildEnvironmentSpec(configInput("dev", { autoShutdownTimeZone: zone })).spec!.host.autoShutdown).toEqual({
        time: "1900",
        timeZone: zone,
      });
    },
  );
});

describe("#11 item 10: SSH never on a port the firewall or the proxy uses", () => {
  it.each([
    ["80", "certificate issuance"],
    ["443", "the public endpoint api"],
    ["8443", "the public endpoint identity"],
  ])("refuses sshPort %s", (port, said) => {
    const p = onlyError("dev", { sshPort: port }, "liftoff:sshPort");
    expect(p.message).toContain(said);
    expect(p.fix).toContain("liftoff:sshPort 22");
  });

  it("accepts SSH on another port", () => {
    expect(buildEnvironmentSpec(configInput("dev", { sshPort: "2222" })).spec!.network.sshPort).toBe(2222);
  });
});

describe("#11 item 11: a prod stack refuses dev-only settings unless liftoff:allowUnsafeProd names them", () => {
  it.each([
    [{ autoShutdown: "19:00" }, "liftoff:autoShutdown", "takes production down"],
    [
      { atlasInstanceSize: "M0", atlasBackup: "false", atlasPointInTimeRestore: "false" },
      "liftoff:atlasInstanceSize",
      "free tier",
    ],
    [{ atlasBackup: "false", atlasPointInTimeRestore: "false" }, "liftoff:atlasBackup", "backup off"],
    [{ atlasPointInTimeRestore: "false" }, "liftoff:atlasPointInTimeRestore", "point-in-time restore off"],
    [{ neonHistoryRetentionHours: "0" }, "liftoff:neonHistoryRetentionHours", "0 h of history"],
    [{ neonHistoryRetentionHours: "12" }, "liftoff:neonHistoryRetentionHours", "less than the 24 h"],
  ])("prod refuses %o", (settings, key, said) => {
    const p = onlyError("prod", settings, key);
    expect(p.message).toContain(said);
    expect(p.message).toContain("a prod stack refuses this");
    expect(p.fix).toContain("pulumi config set --path 'liftoff:allowUnsafeProd[0]'");
  });

  it("lets a named rule through, and the plan warns", () => {
    const result = buildEnvironmentSpec(
      configInput("prod", { autoShutdown: "19:00", allowUnsafeProd: JSON.stringify(["autoShutdown"]) }),
    );
    expect(result.spec!.host.autoShutdown).toEqual({ time: "1900", timeZone: "UTC" });
    expect(warnings(result)).toEqual([
      expect.objectContaining({
        key: "liftoff:autoShutdown",
        message: expect.stringContaining("allowed for this stack by liftoff:allowUnsafeProd (autoShutdown)"),
      }),
    ]);
  });

  it("allowing one rule does not allow another", () => {
    const result = buildEnvironmentSpec(
      configInput("prod", {
        autoShutdown: "19:00",
        neonHistoryRetentionHours: "6",
        allowUnsafeProd: JSON.stringify(["autoShutdown"]),
      }),
    );
    expect(errors(result).map((p) => p.key)).toEqual(["liftoff:neonHistoryRetentionHours"]);
  });

  it("refuses an unknown rule id and names the nearest", () => {
    expect(
      onlyError("prod", { allowUnsafeProd: JSON.stringify(["autoShutdwn"]) }, "liftoff:allowUnsafeProd[0]").fix,
    ).toContain("autoShutdown");
  });

  it("leaves dev's nightly shutdown, free tiers and short history alone", () => {
    expect(buildEnvironmentSpec(configInput("dev", { neonHistoryRetentionHours: "0" })).problems).toEqual([]);
  });
});

describe("#11 item 12: a prod stack runs pinned images only", () => {
  it.each(["latest", "main", "master", "dev", "edge", "alpine"])(
    "prod refuses the moving tag :%s from an override, on the override's key",
    (tag) => {
      const p = onlyError(
        "prod",
        { images: JSON.stringify({ ...IMAGES, "api-gateway": `ghcr.io/acme/api-gateway:${tag}` }) },
        "liftoff:images.api-gateway",
      );
      expect(p.message).toContain(`\`${tag}\``);
      expect(p.fix).toContain("pulumi config set --path 'liftoff:images.api-gateway' ghcr.io/acme/api-gateway:1.4.2");
    },
  );

  it("prod refuses a moving tag in the compose file, on the compose file's key, without suggesting an override the stack does not use", () => {
    const p = onlyError(
      "prod",
      { images: undefined },
      "app/compose.yaml: services.broker.image",
      withBrokerImage("ghcr.io/acme/broker:latest"),
    );
    expect(p.fix).toContain("edit app/compose.yaml: pin broker's image, e.g. image: ghcr.io/acme/broker:1.4.2");
    expect(p.fix).not.toContain("liftoff:images");
  });

  it("offers an override for a compose file's image only to a stack that uses liftoff:images", () => {
    const p = onlyError(
      "prod",
      {},
      "app/compose.yaml: services.broker.image",
      withBrokerImage("ghcr.io/acme/broker:latest"),
    );
    expect(p.fix).toContain(
      "or override it for this stack: pulumi config set --path 'liftoff:images.broker' ghcr.io/acme/broker:1.4.2",
    );
  });

  it.each([
    "ghcr.io/acme/broker:3.13-management",
    "ghcr.io/acme/broker:v2",
    "ghcr.io/acme/broker:sha-1a2b3c4",
    `ghcr.io/acme/broker:latest@sha256:${"b".repeat(64)}`,
  ])("prod accepts %s", (image) => {
    expect(buildEnvironmentSpec(configInput("prod", {}, withBrokerImage(image))).problems).toEqual([]);
  });

  it("liftoff:imagePolicy warn turns the refusal into a warning", () => {
    const result = buildEnvironmentSpec(
      configInput("prod", { imagePolicy: "warn" }, withBrokerImage("ghcr.io/acme/broker:main")),
    );
    expect(result.spec).toBeDefined();
    expect(warnings(result).map((p) => p.key)).toEqual(["app/compose.yaml: services.broker.image"]);
  });

  it("dev runs :main without a word", () => {
    expect(
      buildEnvironmentSpec(
        configInput("dev", { images: JSON.stringify({ ...IMAGES, orders: "ghcr.io/acme/orders:main" }) }),
      ).problems,
    ).toEqual([]);
  });
});

describe("#11 item 13: an unquoted all-digit Atlas org id", () => {
  it.each(["1.2345678901234569e+23", "0"])("says to quote it and shows the YAML line: %s", (value) => {
    const p = onlyError("dev", { atlasOrgId: value }, "liftoff:atlasOrgId");
    expect(p.message).toContain("quote it");
    expect(p.fix).toContain('liftoff:atlasOrgId: "<your 24-character org id>"');
  });
});

describe("#11 item 16: every problem in one pass", () => {
  it("checks layer settings even when core settings are invalid: a bad dnsLabel does not hide a bad alert e-mail", () => {
    const result = buildEnvironmentSpec(
      configInput("dev", {
        dnsLabel: "Bad_Label",
        alertEmails: JSON.stringify(["oncall-at-example.com"]),
        neonRegion: "azure-gwc",
      }),
    );
    expect(
      errors(result)
        .map((p) => p.key)
        .sort(),
    ).toEqual(["liftoff:alertEmails[0]", "liftoff:dnsLabel", "liftoff:neonRegion"]);
  });

  it("checks the layers with the profile a mistyped one most likely meant", () => {
    const result = buildEnvironmentSpec(configInput("prod", { profile: "prd", githubReviewers: undefined }));
    expect(
      errors(result)
        .map((p) => p.key)
        .sort(),
    ).toEqual(["liftoff:githubReviewers", "liftoff:profile"]);
  });

  it("reports no follow-on errors for settings derived from an invalid one", () => {
    const result = buildEnvironmentSpec(
      configInput("dev", { dnsLabel: undefined, gatewayService: "api-gateway" }, { app: undefined }),
    );
    expect(
      errors(result)
        .map((p) => p.key)
        .sort(),
    ).toEqual(["liftoff:composeFile", "liftoff:dnsLabel"]);
  });
});

describe("#10: typos are errors that name the intended key", () => {
  it.each([
    ["liftof:autoShutdown", "liftoff:autoShutdown"],
    ["lifotff:vmSize", "liftoff:vmSize"],
    ["Liftoff:alertEmails", "liftoff:alertEmails"],
    ["liftof:autoShutdwn", "liftoff:autoShutdown"],
  ])("refuses %s and names %s", (typo, meant) => {
    const p = onlyError("dev", {}, typo, { otherKeys: [typo] });
    expect(p.message).toContain("never reads it");
    expect(p.fix).toBe(`rename it to ${meant} in Pulumi.dev.yaml`);
  });

  it("leaves other programs' namespaces alone", () => {
    expect(
      buildEnvironmentSpec(
        configInput("dev", {}, { otherKeys: ["azure-native:location", "pulumi:tags", "aws:region"] }),
      ).problems,
    ).toEqual([]);
  });

  it("refuses an unknown liftoff: key and names the one meant", () => {
    expect(onlyError("dev", { autoShutdownTimezone: "UTC" }, "liftoff:autoShutdownTimezone").fix).toBe(
      "rename it to liftoff:autoShutdownTimeZone",
    );
  });
});

describe("#10 item 8: image names and the commands to allow them", () => {
  it.each([
    "redis:alpine",
    "library/redis:alpine",
    "docker.io/library/redis:alpine",
    "index.docker.io/library/redis:alpine",
    "docker.io/redis:alpine",
  ])("normalizes the Docker Hub form %s", (text) => {
    const parsed = parseImageRef(text);
    expect(parsed).toEqual({ ok: true, ref: { registry: "docker.io", repository: "library/redis", tag: "alpine" } });
  });

  it.each(["docker.io/library/redis", "library/redis", "redis", "index.docker.io/redis"])(
    "lets externalImages entry %s allow redis:alpine",
    (entry) => {
      const { spec, problems } = buildEnvironmentSpec(
        configInput("dev", { externalImages: JSON.stringify([entry]) }, withBrokerImage("redis:alpine")),
      );
      expect(problems).toEqual([]);
      expect(spec!.delivery.registry.externalImages).toEqual(["docker.io/library/redis"]);
    },
  );

  it("suggests commands that, run in the order printed, add every repository at its own index", () => {
    const input: Partial<ConfigInput> = withBrokerImage("redis:7-alpine");
    const overrides = {
      externalImages: JSON.stringify(["quay.io/acme/tool"]),
      images: JSON.stringify({ ...IMAGES, orders: "quay.io/other/orders:1.0", catalog: "quay.io/other/orders:1.1" }),
    };
    const result = buildEnvironmentSpec(configInput("dev", overrides, input));
    const fixes = errors(result).map((p) => [p.key, p.fix]);
    // Services come in name order (the loader's model): broker, catalog, orders.
    expect(fixes).toEqual([
      [
        "app/compose.yaml: services.broker.image",
        "if you trust docker.io/library/redis: pulumi config set --path 'liftoff:externalImages[1]' docker.io/library/redis --stack dev",
      ],
      [
        "liftoff:images.catalog",
        "if you trust quay.io/other/orders: pulumi config set --path 'liftoff:externalImages[2]' quay.io/other/orders --stack dev",
      ],
      [
        "liftoff:images.orders",
        "if you trust quay.io/other/orders: pulumi config set --path 'liftoff:externalImages[2]' quay.io/other/orders --stack dev",
      ],
    ]);
  });

  it("labels an image outside the owner with the key the user set: the compose file's, when no override names it", () => {
    const p = onlyError("dev", {}, "app/compose.yaml: services.broker.image", withBrokerImage("redis:7-alpine"));
    expect(formatProblems([p])).not.toContain("liftoff:images");
  });

  it("refuses a tag in externalImages and suggests the repository alone", () => {
    expect(
      onlyError("dev", { externalImages: JSON.stringify(["quay.io/acme/tool:7"]) }, "liftoff:externalImages[0]").fix,
    ).toContain("'liftoff:externalImages[0]' quay.io/acme/tool");
  });
});
