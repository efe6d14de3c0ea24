import * as pulumi from "@pulumi/pulumi";
import { Deploy, renderRelease, reviewableFiles, type RenderedRelease } from "../components/deploy";
import { ALLOY_CONTAINER, ALLOY_TOKEN_VARIABLE } from "../components/observability";
import type { AppDefinition, AppService } from "../environments/app-definition";
import { stringify } from "yaml";
import { parseAppDefinition } from "../environments/app-definition";
import { OFFLINE_PLAN_ENV } from "../environments/load";
import type { EnvironmentSpec } from "../environments/spec";
import { databaseEnvironment, type DataLayer } from "./data";
import type { DeliveryLayer } from "./delivery";
import type { Foundation } from "./foundation";
import { RELEASE_ROOT } from "./host";
import type { ObservabilityLayer } from "./observability";
import type { Host } from "../components/host";

/** The host collector runs as an accessory under this name. */
export const COLLECTOR_SERVICE = "alloy";
/** Where the collector's entrypoint writes the config it receives in its environment. */
const COLLECTOR_CONFIG_FILE = "/tmp/config.alloy";
const COLLECTOR_CONFIG_VARIABLE = "ALLOY_CONFIG_B64";

export interface DeployLayer {
  /** The release the host runs after this `pulumi up`. */
  readonly liveReleaseId: pulumi.Output<string>;
  /** The release's files without its env files: compose, accessories, Caddyfile, manifest. */
  readonly releaseFiles: pulumi.Output<Record<string, string>>;
}

/**
 * The host collector as an accessory of the application: Grafana Alloy with the mounts it needs.
 * Its config travels base64-encoded in its (secret) env file, because a release carries no other
 * files; the entrypoint writes it out before starting Alloy. It is written as a compose service and
 * read by the same loader and rules as the operator's, so its host access is declared through the
 * same `x-liftoff.hostAccess` opt-in (and shown in the plan like any other).
 */
export function collectorService(image: string): AppService {
  const mounts = [...ALLOY_CONTAINER.mounts];
  const hostPaths = mounts.map((m) => m.split(":")[0]!);
  const definition = {
    services: {
      [COLLECTOR_SERVICE]: {
        image,
        entrypoint: ["/bin/sh", "-c", `printf '%s' "$$${COLLECTOR_CONFIG_VARIABLE}" | base64 -d > ${COLLECTOR_CONFIG_FILE} && exec /bin/alloy "$$@"`, "alloy"],
        command: ALLOY_CONTAINER.command.map((arg) => (arg.endsWith(".alloy") ? COLLECTOR_CONFIG_FILE : arg)),
        volumes: [...mounts, ...ALLOY_CONTAINER.volumes],
        privileged: ALLOY_CONTAINER.privileged,
        pid: ALLOY_CONTAINER.pid,
        "x-liftoff": {
          accessory: true,
          hostAccess: ["privileged", "host-pid", { hostPaths }],
        },
      },
    },
    volumes: { "alloy-data": {} },
  };
  const { app, problems } = parseAppDefinition(stringify(definition), "collector.yaml");
  if (!app) throw new Error(`the collector's definition is refused by the loader: ${JSON.stringify(problems)}`);
  return app.services[0]!;
}

/** The application plus the collector, as the release runs it. */
export function releasedApp(app: AppDefinition, collectorImage: string): AppDefinition {
  return { ...app, services: [...app.services, collectorService(collectorImage)], volumes: { ...app.volumes, "alloy-data": {} } };
}

/**
 * Renders the release (images by digest, each service's databases and OTLP settings, the collector)
 * and applies it to the host over SSH: health-gated, zero-downtime, rolled back on failure.
 */
export function deployLayer(
  spec: EnvironmentSpec,
  foundation: Foundation,
  host: Host,
  data: DataLayer,
  observability: ObservabilityLayer,
  delivery: DeliveryLayer,
): DeployLayer {
  const serviceEnv = Object.fromEntries(spec.services.map((s) => [s.name, {
    ...(data.services[s.name] ? databaseEnvironment(data.services[s.name]!) : {}),
    ...(observability.otelEnvironment[s.name] ?? {}),
  }]));
  const inputs = pulumi.output({
    images: delivery.images,
    collectorImage: delivery.collectorImage,
    env: serviceEnv,
    collectorConfig: observability.collector.config,
    collectorEnv: observability.collector.environment,
  });
  const release: pulumi.Output<RenderedRelease> = pulumi.secret(inputs.apply((i) => renderRelease({
    project: spec.project,
    environment: spec.stack,
    app: releasedApp(spec.app, i.collectorImage),
    images: { ...i.images, [COLLECTOR_SERVICE]: i.collectorImage },
    sites: Object.fromEntries(spec.publicEndpoints.map((e) => [e.name, e.url])),
    env: {
      ...i.env,
      [COLLECTOR_SERVICE]: {
        [ALLOY_TOKEN_VARIABLE]: i.collectorEnv[ALLOY_TOKEN_VARIABLE] ?? "",
        [COLLECTOR_CONFIG_VARIABLE]: Buffer.from(i.collectorConfig, "utf8").toString("base64"),
      },
    },
    registry: { server: delivery.registry.server, username: delivery.registry.username },
  })));

  const deploy = new Deploy("deploy", {
    connection: {
      // The static IP: it answers as soon as the VM does, before DNS has caught up.
      host: foundation.network.publicIpAddress,
      port: spec.network.sshPort,
      user: spec.host.deployUser,
      ...(foundation.sshPrivateKey ? { privateKey: foundation.sshPrivateKey } : { agentSocketPath: sshAgentSocket() }),
    },
    hostId: host.vmId,
    releaseRoot: RELEASE_ROOT,
    release,
    registryToken: delivery.registry.password,
  });
  // The release as a whole is secret (its env files hold the credentials); the other files are
  // rendered from non-secret inputs only, which stacks/deploy.test.ts proves against every secret
  // the program holds, so they can be shown to reviewers.
  const releaseFiles = pulumi.unsecret(release.apply(reviewableFiles));
  return { liveReleaseId: deploy.liveReleaseId, releaseFiles };
}

/**
 * With an operator-supplied public key, the deploy layer logs in through the operator's SSH agent.
 * Without one, `pulumi up` stops here, before changing anything; the offline plan only notes it.
 */
function sshAgentSocket(): string {
  const socket = process.env["SSH_AUTH_SOCK"];
  if (socket) return socket;
  const message =
    "liftoff:sshPublicKey is set, so the deploy layer logs in to the host with your SSH agent, and SSH_AUTH_SOCK is not set: start ssh-agent and `ssh-add` the matching private key, then run `pulumi up` again";
  if (process.env[OFFLINE_PLAN_ENV] === "1") {
    pulumi.log.warn(message);
    return "/run/ssh-agent.socket";
  }
  throw new pulumi.RunError(message);
}
