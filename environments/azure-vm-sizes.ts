/**
 * The Azure VM sizes liftoff supports for the host, with their vCPUs and memory, so a size Azure
 * does not have, or one too small for Docker, the proxy, the collector and two slots of services
 * (blue/green runs both during a deploy), is refused in the validation step instead of at create.
 *
 * Source: Azure's size pages (learn.microsoft.com/azure/virtual-machines/sizes/, the general
 * purpose B, Bsv2, Basv2, Dv3-Dv5, Dasv5, Dlsv5 families, memory optimised Ev5/Easv5, compute
 * optimised Fsv2), checked 2026-11. x64 only: Arm64 families (Dpsv5, Bpsv2) would need arm64
 * images of every service, and GPU, HPC and confidential families are not what liftoff's one host
 * is for. To support another family, add it here with its sizes as Azure lists them.
 */

export interface VmSize {
  readonly name: string;
  readonly vCpus: number;
  readonly memoryGiB: number;
  /** Premium SSD (Premium_LRS) OS disks: sizes with an `s` in their suffix, and every B size. */
  readonly premiumStorage: boolean;
}

/** The least a host needs: Docker, Caddy, the collector and two slots of the services at a deploy. */
export const MIN_VM_MEMORY_GIB = 2;
export const MIN_VM_VCPUS = 2;

/** A family whose memory is a fixed multiple of its vCPUs: `Standard_D<n>s_v5` for each n. */
function family(
  pattern: string,
  vCpuCounts: readonly number[],
  gibPerVcpu: number,
  premiumStorage: boolean,
  memoryOverrides: Record<number, number> = {},
): VmSize[] {
  return vCpuCounts.map((n) => ({
    name: pattern.replace("#", String(n)),
    vCpus: n,
    memoryGiB: memoryOverrides[n] ?? n * gibPerVcpu,
    premiumStorage,
  }));
}

const sized = (entries: readonly [string, number, number][]): VmSize[] =>
  entries.map(([name, vCpus, memoryGiB]) => ({ name, vCpus, memoryGiB, premiumStorage: true }));

const D_V5 = [2, 4, 8, 16, 32, 48, 64, 96];
const D_V3_V4 = [2, 4, 8, 16, 32, 48, 64];
const E_V5 = [2, 4, 8, 16, 20, 32, 48, 64, 96];
/** Ev5 and Easv5 96-vCPU sizes have 672 GiB, not 8 x 96. */
const E96 = { 96: 672 };

export const VM_SIZES: readonly VmSize[] = [
  // B-series (burstable), v1.
  ...sized([
    ["Standard_B1ls", 1, 0.5],
    ["Standard_B1s", 1, 1],
    ["Standard_B1ms", 1, 2],
    ["Standard_B2s", 2, 4],
    ["Standard_B2ms", 2, 8],
    ["Standard_B4ms", 4, 16],
    ["Standard_B8ms", 8, 32],
    ["Standard_B12ms", 12, 48],
    ["Standard_B16ms", 16, 64],
    ["Standard_B20ms", 20, 80],
  ]),
  // Bsv2 (Intel) and Basv2 (AMD), burstable.
  ...sized([
    ["Standard_B2ts_v2", 2, 1],
    ["Standard_B2ls_v2", 2, 4],
    ["Standard_B2s_v2", 2, 8],
    ["Standard_B4ls_v2", 4, 8],
    ["Standard_B4s_v2", 4, 16],
    ["Standard_B8ls_v2", 8, 16],
    ["Standard_B8s_v2", 8, 32],
    ["Standard_B16ls_v2", 16, 32],
    ["Standard_B16s_v2", 16, 64],
    ["Standard_B32ls_v2", 32, 64],
    ["Standard_B32s_v2", 32, 128],
    ["Standard_B2ats_v2", 2, 1],
    ["Standard_B2als_v2", 2, 4],
    ["Standard_B2as_v2", 2, 8],
    ["Standard_B4als_v2", 4, 8],
    ["Standard_B4as_v2", 4, 16],
    ["Standard_B8als_v2", 8, 16],
    ["Standard_B8as_v2", 8, 32],
    ["Standard_B16als_v2", 16, 32],
    ["Standard_B16as_v2", 16, 64],
    ["Standard_B32als_v2", 32, 64],
    ["Standard_B32as_v2", 32, 128],
  ]),
  // General purpose, 4 GiB per vCPU.
  ...family("Standard_D#s_v5", D_V5, 4, true),
  ...family("Standard_D#ds_v5", D_V5, 4, true),
  ...family("Standard_D#_v5", D_V5, 4, false),
  ...family("Standard_D#d_v5", D_V5, 4, false),
  ...family("Standard_D#as_v5", D_V5, 4, true),
  ...family("Standard_D#ads_v5", D_V5, 4, true),
  ...family("Standard_D#s_v4", D_V3_V4, 4, true),
  ...family("Standard_D#ds_v4", D_V3_V4, 4, true),
  ...family("Standard_D#_v4", D_V3_V4, 4, false),
  ...family("Standard_D#s_v3", D_V3_V4, 4, true),
  ...family("Standard_D#_v3", D_V3_V4, 4, false),
  // General purpose, 2 GiB per vCPU.
  ...family("Standard_D#ls_v5", D_V5, 2, true),
  ...family("Standard_D#lds_v5", D_V5, 2, true),
  // Memory optimised, 8 GiB per vCPU.
  ...family("Standard_E#s_v5", E_V5, 8, true, E96),
  ...family("Standard_E#ds_v5", E_V5, 8, true, E96),
  ...family("Standard_E#_v5", E_V5, 8, false, E96),
  ...family("Standard_E#d_v5", E_V5, 8, false, E96),
  ...family("Standard_E#as_v5", E_V5, 8, true, E96),
  ...family("Standard_E#ads_v5", E_V5, 8, true, E96),
  // Compute optimised, 2 GiB per vCPU.
  ...family("Standard_F#s_v2", [2, 4, 8, 16, 32, 48, 64, 72], 2, true),
];

const BY_NAME = new Map(VM_SIZES.map((s) => [s.name, s]));

/** The supported size of that name, spelled as Azure spells it, or undefined. */
export function findVmSize(name: string): VmSize | undefined {
  return BY_NAME.get(name);
}

export function isLargeEnough(size: VmSize): boolean {
  return size.memoryGiB >= MIN_VM_MEMORY_GIB && size.vCpus >= MIN_VM_VCPUS;
}

/**
 * The size to suggest instead of one that is too small: the smallest large-enough size of the same
 * family, where the t (tiny), l (low memory) and m (more memory) variants count as one family
 * (B1ls and B2s; B2ats_v2 and B2als_v2), else Standard_B2s.
 */
export function largeEnoughInstead(size: VmSize): string {
  const family = (name: string) =>
    name.replace(/\d+([a-z]*)/, (_, letters: string) => `#${letters.replace(/[tlm]/g, "")}`);
  const candidates = VM_SIZES.filter((s) => family(s.name) === family(size.name) && isLargeEnough(s)).sort(
    (a, b) => a.vCpus - b.vCpus || a.memoryGiB - b.memoryGiB,
  );
  return candidates[0]?.name ?? "Standard_B2s";
}

/** `2 vCPUs, 0.5 GiB`. */
export function describeVmSize(size: VmSize): string {
  return `${size.vCpus} vCPU${size.vCpus === 1 ? "" : "s"}, ${size.memoryGiB} GiB`;
}
