import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR, byType, input, one, runStack } from "../test/harness";
import { tempFile } from "../test/tools";

type Rule = {
  name: string;
  access: string;
  destinationPortRange: string;
  sourceAddressPrefix?: string;
  sourceAddressPrefixes?: string[];
};

function rules(plan: Awaited<ReturnType<typeof runStack>>): Rule[] {
  return byType(plan, "azure-native:network:SecurityRule").map(
    (r) => ({ ...r.inputs, name: r.inputs["securityRuleName"] }) as Rule,
  );
}
/** Sub-resources of a VNet or NSG: Azure has no tags for them. */
const UNTAGGABLE = ["azure-native:network:Subnet", "azure-native:network:SecurityRule"];
const sources = (r: Rule) => r.sourceAddressPrefixes ?? [r.sourceAddressPrefix];

describe.each(["dev", "prod"])("the %s stack", (stack) => {
  it("declares the foundation and the host, each Azure resource tagged with environment and owner", async () => {
    const plan = await runStack(stack);
    expect(plan.error).toBeUndefined();
    for (const type of [
      "azure-native:resources:ResourceGroup",
      "azure-native:network:VirtualNetwork",
      "azure-native:network:Subnet",
      "azure-native:network:NetworkSecurityGroup",
      "azure-native:network:PublicIPAddress",
      "azure-native:network:NetworkInterface",
      "azure-native:compute:VirtualMachine",
      "tls:index/privateKey:PrivateKey",
    ]) {
      expect(byType(plan, type), type).toHaveLength(1);
    }
    for (const r of plan.resources.filter((r) => r.type.startsWith("azure-native:") && !UNTAGGABLE.includes(r.type))) {
      expect(r.inputs["tags"], r.name).toMatchObject({ environment: stack, owner: "platform-team" });
    }
  });

  it("opens SSH only to the configured admin ranges and the public endpoints to the internet", async () => {
    const plan = await runStack(stack);
    const all = rules(plan);
    const open = all.filter((r) => r.access === "Allow");
    const internet = open
      .filter((r) => sources(r).includes("Internet"))
      .map((r) => r.destinationPortRange)
      .sort();
    expect(internet).toEqual(["443", "80", "8443"]);
    const ssh = open.filter((r) => r.destinationPortRange === "22");
    expect(ssh).toHaveLength(1);
    expect(sources(ssh[0]!)).toEqual(stack === "dev" ? ["203.0.113.7/32"] : ["203.0.113.0/28"]);
    for (const r of open) expect(sources(r)).not.toContain("*");
    expect(all.at(-1)).toMatchObject({ name: "deny-all-inbound", access: "Deny" });
  });

  it("keeps the generated private key secret in the stack outputs and out of every input", async () => {
    const plan = await runStack(stack);
    expect(plan.outputs["sshPrivateKey"]).toEqual({ value: "[secret]", secret: true });
    expect(JSON.stringify(plan.resources)).not.toContain("PRIVATE KEY");
    expect(JSON.stringify(plan.outputs)).not.toContain("PRIVATE KEY");
  });

  it("outputs what an operator needs to reach the host", async () => {
    const plan = await runStack(stack);
    const fqdn = `liftoff-acme-${stack}.westeurope.cloudapp.azure.com`;
    expect(plan.outputs["fqdn"]!.value).toBe(fqdn);
    expect(plan.outputs["publicIp"]!.value).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    expect(plan.outputs["sshUser"]!.value).toBe("liftoff");
    expect(plan.outputs["endpoints"]!.value).toEqual({
      "api-gateway": `https://${fqdn}`,
      "identity-service": `https://${fqdn}:8443`,
    });
  });

  it("warns in the offline plan that `pulumi up` needs the GHCR token", async () => {
    const plan = await runStack(stack);
    expect(plan.log.join("\n")).toMatch(/warning: liftoff:ghcrToken is not set; `pulumi up` will need it/);
  });
});

