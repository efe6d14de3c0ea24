import * as app from "@pulumi/azure-native/app";
import * as network from "@pulumi/azure-native/network";
import * as storage from "@pulumi/azure-native/storage";
import { createHash } from "node:crypto";
import type * as azureInputs from "@pulumi/azure-native/types/input";
import * as pulumi from "@pulumi/pulumi";
import type { ContainerAppsFoundation as Foundation } from "../containerapps/contract";

/** The name the environment's OpenTelemetry agent gives the Grafana Cloud destination. */
export const OTLP_DESTINATION = "grafana-cloud";
/** The delegation a subnet needs before a Container Apps environment may take it. */
export const CONTAINERAPPS_DELEGATION = "Microsoft.App/environments";
/** Workload-profile environments need a subnet of at least this prefix length (a /27). */
export const MIN_SUBNET_PREFIX = 27;

export interface ContainerAppsFoundationArgs {
  readonly resourceGroupName: pulumi.Input<string>;
  /** The resource group's ARM id: the subscription is read from it. */
  readonly resourceGroupId: pulumi.Input<string>;
  readonly location: string;
  /** Prefix of every Azure resource name, e.g. `liftoff-prod`. */
  readonly namePrefix: string;
  readonly tags: Readonly<Record<string, string>>;
  /** VNet address space, e.g. `10.43.0.0/16`. */
  readonly addressSpace: string;
  /** The environment's infrastructure subnet: /27 or larger (it cannot be resized later). */
  readonly subnetPrefix: string;
  /** `Consumption` (type and name), or a dedicated type (`D4`...) with its node counts. */
  readonly workloadProfile: {
    readonly name: string;
    readonly type: string;
    readonly nodes?: { readonly min: number; readonly max: number };
  };
  /** Spread the environment over the region's availability zones (prod). Default false. */
  readonly zoneRedundant?: boolean;
  /**
   * Where the environment's OpenTelemetry agent sends traces, logs and metrics: the OTLP endpoint
   * and the `OTEL_EXPORTER_OTLP_HEADERS`-style header list (`Authorization=Basic%20...`), secret.
   */
  readonly otlp: { readonly endpoint: pulumi.Input<string>; readonly headers: pulumi.Input<string> };
  /**
   * Protect the egress IP from deletion (default false): its address is what the databases'
   * allow lists hold, so losing it locks every service out of its data.
   */
  readonly protectEgressIp?: boolean;
  /**
   * Compose volumes of accessories that opted into Azure Files (`liftoff:containerAppsAzureFiles`):
   * each becomes a file share in one storage account and an environment storage the apps mount.
   */
  readonly azureFilesVolumes?: readonly string[];
  /** Protect the storage account and its shares from deletion (prod): they hold the accessories' data. */
  readonly protectData?: boolean;
}

/** An environment storage's name for a compose volume: lower case letters, digits and `-`, at most 32. */
export function environmentStorageName(volume: string): string {
  return (
    volume
      .toLowerCase()
      .replace(/[^a-z0-9-]/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 32) || "volume"
  );
}

/** A file share's name for a compose volume: 3-63 lower case letters, digits and single `-`. */
export function fileShareName(volume: string): string {
  const name = volume
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/-+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 63);
  return name.length >= 3 ? name : `${name}-share`.slice(0, 63);
}

/**
 * The storage account's name: 3-24 lower case letters and digits, unique in all of Azure, so the
 * prefix is followed by a short hash of it and the region (stable across `up`s).
 */
export function storageAccountName(namePrefix: string, location: string): string {
  const hash = createHash("sha256").update(`${namePrefix}:${location}`).digest("hex").slice(0, 6);
  return `${namePrefix
    .toLowerCase()
    .replace(/[^a-z0-9]/g, "")
    .slice(0, 13)}files${hash}`;
}

/** `k=v,k2=v2` as OTEL_EXPORTER_OTLP_HEADERS writes it (values URL-encoded) → the agent's header list. */
export function otlpHeaderList(headers: string): { key: string; value: string }[] {
  return headers
    .split(",")
    .map((pair) => pair.trim())
    .filter((pair) => pair !== "")
    .map((pair) => {
      const eq = pair.indexOf("=");
      if (eq <= 0) throw new Error("an OTLP header is not key=value");
      return {
        key: decodeURIComponent(pair.slice(0, eq).trim()),
        value: decodeURIComponent(pair.slice(eq + 1).trim()),
      };
    });
}

