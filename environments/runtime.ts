/**
 * The runtime a stack runs its application on (issue #13): `liftoff:runtime: vm` (one host, the
 * default) or `containerapps` (Azure Container Apps), the release policy both share
 * (`liftoff:canary`), and the Container Apps settings with their per-profile defaults. Everything
 * the application asks for that Container Apps cannot do is refused here, before any resource is
 * declared (components/containerapps/rules.ts, the release half's own rules).
 *
 * Kept in its own file with a small hook in validate.ts so the settings table (#14) can take it over.
 */
import { z } from "zod";
import type { CanaryPolicy, ContainerAppsDefaults } from "../components/containerapps/contract";
import { containerAppsProblems } from "../components/containerapps/rules";
import { CONSUMPTION_SIZES, formatSize, sizeProblem } from "../components/containerapps/resources";
import { unsafeInProd } from "./prod-safety";
import type { ProfileName } from "./profiles";
import { closest, type ConfigReader, type Section } from "./reader";
import type { CoreSpec } from "./spec";

export const RUNTIMES = ["vm", "containerapps"] as const;
export type RuntimeKind = (typeof RUNTIMES)[number];

/**
 * Container Apps workload profiles liftoff offers: the serverless Consumption profile, and the
 * dedicated general-purpose (D) and memory-optimized (E) node sizes, with each node's capacity.
 */
export const WORKLOAD_PROFILES: Readonly<Record<string, { readonly vcpus: number; readonly memoryGi: number }>> = {
  Consumption: { vcpus: 4, memoryGi: 8 },
  D4: { vcpus: 4, memoryGi: 16 },
  D8: { vcpus: 8, memoryGi: 32 },
  D16: { vcpus: 16, memoryGi: 64 },
  D32: { vcpus: 32, memoryGi: 128 },
  E4: { vcpus: 4, memoryGi: 32 },
  E8: { vcpus: 8, memoryGi: 64 },
  E16: { vcpus: 16, memoryGi: 128 },
  E32: { vcpus: 32, memoryGi: 256 },
};
export const CONSUMPTION = "Consumption";

/** What a Container Apps environment of each profile is by default. */
export interface ContainerAppsProfile {
  readonly workloadProfile: string;
  /** Nodes of a dedicated workload profile (ignored for Consumption). */
  readonly dedicatedNodes: { readonly min: number; readonly max: number };
  readonly zoneRedundant: boolean;
  readonly defaults: ContainerAppsDefaults;
}

export const CONTAINERAPPS_PROFILES: Readonly<Record<ProfileName, ContainerAppsProfile>> = {
  // Scales to zero when idle: a dev environment costs nothing between uses (first request waits for a cold start).
  dev: {
    workloadProfile: CONSUMPTION,
    dedicatedNodes: { min: 1, max: 3 },
    zoneRedundant: false,
    defaults: { minReplicas: 0, maxReplicas: 3, concurrentRequests: 50, cpu: 0.5, memoryGi: 1 },
  },
  // Two replicas at least, spread over the region's zones: one replica or one zone can fail unnoticed.
  prod: {
    workloadProfile: CONSUMPTION,
    dedicatedNodes: { min: 3, max: 10 },
    zoneRedundant: true,
    defaults: { minReplicas: 2, maxReplicas: 10, concurrentRequests: 50, cpu: 0.5, memoryGi: 1 },
  },
};

/** Blue/green: every new revision ready, then 100 % at once. */
export const DEFAULT_CANARY: CanaryPolicy = { steps: [100], pauseSeconds: 60, maxErrorRate: 0.05 };

/**
 * The VNet of a Container Apps environment. Workload-profile environments need a subnet of /27 at
 * least; a /23 leaves room for ~250 dedicated nodes or ~2,500 Consumption replicas, and the
 * subnet cannot be resized once the environment exists.
 */
export const CONTAINERAPPS_NETWORK = { addressSpace: "10.43.0.0/16", subnetPrefix: "10.43.0.0/23" } as const;

