/**
 * Every section of the one validation step, in the order they are read: the core first (every layer
 * reads its draft), then one per layer. A section owns its settings table (settings.ts), its read
 * steps and its part of the spec; adding one is a line here.
 */
import { coreSection } from "./core";
import { dataSection } from "./data";
import { deliverySection } from "./delivery";
import { observabilitySection } from "./observability";
import { runtimeSection } from "./runtime";

export const LAYER_SECTIONS = [dataSection, observabilitySection, deliverySection, runtimeSection] as const;
export const SECTIONS = [coreSection, ...LAYER_SECTIONS] as const;

/** Each layer's part of the spec, under the layer section's name. */
export type LayerSpecs = { readonly [S in (typeof LAYER_SECTIONS)[number] as S["name"]]: ReturnType<S["read"]> };