/** The subscription id in an ARM id (`/subscriptions/<id>/...`). */
export function subscriptionOf(armId: string): string {
  const m = /^\/subscriptions\/([^/]+)\//i.exec(armId);
  if (!m) throw new Error(`not an ARM resource id: ${armId}`);
  return m[1]!;
}

/** True when `cidr` is an IPv4 range of /27 or larger. */
export function subnetLargeEnough(cidr: string): boolean {
  const m = /^\d+\.\d+\.\d+\.\d+\/(\d{1,2})$/.exec(cidr);
  return m !== null && Number(m[1]) <= MIN_SUBNET_PREFIX;
}

/** The environment's workload profiles: Consumption always (jobs and small apps), plus the dedicated one. */
export function workloadProfiles(
  profile: ContainerAppsFoundationArgs["workloadProfile"],
): azureInputs.app.WorkloadProfileArgs[] {
  const consumption = { name: "Consumption", workloadProfileType: "Consumption" };
  if (profile.type === "Consumption") return [consumption];
  return [
    consumption,
    {
      name: profile.name,
      workloadProfileType: profile.type,
      minimumCount: profile.nodes?.min ?? 1,
      maximumCount: profile.nodes?.max ?? 3,
    },
  ];
}

/**
 * Where a `containerapps` stack's apps run: a VNet whose subnet is delegated to
 * Microsoft.App/environments, a NAT gateway with one Standard static public IP for all outbound
 * traffic (the one address Neon's IP Allow and Atlas's access list hold), and a workload-profile
 * Container Apps environment on that subnet whose OpenTelemetry agent exports to Grafana Cloud.
 * No VM, no SSH, no network security rule opening a port: ingress is the environment's own.
 */
export class ContainerAppsFoundation extends pulumi.ComponentResource {
  /** What the release half (components/containerapps) builds on. */
  public readonly foundation: Foundation;
  public readonly managedEnvironmentId: pulumi.Output<string>;
  public readonly defaultDomain: pulumi.Output<string>;
  /** The environment's inbound address (what custom domains' A records point at). */
  public readonly staticIp: pulumi.Output<string>;
  public readonly egressIp: pulumi.Output<string>;
  public readonly subnetId: pulumi.Output<string>;
  /** Compose volume -> the environment storage (Azure Files share) it is mounted from. */
  public readonly azureFilesStorages: Readonly<Record<string, string>>;

