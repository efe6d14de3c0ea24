import { spawnSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { PROJECT_DIR } from "../../test/harness";
import { stackConfig } from "./project";

const created: string[] = [];

/** Runs the plan exactly as `npm run plan -- ...` does (see package.json). */
function plan(...args: string[]) {
  const result = spawnSync(process.execPath, ["-r", "./tools/ts-register.js", "tools/plan/cli.ts", ...args], {
    cwd: PROJECT_DIR,
    encoding: "utf8",
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

/** A throwaway stack file next to the real ones, derived from dev's config. */
function stackFile(name: string, change: (config: Record<string, unknown>) => void): string {
  const doc = parse(readFileSync(path.join(PROJECT_DIR, "Pulumi.dev.yaml"), "utf8")) as {
    config: Record<string, unknown>;
  };
  change(doc.config);
  const file = path.join(PROJECT_DIR, `Pulumi.${name}.yaml`);
  writeFileSync(file, stringify(doc));
  created.push(file);
  return name;
}

afterAll(() => created.forEach((f) => rmSync(f, { force: true })));

describe("npm run plan", () => {
  it("prints the dev stack as a tree with reviewer-relevant inputs, outputs and the missing-secret warning", () => {
    const { status, stdout } = plan("dev");
    expect(status).toBe(0);
    expect(stdout).toContain("Offline plan for liftoff/dev");
    expect(stdout).toMatch(
      /^liftoff:network:Network {2}network\n(.*\n)*├─ azure-native:network:NetworkSecurityGroup {2}network-nsg$/m,
    );
    expect(stdout).toMatch(/^azure-native:resources:ResourceGroup {2}resource-group$/m);
    expect(stdout).toContain("sourceAddressPrefix: 203.0.113.7/32");
    expect(stdout).toContain("osProfile.customData: cloud-init document");
    expect(stdout).toContain("networkSecurityGroup.id: (id of azure-native:network:NetworkSecurityGroup network-nsg)");
    expect(stdout).toContain("sshPrivateKey: [secret]");
    expect(stdout).toContain("warning: liftoff:ghcrToken is not set; `pulumi up` will need it");
    expect(stdout).not.toContain("PRIVATE KEY");
  });

  it("prints one JSON object with a resources array for --json", () => {
    const { status, stdout } = plan("prod", "--json");
    expect(status).toBe(0);
    const doc = JSON.parse(stdout) as {
      ok: boolean;
      resources: { type: string; name: string; parent: string | null; inputs: object; options: { protect: boolean } }[];
      summary: { resources: number };
    };
    expect(doc.ok).toBe(true);
    expect(doc.resources.length).toBeGreaterThan(5);
    for (const r of doc.resources) {
      expect(Object.keys(r)).toEqual(expect.arrayContaining(["type", "name", "parent", "inputs"]));
    }
    const vm = doc.resources.find((r) => r.type === "azure-native:compute:VirtualMachine")!;
    expect(vm.parent).toMatch(/liftoff:host:Host::host$/);
    expect(vm.options.protect).toBe(true);
    expect(doc.summary.resources).toBe(
      doc.resources.filter((r) => r.type.includes(":") && !r.type.startsWith("liftoff:")).length,
    );
  });

  it("shows a set secret as [secret] and no longer warns about it", () => {
    const stack = stackFile("plantest-secret", (c) => {
      c["liftoff:ghcrToken"] = { secure: "v1:AAAAencryptedvalue" };
    });
    const { status, stdout } = plan(stack, "--json");
    expect(status).toBe(0);
    const doc = JSON.parse(stdout) as { warnings: string[] };
    expect(doc.warnings.join("\n")).not.toContain("ghcrToken");
    expect(stdout).not.toContain("AAAAencryptedvalue");
  });

  it("exits non-zero with every validation message and declares nothing on bad config", () => {
    const stack = stackFile("plantest-bad", (c) => {
      c["liftoff:sshAllowedCidrs"] = ["0.0.0.0/0"];
      c["liftoff:vmSize"] = "Standard B2s";
      c["liftoff:images"] = { "api-gateway": "ghcr.io/acme/api-gateway" };
    });
    const text = plan(stack);
    expect(text.status).toBe(1);
    expect(text.stderr).toContain('liftoff:sshAllowedCidrs[0] = "0.0.0.0/0" opens SSH to the whole internet');
    expect(text.stderr).toContain('liftoff:vmSize = "Standard B2s"');
    expect(text.stderr).toContain("liftoff:images.api-gateway");
    expect(text.stderr).toContain("fix:");
    const json = plan(stack, "--json");
    expect(json.status).toBe(1);
    const doc = JSON.parse(json.stdout) as { ok: boolean; resources: unknown[]; errors: string[] };
    expect(doc).toMatchObject({ ok: false, resources: [] });
    expect(doc.errors[0]).toContain("nothing was declared");
  });

  it.each(["dev", "prod"])(
    "shows the observability and delivery layers of %s with no credential and no network",
    (stack) => {
      const text = plan(stack);
      expect(text.status).toBe(0);
      expect(text.stdout).toMatch(/^liftoff:observability:Observability {2}observability$/m);
      expect(text.stdout).toMatch(/^liftoff:delivery:ContainerImages {2}images$/m);
      expect(text.stdout).toMatch(/^liftoff:delivery:DeploymentEnvironment {2}github$/m);
      expect(text.stdout).toContain("scopes: metrics:write, logs:write, traces:write");
      expect(text.stdout).toMatch(new RegExp(`grafanaUrl: https://liftoffacme${stack}\\.grafana\\.net`));
      expect(text.stdout).toContain("otlpHeaders: [secret]");
      expect(text.stdout).toMatch(/images: \{"api-gateway":"ghcr\.io\/acme\/api-gateway@sha256:[a-f0-9]{64}"/);
      expect(text.stdout).toContain("warning: liftoff:grafanaCloudToken is not set");
      expect(text.stdout).not.toMatch(/glc_plan|glsa_plan|sm_plan|PRIVATE KEY/);
    },
  );

  it("prints a plan larger than a pipe's buffer whole, and says when GitHub is not configured", () => {
    const stack = stackFile("plantest-nogithub", (c) => {
      delete c["liftoff:githubOwner"];
      delete c["liftoff:githubRepository"];
    });
    const { status, stdout } = plan(stack, "--json");
    expect(status).toBe(0);
    expect(stdout.length).toBeGreaterThan(65_536);
    const doc = JSON.parse(stdout) as { notes: string[]; resources: { type: string }[] };
    expect(doc.notes).toEqual([expect.stringContaining("GitHub is not configured for stack plantest-nogithub")]);
    expect(doc.resources.filter((r) => r.type.startsWith("github:"))).toEqual([]);
    expect(plan(stack).stdout).toMatch(/^Notes \(1\):\n {2}info: GitHub is not configured/m);
  });

  it("says which stacks exist when the stack has no config file", () => {
    const { status, stderr } = plan("nosuchstack");
    expect(status).toBe(64);
    expect(stderr).toContain("no stack config Pulumi.nosuchstack.yaml");
  });

  it("refuses unknown flags", () => {
    expect(plan("dev", "--jsno").status).toBe(64);
  });
});

describe("the plan and the engine run the same program the same way", () => {
  it("Pulumi.yaml's main is the module the plan loads, through the same TypeScript hook", () => {
    const project = parse(readFileSync(path.join(PROJECT_DIR, "Pulumi.yaml"), "utf8")) as {
      main: string;
      runtime: { options: { typescript: boolean; nodeargs: string } };
    };
    const scripts = (
      JSON.parse(readFileSync(path.join(PROJECT_DIR, "package.json"), "utf8")) as { scripts: Record<string, string> }
    ).scripts;
    expect(project.main).toBe("index.ts");
    expect(project.runtime.options.typescript).toBe(false);
    expect(project.runtime.options.nodeargs).toBe("--require ./tools/ts-register.js");
    expect(scripts["plan"]).toBe("node -r ./tools/ts-register.js tools/plan/cli.ts");
  });
});

describe("stack config as the engine hands it to the program", () => {
  it("namespaces bare keys, turns structured values into JSON and marks secure values secret", () => {
    const { config, secretKeys } = stackConfig(
      "liftoff",
      { region: { default: "westeurope" } },
      {
        "liftoff:images": { a: "x:1" },
        "liftoff:ghcrToken": { secure: "AAA" },
        owner: "me",
        "azure-native:location": "westeurope",
      },
    );
    expect(config).toEqual({
      "liftoff:region": "westeurope",
      "liftoff:images": '{"a":"x:1"}',
      "liftoff:ghcrToken": "[secret]",
      "liftoff:owner": "me",
      "azure-native:location": "westeurope",
    });
    expect(secretKeys).toEqual(["liftoff:ghcrToken"]);
  });
});
