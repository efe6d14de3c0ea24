/**
 * The contract between the two halves of the `containerapps` runtime (issue #13), written before
 * either exists so they can be built in parallel:
 *
 * - the platform half (environments: `liftoff:runtime` and its settings, validation; stacks: the
 *   runtime switch; the foundation: VNet with a subnet delegated to Microsoft.App/environments,
 *   NAT gateway with one static egress IP, the managed environment with its OpenTelemetry agent)
 *   produces a {@link ContainerAppsFoundation} and calls the release half with
 *   {@link ContainerAppsReleaseArgs};
 * - the release half (components/containerapps: one Container App per service, secrets as refs,
 *   probes, ingress, scale, Jobs started and waited for, revisions moved by canary steps with
 *   automatic rollback) returns {@link ContainerAppsReleaseOutputs}.
 *
 * Both halves may extend these types additively (optional fields); never rename.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { AppDefinition } from "../../environments/compose/model";

/** What the platform layer provides the apps: everything lives in one resource group. */
export interface ContainerAppsFoundation {
  readonly subscriptionId: pulumi.Input<string>;
  readonly resourceGroupName: pulumi.Input<string>;
  /** Azure region, e.g. `westeurope`. */
  readonly location: string;
  /** ARM id of the Container Apps managed environment. */
  readonly managedEnvironmentId: pulumi.Input<string>;
  /** The environment's default domain (`<random>.<region>.azurecontainerapps.io`). */
  readonly defaultDomain: pulumi.Input<string>;
  /** The NAT gateway's static public IP: the one address Neon and Atlas allow. */
  readonly egressIp: pulumi.Input<string>;
  /** Workload profile the apps run on (`Consumption` unless the profile names a dedicated one). */
  readonly workloadProfileName: string;
}

/** How a release moves traffic (`liftoff:canary`): percentages of the new revisions, ascending, ending at 100. */
export interface CanaryPolicy {
  /** e.g. `[10, 50, 100]`; `[100]` is blue/green: straight to 100 % once every revision is ready. */
  readonly steps: readonly number[];
  /** How long each step holds before its check. */
  readonly pauseSeconds: number;
  /** A step fails when the new revisions' share of 5xx among requests exceeds this (0–1). */
  readonly maxErrorRate: number;
}

/** Replica and size defaults from the profile; a service's `x-liftoff` / `deploy.resources` override them. */
export interface ContainerAppsDefaults {
  readonly minReplicas: number;
  readonly maxReplicas: number;
  /** Concurrent HTTP requests per replica before the HTTP scale rule adds one. */
  readonly concurrentRequests: number;
  /** vCPU and memory (Gi) of a service without `deploy.resources`; a pair Container Apps allows. */
  readonly cpu: number;
  readonly memoryGi: number;
}

export interface ContainerAppsReleaseArgs {
  readonly project: string;
  readonly environment: string;
  readonly foundation: ContainerAppsFoundation;
  /** The normalized application (validated for this runtime already). */
  readonly app: AppDefinition;
  /** Per service: binding name -> value (secret where the binding is), as the VM runtime gets them. */
  readonly bindings: Readonly<Record<string, Readonly<Record<string, pulumi.Input<string>>>>>;
  /** Per service (and job): the image reference pinned by digest. */
  readonly images: Readonly<Record<string, pulumi.Input<string>>>;
  /** Registry pull credentials (GHCR); `password` is a secret. Absent when images need no login. */
  readonly registry?: { readonly server: string; readonly username: string; readonly password: pulumi.Input<string> };
  /** Optional custom domain per public endpoint name, served with a managed certificate. */
  readonly customDomains?: Readonly<Record<string, string>>;
  readonly defaults: ContainerAppsDefaults;
  readonly canary: CanaryPolicy;
  /** Seconds a job may run before the release fails. */
  readonly jobTimeoutSeconds: number;
  /**
   * Per service: replica bounds and scale rule overriding {@link ContainerAppsDefaults} (from the
   * service's `x-liftoff` once the model carries them). Absent: the defaults.
   */
  readonly scale?: Readonly<
    Record<string, Partial<Pick<ContainerAppsDefaults, "minReplicas" | "maxReplicas" | "concurrentRequests">>>
  >;
  /**
   * Accessories opted into Azure Files: compose volume name -> the managed environment's storage
   * (`app.ManagedEnvironmentsStorage`, an Azure Files share) the platform declared for it. A volume
   * without an entry uses a storage named as the volume.
   */
  readonly azureFilesStorages?: Readonly<Record<string, string>>;
}

export interface ContainerAppsReleaseOutputs {
  /** Per public endpoint name: the hostname it answers on (custom domain, else the app's FQDN). */
  readonly endpointHostnames: pulumi.Output<Record<string, string>>;
  /** Per service: the revision serving 100 % after this release. */
  readonly liveRevisions: pulumi.Output<Record<string, string>>;
}
