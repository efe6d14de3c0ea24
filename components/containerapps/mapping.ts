/**
 * One service of the normalized application as the arguments of a Container App (or, for a job
 * service, a Container Apps Job), `@pulumi/azure-native/app` v3 types. Pure: values are
 * `pulumi.Input<string>`, and a test passes plain strings and compares plain objects.
 *
 * What it guarantees, whatever the app:
 * - the image is the one given (pinned by digest upstream);
 * - every secret (a variable the loader marked secret, or one built from a secret binding, and the
 *   registry password) is a Container Apps secret in `configuration.secrets`, and the variable holds
 *   only `secretRef` to it, never a `value`;
 * - sizes, probes, ingress and scale as components/containerapps/README.md tabulates them.
 */
import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";
import type * as inputs from "@pulumi/azure-native/types/input";
import { serviceBindings } from "../../environments/compose/bindings";
import { durationNanos } from "../../environments/compose/canonical";
import type { AppDefinition, AppService, EnvTemplate } from "../../environments/compose/model";
import type { ContainerAppsDefaults } from "./contract";
import { memoryText, serviceSize } from "./resources";
import { exposedPorts, namedVolumeMounts } from "./rules";

type Input = pulumi.Input<string>;

/** The Container Apps secret that holds the registry's password. */
export const REGISTRY_SECRET = "registry-password";

export interface RegistryLogin {
  readonly server: string;
  readonly username: string;
  readonly password: Input;
}

export interface MappingInput {
  readonly app: Pick<AppDefinition, "endpoints">;
  /** The service, its environment already holding the default variables (DATABASE_URL, OTEL_*). */
  readonly service: AppService;
  /** The image pinned by digest. */
  readonly image: Input;
  /** The service's binding values by name (secret ones as secrets). */
  readonly bindings: Readonly<Record<string, Input>>;
  readonly registry?: RegistryLogin;
  readonly defaults: ContainerAppsDefaults;
  /** Joins a variable's parts into its value; plain strings join in place (tests). */
  readonly join?: (parts: readonly Input[]) => Input;
  /** This service's replica bounds and scale rule, over the defaults. */
  readonly scale?: Partial<Pick<ContainerAppsDefaults, "minReplicas" | "maxReplicas" | "concurrentRequests">>;
  /** Compose volume -> environment storage, for an accessory opted into Azure Files. */
  readonly azureFilesStorages?: Readonly<Record<string, string>>;
}

/** A variable's value: literal text (or built from non-secret bindings), or a secret. */
export type EnvEntry =
  | { readonly name: string; readonly value: Input; readonly secret: false }
  | { readonly name: string; readonly value: Input; readonly secret: true; readonly secretName: string };

function plainJoin(parts: readonly Input[]): Input {
  if (parts.every((p) => typeof p === "string")) return (parts as string[]).join("");
  throw new Error("mapping: a variable built from Pulumi outputs needs a `join` that can join them");
}

/**
 * The service's variables in name order, each a literal value or a secret. A variable is secret
 * when the loader marked it so (a secret stack variable) or when any binding in it is secret by the
 * catalogue; a binding the catalogue does not know is treated as secret.
 */
export function environmentEntries(input: Pick<MappingInput, "app" | "service" | "bindings" | "join">): EnvEntry[] {
  const join = input.join ?? plainJoin;
  const catalogue = new Map(serviceBindings(input.app, input.service).map((b) => [b.name, b.secret]));
  const marked = new Set(input.service.secretEnvironment ?? []);
  const names = Object.keys(input.service.environment).sort();
  const secretNames = uniqueSecretNames(
    names.filter((n) => marked.has(n) || holdsSecret(input.service.environment[n]!, catalogue)),
  );
  return names.map((name): EnvEntry => {
    const template = input.service.environment[name]!;
    const parts = template.map((part) => {
      if (typeof part === "string") return part;
      const value = input.bindings[part.binding];
      if (value === undefined)
        throw new Error(`${input.service.name}: no value for binding ${part.binding} (variable ${name})`);
      return value;
    });
    const value = parts.length === 1 ? parts[0]! : join(parts);
    const secretName = secretNames.get(name);
    return secretName ? { name, value, secret: true, secretName } : { name, value, secret: false };
  });
}

