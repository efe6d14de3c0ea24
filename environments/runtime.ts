/**
 * The runtime section: where a stack runs its application (`liftoff:runtime`: `vm`, one host, the
 * default, or `containerapps`, Azure Container Apps), the release policy both runtimes share
 * (`liftoff:canary`), and the Container Apps settings with their per-profile defaults
 * (RUNTIME_SETTINGS in settings.ts). Everything the application asks for that Container Apps cannot
 * do is refused here, before any resource is declared (components/containerapps/rules.ts).
 */
import type { ContainerAppsDefaults } from "../components/containerapps/contract";
import { DEFAULT_RELEASE_POLICY, type ReleasePolicy } from "../components/deploy/release";
import { containerAppsProblems } from "../components/containerapps/rules";
import { CONSUMPTION_SIZES, formatSize, sizeProblem } from "../components/containerapps/resources";
import { DEFAULT_JOB_TIMEOUT_SECONDS } from "./compose/rules";
import {
  CONSUMPTION,
  CONTAINERAPPS_NETWORK,
  CONTAINERAPPS_PROFILES,
  WORKLOAD_PROFILES,
} from "./containerapps-profiles";
import type { CoreSpec } from "./core";
import { unsafeInProd } from "./prod-safety";
import { closest, type ConfigReader } from "./reader";
import type { Section } from "./setting";
import {
  CANARY_DEFAULTS,
  CANARY_EXAMPLE,
  CORE_SETTINGS,
  MAX_CANARY_STEP_SECONDS,
  RUNTIME_SETTINGS,
  type CanarySpec,
  type RuntimeKind,
} from "./settings";

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
  /** How a release moves traffic; both runtimes read it (each with its own defaults). */
  readonly canary: CanarySpec;
  /** The VM's bake window after the switch (`liftoff:bakeSeconds`; the profile's by default). */
  readonly bakeSeconds: number;
  /** Present exactly when `kind` is `containerapps`. */
  readonly containerApps?: ContainerAppsSpec;
}

const S = RUNTIME_SETTINGS;

/** Settings read only by the Container Apps runtime. */
const CONTAINERAPPS_KEYS = Object.values(S)
  .map((s) => s.key)
  .filter((key) => key.startsWith("containerApps"));

/** Settings only the VM runtime reads: set on a containerapps stack, they are reported as unused. */
const VM_ONLY_KEYS = [
  RUNTIME_SETTINGS.bakeSeconds,
  CORE_SETTINGS.vmSize,
  CORE_SETTINGS.osDiskSizeGb,
  CORE_SETTINGS.osDiskType,
  CORE_SETTINGS.adminUser,
  CORE_SETTINGS.sshPublicKey,
  CORE_SETTINGS.sshPort,
  CORE_SETTINGS.autoShutdown,
  CORE_SETTINGS.autoShutdownTimeZone,
  CORE_SETTINGS.hostAccessAllowed,
].map((s) => s.key);

const HOSTNAME = /^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/;

/**
 * The runtime section. Its read always returns the runtime: `vm` standing in for an unknown one,
 * the runtime's default canary for an invalid one, the profile's values for invalid Container Apps
 * settings, so every problem is reported in the same pass.
 */
export const runtimeSection: Section<"runtime", CoreSpec, RuntimeSpec> = {
  name: "runtime",
  title: "Runtime: VM or Azure Container Apps, and how releases move traffic",
  settings: RUNTIME_SETTINGS,
  read(reader: ConfigReader, core: CoreSpec): RuntimeSpec {
    const kind = S.runtime.read(reader) ?? "vm";
    const canary = readCanary(reader, CANARY_DEFAULTS[kind]);
    const bakeSeconds = S.bakeSeconds.read(reader, core.profile) ?? core.profile.deploy.bakeSeconds;
    if (kind !== "containerapps") {
      warnUnused(
        reader,
        CONTAINERAPPS_KEYS,
        "is read only by the containerapps runtime; this stack runs on a VM, so it has no effect",
        "Container Apps settings on stacks with liftoff:runtime: containerapps",
        (key) =>
          `remove it: pulumi config rm ${reader.key(key)} --stack ${reader.stack}, or ${reader.setCommand(S.runtime.key, "containerapps")}`,
      );
      return { kind, canary, bakeSeconds };
    }
    warnUnused(
      reader,
      VM_ONLY_KEYS,
      "is read only by the vm runtime; on containerapps there is no host, so it has no effect",
      "VM settings on stacks with liftoff:runtime: vm",
      (key) => `remove it: pulumi config rm ${reader.key(key)} --stack ${reader.stack}`,
    );
    // Core warns that an empty SSH list locks everyone out of the host; there is no host here.
    dropProblem(reader, reader.key(CORE_SETTINGS.sshAllowedCidrs.key), /SSH is closed to everyone/);
    return { kind, canary, bakeSeconds, containerApps: readContainerApps(reader, core) };
  },
};

