/**
 * What of the normalized application cannot run on Azure Container Apps, as problems in liftoff's
 * one shape (key, value, what is allowed, how to fix). Pure: the platform's validation step calls
 * {@link containerAppsProblems} for a `liftoff:runtime: containerapps` stack before any resource is
 * declared, so nothing is dropped or rewritten silently by the mapping (mapping.ts).
 *
 * {@link COMPOSE_FIELDS} is the one table of how each compose field liftoff carries on the VM is
 * treated here; the README's mapping table is written from it.
 */
import type { AppDefinition, AppService, HostAccessKind } from "../../environments/compose/model";
import type { Problem } from "../../environments/reader";
import { Reporter } from "../../environments/compose/report";
import type { ContainerAppsDefaults } from "./contract";
import { formatSize, nearestConsumptionSize, serviceSize, sizeProblem } from "./resources";

/** How a compose field is treated on Container Apps. */
export type FieldTreatment =
  | { readonly kind: "carried"; readonly to: string }
  | { readonly kind: "refused"; readonly why: string; readonly fix: string }
  /** Accepted, but Container Apps has nothing that means it: the plan warns, the value has no effect. */
  | { readonly kind: "no-effect"; readonly why: string };

const HOST_ACCESS_FIX =
  "Container Apps runs no privileged containers and gives no access to the host; drop the field (and its x-liftoff.hostAccess grant), or keep the service on `liftoff:runtime: vm`";

