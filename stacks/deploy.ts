import * as pulumi from "@pulumi/pulumi";
import { Deploy, renderRelease, reviewableFiles, type ReleaseInput, type RenderedRelease } from "../components/deploy";
import { ALLOY_CONTAINER, ALLOY_TOKEN_VARIABLE } from "../components/observability";
import type { AppDefinition, AppService } from "../environments/app-definition";
import { stringify } from "yaml";
import { parseAppDefinition } from "../environments/app-definition";
import type { Environment } from "../environments/load";
import { appWithDefaultVariables } from "./binding-values";
import { applicationBindings, resolvedBindings, type ServiceBindings } from "./bindings";
import type { DataLayer } from "./data";
import type { DeliveryLayer } from "./delivery";
import type { FoundationLayer } from "./foundation";
import { RELEASE_ROOT, type HostLayer } from "./host";
import type { ObservabilityLayer } from "./observability";

/** The host collector runs as an accessory under this name. */
export const COLLECTOR_SERVICE = "alloy";
/** Where the collector's entrypoint writes the config it receives in its environment. */
const COLLECTOR_CONFIG_FILE = "/tmp/config.alloy";
const COLLECTOR_CONFIG_VARIABLE = "ALLOY_CONFIG_B64";

export interface DeployLayer {
  /** The release the host runs after this `pulumi up`. */
  readonly liveReleaseId: pulumi.Output<string>;
  /** The release's files without its secret material (env files, secret files): compose, accessories, Caddyfile, manifest, shipped files. */
  readonly releaseFiles: pulumi.Output<Record<string, string>>;
  /** Per service, the bindings its compose file may reference (secret ones are secrets). */
  readonly bindings: Readonly<Record<string, ServiceBindings>>;
}

/** Bindings only the collector is given: its token and its config (base64). */
const COLLECTOR_TOKEN_BINDING = "LIFTOFF_COLLECTOR_TOKEN";
const COLLECTOR_CONFIG_BINDING = "LIFTOFF_COLLECTOR_CONFIG_B64";

/**
 * The host collector as an accessory of the application: Grafana Alloy with the mounts it needs.
 * Its config travels base64-encoded in its (secret) env file, so that it is secret material; the
 * entrypoint writes it out before starting Alloy. It is written as a compose service and
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
        entrypoint: [
          "/bin/sh",
          "-c",
          `printf '%s' "$$${COLLECTOR_CONFIG_VARIABLE}" | base64 -d > ${COLLECTOR_CONFIG_FILE} && exec /bin/alloy "$$@"`,
          "alloy",
        ],
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
  return {
    ...app.services[0]!,
    environment: {
      [ALLOY_TOKEN_VARIABLE]: [{ binding: COLLECTOR_TOKEN_BINDING }],
      [COLLECTOR_CONFIG_VARIABLE]: [{ binding: COLLECTOR_CONFIG_BINDING }],
    },
  };
}

/** The application plus the collector, as the release runs it. */
export function releasedApp(app: AppDefinition, collectorImage: string): AppDefinition {
  return {
    ...app,
    services: [...app.services, collectorService(collectorImage)],
    volumes: { ...app.volumes, "alloy-data": {} },
  };
}

/**
 * Renders the release (images by digest, each service's databases and OTLP settings, the collector)
 * and applies it to the host over SSH: health-gated, zero-downtime, rolled back on failure.
 */