/** Seconds a job may run when neither the job (`x-liftoff.job.timeout`) nor the stack says. */
export const DEFAULT_JOB_TIMEOUT_SECONDS = 600;

export interface ContainerAppsSpec {
  readonly workloadProfile: {
    /** The profile's name in the environment (`Consumption`, or the dedicated type's name). */
    readonly name: string;
    readonly type: string;
    /** Dedicated profiles only. */
    readonly nodes?: { readonly min: number; readonly max: number };
  };
  readonly zoneRedundant: boolean;
  readonly defaults: ContainerAppsDefaults;
  /** Public endpoint name -> custom hostname, served with a managed certificate. */
  readonly customDomains: Readonly<Record<string, string>>;
  /** Services whose named volumes are Azure Files shares (SMB), by explicit opt-in. */
  readonly azureFilesServices: readonly string[];
  readonly network: { readonly addressSpace: string; readonly subnetPrefix: string };
  readonly jobTimeoutSeconds: number;
}

export interface RuntimeSpec {
  readonly kind: RuntimeKind;
  /** How a release moves traffic; both runtimes read it. */
  readonly canary: CanaryPolicy;
  /** Present exactly when `kind` is `containerapps`. */
  readonly containerApps?: ContainerAppsSpec;
}

/** Settings read only by the Container Apps runtime. */
export const CONTAINERAPPS_KEYS = [
  "containerAppsWorkloadProfile",
  "containerAppsZoneRedundant",
  "containerAppsMinReplicas",
  "containerAppsMaxReplicas",
  "containerAppsConcurrentRequests",
  "containerAppsCpu",
  "containerAppsMemory",
  "containerAppsCustomDomains",
  "containerAppsAzureFiles",
] as const;

/** Settings only the VM runtime reads: set on a containerapps stack, they are reported as unused. */
export const VM_ONLY_KEYS = ["vmSize", "osDiskSizeGb", "osDiskType", "adminUser", "sshPublicKey", "sshPort", "autoShutdown", "autoShutdownTimeZone", "hostAccessAllowed"] as const;

const KEYS = ["runtime", "canary", ...CONTAINERAPPS_KEYS];

