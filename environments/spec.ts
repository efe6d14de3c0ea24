/**
 * The one validated description of an environment that every layer reads. Built only by
 * `buildEnvironmentSpec`, so a layer never sees an unvalidated value. Each section's file owns its
 * part; this module only puts them together.
 */
import type { ReleasePolicy } from "../components/deploy/release";
import type { CoreSpec } from "./core";
import type { SecretRequirement } from "./reader";
import type { LayerSpecs } from "./sections";

export type { CoreSpec, PublicEndpoint, ServiceSpec } from "./core";
export type { DataSpec, DatabaseNeed, MongoSpec, PostgresSpec } from "./data";
export type { DeliverySpec } from "./delivery";
export type { ObservabilitySpec } from "./observability";
export type { ContainerAppsSpec, RuntimeSpec } from "./runtime";
export type { SecretRequirement } from "./reader";

/**
 * The core, each layer's part under its name, `secrets`: every section's secrets, and `release`:
 * what the VM's agent is given, from the runtime section's `liftoff:canary` and `liftoff:bakeSeconds`.
 */
export type EnvironmentSpec = Omit<CoreSpec, "secrets"> &
  LayerSpecs & { readonly secrets: readonly SecretRequirement[]; readonly release: ReleasePolicy };
