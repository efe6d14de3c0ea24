/**
 * The pack over the real program's offline plan of dev and prod: no violation; and a plan broken
 * after validation (the config validation already refuses the obvious mistakes) is caught.
 */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { runStack, PROJECT_DIR } from "../test/harness";
import { readStackFiles } from "../tools/plan/project";
import type { Evaluation, PlannedResource } from "../tools/plan/evaluate";
import { stackFacts } from "./facts";
import {
  analyzeResources,
  analyzedFromPlan,
  checkPlan,
  offlineSecretViolations,
  wireSecret,
  type AnalyzedResource,
} from "./offline";
import { POLICIES, liftoffPolicies } from "./pack";
import { SECRET_STACK_OUTPUTS } from "./secrets";

const factsOf = (stack: string) => stackFacts(stack, readStackFiles(PROJECT_DIR, stack).config, PROJECT_DIR);

describe.each(["dev", "prod"])("the offline plan of %s", (stack) => {
  it("passes every policy, with its secret-bearing stack outputs secret", async () => {
    const evaluation = await runStack(stack);
    expect(evaluation.error).toBeUndefined();
    expect(await checkPlan(evaluation, factsOf(stack))).toEqual([]);
    for (const name of SECRET_STACK_OUTPUTS) expect(evaluation.outputs[name], name).toMatchObject({ secret: true });
  });
});

describe("the stack's facts", () => {
  it("come from its config and the compose file: profile, declared ports 80/443/8443, SSH port", () => {
    expect(factsOf("prod")).toEqual({
      stack: "prod",
      profile: "prod",
      declaredPublicPorts: [80, 443, 8443],
      sshPorts: [22],
      allowUnsafeProd: [],
      declaredHostAccess: [],
      allowedHostAccess: [],
      secretVariables: expect.any(Object),
      problems: [],
    });
    expect(factsOf("dev")).toMatchObject({ profile: "dev" });
  });

  it("fall back to the strict reading when the profile or the compose file cannot be learned", () => {
    const facts = stackFacts("x", { "liftoff:composeFile": "app/missing.yaml" }, PROJECT_DIR);
    expect(facts).toMatchObject({ profile: "prod", declaredPublicPorts: [80] });
    expect(facts.problems).toHaveLength(2);
  });
});

/** Changes a planned resource's inputs/options the way a regression in the program would. */
function mutate(
  resources: AnalyzedResource[],
  type: string,
  change: (resource: AnalyzedResource) => AnalyzedResource,
): AnalyzedResource[] {
  let found = false;
  const changed = resources.map((r) => {
    if (r.type !== type) return r;
    found = true;
    return change(r);
  });
  if (!found) throw new Error(`the plan has no ${type}`);
  return changed;
}