function holdsSecret(template: EnvTemplate, catalogue: ReadonlyMap<string, boolean>): boolean {
  return template.some((part) => typeof part !== "string" && catalogue.get(part.binding) !== false);
}

/**
 * Container Apps secret names for variables: lower case letters, digits and `-` (`DATABASE_URL` →
 * `env-database-url`), made unique with a counter when two names fold together.
 */
export function uniqueSecretNames(variables: readonly string[]): Map<string, string> {
  const out = new Map<string, string>();
  const taken = new Set<string>([REGISTRY_SECRET]);
  for (const variable of [...variables].sort()) {
    const base = `env-${variable
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")}`.slice(0, 240);
    let name = base;
    for (let n = 2; taken.has(name); n++) name = `${base}-${n}`;
    taken.add(name);
    out.set(variable, name);
  }
  return out;
}

/** The port the service's ingress forwards to: its public container port, else its one exposed port. */
export function ingressPort(service: Pick<AppService, "public" | "compose">): number | undefined {
  return service.public?.containerPort ?? exposedPorts(service)[0];
}

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, Math.round(value)));

function seconds(text: unknown): number | undefined {
  if (typeof text !== "string") return undefined;
  const ns = durationNanos(text);
  return Number.isNaN(ns) ? undefined : ns / 1e9;
}

/**
 * Readiness and liveness probes on `x-liftoff.health`, with the compose healthcheck's timings where
 * it has them (interval → periodSeconds, timeout → timeoutSeconds, retries → failureThreshold,
 * start_period → the liveness probe's initialDelaySeconds), clamped to what Container Apps takes.
 * None without a health path or a port: Container Apps then checks the ingress port by TCP.
 */
export function probes(
  service: Pick<AppService, "healthPath" | "public" | "compose">,
): inputs.app.ContainerAppProbeArgs[] {
  const port = ingressPort(service);
  if (service.healthPath === undefined || port === undefined) return [];
  const hc = (service.compose["healthcheck"] ?? {}) as Record<string, unknown>;
  const period = clamp(seconds(hc["interval"]) ?? 10, 1, 240);
  const timeout = clamp(seconds(hc["timeout"]) ?? 5, 1, 240);
  const retries = clamp(typeof hc["retries"] === "number" ? hc["retries"] : 3, 1, 10);
  const startPeriod = clamp(seconds(hc["start_period"]) ?? 0, 0, 60);
  const httpGet = { path: service.healthPath, port, scheme: "HTTP" };
  return [
    {
      type: "Readiness",
      httpGet,
      periodSeconds: period,
      timeoutSeconds: timeout,
      failureThreshold: retries,
      successThreshold: 1,
    },
    // Liveness restarts a replica: slower to give up than readiness, and patient at start.
    {
      type: "Liveness",
      httpGet,
      periodSeconds: period,
      timeoutSeconds: timeout,
      failureThreshold: clamp(retries * 2, 1, 10),
      initialDelaySeconds: startPeriod,
    },
  ];
}

/** `template.containers[0]` and the secrets its variables reference (plus the registry password). */
export function container(input: MappingInput): {
  container: inputs.app.ContainerArgs;
  secrets: inputs.app.SecretArgs[];
} {
  const { service } = input;
  const entries = environmentEntries(input);
  const size = serviceSize(service, input.defaults);
  const command = stringList(service.compose["entrypoint"]);
  const args = stringList(service.compose["command"]);
  const probeList = service.job ? [] : probes(service);
  const container: inputs.app.ContainerArgs = {
    name: service.name,
    image: input.image,
    ...(command ? { command } : {}),
    ...(args ? { args } : {}),
    env: entries.map((e) => (e.secret ? { name: e.name, secretRef: e.secretName } : { name: e.name, value: e.value })),
    resources: { cpu: size.cpu, memory: memoryText(size.memoryGi) },
    ...(probeList.length > 0 ? { probes: probeList } : {}),
    ...(service.accessory && namedVolumeMounts(service).length > 0
      ? {
          volumeMounts: namedVolumeMounts(service).map((m) => ({
            volumeName: volumeName(m.volume),
            mountPath: m.target,
          })),
        }
      : {}),
  };
  const secrets: inputs.app.SecretArgs[] = entries.flatMap((e) =>
    e.secret ? [{ name: e.secretName, value: e.value }] : [],
  );
  if (input.registry) secrets.unshift({ name: REGISTRY_SECRET, value: input.registry.password });
  return { container, secrets };
}