/** Every field liftoff carries on the VM (environments/compose/rules.ts CARRIED_FIELDS), on Container Apps. */
export const COMPOSE_FIELDS: Readonly<Record<string, FieldTreatment>> = {
  image: { kind: "carried", to: "template.containers[0].image, pinned by digest" },
  command: { kind: "carried", to: "template.containers[0].args" },
  entrypoint: { kind: "carried", to: "template.containers[0].command" },
  environment: {
    kind: "carried",
    to: "template.containers[0].env: literal values as `value`, secrets as `secretRef` to configuration.secrets",
  },
  env_file: { kind: "carried", to: "merged into environment by the loader, then as environment" },
  expose: { kind: "carried", to: "configuration.ingress.targetPort of the internal ingress (one port)" },
  healthcheck: {
    kind: "carried",
    to: "interval, timeout, retries and start_period of the probes on x-liftoff.health; the test command itself is not run (probes are HTTP)",
  },
  stop_grace_period: { kind: "carried", to: "template.terminationGracePeriodSeconds" },
  cpus: { kind: "carried", to: "template.containers[0].resources.cpu, checked against the profile's sizes" },
  mem_limit: { kind: "carried", to: "template.containers[0].resources.memory, checked against the profile's sizes" },
  depends_on: {
    kind: "no-effect",
    why: "Container Apps starts every app on its own; liftoff still runs jobs before any traffic moves, and each app's readiness probe holds its traffic until it answers",
  },
  restart: {
    kind: "no-effect",
    why: "Container Apps always restarts a failed replica of an app; a job runs once per release (replicaRetryLimit 0)",
  },
  networks: {
    kind: "no-effect",
    why: "all apps of an environment share one network and reach each other by app name (= service name); aliases and separate networks do not exist",
  },
  labels: { kind: "no-effect", why: "Container Apps has no container labels" },
  logging: { kind: "no-effect", why: "logs go to the environment's OpenTelemetry agent, not a Docker logging driver" },
  hostname: { kind: "no-effect", why: "a replica's hostname is set by Container Apps" },
  tty: { kind: "no-effect", why: "replicas have no terminal" },
  stdin_open: { kind: "no-effect", why: "replicas have no standard input" },
  mem_reservation: { kind: "no-effect", why: "Container Apps reserves exactly the replica's size" },
  oom_score_adj: { kind: "no-effect", why: "Container Apps sets no OOM score" },
  pids_limit: { kind: "no-effect", why: "Container Apps sets no process limit" },
  cap_drop: { kind: "no-effect", why: "Container Apps runs containers with its own reduced capability set" },
  ports: {
    kind: "refused",
    why: "publishes a port on the host; Container Apps has no host, only HTTP ingress",
    fix: "remove `ports`: make the service public with `x-liftoff.public: { endpoint, containerPort }`, or give other services its port with `expose`",
  },
  volumes: {
    kind: "refused",
    why: "Container Apps replicas have no host paths, and a named volume there is per-replica scratch space that a restart empties",
    fix: "keep state in a managed service (liftoff's databases, Azure Storage), or, for an accessory, opt into an Azure Files share explicitly",
  },
  secrets: {
    kind: "refused",
    why: "compose secret files are not shipped to Container Apps",
    fix: "pass the value as a secret stack variable in `environment` (it becomes a Container Apps secret referenced by the variable)",
  },
  configs: {
    kind: "refused",
    why: "compose config files are not shipped to Container Apps",
    fix: "bake the file into the image, or pass its content in `environment`",
  },
  tmpfs: {
    kind: "refused",
    why: "Container Apps has no tmpfs mounts",
    fix: "write scratch data under the container's own filesystem, or remove `tmpfs`",
  },
  user: {
    kind: "refused",
    why: "Container Apps cannot override the image's user",
    fix: "set USER in the image's Dockerfile and remove `user`",
  },
  working_dir: {
    kind: "refused",
    why: "Container Apps cannot override the image's working directory",
    fix: "set WORKDIR in the image's Dockerfile and remove `working_dir`",
  },
  read_only: {
    kind: "refused",
    why: "Container Apps cannot make the root filesystem read-only",
    fix: "remove `read_only`",
  },
  init: {
    kind: "refused",
    why: "Container Apps runs no init process in front of the entrypoint",
    fix: "add an init (tini) to the image's entrypoint and remove `init`",
  },
  stop_signal: {
    kind: "refused",
    why: "Container Apps always stops with SIGTERM",
    fix: "handle SIGTERM in the service and remove `stop_signal`",
  },
  ulimits: { kind: "refused", why: "Container Apps sets no ulimits", fix: "remove `ulimits`" },
  shm_size: { kind: "refused", why: "Container Apps cannot size /dev/shm", fix: "remove `shm_size`" },
  sysctls: { kind: "refused", why: "Container Apps sets no kernel parameters", fix: "remove `sysctls`" },
  security_opt: { kind: "refused", why: "Container Apps takes no security options", fix: "remove `security_opt`" },
  extra_hosts: {
    kind: "refused",
    why: "Container Apps cannot add host entries",
    fix: "use DNS names, or the app name of another service",
  },
  dns: {
    kind: "refused",
    why: "Container Apps resolves names with the environment's DNS",
    fix: "remove `dns` (the VNet's DNS servers are set on the environment)",
  },
  dns_search: {
    kind: "refused",
    why: "Container Apps resolves names with the environment's DNS",
    fix: "remove `dns_search`",
  },
  group_add: {
    kind: "refused",
    why: "Container Apps cannot add groups to the container's user",
    fix: "set the groups in the image and remove `group_add`",
  },
  cap_add: { kind: "refused", why: "Container Apps adds no capabilities", fix: HOST_ACCESS_FIX },
  privileged: { kind: "refused", why: "Container Apps runs no privileged containers", fix: HOST_ACCESS_FIX },
  pid: { kind: "refused", why: "Container Apps shares no process namespace", fix: HOST_ACCESS_FIX },
  ipc: { kind: "refused", why: "Container Apps shares no IPC namespace", fix: HOST_ACCESS_FIX },
  network_mode: { kind: "refused", why: "Container Apps has one network mode", fix: HOST_ACCESS_FIX },
  devices: { kind: "refused", why: "Container Apps maps no host devices", fix: HOST_ACCESS_FIX },
};

/** What a service that opted into host access asked for, in words. */
const HOST_ACCESS_WORDS: Readonly<Record<HostAccessKind, string>> = {
  privileged: "privileged mode",
  "host-pid": "the host's process namespace",
  "host-ipc": "the host's IPC namespace",
  "host-network": "the host's network",
  capabilities: "added capabilities",
  devices: "host devices",
  "host-paths": "host paths",
};

