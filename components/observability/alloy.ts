/**
 * Grafana Alloy, the host's collector: host metrics (node exporter), per-container metrics
 * (cAdvisor) and every container's logs (Docker API), shipped to the environment's Grafana Cloud
 * stack. The deploy layer runs it as an accessory container with `ALLOY_CONTAINER`'s settings.
 */

/** Pinned; the delivery layer resolves the tag to a digest like every service image. */
export const ALLOY_IMAGE = "docker.io/grafana/alloy:v1.8.3";

/** Where the container finds the config the deploy layer writes, and the variable holding the token. */
export const ALLOY_CONFIG_PATH = "/etc/alloy/config.alloy";
export const ALLOY_TOKEN_VARIABLE = "GRAFANA_CLOUD_TOKEN";

/** Labels the metrics carry, which the dashboards and alerts select on. */
export const HOST_JOB = "integrations/unix";
export const CONTAINER_JOB = "integrations/cadvisor";

/**
 * How the container must run: read-only views of the host for node exporter, the Docker socket for
 * container discovery, logs and cAdvisor, and its UI on loopback only (nothing is published).
 */
export const ALLOY_CONTAINER = {
  image: ALLOY_IMAGE,
  command: [
    "run",
    ALLOY_CONFIG_PATH,
    "--storage.path=/var/lib/alloy/data",
    "--server.http.listen-addr=127.0.0.1:12345",
    "--disable-reporting",
  ],
  mounts: [
    "/proc:/host/proc:ro",
    "/sys:/host/sys:ro",
    "/:/host/root:ro,rslave",
    "/var/run/docker.sock:/var/run/docker.sock:ro",
    "/var/lib/docker:/var/lib/docker:ro",
    "/dev/disk:/dev/disk:ro",
  ],
  /** Its own volume keeps the write-ahead log across restarts, so a restart loses no samples. */
  volumes: ["alloy-data:/var/lib/alloy/data"],
  /** cAdvisor reads cgroups and the node exporter the host's namespaces. */
  privileged: true,
  pid: "host",
  environment: [ALLOY_TOKEN_VARIABLE],
} as const;

export interface AlloyConfigInput {
  /** `environment` label on everything shipped, e.g. `prod`. */
  readonly environment: string;
  /** `instance` label of the host metrics and `host` label of the logs: the host's DNS name. */
  readonly host: string;
  /** Prometheus remote-write endpoint of the stack and its user (the Prometheus instance id). */
  readonly metrics: { readonly url: string; readonly username: string };
  /** Loki base URL of the stack and its user (the Loki instance id). */
  readonly logs: { readonly url: string; readonly username: string };
}

/**
 * The Alloy configuration (Alloy syntax). The token is not in it: Alloy reads it from the
 * container's environment, so the file can be shown and diffed, and only the environment is secret.
 */
