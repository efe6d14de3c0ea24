/**
 * What of an application Container Apps cannot run, as pure rules over the normalized model: each
 * finding names the compose field, the value, what Container Apps allows and how to fix it. The
 * runtime section (runtime.ts) reports them in the one validation step.
 */
import type { ContainerAppsDefaults } from "../components/containerapps/contract";
import type { AppDefinition, AppService } from "./compose/model";
import type { ProblemInput } from "./reader";

export type Finding = ProblemInput & { readonly severity: "error" | "warning" };

/** Container Apps allows one ingress target port per app plus this many additional port mappings. */
export const MAX_ADDITIONAL_PORTS = 5;

/**
 * CPU/memory pairs the Consumption profile allows (workload-profile environments): 0.25 vCPU
 * steps up to 4, each with twice as many GiB.
 */
export const CONSUMPTION_PAIRS: readonly (readonly [number, number])[] = Array.from({ length: 16 }, (_, i) => [(i + 1) * 0.25, (i + 1) * 0.5] as const);

const DEDICATED: Readonly<Record<string, { vcpus: number; memoryGi: number }>> = {
  D4: { vcpus: 4, memoryGi: 16 }, D8: { vcpus: 8, memoryGi: 32 }, D16: { vcpus: 16, memoryGi: 64 }, D32: { vcpus: 32, memoryGi: 128 },
  E4: { vcpus: 4, memoryGi: 32 }, E8: { vcpus: 8, memoryGi: 64 }, E16: { vcpus: 16, memoryGi: 128 }, E32: { vcpus: 32, memoryGi: 256 },
};

/** True when a container of `cpu` vCPUs and `memoryGi` GiB fits the workload profile. */
export function cpuMemoryAllowed(workloadProfile: string, cpu: number, memoryGi: number): boolean {
  if (workloadProfile === "Consumption") return CONSUMPTION_PAIRS.some(([c, m]) => c === cpu && m === memoryGi);
  const node = DEDICATED[workloadProfile];
  if (!node) return false;
  // Dedicated nodes take any size in 0.25 vCPU / 0.5 GiB steps that fits one node.
  return cpu > 0 && memoryGi > 0 && cpu <= node.vcpus && memoryGi <= node.memoryGi && Number.isInteger(cpu * 4) && Number.isInteger(memoryGi * 2);
}

export function describePairs(workloadProfile: string): string {
  if (workloadProfile === "Consumption") return `on Consumption: ${CONSUMPTION_PAIRS.filter((_, i) => i % 2 === 1 || i === 0).map(([c, m]) => `${c} vCPU/${m}Gi`).join(", ")} (0.25 vCPU steps, memory twice the vCPUs in GiB)`;
  const node = DEDICATED[workloadProfile];
  return node ? `on ${workloadProfile}: up to ${node.vcpus} vCPU and ${node.memoryGi}Gi per container, in 0.25 vCPU and 0.5Gi steps` : "a size of a known workload profile";
}

/** The nearest allowed Consumption pair at or above the request, for fixes. */
export function nearestConsumptionPair(cpu: number, memoryGi: number): readonly [number, number] {
  return CONSUMPTION_PAIRS.find(([c, m]) => c >= cpu && m >= memoryGi) ?? CONSUMPTION_PAIRS.at(-1)!;
}

/** The managed Azure service that does what an accessory's image does. */
export function managedAlternative(service: AppService): string {
  const image = `${service.name} ${service.imageText}`.toLowerCase();
  if (/rabbit|amqp|broker|activemq|artemis|nats|servicebus/.test(image)) return "Azure Service Bus (queues and topics; AMQP 1.0)";
  if (/kafka|redpanda/.test(image)) return "Azure Event Hubs (Kafka endpoint)";
  if (/redis|valkey|keydb|memcache|cache/.test(image)) return "Azure Cache for Redis (Azure Managed Redis)";
  if (/postgres/.test(image)) return "Neon Postgres (x-liftoff.databases: [postgres])";
  if (/mongo/.test(image)) return "MongoDB Atlas (x-liftoff.databases: [mongodb])";
  if (/elastic|opensearch|meili|typesense/.test(image)) return "Azure AI Search or Elastic Cloud";
  if (/minio|s3/.test(image)) return "Azure Blob Storage";
  return "the managed Azure service that does the same job";
}

interface Options {
  /** Services that opted into Azure Files shares for their volumes (`liftoff:containerAppsAzureFiles`). */
  readonly azureFiles: ReadonlySet<string>;
  readonly workloadProfile: string;
  readonly defaults: ContainerAppsDefaults;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);