describe("dev and prod differ where they should", () => {
  it("dev: small host that shuts down nightly, nothing protected", async () => {
    const plan = await runStack("dev");
    expect(input(one(plan, "azure-native:compute:VirtualMachine"), "hardwareProfile.vmSize")).toBe("Standard_B2s");
    expect(one(plan, "azure-native:devtestlab:GlobalSchedule").inputs).toMatchObject({
      dailyRecurrence: { time: "1900" },
    });
    expect(plan.resources.filter((r) => r.options.protect)).toEqual([]);
  });

  it("prod: general-purpose host around the clock; resource group, public IP, VM and Grafana stack protected", async () => {
    const plan = await runStack("prod");
    expect(input(one(plan, "azure-native:compute:VirtualMachine"), "hardwareProfile.vmSize")).toBe("Standard_D2s_v5");
    expect(byType(plan, "azure-native:devtestlab:GlobalSchedule")).toEqual([]);
    // The data layer's protected resources are checked in stacks/data.test.ts.
    const kinds = (r: { type: string }) => r.type.startsWith("azure-native:") || r.type.startsWith("grafana:");
    expect(
      plan.resources
        .filter((r) => r.options.protect && kinds(r))
        .map((r) => r.type)
        .sort(),
    ).toEqual([
      "azure-native:compute:VirtualMachine",
      "azure-native:network:PublicIPAddress",
      "azure-native:resources:ResourceGroup",
      "grafana:cloud/stack:Stack",
    ]);
  });
});

describe("the program's inputs", () => {
  it("uses the operator's public key instead of generating one", async () => {
    const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIMEIOiuTWnwttD1DcRZZiQzl+gu1AxuqPpq3zWEoqDhI op@laptop";
    const plan = await runStack("dev", { config: { sshPublicKey: key } });
    expect(byType(plan, "tls:index/privateKey:PrivateKey")).toEqual([]);
    expect(plan.outputs["sshPrivateKey"]).toBeUndefined();
    expect(
      input(one(plan, "azure-native:compute:VirtualMachine"), "osProfile.linuxConfiguration.ssh.publicKeys[0].keyData"),
    ).toBe(key);
  });

  it("derives the firewall from the application's public endpoints: a new endpoint opens exactly its port", async () => {
    const compose = readFileSync(path.join(PROJECT_DIR, "app", "compose.yaml"), "utf8")
      .replace("    identity:\n      port: 8443\n", "    identity:\n      port: 8443\n    orders:\n      port: 9443\n")
      .replace(
        "      databases: [postgres]\n",
        "      databases: [postgres]\n      public: { endpoint: orders, containerPort: 8080 }\n      health: /healthz\n",
      );
    const plan = await runStack("dev", { config: { composeFile: tempFile("compose.yaml", compose) } });
    expect(plan.error).toBeUndefined();
    expect(
      rules(plan)
        .filter((r) => r.access === "Allow" && sources(r).includes("Internet"))
        .map((r) => r.destinationPortRange)
        .sort(),
    ).toEqual(["443", "80", "8443", "9443"]);
    expect(plan.outputs["endpoints"]!.value).toMatchObject({
      orders: "https://liftoff-acme-dev.westeurope.cloudapp.azure.com:9443",
    });
  });

  it("stops with every validation error and declares nothing", async () => {
    const plan = await runStack("dev", { config: { sshAllowedCidrs: ["0.0.0.0/0"], region: "atlantis" } });
    expect(plan.resources).toEqual([]);
    expect(plan.error).toContain("2 configuration errors; nothing was declared");
    expect(plan.error).toContain("liftoff:sshAllowedCidrs[0]");
    expect(plan.error).toContain("liftoff:region");
  });

  it("under `pulumi up`, a missing required secret is an error, and set as a secret it passes", async () => {
    const missing = await runStack("prod", { mode: "up" });
    expect(missing.resources).toEqual([]);
    expect(missing.error).toContain("liftoff:ghcrToken is not set");
    const secrets = {
      ghcrToken: "ghp_never_printed",
      grafanaCloudToken: "glc_never_printed",
      githubToken: "github_pat_never_printed",
      neonApiKey: "napi_never_printed",
      atlasPublicKey: "pub_never_printed",
      atlasPrivateKey: "priv_never_printed",
    };
    const set = await runStack("prod", { mode: "up", secrets, config: { atlasOrgId: "5f1e9c0a2b3c4d5e6f708192" } });
    expect(set.error).toBeUndefined();
    for (const [key, value] of Object.entries(secrets)) {
      expect(set.log.join("\n")).not.toContain(key);
      expect(JSON.stringify(set)).not.toContain(value);
    }
  });
});
