/**
 * The release half of the `containerapps` runtime: one Container App per service, a Container Apps
 * Job per job service, jobs started and waited for before any traffic moves, new revisions at 0 %
 * moved by the canary steps with automatic rollback (driver.ts). Thin: the mapping is mapping.ts,
 * the rules rules.ts, the weights traffic.ts.
 *
 * How one `pulumi up` runs a release (components/containerapps/README.md, "Releases"):
 * 1. each app's current traffic is read (the provider's own `getContainerApp` invoke) and pinned by
 *    revision name, so the update below creates the new revision at 0 %;
 * 2. job Jobs are updated, then before-release jobs are started and waited for (JobRun);
 * 3. the apps are updated (new revisions, 0 % traffic), after the jobs;
 * 4. one TrafficRelease waits for every new revision to be ready, then moves all apps' traffic step
 *    by step, checking health and error rate between steps, and moves it back if a check fails;
 * 5. after-release jobs run.
 * The ContainerApp's `ingress.traffic` is never fought over: it is always what the app serves at
 * the start of the `up` (step 1), and only the driver (or `npm run rollback`) changes it afterwards.
 */
import * as pulumi from "@pulumi/pulumi";
import * as app from "@pulumi/azure-native/app";
import type * as inputs from "@pulumi/azure-native/types/input";
import type { AppService } from "../../environments/compose/model";
import type { ContainerAppsReleaseArgs, ContainerAppsReleaseOutputs } from "./contract";
import { createJobRunProvider, createTrafficReleaseProvider } from "./driver";
import {
  FIRST_RELEASE_TRAFFIC,
  containerAppArgs,
  jobArgs,
  revisionMode,
  revisionSuffix,
  type MappingInput,
  type ReleaseState,
} from "./mapping";
import { pinTraffic } from "./traffic";

export * from "./contract";
export { containerAppsProblems, COMPOSE_FIELDS, type ContainerAppsRuleOptions } from "./rules";

/** Pulumi types of the two dynamic resources. */
export const JOB_RUN_TYPE = "pulumi-nodejs:dynamic/containerapps:JobRun";
export const TRAFFIC_RELEASE_TYPE = "pulumi-nodejs:dynamic/containerapps:TrafficRelease";

/**
 * One provider object per kind, made on first use: `pulumi.dynamic.Resource` serializes a provider
 * once per process (it caches the code by the object).
 */
const providers: { jobRun?: pulumi.dynamic.ResourceProvider; traffic?: pulumi.dynamic.ResourceProvider } = {};
const jobRunProvider = () => (providers.jobRun ??= createJobRunProvider());
const trafficProvider = () => (providers.traffic ??= createTrafficReleaseProvider());

/** Starts a job execution once per release and waits for it; fails with its status (driver.ts). */
export class JobRun extends pulumi.dynamic.Resource {
  declare readonly executionName: pulumi.Output<string>;
  declare readonly status: pulumi.Output<string>;
  constructor(
    name: string,
    args: {
      subscriptionId: pulumi.Input<string>;
      resourceGroupName: pulumi.Input<string>;
      jobName: pulumi.Input<string>;
      releaseId: pulumi.Input<string>;
      timeoutSeconds: number;
    },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      jobRunProvider(),
      name,
      { ...args, executionName: undefined, status: undefined },
      opts,
      "containerapps",
      "JobRun",
    );
  }
}

export interface TrafficReleaseApp {
  readonly name: pulumi.Input<string>;
  readonly revision: pulumi.Input<string>;
}

/** Moves the apps' traffic to their new revisions by the canary steps (driver.ts). */
export class TrafficRelease extends pulumi.dynamic.Resource {
  declare readonly live: pulumi.Output<Record<string, string>>;
  constructor(
    name: string,
    args: {
      subscriptionId: pulumi.Input<string>;
      resourceGroupName: pulumi.Input<string>;
      apps: pulumi.Input<TrafficReleaseApp[]>;
      steps: readonly number[];
      pauseSeconds: number;
      maxErrorRate: number;
      customDomains: pulumi.Input<{ app: string; name: string; certificateId: pulumi.Input<string> }[]>;
    },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(trafficProvider(), name, { ...args, live: undefined }, opts, "containerapps", "TrafficRelease");
  }
}

/** The fields of `getContainerApp` the pin reads. */
type ReadApp = () => Promise<Pick<app.GetContainerAppResult, "configuration" | "latestRevisionName">>;

/**
 * What an app serves now (step 1 above), from `read`; the first release's default when the app
 * (or its resource group) does not exist yet. Any other failure stops the `up`.
 */