  constructor(name: string, args: ContainerAppsFoundationArgs, opts?: pulumi.ComponentResourceOptions) {
    super("liftoff:containerapps:Foundation", name, {}, opts);
    if (!subnetLargeEnough(args.subnetPrefix)) {
      throw new Error(
        `the Container Apps subnet ${args.subnetPrefix} is smaller than /${MIN_SUBNET_PREFIX}, the least a workload-profile environment takes`,
      );
    }
    const child = { parent: this };
    const common = { resourceGroupName: args.resourceGroupName, location: args.location, tags: { ...args.tags } };

    const egressIp = new network.PublicIPAddress(
      `${name}-egress-ip`,
      {
        ...common,
        publicIpAddressName: `${args.namePrefix}-egress-ip`,
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
        idleTimeoutInMinutes: 4,
      },
      { ...child, protect: args.protectEgressIp ?? false },
    );

    const nat = new network.NatGateway(
      `${name}-nat`,
      {
        ...common,
        natGatewayName: `${args.namePrefix}-nat`,
        sku: { name: "Standard" },
        publicIpAddresses: [{ id: egressIp.id }],
        idleTimeoutInMinutes: 4,
      },
      child,
    );

    const vnet = new network.VirtualNetwork(
      `${name}-vnet`,
      {
        ...common,
        virtualNetworkName: `${args.namePrefix}-vnet`,
        addressSpace: { addressPrefixes: [args.addressSpace] },
      },
      child,
    );

    const subnet = new network.Subnet(
      `${name}-subnet`,
      {
        resourceGroupName: args.resourceGroupName,
        virtualNetworkName: vnet.name,
        subnetName: "containerapps",
        addressPrefix: args.subnetPrefix,
        delegations: [{ name: "containerapps", serviceName: CONTAINERAPPS_DELEGATION }],
        natGateway: { id: nat.id },
        // Outbound only through the NAT gateway, so every connection leaves from its one address.
        defaultOutboundAccess: false,
      },
      child,
    );

    const headers = pulumi.secret(pulumi.output(args.otlp.headers).apply(otlpHeaderList));
    const environment = new app.ManagedEnvironment(
      `${name}-env`,
      {
        ...common,
        environmentName: `${args.namePrefix}-env`,
        infrastructureResourceGroup: `${args.namePrefix}-env-infra`,
        vnetConfiguration: { infrastructureSubnetId: subnet.id, internal: false },
        workloadProfiles: workloadProfiles(args.workloadProfile),
        zoneRedundant: args.zoneRedundant ?? false,
        publicNetworkAccess: "Enabled",
        openTelemetryConfiguration: {
          destinationsConfiguration: {
            otlpConfigurations: [{ name: OTLP_DESTINATION, endpoint: args.otlp.endpoint, insecure: false, headers }],
          },
          tracesConfiguration: { destinations: [OTLP_DESTINATION] },
          logsConfiguration: { destinations: [OTLP_DESTINATION] },
          metricsConfiguration: { destinations: [OTLP_DESTINATION], includeKeda: true },
        },
      },
      {
        ...child,
        // The agent's header holds the Grafana token: secret in the state, whatever Azure echoes back.
        additionalSecretOutputs: ["openTelemetryConfiguration"],
      },
    );

    const volumes = args.azureFilesVolumes ?? [];
    const storages: Record<string, string> = {};
    if (volumes.length > 0) {
      const account = new storage.StorageAccount(
        `${name}-files`,
        {
          ...common,
          accountName: storageAccountName(args.namePrefix, args.location),
          kind: "StorageV2",
          sku: { name: args.zoneRedundant ? "Standard_ZRS" : "Standard_LRS" },
          minimumTlsVersion: "TLS1_2",
          enableHttpsTrafficOnly: true,
          allowBlobPublicAccess: false,
        },
        { ...child, protect: args.protectData ?? false },
      );
      // The key the environment mounts the shares with: read from Azure, held only as a secret.
      const accountKey = pulumi.secret(
        storage
          .listStorageAccountKeysOutput({ resourceGroupName: args.resourceGroupName, accountName: account.name }, child)
          .apply((r) => r.keys[0]?.value ?? ""),
      );
      for (const volume of volumes) {
        const share = new storage.FileShare(
          `${name}-share-${fileShareName(volume)}`,
          {
            resourceGroupName: args.resourceGroupName,
            accountName: account.name,
            shareName: fileShareName(volume),
            enabledProtocols: "SMB",
            shareQuota: 100,
          },
          { ...child, protect: args.protectData ?? false },
        );
        const storageName = environmentStorageName(volume);
        new app.ManagedEnvironmentsStorage(
          `${name}-storage-${storageName}`,
          {
            resourceGroupName: args.resourceGroupName,
            environmentName: environment.name,
            storageName,
            properties: {
              azureFile: { accountName: account.name, accountKey, shareName: share.name, accessMode: "ReadWrite" },
            },
          },
          { ...child, additionalSecretOutputs: ["properties"] },
        );
        storages[volume] = storageName;
      }
    }
    this.azureFilesStorages = storages;

    this.managedEnvironmentId = environment.id;
    this.defaultDomain = environment.defaultDomain;
    this.staticIp = environment.staticIp;
    this.egressIp = egressIp.ipAddress.apply((ip) => ip ?? "");
    this.subnetId = subnet.id;
    this.foundation = {
      subscriptionId: pulumi.output(args.resourceGroupId).apply(subscriptionOf),
      resourceGroupName: args.resourceGroupName,
      location: args.location,
      managedEnvironmentId: this.managedEnvironmentId,
      defaultDomain: this.defaultDomain,
      egressIp: this.egressIp,
      workloadProfileName: args.workloadProfile.name,
    };
    this.registerOutputs({
      managedEnvironmentId: this.managedEnvironmentId,
      defaultDomain: this.defaultDomain,
      staticIp: this.staticIp,
      egressIp: this.egressIp,
      subnetId: this.subnetId,
    });
  }
}