const numberLike = z.union([z.number(), z.string().regex(/^-?\d+(\.\d+)?$/).transform(Number)]);
const canarySchema = z.union([
  z.array(numberLike),
  z.strictObject({ steps: z.array(numberLike), pauseSeconds: numberLike.optional(), maxErrorRate: numberLike.optional() }),
]);
const HOSTNAME = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/** The runtime section of the one validation step. */
export const runtimeSection: Section<CoreSpec, RuntimeSpec> = {
  keys: KEYS,
  read(reader: ConfigReader, core: CoreSpec): RuntimeSpec | undefined {
    const errorsBefore = reader.problems.filter((p) => p.severity === "error").length;
    const k = (key: string) => reader.key(key);

    const runtimeText = reader.text("runtime") ?? "vm";
    let kind: RuntimeKind = "vm";
    if ((RUNTIMES as readonly string[]).includes(runtimeText)) kind = runtimeText as RuntimeKind;
    else {
      reader.error({
        key: k("runtime"),
        value: runtimeText,
        message: "is not a runtime liftoff offers",
        allowed: "vm (one Azure VM, the default) or containerapps (Azure Container Apps; docs/runtimes.md)",
        fix: reader.setCommand("runtime", closest(runtimeText, RUNTIMES) ?? "containerapps"),
      });
    }

    const canary = readCanary(reader);

    if (kind !== "containerapps") {
      for (const key of CONTAINERAPPS_KEYS) {
        if (!reader.isSet(key)) continue;
        reader.warn({ key: k(key), value: reader.text(key), message: "is read only by the containerapps runtime; this stack runs on a VM, so it has no effect", allowed: "Container Apps settings on stacks with liftoff:runtime: containerapps", fix: `remove it: pulumi config rm ${k(key)} --stack ${reader.stack}, or ${reader.setCommand("runtime", "containerapps")}` });
      }
      const failed = reader.problems.filter((p) => p.severity === "error").length > errorsBefore;
      return failed ? undefined : { kind, canary };
    }

    for (const key of VM_ONLY_KEYS) {
      if (!reader.isSet(key)) continue;
      reader.warn({ key: k(key), value: reader.text(key), message: "is read only by the vm runtime; on containerapps there is no host, so it has no effect", allowed: "VM settings on stacks with liftoff:runtime: vm", fix: `remove it: pulumi config rm ${k(key)} --stack ${reader.stack}` });
    }
    // Core warns that an empty SSH list locks everyone out of the host; there is no host here.
    dropProblem(reader, k("sshAllowedCidrs"), /SSH is closed to everyone/);

    const profile = CONTAINERAPPS_PROFILES[core.profileName];
    const profileText = reader.text("containerAppsWorkloadProfile") ?? profile.workloadProfile;
    const profileNames = Object.keys(WORKLOAD_PROFILES);
    const node = WORKLOAD_PROFILES[profileText];
    if (!node) {
      reader.error({ key: k("containerAppsWorkloadProfile"), value: profileText, message: "is not a Container Apps workload profile liftoff offers", allowed: `${profileNames.join(", ")} (Consumption: per-second billing, scale to zero; D/E: dedicated nodes of that many vCPUs)`, fix: reader.setCommand("containerAppsWorkloadProfile", closest(profileText, profileNames) ?? CONSUMPTION) });
    }
    const workloadProfile: ContainerAppsSpec["workloadProfile"] = profileText === CONSUMPTION || !node
      ? { name: CONSUMPTION, type: CONSUMPTION }
      : { name: profileText.toLowerCase(), type: profileText, nodes: profile.dedicatedNodes };

    const zoneRedundant = reader.boolean("containerAppsZoneRedundant", profile.zoneRedundant);
    if (!zoneRedundant) {
      unsafeInProd(reader, "containerAppsZoneRedundant", { key: k("containerAppsZoneRedundant"), value: "false", message: "keeps the whole environment in one availability zone", allowed: "true (the prod profile's default)", fix: `pulumi config rm ${k("containerAppsZoneRedundant")} --stack ${reader.stack}` });
    }

    const minReplicas = reader.integer("containerAppsMinReplicas", profile.defaults.minReplicas, 0, 1000, String(profile.defaults.minReplicas)) ?? profile.defaults.minReplicas;
    const maxReplicas = reader.integer("containerAppsMaxReplicas", Math.max(profile.defaults.maxReplicas, minReplicas), 1, 1000, String(profile.defaults.maxReplicas)) ?? profile.defaults.maxReplicas;
    if (maxReplicas < minReplicas) {
      reader.error({ key: k("containerAppsMaxReplicas"), value: String(maxReplicas), message: `is below liftoff:containerAppsMinReplicas (${minReplicas})`, allowed: `${Math.max(minReplicas, 1)} to 1000`, fix: reader.setCommand("containerAppsMaxReplicas", String(Math.max(minReplicas, 1) * 2)) });
    }
    if (minReplicas < 2) {
      unsafeInProd(reader, "containerAppsMinReplicas", { key: k("containerAppsMinReplicas"), value: String(minReplicas), message: minReplicas === 0 ? "scales every service to zero when idle" : "runs one replica of each service", allowed: "2 or more (the prod profile's default is 2)", fix: reader.setCommand("containerAppsMinReplicas", "2") });
    }
    const concurrentRequests = reader.integer("containerAppsConcurrentRequests", profile.defaults.concurrentRequests, 1, 10_000, "50") ?? profile.defaults.concurrentRequests;

    const cpuText = reader.text("containerAppsCpu");
    const memoryText = reader.text("containerAppsMemory");
    const cpu = cpuText === undefined ? profile.defaults.cpu : Number(cpuText);
    const memoryGi = memoryText === undefined ? profile.defaults.memoryGi : parseGi(memoryText);
    const sizeProfile = workloadProfile.type;
    const capacity = WORKLOAD_PROFILES[sizeProfile] ?? WORKLOAD_PROFILES[CONSUMPTION]!;
    const fits = Number.isFinite(cpu) && memoryGi !== undefined && sizeProblem({ cpu, memoryGi }, workloadProfile.name === CONSUMPTION ? CONSUMPTION : workloadProfile.name) === undefined && cpu <= capacity.vcpus && memoryGi <= capacity.memoryGi;
    if (!fits) {
      const blamed = cpuText !== undefined ? "containerAppsCpu" : "containerAppsMemory";
      reader.error({ key: k(blamed), value: blamed === "containerAppsCpu" ? cpuText : memoryText, message: `with ${blamed === "containerAppsCpu" ? `memory ${memoryText ?? `${profile.defaults.memoryGi}Gi`}` : `cpu ${cpuText ?? profile.defaults.cpu}`}, is not a CPU/memory pair the ${sizeProfile} workload profile allows`, allowed: sizeProfile === CONSUMPTION ? `on Consumption: ${CONSUMPTION_SIZES.map(formatSize).join(", ")}` : `on ${sizeProfile}: up to ${capacity.vcpus} vCPU and ${capacity.memoryGi} Gi, in 0.25 vCPU steps`, fix: `${reader.setCommand("containerAppsCpu", "0.5")} and ${reader.setCommand("containerAppsMemory", "1Gi")}` });
    }

    const domains = reader.structured("containerAppsCustomDomains", z.record(z.string(), z.string()), "a map of public endpoint name to hostname", "liftoff:containerAppsCustomDomains: {api: api.example.com}") ?? {};
    const endpointNames = core.app.endpoints.map((e) => e.name);
    const customDomains: Record<string, string> = {};
    for (const [endpoint, host] of Object.entries(domains)) {
      const key = `${k("containerAppsCustomDomains")}.${endpoint}`;
      if (!endpointNames.includes(endpoint)) {
        reader.error({ key, value: host, message: `names an endpoint that ${core.app.file} does not declare`, allowed: `an endpoint under x-liftoff.endpoints: ${endpointNames.join(", ") || "(none declared)"}`, fix: `rename it to ${closest(endpoint, endpointNames) ?? endpointNames[0] ?? "api"} in Pulumi.${reader.stack}.yaml` });
      } else if (!HOSTNAME.test(host.trim().toLowerCase()) || host.includes("*")) {
        reader.error({ key, value: host, message: "is not a hostname a managed certificate can be issued for", allowed: "a fully qualified DNS name you control, without scheme, port or wildcard, e.g. api.example.com", fix: reader.pathCommand(`containerAppsCustomDomains.${endpoint}`, "api.example.com") });
      } else if (Object.values(customDomains).includes(host.trim().toLowerCase())) {
        reader.error({ key, value: host, message: "is already the domain of another endpoint", allowed: "one hostname per endpoint", fix: `give ${endpoint} its own hostname in Pulumi.${reader.stack}.yaml` });
      } else {
        customDomains[endpoint] = host.trim().toLowerCase();
      }
    }

    const azureFiles = reader.structured("containerAppsAzureFiles", z.array(z.string()), "a list of service names whose volumes become Azure Files shares", "liftoff:containerAppsAzureFiles: [broker]") ?? [];
    const serviceNames = core.app.services.map((s) => s.name);
    azureFiles.forEach((name, i) => {
      const service = core.app.services.find((s) => s.name === name);
      if (!service) {
        reader.error({ key: `${k("containerAppsAzureFiles")}[${i}]`, value: name, message: `names a service that ${core.app.file} does not define`, allowed: serviceNames.join(", "), fix: reader.pathCommand(`containerAppsAzureFiles[${i}]`, closest(name, serviceNames) ?? serviceNames[0] ?? "broker") });
      }
    });

    // A refused setting is reported once, here: the app's rules check against the profile's own value.
    const defaults: ContainerAppsDefaults = {
      minReplicas,
      maxReplicas: Math.max(maxReplicas, minReplicas),
      concurrentRequests,
      cpu: fits ? cpu : profile.defaults.cpu,
      memoryGi: fits && memoryGi !== undefined ? memoryGi : profile.defaults.memoryGi,
    };
    const rules = { workloadProfileName: workloadProfile.name, defaults, azureFiles: { key: k("containerAppsAzureFiles"), services: azureFiles } };
    for (const { severity, ...p } of containerAppsProblems(core.app, rules)) {
      if (severity === "error") reader.error(p);
      else reader.warn(p);
    }

    const jobTimeoutSeconds = Math.max(DEFAULT_JOB_TIMEOUT_SECONDS, ...core.app.services.flatMap((s) => (s.job ? [s.job.timeoutSeconds] : [])));
    const failed = reader.problems.filter((p) => p.severity === "error").length > errorsBefore;
    if (failed) return undefined;
    return {
      kind,
      canary,
      containerApps: {
        workloadProfile,
        zoneRedundant,
        defaults,
        customDomains,
        azureFilesServices: azureFiles,
        network: CONTAINERAPPS_NETWORK,
        jobTimeoutSeconds,
      },
    };
  },
};