export async function currentState(
  read: ReadApp,
  domains: readonly string[],
): Promise<{ traffic: inputs.app.TrafficWeightArgs[]; customDomains: { name: string; certificateId?: string }[] }> {
  try {
    const current = await read();
    const pinned = pinTraffic(current.configuration?.ingress?.traffic, current.latestRevisionName);
    const bound = current.configuration?.ingress?.customDomains ?? [];
    return {
      traffic: pinned.length > 0 ? pinned : [...FIRST_RELEASE_TRAFFIC],
      customDomains: domains.map((d) => {
        const existing = bound.find((b) => b.name === d && b.bindingType === "SniEnabled" && b.certificateId);
        return existing ? { name: d, certificateId: existing.certificateId! } : { name: d };
      }),
    };
  } catch (err) {
    if (
      !/not ?found|ResourceNotFound|ResourceGroupNotFound|could not be found|404/i.test(
        String((err as Error)?.message ?? err),
      )
    )
      throw err;
    return { traffic: [...FIRST_RELEASE_TRAFFIC], customDomains: domains.map((d) => ({ name: d })) };
  }
}

/**
 * The application on Container Apps, released with canary steps and automatic rollback. Args as the
 * contract (contract.ts) gives them; `app` is already validated with {@link containerAppsProblems}
 * and its services' environments hold the default variables.
 */
export class ContainerAppsRelease extends pulumi.ComponentResource implements ContainerAppsReleaseOutputs {
  readonly endpointHostnames: pulumi.Output<Record<string, string>>;
  readonly liveRevisions: pulumi.Output<Record<string, string>>;
  /** Per service: the Container App (or Job, for job services). */
  readonly apps: Readonly<Record<string, app.ContainerApp>>;
  readonly jobs: Readonly<Record<string, app.Job>>;