/** Everything in the application Container Apps cannot run as written. */
export function containerAppsAppProblems(app: AppDefinition, options: Options): Finding[] {
  const findings: Finding[] = [];
  const where = (service: AppService, field: string) => `${app.file}: services.${service.name}.${field}`;
  const vmFix = "or keep this stack on the VM runtime (pulumi config set liftoff:runtime vm)";

  for (const service of app.services) {
    const c = service.compose;
    const fix = (what: string) => `edit ${app.file}: ${what} for ${service.name}, ${vmFix}`;

    for (const kind of service.hostAccess) {
      findings.push({ severity: "error", key: where(service, "x-liftoff.hostAccess"), value: kind, message: `asks for host access (${kind}); Container Apps runs containers on shared, managed nodes with no host to reach`, allowed: "no privileged mode, host namespaces, capabilities, devices or host paths on containerapps", fix: fix(`remove ${kind} (and what needs it)`) });
    }

    const ports = Array.isArray(c["ports"]) ? (c["ports"] as Obj[]) : [];
    for (const p of ports) {
      if (p["published"] === undefined || p["published"] === "") continue;
      findings.push({ severity: "error", key: where(service, "ports"), value: `${String(p["published"])}:${String(p["target"])}`, message: "publishes a host port; Container Apps has no host ports, only ingress", allowed: "x-liftoff.public for the internet, the service name for the other services", fix: fix("remove the published port") });
    }

    const exposed = new Set<number>();
    if (service.public) exposed.add(service.public.containerPort);
    for (const e of Array.isArray(c["expose"]) ? (c["expose"] as unknown[]) : []) {
      const text = String(e);
      const m = /^(\d+)(?:-(\d+))?(?:\/(tcp|udp))?$/.exec(text);
      if (m?.[3] === "udp") {
        findings.push({ severity: "error", key: where(service, "expose"), value: text, message: "is a UDP port; Container Apps ingress carries HTTP and TCP only", allowed: "TCP ports", fix: fix("remove the UDP port") });
        continue;
      }
      if (!m) continue;
      for (let port = Number(m[1]); port <= Number(m[2] ?? m[1]); port++) exposed.add(port);
    }
    if (exposed.size > 1 + MAX_ADDITIONAL_PORTS) {
      findings.push({ severity: "error", key: where(service, "expose"), value: [...exposed].join(", "), message: `exposes ${exposed.size} ports; a container app takes one ingress port and ${MAX_ADDITIONAL_PORTS} more at most`, allowed: `${1 + MAX_ADDITIONAL_PORTS} ports or fewer per service`, fix: fix("expose fewer ports") });
    }

    const volumes = Array.isArray(c["volumes"]) ? (c["volumes"] as Obj[]) : [];
    const optedIn = options.azureFiles.has(service.name);
    for (const v of volumes) {
      const target = String(v["target"] ?? "");
      if (v["type"] === "bind") {
        findings.push({ severity: "error", key: where(service, "volumes"), value: `${String(v["source"])}:${target}`, message: "mounts a path of the host; Container Apps has no host files to mount", allowed: "files baked into the image, secrets and configs, or named volumes on Azure Files (liftoff:containerAppsAzureFiles)", fix: fix("bake the file into the image or mount it as a compose secret") });
      } else if (v["type"] === "volume" && !service.accessory && !optedIn) {
        findings.push({ severity: "error", key: where(service, "volumes"), value: `${String(v["source"] ?? "(anonymous)")}:${target}`, message: "is a volume; replicas of a container app share no disk", allowed: "no volumes, or an Azure Files share by explicit opt-in", fix: `keep state in the databases, or opt in: pulumi config set --path 'liftoff:containerAppsAzureFiles[0]' ${service.name}; ${vmFix}` });
      }
    }

    if (service.accessory && !optedIn) {
      const alternative = managedAlternative(service);
      findings.push({ severity: "error", key: where(service, "x-liftoff.accessory"), value: service.imageText, message: `is a stateful accessory; Container Apps does not keep a container's disk across restarts and revisions. Use ${alternative} instead`, allowed: `a managed service (${alternative}), or this accessory on an Azure Files share by explicit opt-in`, fix: `replace ${service.name} with ${alternative} and remove it from ${app.file}, or opt in: pulumi config set --path 'liftoff:containerAppsAzureFiles[0]' ${service.name} --stack <stack>; ${vmFix}` });
    } else if (optedIn && volumes.some((v) => v["type"] === "volume")) {
      findings.push({ severity: "warning", key: where(service, "volumes"), value: service.name, message: "runs on an Azure Files (SMB) share: no POSIX file locks or ownership changes, higher latency than a local disk; brokers and databases that fsync or lock their files may corrupt or refuse to start", allowed: "Azure Files for data that tolerates SMB", fix: `prefer ${managedAlternative(service)}; keep one replica of ${service.name}` });
    }

    const cpuValue = c["cpus"];
    const memValue = c["mem_limit"];
    if (cpuValue !== undefined || memValue !== undefined) {
      const cpu = cpuValue === undefined ? options.defaults.cpu : Number(cpuValue);
      const memoryGi = memValue === undefined ? options.defaults.memoryGi : Number(memValue) / 1024 ** 3;
      if (!cpuMemoryAllowed(options.workloadProfile, cpu, memoryGi)) {
        const [fc, fm] = nearestConsumptionPair(cpu, memoryGi);
        findings.push({ severity: "error", key: where(service, cpuValue !== undefined ? "cpus" : "mem_limit"), value: `${cpu} vCPU, ${Math.round(memoryGi * 100) / 100}Gi`, message: `is not a CPU/memory pair the ${options.workloadProfile} workload profile allows`, allowed: describePairs(options.workloadProfile), fix: `edit ${app.file}: cpus: ${fc} and mem_limit: ${fm}g for ${service.name}, or choose a dedicated profile: pulumi config set liftoff:containerAppsWorkloadProfile D4` });
      }
    }
  }

  for (const endpoint of app.endpoints) {
    if (endpoint.port === 443) continue;
    findings.push({ severity: "warning", key: `${app.file}: x-liftoff.endpoints.${endpoint.name}.port`, value: String(endpoint.port), message: "is not used on Container Apps: every public service answers HTTPS on 443 at its own hostname", allowed: "any port; on containerapps the endpoint's hostname is what differs", fix: `nothing to do; give ${endpoint.name} a custom domain with liftoff:containerAppsCustomDomains.${endpoint.name} if clients need a stable name` });
  }
  return findings;
}
