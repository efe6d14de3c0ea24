/**
 * CPU and memory of one Container App replica: what a service asks for (compose `cpus` and
 * `mem_limit`, canonical form: a number and bytes as text; liftoff refuses Swarm's `deploy`
 * section, so these two are the compose fields that size a container), the profile's default when
 * it asks for nothing, and the pairs Container Apps accepts. Pure.
 *
 * Container Apps (Consumption workload profile, and the Consumption-only environment) takes the sum
 * over a replica's containers as one of: 0.25 vCPU / 0.5 Gi, 0.5 / 1.0, 0.75 / 1.5, ... 4.0 / 8.0 Gi:
 * vCPU in steps of 0.25, memory twice the vCPU in Gi (learn.microsoft.com, "Containers in Azure
 * Container Apps", Configuration: allocations). Dedicated profiles take any vCPU in steps of
 * 0.25 (memory in steps of 0.1 Gi... rounded here to 0.25 Gi) up to the node size.
 */
import type { AppService } from "../../environments/compose/model";
import type { ContainerAppsDefaults } from "./contract";

export interface Size {
  readonly cpu: number;
  readonly memoryGi: number;
}

const GI = 1024 ** 3;
/** Largest replica on the Consumption profile. */
export const CONSUMPTION_MAX: Size = { cpu: 4, memoryGi: 8 };

/** Every pair the Consumption profile accepts, smallest first. */
export const CONSUMPTION_SIZES: readonly Size[] = Array.from({ length: 16 }, (_, i) => ({
  cpu: (i + 1) * 0.25,
  memoryGi: (i + 1) * 0.5,
}));

/** What the service asks for: `cpus` and `mem_limit` (bytes), either or both; undefined when neither. */
export function requestedSize(
  service: Pick<AppService, "compose">,
): { readonly cpu?: number; readonly memoryGi?: number } | undefined {
  const cpus = service.compose["cpus"];
  const memLimit = service.compose["mem_limit"];
  const cpu = typeof cpus === "number" && cpus > 0 ? cpus : undefined;
  const bytes = typeof memLimit === "string" || typeof memLimit === "number" ? Number(memLimit) : NaN;
  const memoryGi = Number.isFinite(bytes) && bytes > 0 ? bytes / GI : undefined;
  if (cpu === undefined && memoryGi === undefined) return undefined;
  return { ...(cpu !== undefined ? { cpu } : {}), ...(memoryGi !== undefined ? { memoryGi } : {}) };
}

/**
 * The replica size of a service: its own request completed by the Consumption ratio (1 vCPU : 2 Gi)
 * when it names only one of the two, else the profile's default. Not yet checked: see {@link sizeProblem}.
 */
export function serviceSize(
  service: Pick<AppService, "compose">,
  defaults: Pick<ContainerAppsDefaults, "cpu" | "memoryGi">,
): Size {
  const asked = requestedSize(service);
  if (!asked) return { cpu: defaults.cpu, memoryGi: defaults.memoryGi };
  const cpu = asked.cpu ?? round(asked.memoryGi! / 2, 0.25);
  const memoryGi = asked.memoryGi ?? cpu * 2;
  return { cpu, memoryGi };
}

function round(value: number, step: number): number {
  return Math.max(step, Math.round(value / step) * step);
}

/** True when `value` is a multiple of `step` (within float noise). */
function multipleOf(value: number, step: number): boolean {
  return Math.abs(value / step - Math.round(value / step)) < 1e-6;
}

/** Why Container Apps would refuse `size` on `workloadProfileName`; undefined when it is allowed. */
export function sizeProblem(size: Size, workloadProfileName: string): string | undefined {
  if (workloadProfileName === "Consumption") {
    if (CONSUMPTION_SIZES.some((s) => Math.abs(s.cpu - size.cpu) < 1e-6 && Math.abs(s.memoryGi - size.memoryGi) < 1e-6))
      return undefined;
    return `${formatSize(size)} is not a size the Consumption profile runs`;
  }
  if (!multipleOf(size.cpu, 0.25) || size.cpu < 0.25) return `${size.cpu} vCPU is not a multiple of 0.25 vCPU`;
  if (size.memoryGi < 0.5) return `${size.memoryGi} Gi is below the 0.5 Gi a replica needs`;
  return undefined;
}

/** The nearest allowed Consumption pair at or above what was asked, for the fix. */
export function nearestConsumptionSize(size: Size): Size {
  return (
    CONSUMPTION_SIZES.find((s) => s.cpu >= size.cpu - 1e-6 && s.memoryGi >= size.memoryGi - 1e-6) ?? CONSUMPTION_MAX
  );
}

/** `0.5 vCPU / 1 Gi`. */
export function formatSize(size: Size): string {
  return `${trim(size.cpu)} vCPU / ${trim(size.memoryGi)} Gi`;
}

/** Container Apps' memory text: `1Gi`, `0.5Gi`, `1.5Gi`. */
export function memoryText(memoryGi: number): string {
  return `${trim(memoryGi)}Gi`;
}

function trim(n: number): string {
  return String(Number(n.toFixed(4)));
}