describe("a prod plan broken after validation", () => {
  it("is caught by every policy", async () => {
    const evaluation = await runStack("prod");
    let resources = evaluation.resources.map(analyzedFromPlan);
    // The firewall is one standalone SecurityRule per rule: widen SSH, and add a rule nobody declared.
    resources = mutate(resources, "azure-native:network:SecurityRule", (r) =>
      r.props["securityRuleName"] === "allow-ssh-admin"
        ? { ...r, props: { ...r.props, sourceAddressPrefix: "Internet", sourceAddressPrefixes: undefined } }
        : r,
    );
    const template = resources.find((r) => r.type === "azure-native:network:SecurityRule")!;
    resources = [
      ...resources,
      {
        ...template,
        urn: "urn:pulumi:prod::liftoff::liftoff:network:Network$azure-native:network:SecurityRule::network-rule-debug",
        name: "network-rule-debug",
        props: {
          ...template.props,
          securityRuleName: "debug",
          priority: 150,
          direction: "Inbound",
          access: "Allow",
          protocol: "Tcp",
          sourceAddressPrefix: "*",
          destinationPortRange: "9229",
        },
      },
    ];
    resources = mutate(resources, "azure-native:compute:VirtualMachine", (r) => {
      const osProfile = r.props["osProfile"] as Record<string, unknown>;
      return {
        ...r,
        props: {
          ...r.props,
          osProfile: {
            ...osProfile,
            linuxConfiguration: {
              ...(osProfile["linuxConfiguration"] as object),
              disablePasswordAuthentication: false,
            },
          },
        },
      };
    });
    resources = mutate(resources, "pulumi-nodejs:dynamic/neon:Role", (r) => ({ ...r, additionalSecretOutputs: [] }));
    resources = mutate(resources, "mongodbatlas:index/advancedCluster:AdvancedCluster", (r) => ({
      ...r,
      protect: false,
    }));
    resources = mutate(resources, "grafana:cloud/stack:Stack", (r) => ({
      ...r,
      props: { ...r.props, deleteProtection: false },
    }));
    resources = mutate(resources, "azure-native:network:PublicIPAddress", (r) => ({
      ...r,
      props: { ...r.props, tags: { environment: "prod" } },
    }));
    // A nightly shutdown schedule, as the host declares one for dev.
    const vm = resources.find((r) => r.type === "azure-native:compute:VirtualMachine")!;
    resources = [
      ...resources,
      {
        ...vm,
        urn: "urn:pulumi:prod::liftoff::liftoff:host:Host$azure-native:devtestlab:GlobalSchedule::host-shutdown",
        type: "azure-native:devtestlab:GlobalSchedule",
        name: "host-shutdown",
        props: {
          name: "shutdown-computevm-vm",
          status: "Enabled",
          taskType: "ComputeVmShutdownTask",
          dailyRecurrence: { time: "1900" },
          timeZoneId: "UTC",
          tags: vm.props["tags"],
        },
      },
    ];

    // And a service that gained host access nobody allow-listed.
    const facts = { ...factsOf("prod"), declaredHostAccess: ["agent:privileged"] };
    const violations = await analyzeResources(liftoffPolicies(facts), resources);
    // The Container Apps policies judge apps a VM stack does not have: policy/containerapps.test.ts.
    expect(new Set(violations.map((v) => v.policy))).toEqual(
      new Set(POLICIES.map((p) => p.name).filter((name) => !name.startsWith("containerapps-"))),
    );
    const messages = violations.map((v) => `${v.policy}: ${v.message}`);
    expect(messages).toEqual(
      expect.arrayContaining([
        expect.stringContaining(
          "ssh-not-open-to-internet: network-rule-allow-ssh-admin: rule allow-ssh-admin lets Internet reach SSH (port 22)",
        ),
        expect.stringContaining("only-declared-public-ports: network-rule-debug: rule debug opens port 9229"),
        expect.stringContaining("vm-ssh-keys-only: host-vm"),
        expect.stringContaining("secret-outputs-marked-secret: postgres-orders-role: password"),
        "prod-databases-protected: mongodb-cluster: the Atlas cluster is not protected (resource option protect)",
        expect.stringContaining("prod-grafana-delete-protection: observability-stack"),
        "prod-no-auto-shutdown: host-shutdown: shuts the prod host down every day at 1900; remove liftoff:autoShutdown (or name autoShutdown in liftoff:allowUnsafeProd)",
        "azure-resources-tagged: network-ip: has no owner tag",
        expect.stringContaining("host-access-allow-listed: host-vm: service agent declares host access privileged"),
      ]),
    );
  });

  it("is caught when a secret-bearing input or stack output is sent in the clear", async () => {
    const evaluation = await runStack("prod");
    const clear = (r: PlannedResource): PlannedResource =>
      r.type === "mongodbatlas:index/databaseUser:DatabaseUser" || r.name === "deploy-apply"
        ? {
            ...r,
            secretPaths: r.secretPaths.filter((p) => p !== "password" && p !== "connection"),
            options: { ...r.options, additionalSecretOutputs: ["connection"] },
          }
        : r;
    const broken: Evaluation = {
      ...evaluation,
      resources: evaluation.resources.map(clear),
      outputs: {
        ...evaluation.outputs,
        sshPrivateKey: { value: "-----BEGIN OPENSSH PRIVATE KEY-----", secret: false },
      },
    };
    expect(offlineSecretViolations(broken).map((v) => `${v.policy}: ${v.message}`)).toEqual([
      expect.stringContaining(
        "secret-inputs-marked-secret: mongodb-catalog-user: input password holds a secret but is not marked secret",
      ),
      expect.stringContaining("secret-inputs-marked-secret: deploy-apply: input connection holds a secret"),
      expect.stringContaining(
        "secret-inputs-marked-secret: deploy-apply: takes a secret on stdin but its stdout and stderr are not secret",
      ),
      "secret-stack-outputs-marked-secret: stack output sshPrivateKey holds a secret but is not secret; export it with pulumi.secret()",
    ]);
  });

  it("sends the engine's view of secrets: the planned secret inputs reach the policies in Pulumi's wire form", async () => {
    const evaluation = await runStack("prod");
    const user = analyzedFromPlan(
      evaluation.resources.find((r) => r.type === "mongodbatlas:index/databaseUser:DatabaseUser")!,
    );
    expect(user.props["password"]).toEqual(wireSecret(expect.any(String)));
  });
});

describe("npm run policy", () => {
  const cli = (...args: string[]) =>
    spawnSync(process.execPath, ["-r", "./tools/ts-register.js", path.join("policy", "cli.ts"), ...args], {
      cwd: PROJECT_DIR,
      encoding: "utf8",
    });

  it("prints a summary and exits 0 on a stack without violations, 2 without a stack", () => {
    const ok = cli("prod");
    expect(ok.stderr).toContain("evaluating the offline plan of stack prod");
    expect(ok.stdout).toMatch(
      /^ok: stack prod, \d+ resources, 12 policies \+ 2 offline secret checks: 0 mandatory and 0 advisory violations$/m,
    );
    expect(ok.status).toBe(0);
    const usage = cli();
    expect(usage.status).toBe(2);
    expect(usage.stderr).toContain("usage: npm run policy -- <stack>");
  });
});