/** A Container Apps volume name for a compose volume (lower case letters, digits, `-`). */
export function volumeName(volume: string): string {
  return volume.toLowerCase().replace(/[^a-z0-9-]+/g, "-");
}

/**
 * An accessory's named volumes as Azure Files volumes (only accessories that opted in pass the
 * rules): each on the environment storage the platform declared for it.
 */
export function azureFilesVolumes(
  service: Pick<AppService, "accessory" | "compose">,
  storages: Readonly<Record<string, string>> = {},
): inputs.app.VolumeArgs[] {
  if (!service.accessory) return [];
  const seen = new Set<string>();
  return namedVolumeMounts(service)
    .filter((m) => !seen.has(m.volume) && seen.add(m.volume))
    .map((m) => ({
      name: volumeName(m.volume),
      storageType: "AzureFile",
      storageName: storages[m.volume] ?? m.volume,
    }));
}

function stringList(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.length > 0 ? value.map(String) : undefined;
}

function registries(registry: RegistryLogin | undefined): inputs.app.RegistryCredentialsArgs[] {
  return registry ? [{ server: registry.server, username: registry.username, passwordSecretRef: REGISTRY_SECRET }] : [];
}

export interface AppPlacement {
  readonly managedEnvironmentId: Input;
  readonly workloadProfileName: string;
  readonly location: string;
  readonly resourceGroupName: Input;
}

export interface ReleaseState {
  /** `template.revisionSuffix`: derived from the release's content (see {@link revisionSuffix}). */
  readonly revisionSuffix: Input;
  /**
   * `ingress.traffic` as the app serves it now (read before the update), so the new revision starts
   * at 0 %; `[{ latestRevision: true, weight: 100 }]` for an app that does not exist yet.
   */
  readonly traffic: readonly inputs.app.TrafficWeightArgs[];
  /** Custom domains of this app: a certificate id once its managed certificate is bound, else none yet. */
  readonly customDomains?: readonly { readonly name: string; readonly certificateId?: Input }[];
}

/** First release of an app: nothing serves yet, so the one revision takes everything. */
export const FIRST_RELEASE_TRAFFIC: readonly inputs.app.TrafficWeightArgs[] = [{ latestRevision: true, weight: 100 }];

/**
 * A (non-job) service as Container App args. Apps with ingress run in `Multiple` revision mode (the
 * traffic driver moves their weights); an app without ingress (a worker) runs in `Single` mode,
 * where Container Apps swaps its revision once the new one is up.
 */
