import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import { ContainerAppsFoundation } from "../components/containerapps-foundation";
import { ContainerAppsRelease } from "../components/containerapps";
import type { CanaryPolicy } from "../components/containerapps/contract";
import { namedVolumeMounts } from "../components/containerapps/rules";
import { endpointBindingName } from "../environments/compose/bindings";
import type { Environment } from "../environments/load";
import type { ContainerAppsSpec } from "../environments/runtime";
import type { CanarySpec } from "../environments/settings";
import type { EnvironmentSpec } from "../environments/spec";
import { appWithDefaultVariables } from "./binding-values";
import { applicationBindings, type ServiceBindings } from "./bindings";
import { dataLayer, type DataLayer } from "./data";
import { deliveryLayer, type DeliveryLayer } from "./delivery";
import { resourceGroupName } from "./names";
import { observabilityLayer, type ObservabilityLayer } from "./observability";

/** The layers of a `liftoff:runtime: containerapps` stack: no host, no SSH, no collector container. */
export interface ContainerAppsStack {
  readonly resourceGroupName: pulumi.Output<string>;
  readonly platform: ContainerAppsFoundation;
  readonly data: DataLayer;
  readonly observability: ObservabilityLayer;
  readonly delivery: DeliveryLayer;
  readonly release: ContainerAppsRelease;
  /** Per service, the bindings its compose file may reference (secret ones are secrets). */
  readonly bindings: Readonly<Record<string, ServiceBindings>>;
}

/**
 * Azure Container Apps: the resource group, the platform (VNet, delegated subnet, NAT gateway with
 * one egress IP, managed environment with its OpenTelemetry agent), the same data, observability
 * and delivery layers as on a VM, and one Container App per service (components/containerapps).
 */
export function containerAppsStack(
  environment: Environment,
  host: { readonly pinnedImages?: string | undefined },
): ContainerAppsStack {
  const { spec } = environment;
  const aca = spec.runtime.containerApps!;
  const group = new resources.ResourceGroup(
    "resource-group",
    {
      resourceGroupName: resourceGroupName(spec.namePrefix),
      location: spec.region,
      tags: { ...spec.tags },
    },
    { protect: spec.protect },
  );

  // The checks target the apps' hostnames, which the release reports once it exists; the
  // observability layer (whose OTLP settings the release needs) is declared before it.
  const [endpointHostnames, resolveHostnames] = pulumi.deferredOutput<Record<string, string>>();
  const observability = observabilityLayer(environment, { targets: { endpointHostnames } });

  const platform = new ContainerAppsFoundation("containerapps", {
    resourceGroupName: group.name,
    resourceGroupId: group.id,
    location: spec.region,
    namePrefix: spec.namePrefix,
    tags: spec.tags,
    addressSpace: aca.network.addressSpace,
    subnetPrefix: aca.network.subnetPrefix,
    workloadProfile: aca.workloadProfile,
    zoneRedundant: aca.zoneRedundant,
    otlp: observability.otlp,
    protectEgressIp: spec.protect,
    azureFilesVolumes: azureFilesVolumes(spec, aca),
    protectData: spec.protect,
  });

  // Neon's IP Allow and Atlas's access list hold the NAT gateway's one address.
  const data = dataLayer(environment, { foundation: { network: { publicIpAddress: platform.egressIp } } });
  const delivery = deliveryLayer(environment, { observability, pinnedImages: host.pinnedImages });

  const bindings = containerAppsBindings(spec, aca, platform.defaultDomain, observability, data);
  const app = appWithDefaultVariables(spec.app, spec.stack);
  const release = new ContainerAppsRelease("release", {
    project: spec.project,
    environment: spec.stack,
    foundation: platform.foundation,
    app,
    bindings,
    images: delivery.images,
    registry: {
      server: delivery.registry.server,
      username: delivery.registry.username,
      password: delivery.registry.password,
    },
    customDomains: aca.customDomains,
    defaults: aca.defaults,
    canary: canaryPolicy(spec.runtime.canary),
    jobTimeoutSeconds: aca.jobTimeoutSeconds,
    azureFilesStorages: platform.azureFilesStorages,
  });
  resolveHostnames(release.endpointHostnames);

  return { resourceGroupName: group.name, platform, data, observability, delivery, release, bindings };
}

/** The one `liftoff:canary` as the release half takes it: a step is held `pauseSeconds` there. */
export function canaryPolicy(canary: CanarySpec): CanaryPolicy {
  return { steps: canary.steps, pauseSeconds: canary.stepSeconds, maxErrorRate: canary.maxErrorRate };
}

/** The compose volumes of the services that opted into Azure Files, each once. */
export function azureFilesVolumes(
  spec: Pick<EnvironmentSpec, "app">,
  aca: Pick<ContainerAppsSpec, "azureFilesServices">,
): string[] {
  const services = spec.app.services.filter((s) => aca.azureFilesServices.includes(s.name));
  return [...new Set(services.flatMap((s) => namedVolumeMounts(s).map((m) => m.volume)))].sort();
}

/**
 * The bindings as on a VM, except what names the public side: each endpoint's URL is its own
 * hostname on 443 (custom domain, else `<service>.<default domain>`), and LIFTOFF_FQDN is the
 * environment's default domain.
 */
export function containerAppsBindings(
  spec: EnvironmentSpec,
  aca: ContainerAppsSpec,
  defaultDomain: pulumi.Output<string>,
  observability: ObservabilityLayer,
  data: DataLayer,
): Record<string, ServiceBindings> {
  const base = applicationBindings(spec.app, spec.services, {
    stack: spec.stack,
    fqdn: "",
    otlp: observability.otlp,
    databases: data.services,
  });
  const endpointUrls = Object.fromEntries(
    spec.app.endpoints.map((e) => {
      const service = spec.app.services.find((s) => s.public?.endpoint === e.name)?.name ?? e.name;
      const custom = aca.customDomains[e.name];
      return [
        endpointBindingName(e.name),
        custom ? pulumi.output(`https://${custom}`) : pulumi.interpolate`https://${service}.${defaultDomain}`,
      ];
    }),
  );
  return Object.fromEntries(
    Object.entries(base).map(([service, values]) => [
      service,
      {
        ...values,
        ...Object.fromEntries(
          Object.keys(endpointUrls)
            .filter((name) => name in values)
            .map((name) => [name, endpointUrls[name]!]),
        ),
        ...("LIFTOFF_FQDN" in values ? { LIFTOFF_FQDN: defaultDomain } : {}),
      },
    ]),
  );
}
