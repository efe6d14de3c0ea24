/**
 * What a Container Apps environment is by default, per profile, and the workload profiles liftoff
 * offers. A leaf module: the settings table (profile defaults) and the runtime section both read it.
 */
import type { ContainerAppsDefaults } from "../components/containerapps/contract";
import type { ProfileName } from "./profiles";

/**
 * Container Apps workload profiles liftoff offers: the serverless Consumption profile, and the
 * dedicated general-purpose (D) and memory-optimized (E) node sizes, with each node's capacity.
 */
export const WORKLOAD_PROFILES: Readonly<Record<string, { readonly vcpus: number; readonly memoryGi: number }>> = {
  Consumption: { vcpus: 4, memoryGi: 8 },
  D4: { vcpus: 4, memoryGi: 16 },
  D8: { vcpus: 8, memoryGi: 32 },
  D16: { vcpus: 16, memoryGi: 64 },
  D32: { vcpus: 32, memoryGi: 128 },
  E4: { vcpus: 4, memoryGi: 32 },
  E8: { vcpus: 8, memoryGi: 64 },
  E16: { vcpus: 16, memoryGi: 128 },
  E32: { vcpus: 32, memoryGi: 256 },
};
export const CONSUMPTION = "Consumption";

/** What a Container Apps environment of each profile is by default. */
export interface ContainerAppsProfile {
  readonly workloadProfile: string;
  /** Nodes of a dedicated workload profile (ignored for Consumption). */
  readonly dedicatedNodes: { readonly min: number; readonly max: number };
  readonly zoneRedundant: boolean;
  readonly defaults: ContainerAppsDefaults;
}

export const CONTAINERAPPS_PROFILES: Readonly<Record<ProfileName, ContainerAppsProfile>> = {
  // Scales to zero when idle: a dev environment costs nothing between uses (first request waits for a cold start).
  dev: {
    workloadProfile: CONSUMPTION,
    dedicatedNodes: { min: 1, max: 3 },
    zoneRedundant: false,
    defaults: { minReplicas: 0, maxReplicas: 3, concurrentRequests: 50, cpu: 0.5, memoryGi: 1 },
  },
  // Two replicas at least, spread over the region's zones: one replica or one zone can fail unnoticed.
  prod: {
    workloadProfile: CONSUMPTION,
    dedicatedNodes: { min: 3, max: 10 },
    zoneRedundant: true,
    defaults: { minReplicas: 2, maxReplicas: 10, concurrentRequests: 50, cpu: 0.5, memoryGi: 1 },
  },
};

/**
 * The VNet of a Container Apps environment. Workload-profile environments need a subnet of /27 at
 * least; a /23 leaves room for ~250 dedicated nodes or ~2,500 Consumption replicas, and the
 * subnet cannot be resized once the environment exists.
 */
export const CONTAINERAPPS_NETWORK = { addressSpace: "10.43.0.0/16", subnetPrefix: "10.43.0.0/23" } as const;