export function containerAppArgs(
  input: MappingInput,
  placement: AppPlacement,
  release: ReleaseState,
): Omit<import("@pulumi/azure-native/app").ContainerAppArgs, "resourceGroupName"> & {
  readonly resourceGroupName: Input;
} {
  const { service } = input;
  const defaults = { ...input.defaults, ...input.scale };
  const { container: c, secrets } = container(input);
  const port = ingressPort(service);
  // An accessory (a broker, a cache) speaks its own protocol on its own port: TCP ingress that
  // keeps the port (`amqp://broker:5672` as under compose), exactly one replica, one revision.
  const tcp = service.accessory;
  const ingress: inputs.app.IngressArgs | undefined =
    port === undefined
      ? undefined
      : tcp
        ? {
            external: false,
            targetPort: port,
            exposedPort: port,
            transport: "tcp",
          }
        : {
            external: service.public !== undefined,
            targetPort: port,
            transport: "auto",
            // Public: HTTPS only (HTTP answers with a redirect). Internal: plain HTTP stays inside the
            // environment's network, so `http://<service>` works as it did under compose.
            allowInsecure: service.public === undefined,
            traffic: [...release.traffic],
            ...(release.customDomains && release.customDomains.length > 0
              ? {
                  customDomains: release.customDomains.map((d) =>
                    d.certificateId
                      ? { name: d.name, bindingType: "SniEnabled", certificateId: d.certificateId }
                      : { name: d.name, bindingType: "Disabled" },
                  ),
                }
              : {}),
          };
  const volumes = azureFilesVolumes(service, input.azureFilesStorages);
  const stopGrace = seconds(service.compose["stop_grace_period"]);
  return {
    containerAppName: service.name,
    resourceGroupName: placement.resourceGroupName,
    location: placement.location,
    managedEnvironmentId: placement.managedEnvironmentId,
    workloadProfileName: placement.workloadProfileName,
    configuration: {
      activeRevisionsMode: revisionMode(service),
      ...(ingress ? { ingress } : {}),
      registries: registries(input.registry),
      secrets,
      // Old revisions deactivated by the driver stay listed (for `npm run rollback` and audit) this long.
      maxInactiveRevisions: 10,
    },
    template: {
      revisionSuffix: release.revisionSuffix,
      containers: [c],
      ...(volumes.length > 0 ? { volumes } : {}),
      scale: tcp
        ? { minReplicas: 1, maxReplicas: 1 }
        : {
            minReplicas: defaults.minReplicas,
            maxReplicas: Math.max(defaults.maxReplicas, defaults.minReplicas),
            ...(ingress
              ? {
                  rules: [
                    {
                      name: "http-concurrency",
                      http: { metadata: { concurrentRequests: String(defaults.concurrentRequests) } },
                    },
                  ],
                }
              : {}),
          },
      ...(stopGrace !== undefined ? { terminationGracePeriodSeconds: clamp(stopGrace, 0, 600) } : {}),
    },
  };
}

/**
 * `Multiple` for an app whose traffic the release driver moves (HTTP ingress); `Single` for a worker
 * (no ingress) and an accessory, where Container Apps swaps the revision once the new one runs.
 */
export function revisionMode(
  service: Pick<AppService, "accessory" | "public" | "compose" | "job">,
): "Multiple" | "Single" {
  return !service.accessory && ingressPort(service) !== undefined ? "Multiple" : "Single";
}

/** A job service as a manually triggered Container Apps Job: one replica, no retry, its timeout. */
export function jobArgs(
  input: MappingInput,
  placement: AppPlacement,
): Omit<import("@pulumi/azure-native/app").JobArgs, "resourceGroupName"> & { readonly resourceGroupName: Input } {
  const { container: c, secrets } = container(input);
  const timeout = input.service.job?.timeoutSeconds ?? 600;
  return {
    jobName: input.service.name,
    resourceGroupName: placement.resourceGroupName,
    location: placement.location,
    environmentId: placement.managedEnvironmentId,
    workloadProfileName: placement.workloadProfileName,
    configuration: {
      triggerType: "Manual",
      replicaTimeout: timeout,
      replicaRetryLimit: 0,
      manualTriggerConfig: { parallelism: 1, replicaCompletionCount: 1 },
      registries: registries(input.registry),
      secrets,
    },
    template: { containers: [c] },
  };
}

/**
 * A revision suffix from the release's content: `r` and 12 hex digits of a SHA-256 over `content`
 * (the service's template with every value resolved, secrets included, so a rotated password makes a
 * new revision that reads it). Same content, same suffix: an unchanged service keeps its revision.
 */
export function revisionSuffix(content: unknown): string {
  return `r${createHash("sha256").update(stableJson(content)).digest("hex").slice(0, 12)}`;
}

/** JSON with object keys sorted, so equal content hashes equally. */
export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(",")}]`;
  if (value && typeof value === "object") {
    return `{${Object.keys(value)
      .sort()
      .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
      .map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`)
      .join(",")}}`;
  }
  return JSON.stringify(value) ?? "null";
}