/** `liftoff:canary`: `[10, 50, 100]`, or `{steps, pauseSeconds, maxErrorRate}`; default blue/green. */
function readCanary(reader: ConfigReader): CanaryPolicy {
  const example = "liftoff:canary: {steps: [10, 50, 100], pauseSeconds: 120, maxErrorRate: 0.02}";
  const value = reader.structured("canary", canarySchema, "a list of traffic percentages ending at 100, or {steps, pauseSeconds, maxErrorRate}", example);
  if (value === undefined) return DEFAULT_CANARY;
  const { steps, pauseSeconds = DEFAULT_CANARY.pauseSeconds, maxErrorRate = DEFAULT_CANARY.maxErrorRate } = Array.isArray(value) ? { steps: value } : value;
  const key = reader.key("canary");
  const stepsKey = Array.isArray(value) ? key : `${key}.steps`;
  const stepsAllowed = "1 to 10 whole percentages, strictly ascending, ending at 100, e.g. [10, 50, 100]";
  const bad = steps.length === 0 || steps.length > 10 || steps.some((s, i) => !Number.isInteger(s) || s < 1 || s > 100 || (i > 0 && s <= steps[i - 1]!)) || steps.at(-1) !== 100;
  if (bad) {
    const fixed = [...new Set(steps.filter((s) => Number.isInteger(s) && s >= 1 && s < 100))].sort((a, b) => a - b).slice(0, 9);
    reader.error({ key: stepsKey, value: JSON.stringify(steps), message: steps.at(-1) !== 100 ? "does not end at 100: the release would never move all traffic" : "is not a traffic sequence", allowed: stepsAllowed, fix: reader.yamlFix(`liftoff:canary: [${[...fixed, 100].join(", ")}]`) });
  }
  if (!Number.isInteger(pauseSeconds) || pauseSeconds < 0 || pauseSeconds > 3600) {
    reader.error({ key: `${key}.pauseSeconds`, value: String(pauseSeconds), message: "is out of range", allowed: "a whole number of seconds from 0 to 3600", fix: reader.yamlFix(example) });
  }
  if (!(maxErrorRate >= 0 && maxErrorRate <= 1)) {
    reader.error({ key: `${key}.maxErrorRate`, value: String(maxErrorRate), message: "is not a share of requests", allowed: "a number from 0 to 1 (0.02 = 2 % of requests answered 5xx)", fix: reader.yamlFix(example) });
  }
  return { steps, pauseSeconds, maxErrorRate };
}

/** `1Gi`, `1.5Gi`, `512Mi`, `1` (Gi) → GiB; undefined when it is none of these. */
export function parseGi(text: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*(Gi|Mi)?$/.exec(text.trim());
  if (!m) return undefined;
  const n = Number(m[1]);
  return m[2] === "Mi" ? n / 1024 : n;
}

function dropProblem(reader: ConfigReader, key: string, message: RegExp): void {
  const i = reader.problems.findIndex((p) => p.key === key && message.test(p.message));
  if (i >= 0) reader.problems.splice(i, 1);
}