export function deployLayer(
  environment: Environment,
  {
    foundation,
    host,
    data,
    observability,
    delivery,
    sshAgentSocket,
  }: {
    readonly foundation: FoundationLayer;
    readonly host: HostLayer;
    readonly data: DataLayer;
    readonly observability: ObservabilityLayer;
    readonly delivery: DeliveryLayer;
    /** The operator's SSH agent (SSH_AUTH_SOCK), needed when liftoff did not generate the key pair. */
    readonly sshAgentSocket?: string | undefined;
  },
): DeployLayer {
  const { spec } = environment;
  const bindings = applicationBindings(spec.app, spec.services, {
    stack: spec.stack,
    fqdn: spec.host.fqdn,
    otlp: observability.otlp,
    databases: data.services,
  });
  const inputs = pulumi.output({
    images: delivery.images,
    collectorImage: delivery.collectorImage,
    bindings: resolvedBindings(bindings),
    collectorConfig: observability.collector.config,
    collectorEnv: observability.collector.environment,
  });
  // Every service gets today's variables (DATABASE_URL, MONGODB_URI, OTEL_*) as references to its
  // bindings, unless it sets the name itself; `bindings` fills every `${LIFTOFF_...}` reference,
  // in the 0600 env files only (components/deploy/release.ts).
  const app = appWithDefaultVariables(spec.app, spec.stack);
  const releaseInput = (i: pulumi.Unwrap<typeof inputs>): ReleaseInput => ({
    project: spec.project,
    environment: spec.stack,
    app: releasedApp(app, i.collectorImage),
    images: { ...i.images, [COLLECTOR_SERVICE]: i.collectorImage },
    sites: Object.fromEntries(spec.publicEndpoints.map((e) => [e.name, e.url])),
    release: spec.release,
    bindings: {
      ...i.bindings,
      [COLLECTOR_SERVICE]: {
        [COLLECTOR_TOKEN_BINDING]: i.collectorEnv[ALLOY_TOKEN_VARIABLE] ?? "",
        [COLLECTOR_CONFIG_BINDING]: Buffer.from(i.collectorConfig, "utf8").toString("base64"),
      },
    },
    registry: { server: delivery.registry.server, username: delivery.registry.username },
  });
  const release: pulumi.Output<RenderedRelease> = pulumi.secret(inputs.apply((i) => renderRelease(releaseInput(i))));

  if (!foundation.sshPrivateKey) requireSshAgent(sshAgentSocket, environment.mode);
  const deploy = new Deploy("deploy", {
    connection: {
      // The static IP: it answers as soon as the VM does, before DNS has caught up.
      host: foundation.network.publicIpAddress,
      port: spec.network.sshPort,
      user: spec.host.deployUser,
      // Without a private key the command provider authenticates with the agent at SSH_AUTH_SOCK.
      ...(foundation.sshPrivateKey ? { privateKey: foundation.sshPrivateKey } : {}),
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
  return { liveReleaseId: deploy.liveReleaseId, releaseFiles, bindings };
}

/** What the program does about the operator's SSH agent, when liftoff:sshPublicKey is set. */
export type AgentCheck =
  { readonly ok: true } | { readonly ok: false; readonly severity: "warning" | "error"; readonly message: string };

/**
 * With an operator-supplied public key the deploy layer logs in through the operator's SSH agent.
 * The command provider finds the agent itself, through SSH_AUTH_SOCK in its own environment
 * (pulumi-command remote/connection.go: agentSocketPath "defaults to SSH_AUTH_SOCK"), so the
 * socket path, different in every shell and CI job, is no input of the commands and never shows as
 * a change. What is checked here is only that there is an agent to find:
 * - `pulumi up` without one stops before changing anything (error);
 * - a preview (`pulumi preview`, the pull-request preview, the drift check) runs no command on the
 *   host, so it only warns: those jobs start no agent;
 * - the offline plan only notes it (warning).
 */
export function sshAgentCheck(input: {
  readonly socket: string | undefined;
  readonly dryRun: boolean;
  readonly offlinePlan: boolean;
}): AgentCheck {
  if (input.socket) return { ok: true };
  const base =
    "liftoff:sshPublicKey is set, so the deploy layer logs in to the host with your SSH agent, and SSH_AUTH_SOCK is not set";
  if (input.offlinePlan || input.dryRun) {
    return {
      ok: false,
      severity: "warning",
      message: `${base}: fine for a preview, which runs nothing on the host; \`pulumi up\` needs the agent (start ssh-agent and \`ssh-add\` the matching private key)`,
    };
  }
  return {
    ok: false,
    severity: "error",
    message: `${base}: start ssh-agent and \`ssh-add\` the matching private key, then run \`pulumi up\` again`,
  };
}

function requireSshAgent(socket: string | undefined, mode: Environment["mode"]): void {
  const check = sshAgentCheck({ socket, dryRun: pulumi.runtime.isDryRun(), offlinePlan: mode === "plan" });
  if (check.ok) return;
  if (check.severity === "warning") pulumi.log.warn(check.message);
  else throw new pulumi.RunError(check.message);
}
