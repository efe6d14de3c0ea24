/**
 * The policies as the policy runtime takes them: each a thin wrapper that turns the runtime's
 * arguments into plain data and reports what a pure rule (rules.ts, secrets.ts) finds.
 */
import * as pulumi from "@pulumi/pulumi";
import type { EnforcementLevel, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { PROJECT_DIR, stackFacts, type StackFacts } from "./facts";
import {
  UNKNOWN,
  azureResourcesTagged,
  grafanaDeleteProtectionInProd,
  hostAccessAllowListed,
  onlyDeclaredPublicPorts,
  prodDatabasesProtected,
  prodNoAutoShutdown,
  sshNotOpenToInternet,
  vmSshKeysOnly,
  type ResourceData,
  type Rule,
} from "./rules";
import { unmarkedSecretOutputs } from "./secrets";
import { containerAppIngressTls, prodMinReplicas, secretsAsSecretRefs } from "./containerapps";

export const PACK_NAME = "liftoff";

/* What the runtime's proxy throws on a value unknown during preview (internal to @pulumi/policy, so untyped). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { UnknownValueError } = require("@pulumi/policy/proxy") as { UnknownValueError: new (...args: never[]) => Error };

interface PolicyDefinition {
  readonly name: string;
  readonly description: string;
  readonly enforcementLevel: EnforcementLevel;
  /** The enforcement for a prod stack, where it differs. */
  readonly prodEnforcementLevel?: EnforcementLevel;
  readonly rule: Rule;
}

/**
 * The policies and their enforcement. Mandatory: a violation stops the preview or update, for
 * anything that exposes the host, loses data or leaks a credential. Advisory: tags serve cost and
 * ownership reporting; a missing one is reported but does not block an urgent fix.
 */
export const POLICIES: readonly PolicyDefinition[] = [
  {
    name: "ssh-not-open-to-internet",
    description:
      "No network security rule lets the internet (*, Internet, 0.0.0.0/0, or a range wider than /8) reach SSH.",
    enforcementLevel: "mandatory",
    rule: sshNotOpenToInternet,
  },
  {
    name: "only-declared-public-ports",
    description:
      "Only the application's declared public endpoints (compose x-liftoff.endpoints) and the ACME port 80 are open to the internet.",
    enforcementLevel: "mandatory",
    rule: onlyDeclaredPublicPorts,
  },
  {
    name: "vm-ssh-keys-only",
    description: "Every VM disables password authentication: SSH keys only, no admin password, no Windows.",
    enforcementLevel: "mandatory",
    rule: vmSshKeysOnly,
  },
  {
    name: "secret-outputs-marked-secret",
    description:
      "Every output that holds a secret (private keys, passwords, tokens, the SSH connection) is declared secret.",
    enforcementLevel: "mandatory",
    rule: (resource) => unmarkedSecretOutputs(resource),
  },
  {
    name: "prod-databases-protected",
    description:
      "In prod, Neon and Atlas databases are protected from deletion, backed up, and restorable to a point in time (24 h at least).",
    enforcementLevel: "mandatory",
    rule: prodDatabasesProtected,
  },
  {
    name: "prod-no-auto-shutdown",
    description:
      "In prod, no VM auto-shutdown schedule is enabled (unless liftoff:allowUnsafeProd names autoShutdown).",
    enforcementLevel: "mandatory",
    rule: prodNoAutoShutdown,
  },
  {
    name: "prod-grafana-delete-protection",
    description: "In prod, the Grafana Cloud stack keeps delete protection on.",
    enforcementLevel: "mandatory",
    rule: grafanaDeleteProtectionInProd,
  },
  {
    name: "host-access-allow-listed",
    description:
      "Host access a service declares (x-liftoff.hostAccess) is on the stack's liftoff:hostAccessAllowed. Advisory in dev, mandatory in prod.",
    enforcementLevel: "advisory",
    prodEnforcementLevel: "mandatory",
    rule: hostAccessAllowListed,
  },
  {
    name: "containerapps-ingress-tls",
    description:
      "No Container App takes public traffic without TLS: external ingress never allows plain HTTP, is not raw TCP, and every custom domain has a certificate bound.",
    enforcementLevel: "mandatory",
    rule: containerAppIngressTls,
  },
  {
    name: "containerapps-prod-min-replicas",
    description:
      "In prod, every Container App keeps at least 2 replicas (unless liftoff:allowUnsafeProd names containerAppsMinReplicas).",
    enforcementLevel: "mandatory",
    rule: prodMinReplicas,
  },
  {
    name: "containerapps-secrets-as-refs",
    description:
      "Secrets reach Container Apps and Jobs only as secret refs: no secret environment variable or credential-shaped value as a plain env value, no plain registry password.",
    enforcementLevel: "mandatory",
    rule: secretsAsSecretRefs,
  },
  {
    name: "azure-resources-tagged",
    description: "Every Azure resource that takes tags carries environment (the stack) and owner.",
    enforcementLevel: "advisory",
    rule: azureResourcesTagged,
  },
];

/**
 * A property bag from the policy runtime as plain data. The runtime hands a proxy that throws on
 * any value unknown during preview; such values become UNKNOWN, so a rule can skip what it cannot
 * judge yet instead of the whole policy being downgraded to a warning.
 */
export function plainData(value: unknown): unknown {
  if (value === null || typeof value !== "object") return value;
  const read = (key: string | number): unknown => {
    try {
      return plainData((value as Record<string | number, unknown>)[key]);
    } catch (err) {
      if (err instanceof UnknownValueError) return UNKNOWN;
      throw err;
    }
  };
  if (Array.isArray(value)) return Array.from({ length: value.length }, (_, i) => read(i));
  // Assets and archives are passed through: no rule looks inside them.
  if (pulumi.asset.Asset.isInstance(value) || pulumi.asset.Archive.isInstance(value)) return value;
  return Object.fromEntries(Object.keys(value).map((key) => [key, read(key)]));
}

export function resourceData(args: Pick<ResourceValidationArgs, "type" | "name" | "props" | "opts">): ResourceData {
  return {
    type: args.type,
    name: args.name,
    props: plainData(args.props) as Record<string, unknown>,
    protect: args.opts.protect === true,
    additionalSecretOutputs: [...(args.opts.additionalSecretOutputs ?? [])],
  };
}

/** The pack's policies for a stack with these facts. */
export function liftoffPolicies(facts: StackFacts): ResourceValidationPolicy[] {
  return POLICIES.map((policy) => ({
    name: policy.name,
    description: policy.description,
    enforcementLevel:
      facts.profile === "prod" ? (policy.prodEnforcementLevel ?? policy.enforcementLevel) : policy.enforcementLevel,
    validateResource: (args, reportViolation) => {
      for (const message of policy.rule(resourceData(args), facts)) reportViolation(message);
    },
  }));
}

/** Facts about the stack the engine is previewing or updating (see facts.ts). */
export function factsFromEngine(): StackFacts {
  const stack = pulumi.getStack() || undefined;
  return stackFacts(stack, pulumi.runtime.allConfig(), PROJECT_DIR);
}