/** What the VM's agent is given (manifest `release`): the one `liftoff:canary` and the bake window. */
export function releasePolicy(runtime: RuntimeSpec): ReleasePolicy {
  const { steps, stepSeconds, maxErrorRate } = runtime.canary;
  return { ...DEFAULT_RELEASE_POLICY, bakeSeconds: runtime.bakeSeconds, canary: { steps, stepSeconds }, maxErrorRate };
}

function warnUnused(
  reader: ConfigReader,
  keys: readonly string[],
  message: string,
  allowed: string,
  fix: (key: string) => string,
): void {
  for (const key of keys) {
    if (reader.isSet(key))
      reader.warn({ key: reader.key(key), value: reader.text(key), message, allowed, fix: fix(key) });
  }
}

function readContainerApps(reader: ConfigReader, core: CoreSpec): ContainerAppsSpec {
  const profile = CONTAINERAPPS_PROFILES[core.profileName];
  const workloadProfile = readWorkloadProfile(reader, core);
  const zoneRedundant = readZoneRedundant(reader, core);
  const { minReplicas, maxReplicas } = readReplicas(reader, core);
  const concurrentRequests =
    S.containerAppsConcurrentRequests.read(reader, core.profile) ?? profile.defaults.concurrentRequests;
  const size = readSize(reader, core, workloadProfile);
  const customDomains = readCustomDomains(reader, core);
  const azureFiles = readAzureFiles(reader, core);

  // A refused setting is reported once, here: the app's rules check against the profile's own value.
  const defaults: ContainerAppsDefaults = { minReplicas, maxReplicas, concurrentRequests, ...size };
  const rules = {
    workloadProfileName: workloadProfile.name,
    defaults,
    azureFiles: { key: reader.key(S.containerAppsAzureFiles.key), services: azureFiles },
  };
  for (const { severity, ...p } of containerAppsProblems(core.app, rules)) {
    if (severity === "error") reader.error(p);
    else reader.warn(p);
  }

  const jobTimeoutSeconds = Math.max(
    DEFAULT_JOB_TIMEOUT_SECONDS,
    ...core.app.services.flatMap((s) => (s.job ? [s.job.timeoutSeconds] : [])),
  );
  return {
    workloadProfile,
    zoneRedundant,
    defaults,
    customDomains,
    azureFilesServices: azureFiles,
    network: CONTAINERAPPS_NETWORK,
    jobTimeoutSeconds,
  };
}

/** Consumption when it is not one liftoff offers. */
function readWorkloadProfile(reader: ConfigReader, core: CoreSpec): ContainerAppsSpec["workloadProfile"] {
  const setting = S.containerAppsWorkloadProfile;
  const text = setting.read(reader, core.profile) ?? CONSUMPTION;
  const names = Object.keys(WORKLOAD_PROFILES);
  if (!WORKLOAD_PROFILES[text]) {
    reader.error({
      key: reader.key(setting.key),
      value: text,
      message: "is not a Container Apps workload profile liftoff offers",
      allowed: `${setting.allowed} (Consumption: per-second billing, scale to zero; D/E: dedicated nodes of that many vCPUs)`,
      fix: reader.setCommand(setting.key, closest(text, names) ?? CONSUMPTION),
    });
    return { name: CONSUMPTION, type: CONSUMPTION };
  }
  if (text === CONSUMPTION) return { name: CONSUMPTION, type: CONSUMPTION };
  return { name: text.toLowerCase(), type: text, nodes: CONTAINERAPPS_PROFILES[core.profileName].dedicatedNodes };
}

function readZoneRedundant(reader: ConfigReader, core: CoreSpec): boolean {
  const key = S.containerAppsZoneRedundant.key;
  const zoneRedundant = S.containerAppsZoneRedundant.read(reader, core.profile) ?? false;
  if (!zoneRedundant) {
    unsafeInProd(reader, "containerAppsZoneRedundant", {
      key: reader.key(key),
      value: "false",
      message: "keeps the whole environment in one availability zone",
      allowed: "true (the prod profile's default)",
      fix: `pulumi config rm ${reader.key(key)} --stack ${reader.stack}`,
    });
  }
  return zoneRedundant;
}

