/**
 * What the pack knows about the stack it judges, learned from the stack itself rather than told by
 * hand: the engine starts a policy pack with the stack's name (PULUMI_NODEJS_STACK) and its config
 * (PULUMI_CONFIG), exactly as it starts the program; the offline runner passes the same two from
 * Pulumi.<stack>.yaml.
 */
import * as path from "node:path";
import { composeFilesOf, fsReader, loadApp } from "../environments/app-definition";
import { DEFAULT_COMPOSE_FILE } from "../environments/core";
import { serviceBindings } from "../environments/compose/bindings";
import { appWithDefaultVariables } from "../stacks/binding-values";

/** The ACME HTTP-01 port the firewall always opens (environments/core.ts, components/network/firewall.ts). */
export const ACME_PORT = 80;
export const DEFAULT_SSH_PORT = 22;

export type ProfileName = "dev" | "prod";

export interface StackFacts {
  /** The stack's name; undefined when the engine did not say (then environment tags are not compared). */
  readonly stack?: string;
  /** The profile the stack names; `prod` when it cannot be learned, so the strictest rules apply. */
  readonly profile: ProfileName;
  /** Ports the application declares public (compose `x-liftoff.endpoints`) plus the ACME port. */
  readonly declaredPublicPorts: readonly number[];
  /** Port 22 and the stack's `sshPort`: whichever SSH listens on, it must never face the internet. */
  readonly sshPorts: readonly number[];
  /**
   * The prod rules the stack deliberately breaks (`liftoff:allowUnsafeProd`, the same ids the
   * validation takes); a rule named here is not reported. Empty unless the stack says so.
   */
  readonly allowUnsafeProd: readonly string[];
  /** Host access the application's services declare (`x-liftoff.hostAccess`), as `<service>:<kind>`. */
  readonly declaredHostAccess: readonly string[];
  /** The host access this stack's reviewers accepted (`liftoff:hostAccessAllowed`), same form. */
  readonly allowedHostAccess: readonly string[];
  /**
   * Per service, the environment variables that hold a secret (secret stack variables, secret
   * bindings, and the defaults liftoff adds such as DATABASE_URL and OTEL_EXPORTER_OTLP_HEADERS):
   * on Container Apps each must be a secret ref.
   */
  readonly secretVariables: Readonly<Record<string, readonly string[]>>;
  /** Why a fact fell back to its strict default; shown in the violations that depend on it. */
  readonly problems: readonly string[];
}

/** Per service, the variables of its environment (defaults included) whose value is secret. */
export function secretVariablesOf(
  app: import("../environments/compose/model").AppDefinition,
  stack: string,
): Record<string, string[]> {
  const withDefaults = appWithDefaultVariables(app, stack);
  return Object.fromEntries(
    withDefaults.services.map((service) => {
      const secretBindings = new Set(
        serviceBindings(app, service)
          .filter((b) => b.secret)
          .map((b) => b.name),
      );
      const names = Object.entries(service.environment)
        .filter(
          ([name, template]) =>
            (service.secretEnvironment ?? []).includes(name) ||
            template.some((part) => typeof part !== "string" && secretBindings.has(part.binding)),
        )
        .map(([name]) => name)
        .sort();
      return [service.name, names];
    }),
  );
}

/**
 * Facts from a stack's config (`liftoff:*` keys with namespace, values as Pulumi hands them over)
 * and the project directory the compose file is relative to. Pure but for reading the compose file.
 */
export function stackFacts(
  stack: string | undefined,
  config: Readonly<Record<string, string>>,
  projectDir: string,
): StackFacts {
  const problems: string[] = [];
  const profileValue = config["liftoff:profile"];
  let profile: ProfileName = "prod";
  if (profileValue === "dev" || profileValue === "prod") profile = profileValue;
  else
    problems.push(
      `liftoff:profile is ${profileValue === undefined ? "not set" : `"${profileValue}"`}, so the prod rules apply`,
    );

  const sshPorts = new Set([DEFAULT_SSH_PORT]);
  const sshPortValue = config["liftoff:sshPort"];
  if (sshPortValue !== undefined) {
    const port = Number(sshPortValue);
    if (Number.isInteger(port) && port >= 1 && port <= 65535) sshPorts.add(port);
    else problems.push(`liftoff:sshPort "${sshPortValue}" is not a port`);
  }

  const allowUnsafeProd: string[] = [];
  const allowText = config["liftoff:allowUnsafeProd"];
  if (allowText !== undefined) {
    let list: unknown;
    try {
      list = JSON.parse(allowText);
    } catch {
      list = undefined;
    }
    if (Array.isArray(list)) allowUnsafeProd.push(...list.filter((id): id is string => typeof id === "string"));
    else problems.push(`liftoff:allowUnsafeProd "${allowText}" is not a list, so no prod rule is allowed`);
  }

  // The application as the stack reads it: its compose files, variables and profiles.
  const composeFile = config["liftoff:composeFile"] ?? DEFAULT_COMPOSE_FILE;
  const json = <T>(key: string): T | undefined => {
    try {
      return config[key] === undefined ? undefined : (JSON.parse(config[key]) as T);
    } catch {
      return undefined;
    }
  };
  const variables = Object.fromEntries([
    ...Object.entries(json<Record<string, unknown>>("liftoff:composeVariables") ?? {}).map(
      ([k, v]) => [k, { value: String(v), secret: false }] as const,
    ),
    ...Object.entries(json<Record<string, unknown>>("liftoff:composeSecrets") ?? {}).map(
      ([k, v]) => [k, { value: String(v), secret: true }] as const,
    ),
  ]);
  const declared = new Set([ACME_PORT]);
  const files = composeFilesOf(composeFile, json<string[]>("liftoff:composeFiles"), projectDir, fsReader);
  const { app } = loadApp({
    projectDir,
    files,
    variables,
    profiles: json<string[]>("liftoff:composeProfiles") ?? [],
    reader: fsReader,
  });
  if (app) for (const endpoint of app.endpoints) declared.add(endpoint.port);
  else
    problems.push(
      `the application definition ${files.join(" + ")} cannot be read or is invalid, so only port ${ACME_PORT} counts as declared`,
    );

  const allowedHostAccess = json<unknown>("liftoff:hostAccessAllowed");
  if (config["liftoff:hostAccessAllowed"] !== undefined && !Array.isArray(allowedHostAccess)) {
    problems.push(
      `liftoff:hostAccessAllowed "${config["liftoff:hostAccessAllowed"]}" is not a list, so no host access is allowed`,
    );
  }

  return {
    ...(stack ? { stack } : {}),
    profile,
    declaredPublicPorts: [...declared].sort((a, b) => a - b),
    sshPorts: [...sshPorts].sort((a, b) => a - b),
    allowUnsafeProd,
    declaredHostAccess: (app?.services ?? []).flatMap((s) => s.hostAccess.map((kind) => `${s.name}:${kind}`)),
    allowedHostAccess: Array.isArray(allowedHostAccess)
      ? allowedHostAccess.filter((e): e is string => typeof e === "string")
      : [],
    secretVariables: app ? secretVariablesOf(app, stack ?? "") : {},
    problems,
  };
}

/** The project directory: the pack lives in `<project>/policy`. */
export const PROJECT_DIR = path.resolve(__dirname, "..");