/** Managed services that replace a stateful helper, by what its image looks like. */
const MANAGED_ALTERNATIVES: readonly { readonly pattern: RegExp; readonly alternative: string }[] = [
  {
    pattern: /rabbitmq|amqp|activemq|artemis|broker|nats|mosquitto|mqtt/,
    alternative: "Azure Service Bus (queues and topics over AMQP 1.0)",
  },
  { pattern: /kafka|redpanda/, alternative: "Azure Event Hubs (Kafka protocol endpoint)" },
  {
    pattern: /redis|valkey|keydb|memcached|dragonfly|cache/,
    alternative: "Azure Managed Redis (Azure Cache for Redis)",
  },
  {
    pattern: /postgres|postgis|timescale/,
    alternative: "liftoff's Neon Postgres (`x-liftoff.databases: [postgres]` on the services that use it)",
  },
  {
    pattern: /mongo/,
    alternative: "liftoff's MongoDB Atlas (`x-liftoff.databases: [mongodb]` on the services that use it)",
  },
  { pattern: /mysql|mariadb/, alternative: "Azure Database for MySQL flexible server" },
  { pattern: /elasticsearch|opensearch/, alternative: "Elastic Cloud on Azure or Azure AI Search" },
  { pattern: /minio|azurite|s3/, alternative: "Azure Blob Storage" },
];

/** The managed alternative for an accessory, by its name and image. */
export function managedAlternative(service: Pick<AppService, "name" | "imageText">): string {
  const text = `${service.name} ${service.imageText}`.toLowerCase();
  return (
    MANAGED_ALTERNATIVES.find((m) => m.pattern.test(text))?.alternative ?? "a managed Azure service for what it stores"
  );
}

export interface ContainerAppsRuleOptions {
  /** Workload profile the apps run on (`Consumption` unless the profile names a dedicated one). */
  readonly workloadProfileName: string;
  readonly defaults: Pick<ContainerAppsDefaults, "cpu" | "memoryGi" | "minReplicas" | "maxReplicas">;
  /**
   * Accessories that opted into Azure Files for their named volumes, and the setting that says so
   * (named in the messages, e.g. `liftoff:containerapps.azureFiles`). Without it every accessory is refused.
   */
  readonly azureFiles?: { readonly key: string; readonly services: readonly string[] };
}

/** Container Apps' names: lower case letters, digits and `-`, 2 to 32, a letter first, no `--`. */
const APP_NAME = /^[a-z](?!.*--)[a-z0-9-]{0,30}[a-z0-9]$/;

/**
 * Everything in `app` that cannot work on Container Apps, as errors with a fix, and what has no
 * effect there, as warnings. Empty when the app maps as it is.
 */