/** Unset, the maximum is the profile's, raised to the minimum; set below the minimum, it is refused. */
function readReplicas(reader: ConfigReader, core: CoreSpec): { minReplicas: number; maxReplicas: number } {
  const defaults = CONTAINERAPPS_PROFILES[core.profileName].defaults;
  const [min, max] = [S.containerAppsMinReplicas, S.containerAppsMaxReplicas];
  const minReplicas = min.read(reader, core.profile) ?? defaults.minReplicas;
  const maxSet = max.read(reader, core.profile) ?? defaults.maxReplicas;
  const maxReplicas = reader.isSet(max.key) ? maxSet : Math.max(maxSet, minReplicas);
  if (maxReplicas < minReplicas) {
    reader.error({
      key: reader.key(max.key),
      value: String(maxReplicas),
      message: `is below ${reader.key(min.key)} (${minReplicas})`,
      allowed: `${Math.max(minReplicas, 1)} to 1000`,
      fix: reader.setCommand(max.key, String(Math.max(minReplicas, 1) * 2)),
    });
  }
  if (minReplicas < 2) {
    unsafeInProd(reader, "containerAppsMinReplicas", {
      key: reader.key(min.key),
      value: String(minReplicas),
      message: minReplicas === 0 ? "scales every service to zero when idle" : "runs one replica of each service",
      allowed: "2 or more (the prod profile's default is 2)",
      fix: reader.setCommand(min.key, "2"),
    });
  }
  return { minReplicas, maxReplicas: Math.max(maxReplicas, minReplicas) };
}

/** The replica size; the profile's when the pair is not one the workload profile runs. */
function readSize(
  reader: ConfigReader,
  core: CoreSpec,
  workloadProfile: ContainerAppsSpec["workloadProfile"],
): { cpu: number; memoryGi: number } {
  const defaults = CONTAINERAPPS_PROFILES[core.profileName].defaults;
  const [cpuSetting, memorySetting] = [S.containerAppsCpu, S.containerAppsMemory];
  const cpuText = reader.text(cpuSetting.key);
  const memoryText = reader.text(memorySetting.key);
  const cpu = Number(cpuSetting.read(reader, core.profile) ?? defaults.cpu);
  const memoryGi = parseGi(memorySetting.read(reader, core.profile) ?? `${defaults.memoryGi}Gi`);
  const sizeProfile = workloadProfile.type;
  const capacity = WORKLOAD_PROFILES[sizeProfile] ?? WORKLOAD_PROFILES[CONSUMPTION]!;
  const fits =
    Number.isFinite(cpu) &&
    memoryGi !== undefined &&
    sizeProblem({ cpu, memoryGi }, workloadProfile.name === CONSUMPTION ? CONSUMPTION : workloadProfile.name) ===
      undefined &&
    cpu <= capacity.vcpus &&
    memoryGi <= capacity.memoryGi;
  if (fits) return { cpu, memoryGi };
  const blamed = cpuText !== undefined ? cpuSetting.key : memorySetting.key;
  const other =
    blamed === cpuSetting.key ? `memory ${memoryText ?? `${defaults.memoryGi}Gi`}` : `cpu ${cpuText ?? defaults.cpu}`;
  reader.error({
    key: reader.key(blamed),
    value: blamed === cpuSetting.key ? cpuText : memoryText,
    message: `with ${other}, is not a CPU/memory pair the ${sizeProfile} workload profile allows`,
    allowed:
      sizeProfile === CONSUMPTION
        ? `on Consumption: ${CONSUMPTION_SIZES.map(formatSize).join(", ")}`
        : `on ${sizeProfile}: up to ${capacity.vcpus} vCPU and ${capacity.memoryGi} Gi, in 0.25 vCPU steps`,
    fix: `${reader.setCommand(cpuSetting.key, "0.5")} and ${reader.setCommand(memorySetting.key, "1Gi")}`,
  });
  return { cpu: defaults.cpu, memoryGi: defaults.memoryGi };
}

function readCustomDomains(reader: ConfigReader, core: CoreSpec): Readonly<Record<string, string>> {
  const setting = S.containerAppsCustomDomains;
  const domains = setting.read(reader, core.profile) ?? {};
  const endpointNames = core.app.endpoints.map((e) => e.name);
  const customDomains: Record<string, string> = {};
  for (const [endpoint, host] of Object.entries(domains)) {
    const key = `${reader.key(setting.key)}.${endpoint}`;
    if (!endpointNames.includes(endpoint)) {
      reader.error({
        key,
        value: host,
        message: `names an endpoint that ${core.app.file} does not declare`,
        allowed: `an endpoint under x-liftoff.endpoints: ${endpointNames.join(", ") || "(none declared)"}`,
        fix: `rename it to ${closest(endpoint, endpointNames) ?? endpointNames[0] ?? "api"} in Pulumi.${reader.stack}.yaml`,
      });
    } else if (!HOSTNAME.test(host.trim().toLowerCase()) || host.includes("*")) {
      reader.error({
        key,
        value: host,
        message: "is not a hostname a managed certificate can be issued for",
        allowed: "a fully qualified DNS name you control, without scheme, port or wildcard, e.g. api.example.com",
        fix: reader.pathCommand(`${setting.key}.${endpoint}`, "api.example.com"),
      });
    } else if (Object.values(customDomains).includes(host.trim().toLowerCase())) {
      reader.error({
        key,
        value: host,
        message: "is already the domain of another endpoint",
        allowed: "one hostname per endpoint",
        fix: `give ${endpoint} its own hostname in Pulumi.${reader.stack}.yaml`,
      });
    } else {
      customDomains[endpoint] = host.trim().toLowerCase();
    }
  }
  return customDomains;
}

