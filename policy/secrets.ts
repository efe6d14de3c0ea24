/**
 * Which properties bear secrets, per resource type, and the checks that they are marked secret.
 *
 * What a policy can see decides where each check runs. The Node policy runtime unwraps secret
 * values before a policy sees them (deserialize.js, `proxySecrets=false` for analyze; pulumi-policy
 * issue #241), so in the engine a policy cannot ask "is this input secret?". What it can see is the
 * resource option `additionalSecretOutputs`, which is how a resource declares that an output is
 * secret: the pack checks that (SECRET_OUTPUTS). The offline plan does see which inputs and stack
 * outputs are secret, so `npm run policy` and the tests also check those (planSecretViolations).
 */
import type { ResourceData } from "./rules";

/**
 * Outputs that hold a secret and must be listed in `additionalSecretOutputs` (the SDKs generated
 * from provider schemas add theirs themselves; liftoff's own Neon provider must add its password).
 * Bridged providers also mark Terraform-sensitive outputs secret at run time (e.g. the synthetic
 * monitoring installation's smAccessToken), which no policy can observe: those are not listed.
 */
export const SECRET_OUTPUTS: Readonly<Record<string, readonly string[]>> = {
  "tls:index/privateKey:PrivateKey": ["privateKeyPem", "privateKeyOpenssh", "privateKeyPemPkcs8"],
  "random:index/randomPassword:RandomPassword": ["result", "bcryptHash"],
  "mongodbatlas:index/databaseUser:DatabaseUser": ["password"],
  "grafana:cloud/accessPolicyToken:AccessPolicyToken": ["token"],
  "grafana:cloud/stackServiceAccountToken:StackServiceAccountToken": ["key"],
  "grafana:syntheticMonitoring/installation:Installation": ["metricsPublisherKey"],
  "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": ["plaintextValue", "encryptedValue"],
  "github:index/actionsSecret:ActionsSecret": ["plaintextValue", "encryptedValue"],
  // The SSH connection holds the private key the command logs in with.
  "command:remote:Command": ["connection"],
  // liftoff's Neon dynamic provider: a role's generated password (components/neon/resources.ts).
  "pulumi-nodejs:dynamic/neon:Role": ["password"],
};

/** Neon resources may also appear under the generic dynamic type, told apart by their `kind` input. */
const GENERIC_DYNAMIC_TYPE = "pulumi-nodejs:dynamic:Resource";
const NEON_KIND_TYPES: Readonly<Record<string, string>> = { role: "pulumi-nodejs:dynamic/neon:Role" };

export function secretOutputsOf(resource: Pick<ResourceData, "type" | "props">): readonly string[] {
  if (resource.type === GENERIC_DYNAMIC_TYPE) {
    const kind = resource.props["kind"];
    const named = typeof kind === "string" ? NEON_KIND_TYPES[kind] : undefined;
    return named ? (SECRET_OUTPUTS[named] ?? []) : [];
  }
  return SECRET_OUTPUTS[resource.type] ?? [];
}

export function unmarkedSecretOutputs(resource: ResourceData): string[] {
  const declared = new Set(resource.additionalSecretOutputs);
  const missing = secretOutputsOf(resource).filter((key) => !declared.has(key));
  return missing.length === 0
    ? []
    : [
        `${resource.name}: ${missing.join(", ")} ${missing.length === 1 ? "holds a secret but is" : "hold secrets but are"} not ` +
          `marked secret; list ${missing.length === 1 ? "it" : "them"} in the resource's additionalSecretOutputs`,
      ];
}

/** Inputs that hold a secret when present; checked on the offline plan, where secretness is visible. */
export const SECRET_INPUTS: Readonly<Record<string, readonly string[]>> = {
  "mongodbatlas:index/databaseUser:DatabaseUser": ["password"],
  "github:index/actionsEnvironmentSecret:ActionsEnvironmentSecret": [
    "plaintextValue",
    "value",
    "encryptedValue",
    "valueEncrypted",
  ],
  "command:remote:Command": ["connection"],
  "grafana:syntheticMonitoring/installation:Installation": ["metricsPublisherKey"],
  "pulumi:providers:grafana": [
    "auth",
    "cloudAccessPolicyToken",
    "smAccessToken",
    "cloudProviderAccessToken",
    "oncallAccessToken",
  ],
  "pulumi:providers:github": ["token"],
  "pulumi:providers:mongodbatlas": ["privateKey", "clientSecret"],
  "pulumi:providers:docker": ["registryAuth"],
  // Password logins are refused by vmSshKeysOnly; should one appear, it must at least be secret.
  // customData is not listed: cloud-init carries public keys and package setup only (components/host).
  "azure-native:compute:VirtualMachine": ["osProfile.adminPassword"],
};

/** Stack outputs that must be secret: by name, and any whose name says it holds a credential. */
export const SECRET_STACK_OUTPUTS: readonly string[] = ["sshPrivateKey", "databaseUrls", "otlpHeaders"];
const SECRET_OUTPUT_NAME = /password|secret|token|privatekey|credential|connectionstring|headers|databaseurls?$/i;

/** The offline plan's view of a resource: which input paths are secret. */
export interface PlannedSecrets {
  readonly type: string;
  readonly name: string;
  /** Inputs without secrets' values (a secret shows as a placeholder). */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** Dotted paths of the secret inputs. */
  readonly secretPaths: readonly string[];
  readonly additionalSecretOutputs: readonly string[];
}

const isSecretAt = (secretPaths: readonly string[], dotted: string) =>
  secretPaths.some((p) => p === dotted || dotted.startsWith(`${p}.`) || dotted.startsWith(`${p}[`));

function present(inputs: Readonly<Record<string, unknown>>, dotted: string): boolean {
  let value: unknown = inputs;
  for (const key of dotted.split(".")) {
    if (value === null || typeof value !== "object") return false;
    value = (value as Record<string, unknown>)[key];
  }
  return value !== undefined && value !== null;
}

/** Secret-bearing inputs sent in the clear, and commands whose secret stdin could come back on stdout. */
export function unmarkedSecretInputs(resource: PlannedSecrets): string[] {
  const problems: string[] = [];
  for (const key of SECRET_INPUTS[resource.type] ?? []) {
    if (present(resource.inputs, key) && !isSecretAt(resource.secretPaths, key)) {
      problems.push(
        `${resource.name}: input ${key} holds a secret but is not marked secret; wrap it in pulumi.secret()`,
      );
    }
  }
  if (resource.type === "command:remote:Command" && isSecretAt(resource.secretPaths, "stdin")) {
    const missing = ["stdout", "stderr"].filter((key) => !resource.additionalSecretOutputs.includes(key));
    if (missing.length > 0) {
      problems.push(
        `${resource.name}: takes a secret on stdin but its ${missing.join(" and ")} ${missing.length === 1 ? "is" : "are"} ` +
          "not secret; add them to additionalSecretOutputs so an echo cannot land in the state in the clear",
      );
    }
  }
  return problems;
}

export function unmarkedSecretStackOutputs(outputs: Readonly<Record<string, { readonly secret: boolean }>>): string[] {
  return Object.entries(outputs)
    .filter(
      ([name, output]) => !output.secret && (SECRET_STACK_OUTPUTS.includes(name) || SECRET_OUTPUT_NAME.test(name)),
    )
    .map(([name]) => `stack output ${name} holds a secret but is not secret; export it with pulumi.secret()`);
}