  constructor(name: string, args: ContainerAppsReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("liftoff:containerapps:Release", name, {}, opts);
    const parent = { parent: this };
    const f = args.foundation;
    const placement = {
      managedEnvironmentId: f.managedEnvironmentId,
      workloadProfileName: f.workloadProfileName,
      location: f.location,
      resourceGroupName: f.resourceGroupName,
    };
    const tags = { "liftoff-project": args.project, "liftoff-stack": args.environment };
    const registry = args.registry ? { ...args.registry, password: pulumi.secret(args.registry.password) } : undefined;
    const mappingInput = (service: AppService): MappingInput => ({
      app: args.app,
      service,
      image: imageOf(args, service),
      bindings: args.bindings[service.name] ?? {},
      ...(registry ? { registry } : {}),
      defaults: args.defaults,
      ...(args.scale?.[service.name] ? { scale: args.scale[service.name] } : {}),
      ...(args.azureFilesStorages ? { azureFilesStorages: args.azureFilesStorages } : {}),
      join: (parts) => pulumi.all([...parts]).apply((p) => p.join("")),
    });
    // The custom domain of each public endpoint, by the service that serves it.
    const domainsOf = (service: AppService): string[] => {
      const domain = service.public ? args.customDomains?.[service.public.endpoint] : undefined;
      return domain ? [domain] : [];
    };

    const services = args.app.services;
    const jobServices = services.filter((s) => s.job);
    const appServices = services.filter((s) => !s.job);

    // The content of each service (values resolved, secrets included) names its revision, and all of
    // them together name the release: jobs run once per release.
    const contents: Record<string, pulumi.Output<string>> = {};
    for (const service of services) {
      const m = mappingInput(service);
      const body = service.job
        ? jobArgs(m, placement)
        : containerAppArgs(m, placement, { revisionSuffix: "", traffic: [] });
      contents[service.name] = pulumi.unsecret(
        pulumi.output({ configuration: body.configuration, template: body.template }).apply(revisionSuffix),
      );
    }
    const releaseId = pulumi.all(contents).apply((c) => revisionSuffix(c));

    const jobs: Record<string, app.Job> = {};
    const beforeRuns: JobRun[] = [];
    const afterJobs: AppService[] = [];
    for (const service of jobServices) {
      const job = new app.Job(
        `${name}-${service.name}`,
        { ...jobArgs(mappingInput(service), placement), tags },
        parent,
      );
      jobs[service.name] = job;
      if (service.job!.phase === "before-release") {
        beforeRuns.push(
          new JobRun(
            `${name}-${service.name}-run`,
            {
              subscriptionId: f.subscriptionId,
              resourceGroupName: f.resourceGroupName,
              jobName: service.name,
              releaseId,
              timeoutSeconds: jobWait(service, args),
            },
            { parent: this, dependsOn: [job] },
          ),
        );
      } else {
        afterJobs.push(service);
      }
    }

    const apps: Record<string, app.ContainerApp> = {};
    const released: { name: pulumi.Output<string>; revision: pulumi.Output<string> }[] = [];
    const certificates: app.ManagedCertificate[] = [];
    const customDomains: { app: string; name: string; certificateId: pulumi.Output<string> }[] = [];
    for (const service of appServices) {
      const domains = domainsOf(service);
      const current = pulumi.output(f.resourceGroupName).apply((rg) =>
        // With the component as parent, the invoke uses the same Azure provider as the apps.
        currentState(
          () => app.getContainerApp({ resourceGroupName: rg, containerAppName: service.name }, { parent: this }),
          domains,
        ),
      );
      const release: ReleaseState = {
        revisionSuffix: contents[service.name]!,
        traffic: [] as inputs.app.TrafficWeightArgs[],
      };
      const body = containerAppArgs(mappingInput(service), placement, release);
      const moved = revisionMode(service) === "Multiple";
      // Only the ingress waits for the read of the current state; secrets stay secret on their own.
      const configuration = body.configuration as inputs.app.ConfigurationArgs;
      const ingress =
        configuration.ingress === undefined || !moved
          ? undefined
          : pulumi.all([pulumi.output(configuration.ingress), current]).apply(([i, cur]) => ({
              ...i,
              traffic: cur.traffic,
              ...(cur.customDomains.length > 0
                ? {
                    customDomains: cur.customDomains.map((d) =>
                      d.certificateId
                        ? { name: d.name, bindingType: "SniEnabled", certificateId: d.certificateId }
                        : { name: d.name, bindingType: "Disabled" },
                    ),
                  }
                : {}),
            }));
      const withState: inputs.app.ConfigurationArgs = { ...configuration, ...(ingress ? { ingress } : {}) };
      const containerApp = new app.ContainerApp(
        `${name}-${service.name}`,
        { ...body, configuration: withState, tags },
        { parent: this, dependsOn: beforeRuns },
      );
      apps[service.name] = containerApp;
      if (moved)
        released.push({
          name: pulumi.output(service.name),
          revision: pulumi.interpolate`${service.name}--${contents[service.name]!}`,
        });
      for (const domain of domains) {
        const environmentName = pulumi.output(f.managedEnvironmentId).apply((id) => id.split("/").pop()!);
        const certificate = new app.ManagedCertificate(
          `${name}-${service.name}-${domain}`,
          {
            resourceGroupName: f.resourceGroupName,
            environmentName,
            location: f.location,
            properties: { subjectName: domain, domainControlValidation: "CNAME" },
            tags,
          },
          { parent: this, dependsOn: [containerApp] },
        );
        certificates.push(certificate);
        customDomains.push({ app: service.name, name: domain, certificateId: certificate.id });
      }
    }

    const traffic = new TrafficRelease(
      `${name}-traffic`,
      {
        subscriptionId: f.subscriptionId,
        resourceGroupName: f.resourceGroupName,
        apps: released,
        steps: args.canary.steps,
        pauseSeconds: args.canary.pauseSeconds,
        maxErrorRate: args.canary.maxErrorRate,
        customDomains,
      },
      { parent: this, dependsOn: [...Object.values(apps), ...certificates] },
    );

    for (const service of afterJobs) {
      new JobRun(
        `${name}-${service.name}-run`,
        {
          subscriptionId: f.subscriptionId,
          resourceGroupName: f.resourceGroupName,
          jobName: service.name,
          releaseId,
          timeoutSeconds: jobWait(service, args),
        },
        { parent: this, dependsOn: [traffic, jobs[service.name]!] },
      );
    }

    const singles = Object.fromEntries(
      appServices.filter((s) => revisionMode(s) === "Single").map((s) => [s.name, apps[s.name]!.latestRevisionName]),
    );
    this.liveRevisions = pulumi
      .all([traffic.live, pulumi.all(singles)])
      .apply(([live, single]) => ({ ...single, ...live }));
    const hostnames: Record<string, pulumi.Output<string>> = {};
    for (const service of appServices) {
      if (!service.public) continue;
      const domain = args.customDomains?.[service.public.endpoint];
      // `<app>.<environment's default domain>` is the app's FQDN with external ingress; read from the
      // app's own outputs it would be secret, as azure-native returns `configuration` as one value.
      hostnames[service.public.endpoint] = domain
        ? pulumi.output(domain)
        : pulumi.interpolate`${service.name}.${f.defaultDomain}`;
    }
    this.endpointHostnames = pulumi.all(hostnames);
    this.apps = apps;
    this.jobs = jobs;
    this.registerOutputs({ endpointHostnames: this.endpointHostnames, liveRevisions: this.liveRevisions });
  }
}

/**
 * How long the release waits for a job's execution: the job's own timeout (Container Apps stops the
 * replica then) plus 5 min to schedule it and pull its image, or the stack's job timeout if longer.
 */
function jobWait(service: AppService, args: ContainerAppsReleaseArgs): number {
  return Math.max(service.job!.timeoutSeconds + 300, args.jobTimeoutSeconds);
}

function imageOf(args: ContainerAppsReleaseArgs, service: AppService): pulumi.Input<string> {
  const image = args.images[service.name];
  if (image === undefined) throw new Error(`containerapps: no pinned image for ${service.name}`);
  return image;
}