function readAzureFiles(reader: ConfigReader, core: CoreSpec): readonly string[] {
  const setting = S.containerAppsAzureFiles;
  const azureFiles = setting.read(reader, core.profile) ?? [];
  const serviceNames = core.app.services.map((s) => s.name);
  azureFiles.forEach((name, i) => {
    if (serviceNames.includes(name)) return;
    reader.error({
      key: `${reader.key(setting.key)}[${i}]`,
      value: name,
      message: `names a service that ${core.app.file} does not define`,
      allowed: serviceNames.join(", "),
      fix: reader.pathCommand(`${setting.key}[${i}]`, closest(name, serviceNames) ?? serviceNames[0] ?? "broker"),
    });
  });
  return azureFiles;
}

/**
 * `liftoff:canary`: `[10, 50, 100]` (the steps; the runtime's defaults for the rest), or
 * `{steps, stepSeconds, maxErrorRate}`; unset, or where a part is invalid, the runtime's default.
 */
export function readCanary(reader: ConfigReader, defaults: CanarySpec): CanarySpec {
  const setting = RUNTIME_SETTINGS.canary;
  const value = setting.read(reader);
  if (value === undefined) return defaults;
  const given = Array.isArray(value) ? { steps: value } : value;
  const { steps, stepSeconds = defaults.stepSeconds, maxErrorRate = defaults.maxErrorRate } = given;
  const key = reader.key(setting.key);
  const stepsKey = Array.isArray(value) ? key : `${key}.steps`;
  const stepProblem = firstStepProblem(steps);
  const stepsValid = stepProblem === undefined;
  const stepSecondsValid = Number.isInteger(stepSeconds) && stepSeconds >= 0 && stepSeconds <= MAX_CANARY_STEP_SECONDS;
  const maxErrorRateValid = maxErrorRate >= 0 && maxErrorRate <= 1;
  if (stepProblem) {
    const fixed = [...new Set(steps.filter((s) => Number.isInteger(s) && s >= 1 && s < 100))]
      .sort((a, b) => a - b)
      .slice(0, 9);
    reader.error({
      key: stepProblem.index === undefined ? stepsKey : `${stepsKey}[${stepProblem.index}]`,
      value: stepProblem.index === undefined ? JSON.stringify(steps) : String(steps[stepProblem.index]),
      message: stepProblem.message,
      allowed: "1 to 10 whole percentages, strictly ascending, ending at 100, e.g. [10, 50, 100]",
      fix: reader.yamlFix(`liftoff:canary: [${[...fixed, 100].join(", ")}]`),
    });
  }
  if (!stepSecondsValid) {
    reader.error({
      key: `${key}.stepSeconds`,
      value: String(stepSeconds),
      message: "is out of range",
      allowed: `a whole number of seconds from 0 to ${MAX_CANARY_STEP_SECONDS}`,
      fix: reader.yamlFix(CANARY_EXAMPLE),
    });
  }
  if (!maxErrorRateValid) {
    reader.error({
      key: `${key}.maxErrorRate`,
      value: String(maxErrorRate),
      message: "is not a share of requests",
      allowed: "a number from 0 to 1 (0.02 = 2 % of requests answered 5xx)",
      fix: reader.yamlFix(CANARY_EXAMPLE),
    });
  }
  return {
    steps: stepsValid ? steps : defaults.steps,
    stepSeconds: stepSecondsValid ? stepSeconds : defaults.stepSeconds,
    maxErrorRate: maxErrorRateValid ? maxErrorRate : defaults.maxErrorRate,
  };
}

/** The first thing wrong with a canary's steps, naming the step (`index`) where there is one. */
function firstStepProblem(steps: readonly number[]): { index?: number; message: string } | undefined {
  if (steps.length === 0) return { message: "is empty: a release needs at least the step to 100" };
  if (steps.length > 10) return { message: `has ${steps.length} steps; at most 10` };
  for (const [index, step] of steps.entries()) {
    if (!Number.isInteger(step)) return { index, message: "is not a whole number" };
    if (step < 1) return { index, message: "is below 1 %" };
    if (step > 100) return { index, message: "is above 100 %" };
    if (index > 0 && step <= steps[index - 1]!)
      return { index, message: `is not above the step before it (${steps[index - 1]})` };
  }
  if (steps.at(-1) !== 100)
    return {
      index: steps.length - 1,
      message: "is the last step but not 100: a release must end serving every request",
    };
  return undefined;
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