export function containerAppsProblems(app: AppDefinition, options: ContainerAppsRuleOptions): Problem[] {
  const report = new Reporter();
  const file = app.file;
  const optedIn = new Set(options.azureFiles?.services ?? []);
  for (const service of app.services) {
    const where = { file, service: service.name };
    if (!APP_NAME.test(service.name)) {
      report.error({
        ...where,
        value: service.name,
        message: `the service name ${service.name} cannot name a Container App (it is the app's name, and other services reach it by it)`,
        allowed:
          "2 to 32 lower case letters, digits and single hyphens, starting with a letter and ending with a letter or digit",
        fix: "rename the service (and the URLs that name it)",
      });
    }
    for (const kind of service.hostAccess) {
      report.error({
        ...where,
        field: "x-liftoff.hostAccess",
        value: kind,
        message: `${service.name} is granted ${HOST_ACCESS_WORDS[kind]}, which does not exist on Container Apps`,
        allowed: "no host access",
        fix: HOST_ACCESS_FIX,
      });
    }
    if (service.accessory) accessoryProblems(report, file, service, optedIn, options.azureFiles?.key);
    for (const [field, value] of Object.entries(service.compose)) {
      const treatment = COMPOSE_FIELDS[field];
      if (!treatment || treatment.kind === "carried") continue;
      if (field === "volumes" && service.accessory) continue;
      // Host access fields already have their problem above when granted; the loader refused the rest.
      if (
        treatment.kind === "refused" &&
        ["privileged", "pid", "ipc", "network_mode", "devices", "cap_add"].includes(field) &&
        service.hostAccess.length > 0
      )
        continue;
      if (treatment.kind === "refused") {
        report.error({
          ...where,
          field,
          value,
          message: `${service.name}.${field} ${treatment.why}`,
          allowed: "the fields in components/containerapps/README.md marked as carried",
          fix: treatment.fix,
        });
      } else if (!(field === "restart" && service.job) && !(field === "networks" && isDefaultNetworks(value))) {
        report.warn({
          ...where,
          field,
          value,
          message: `${service.name}.${field} has no effect on Container Apps: ${treatment.why}`,
          allowed: "any value; it is not carried",
          fix: `remove \`${field}\` to silence this, or keep it for the VM runtime`,
        });
      }
    }
    const exposed = exposedPorts(service);
    if (exposed.length > 1 && !service.public) {
      report.error({
        ...where,
        field: "expose",
        value: exposed,
        message: `${service.name} exposes ${exposed.length} ports; a Container App's internal ingress serves one HTTP port`,
        allowed: "one port in `expose`",
        fix: "keep the port other services call in `expose` and serve the rest on it",
      });
    }
    if (service.healthPath === undefined && !service.job && hasHealthcheckTest(service)) {
      report.warn({
        ...where,
        field: "healthcheck.test",
        value: service.compose["healthcheck"],
        message: `${service.name}'s healthcheck runs a command, which Container Apps cannot run; without x-liftoff.health its replicas are checked by TCP connection only`,
        allowed: "an HTTP path in x-liftoff.health",
        fix: `add \`x-liftoff: { health: /healthz }\` (the path that answers 2xx when ready) to ${service.name}`,
      });
    }
    if (!service.public && !service.job && exposed.length === 0) {
      report.warn({
        ...where,
        field: "expose",
        message: `${service.name} names no port, so its Container App gets no ingress: other services cannot call it by name`,
        allowed: '`expose: ["<port>"]` for a service others call; nothing for a worker',
        fix: `add \`expose: ["8080"]\` (the port it listens on) to ${service.name} if other services call it; other services then call http://${service.name} (port 80)`,
      });
    }
    const size = serviceSize(service, options.defaults);
    const sizeWhy = sizeProblem(size, options.workloadProfileName);
    if (sizeWhy) {
      const near = nearestConsumptionSize(size);
      report.error({
        ...where,
        field: service.compose["cpus"] !== undefined ? "cpus" : "mem_limit",
        value: formatSize(size),
        message: `${service.name} asks for ${sizeWhy} (workload profile ${options.workloadProfileName})`,
        allowed:
          options.workloadProfileName === "Consumption"
            ? "0.25 to 4 vCPU in steps of 0.25 with twice as many Gi: 0.25/0.5Gi, 0.5/1Gi, ..., 4/8Gi"
            : "vCPU in steps of 0.25 and at least 0.5 Gi, within the profile's node size",
        fix: `set \`cpus: ${near.cpu}\` and \`mem_limit: ${near.memoryGi * 1024}m\` on ${service.name}`,
      });
    }
  }
  callProblems(report, app);
  if (options.defaults.minReplicas > options.defaults.maxReplicas) {
    report.error({
      file,
      field: "x-liftoff",
      value: `${options.defaults.minReplicas} > ${options.defaults.maxReplicas}`,
      message: "the minimum replica count is above the maximum",
      allowed: "minReplicas <= maxReplicas",
      fix: "lower minReplicas or raise maxReplicas",
    });
  }
  return report.problems;
}

/**
 * Calls by service name that cannot reach their target on Container Apps: an app's internal HTTP
 * ingress answers on port 80 (and 443) of its name, never on the container's own port, and an app
 * without ingress answers nothing. Found in the literal text of every service's variables.
 */
function callProblems(report: Reporter, app: AppDefinition): void {
  const targets = new Map(app.services.filter((s) => !s.job).map((s) => [s.name, s]));
  for (const caller of app.services) {
    for (const [variable, template] of Object.entries(caller.environment)) {
      const text = template.filter((p): p is string => typeof p === "string").join("");
      for (const match of text.matchAll(/\b([a-z][a-z0-9+.-]*):\/\/(?:[^@/\s]*@)?([a-z][a-z0-9-]*)(?::(\d+))?/g)) {
        const [url, scheme, name, port] = match as unknown as [string, string, string, string | undefined];
        const target = targets.get(name);
        if (!target || target === caller) continue;
        const where = { file: app.file, service: caller.name, field: `environment.${variable}`, value: url };
        const targetPort = target.public?.containerPort ?? exposedPorts(target)[0];
        const http = /^(https?|wss?|grpcs?)$/.test(scheme);
        if (targetPort === undefined) {
          report.error({
            ...where,
            message: `${caller.name} calls ${url}, but ${name} names no port, so its Container App has no ingress and nothing answers on its name`,
            allowed: "calls to services with an ingress (x-liftoff.public or one port in `expose`)",
            fix: target.accessory
              ? `add \`expose: ["${port ?? "<port>"}"]\` (the port ${name} listens on) to ${name}: an accessory gets TCP ingress on that port`
              : `add \`expose: ["${port ?? "80"}"]\` (the port ${name} listens on) to ${name}, and call ${scheme}://${name} (port 80 of its ingress)`,
          });
        } else if (target.accessory) {
          if (port !== undefined && Number(port) !== targetPort) {
            report.error({
              ...where,
              message: `${caller.name} calls ${url}, but ${name}'s TCP ingress is on port ${targetPort} (its \`expose\`)`,
              allowed: `${scheme}://${name}:${targetPort}`,
              fix: `call port ${targetPort}, or expose ${port} on ${name}`,
            });
          }
        } else if (http && port !== undefined && port !== "80" && !(port === "443" && scheme.endsWith("s"))) {
          report.error({
            ...where,
            message: `${caller.name} calls ${url}; on Container Apps ${name}'s ingress answers on port 80 of its name (forwarding to its port ${targetPort}), not on ${port}`,
            allowed: `${scheme}://${name} (port 80)`,
            fix: `call ${scheme}://${name} without the port (keep ${url} for the VM runtime with an override file, or make the port a stack variable)`,
          });
        }
      }
    }
  }
}