export function renderAlloyConfig(input: AlloyConfigInput): string {
  const s = alloyString;
  const auth = (username: string) => [
    "    basic_auth {",
    `      username = ${s(username)}`,
    `      password = sys.env(${s(ALLOY_TOKEN_VARIABLE)})`,
    "    }",
  ];
  // An exporter's targets, labelled with their job and this host, scraped to Grafana Cloud.
  const scrape = (name: string, targets: string, job: string) => [
    `discovery.relabel ${s(name)} {`,
    `  targets = ${targets}`,
    "",
    "  rule {",
    '    target_label = "job"',
    `    replacement  = ${s(job)}`,
    "  }",
    "",
    "  rule {",
    '    target_label = "instance"',
    `    replacement  = ${s(input.host)}`,
    "  }",
    "}",
    "",
    `prometheus.scrape ${s(name)} {`,
    `  targets         = discovery.relabel.${name}.output`,
    '  scrape_interval = "60s"',
    "  forward_to      = [prometheus.remote_write.grafana_cloud.receiver]",
    "}",
  ];
  return [
    `// Managed by liftoff: host metrics, container metrics and container logs of ${input.environment}`,
    "// to its Grafana Cloud stack. Rewritten by every deploy; edits on the host are lost.",
    "",
    "logging {",
    '  level  = "warn"',
    '  format = "logfmt"',
    "}",
    "",
    "// Host metrics: CPU, memory, filesystems, network, read through the host's mounts.",
    'prometheus.exporter.unix "host" {',
    '  procfs_path = "/host/proc"',
    '  sysfs_path  = "/host/sys"',
    '  rootfs_path = "/host/root"',
    '  disable_collectors = ["btrfs", "infiniband", "ipvs", "xfs", "zfs"]',
    "",
    "  filesystem {",
    '    mount_points_exclude = "^/(dev|proc|run/credentials/.+|sys|var/lib/docker/.+)($|/)"',
    '    fs_types_exclude     = "^(autofs|binfmt_misc|bpf|cgroup2?|configfs|debugfs|devpts|devtmpfs|fusectl|hugetlbfs|iso9660|mqueue|nsfs|overlay|proc|procfs|pstore|rpc_pipefs|securityfs|selinuxfs|squashfs|sysfs|tmpfs|tracefs)$"',
    "  }",
    "}",
    "",
    ...scrape("host", "prometheus.exporter.unix.host.targets", HOST_JOB),
    "",
    "// Per-container metrics; container_start_time_seconds is what the restart alert counts.",
    'prometheus.exporter.cadvisor "containers" {',
    '  docker_host                  = "unix:///var/run/docker.sock"',
    "  docker_only                  = true",
    "  store_container_labels       = false",
    '  allowlisted_container_labels = ["com.docker.compose.service"]',
    '  storage_duration             = "2m"',
    "}",
    "",
    ...scrape("containers", "prometheus.exporter.cadvisor.containers.targets", CONTAINER_JOB),
    "",
    'prometheus.remote_write "grafana_cloud" {',
    "  external_labels = {",
    `    environment = ${s(input.environment)},`,
    "  }",
    "",
    "  endpoint {",
    `    url = ${s(input.metrics.url)}`,
    "",
    ...auth(input.metrics.username),
    "  }",
    "}",
    "",
    "// Every container's logs, labelled with its compose service, whichever release it belongs to.",
    'discovery.docker "containers" {',
    '  host = "unix:///var/run/docker.sock"',
    "}",
    "",
    'discovery.relabel "logs" {',
    "  targets = []",
    "",
    "  rule {",
    '    source_labels = ["__meta_docker_container_name"]',
    '    regex         = "/(.*)"',
    '    target_label  = "container"',
    "  }",
    "",
    "  rule {",
    '    source_labels = ["__meta_docker_container_label_com_docker_compose_service"]',
    '    target_label  = "service_name"',
    "  }",
    "",
    "  rule {",
    '    source_labels = ["__meta_docker_container_log_stream"]',
    '    target_label  = "stream"',
    "  }",
    "}",
    "",
    'loki.source.docker "containers" {',
    '  host           = "unix:///var/run/docker.sock"',
    "  targets        = discovery.docker.containers.targets",
    "  relabel_rules  = discovery.relabel.logs.rules",
    "  forward_to     = [loki.write.grafana_cloud.receiver]",
    "}",
    "",
    'loki.write "grafana_cloud" {',
    "  external_labels = {",
    `    environment = ${s(input.environment)},`,
    `    host        = ${s(input.host)},`,
    "  }",
    "",
    "  endpoint {",
    `    url = ${s(lokiPushUrl(input.logs.url))}`,
    "",
    ...auth(input.logs.username),
    "  }",
    "}",
    "",
  ].join("\n");
}

/** Loki's push API under the stack's logs URL. */
export function lokiPushUrl(logsUrl: string): string {
  return `${logsUrl.trim().replace(/\/+$/, "")}/loki/api/v1/push`;
}

/** A string literal in Alloy syntax (Go-style escapes, which JSON's are a subset of). */
export function alloyString(value: string): string {
  return JSON.stringify(value);
}
