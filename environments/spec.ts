/**
 * The one validated description of an environment that every layer reads. Built only by
 * `buildEnvironmentSpec`, so a layer never sees an unvalidated value. Each section's file owns its
 * part; this module only puts them together.
 */
import type { CoreSpec } from "./core";
import type { SecretRequirement } from "./reader";
import type { LayerSpecs } from "./sections";

export type { CoreSpec, PublicEndpoint, ServiceSpec } from "./core";
export type { DataSpec, DatabaseNeed, MongoSpec, PostgresSpec } from "./data";
export type { DeliverySpec } from "./delivery";
export type { ObservabilitySpec } from "./observability";
export type { ContainerAppsSpec, RuntimeSpec } from "./runtime";
export type { SecretRequirement } from "./reader";

/** The core, each layer's part under its name, and `secrets`: every section's secrets. */
export type EnvironmentSpec = Omit<CoreSpec, "secrets"> & LayerSpecs & { readonly secrets: readonly SecretRequirement[] };