function accessoryProblems(
  report: Reporter,
  file: string,
  service: AppService,
  optedIn: ReadonlySet<string>,
  key: string | undefined,
): void {
  const where = { file, service: service.name };
  const alternative = managedAlternative(service);
  const optIn = key ? `${key} (add ${service.name})` : "the Azure Files opt-in of the containerapps settings";
  if (!optedIn.has(service.name)) {
    report.error({
      ...where,
      field: "x-liftoff.accessory",
      value: service.imageText,
      message: `${service.name} is a stateful accessory; on Container Apps its data would live on a replica that can be moved or restarted at any time`,
      allowed: "a managed service in its place, or an explicit Azure Files opt-in",
      fix: `use ${alternative} and give its URL to the services as a secret stack variable; or, if SMB semantics suit it, opt it into an Azure Files share with ${optIn}`,
    });
    return;
  }
  report.warn({
    ...where,
    field: "volumes",
    message: `${service.name} keeps its named volumes on an Azure Files (SMB) share: no POSIX locks, no hard links, fsync is not a durability guarantee, and latency is a network round trip; databases and brokers can corrupt their files on it`,
    allowed: "files that tolerate SMB semantics",
    fix: `prefer ${alternative}`,
  });
  for (const [index, volume] of volumeList(service).entries()) {
    if (volume["type"] !== "volume") {
      report.error({
        ...where,
        field: `volumes[${index}]`,
        value: volume,
        message: `${service.name} mounts a ${String(volume["type"])} volume; only named volumes can become Azure Files shares`,
        allowed: "named volumes",
        fix: "use a named volume, or remove the mount",
      });
    }
  }
}

function volumeList(service: Pick<AppService, "compose">): Record<string, unknown>[] {
  const volumes = service.compose["volumes"];
  return Array.isArray(volumes) ? (volumes as Record<string, unknown>[]) : [];
}

/** The named volumes a service mounts (what an Azure Files opt-in turns into shares). */
export function namedVolumeMounts(
  service: Pick<AppService, "compose">,
): { readonly volume: string; readonly target: string; readonly readOnly: boolean }[] {
  return volumeList(service)
    .filter((v) => v["type"] === "volume" && typeof v["source"] === "string")
    .map((v) => ({ volume: String(v["source"]), target: String(v["target"]), readOnly: v["read_only"] === true }));
}

/** Ports in `expose` (canonical: text, maybe `8080/tcp` or a range), as numbers. */
export function exposedPorts(service: Pick<AppService, "compose">): number[] {
  const expose = service.compose["expose"];
  if (!Array.isArray(expose)) return [];
  return expose.map((p) => Number(String(p).split("/")[0])).filter((n) => Number.isInteger(n) && n > 0);
}

function hasHealthcheckTest(service: Pick<AppService, "compose">): boolean {
  const hc = service.compose["healthcheck"] as Record<string, unknown> | undefined;
  if (!hc || hc["disable"] === true) return false;
  const test = hc["test"];
  return Array.isArray(test) && test.length > 0 && test[0] !== "NONE";
}

/** `networks: { default: null }` is what Compose prints for a service on the default network. */
function isDefaultNetworks(value: unknown): boolean {
  return value !== null && typeof value === "object" && Object.keys(value).every((k) => k === "default");
}
