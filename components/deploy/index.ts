import { readdirSync, readFileSync } from "node:fs";
import * as path from "node:path";
import { remote } from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import {
  agentZipapp,
  applyReleaseCommand,
  applyReleaseStdin,
  installAgentCommand,
  waitForHostCommand,
  type AgentFile,
} from "./commands";
import { sha256, type RenderedRelease } from "./release-files";

export * from "./commands";
export * from "./release-files";
export * from "./release";

/** The Python package of the host release agent (components/deploy/agent/liftoff_release). */
export const AGENT_PACKAGE = path.join(__dirname, "agent", "liftoff_release");

/** The agent's modules, as the zipapp holds them (no caches, no tests). */
export function agentFiles(dir: string = AGENT_PACKAGE): AgentFile[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".py"))
    .sort()
    .map((name) => ({ path: `liftoff_release/${name}`, bytes: readFileSync(path.join(dir, name)) }));
}

/** The host release agent, shipped to every host by this component: one deterministic zipapp. */
export function agentArtifact(): Buffer {
  return agentZipapp(agentFiles());
}

export interface DeployArgs {
  /**
   * How to reach the host as the deploy user: with `privateKey` (liftoff generated the key pair),
   * or, without one, through the SSH agent the command provider finds at SSH_AUTH_SOCK (the
   * operator gave a public key). `agentSocketPath` names a socket explicitly (tests); being an
   * input, a path that differs between runs would re-run every command.
   */
  readonly connection: {
    readonly host: pulumi.Input<string>;
    readonly port: number;
    readonly user: string;
    readonly privateKey?: pulumi.Input<string>;
    readonly agentSocketPath?: string;
  };
  /**
   * Identity of the host instance (the VM's `vmId`, not its ARM id, which a replaced VM of the same
   * name keeps): when the VM is replaced, every command's trigger changes, so the engine waits for
   * the new host again and ships it the agent and the live release.
   */
  readonly hostId: pulumi.Input<string>;
  /** Where the host keeps releases; prepared by the host's bootstrap. */
  readonly releaseRoot: string;
  /** The release to run (secret: its env files carry connection strings and tokens). */
  readonly release: pulumi.Input<RenderedRelease>;
  /** Registry token for pulls on the host; sent on stdin only. */
  readonly registryToken?: pulumi.Input<string>;
  /** The agent (a python3 zipapp); defaults to the agent in this folder (agentArtifact). */
  readonly agent?: Buffer;
  /**
   * SSH attempts, 15 s each, before giving up on a host that is still booting (default 40, about
   * ten minutes: a new VM's first boot installs Docker).
   */
  readonly dialAttempts?: number;
}

/**
 * Applies a release of the compose stack to the host over SSH: waits for a new host to finish its
 * bootstrap, installs the release agent, then ships the release and runs `liftoff-release apply`,
 * which is health-gated, zero-downtime and rolls back on failure. An unchanged release changes no
 * trigger, so `pulumi up` does nothing to the host.
 */
export class Deploy extends pulumi.ComponentResource {
  /** The release the host runs after this deploy. */
  public readonly liveReleaseId: pulumi.Output<string>;

  constructor(name: string, args: DeployArgs, opts?: pulumi.ComponentResourceOptions) {
    super("liftoff:deploy:Deploy", name, {}, opts);
    const agent = args.agent ?? agentArtifact();
    // Any module that changes changes the zipapp's bytes, hence this trigger.
    const agentHash = sha256(agent);
    const connection = {
      host: args.connection.host,
      port: args.connection.port,
      user: args.connection.user,
      ...(args.connection.privateKey !== undefined ? { privateKey: pulumi.secret(args.connection.privateKey) } : {}),
      ...(args.connection.agentSocketPath !== undefined ? { agentSocketPath: args.connection.agentSocketPath } : {}),
      dialErrorLimit: args.dialAttempts ?? 40,
      perDialTimeout: 15,
    };
    // The id is a hash of the release: safe to show, and it must not inherit the files' secrecy, or
    // every plan would hide which release runs.
    const releaseId = pulumi.unsecret(pulumi.output(args.release).apply((r) => r.id));
    const common = { connection, addPreviousOutputInEnv: false } as const;

    const ready = new remote.Command(
      `${name}-wait-for-host`,
      {
        ...common,
        create: waitForHostCommand(),
        triggers: [args.hostId],
        logging: "stderr",
      },
      { parent: this },
    );

    const installed = new remote.Command(
      `${name}-agent`,
      {
        ...common,
        create: installAgentCommand(args.releaseRoot),
        stdin: agent.toString("base64") + "\n",
        triggers: [args.hostId, agentHash],
        logging: "stderr",
      },
      { parent: this, dependsOn: [ready] },
    );

    const applied = new remote.Command(
      `${name}-apply`,
      {
        ...common,
        create: releaseId.apply((id) => applyReleaseCommand(args.releaseRoot, id)),
        stdin: pulumi.secret(
          pulumi.all([args.release, args.registryToken]).apply(([release, token]) => applyReleaseStdin(release, token)),
        ),
        triggers: [args.hostId, releaseId, agentHash],
        // The agent prints progress and, on failure, the failing service's last log lines, which are
        // the application's and may hold anything: show stderr live, keep both streams secret in state.
        logging: "stderr",
      },
      { parent: this, dependsOn: [installed], additionalSecretOutputs: ["stdout", "stderr"] },
    );

    this.liveReleaseId = pulumi.all([applied.id, releaseId]).apply(([, id]) => id);
    this.registerOutputs({ liveReleaseId: this.liveReleaseId });
  }
}
