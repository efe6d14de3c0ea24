/**
 * Profiles: what a kind of environment is by default. A stack names its profile in
 * `liftoff:profile`, so a new stack (say `prod-dr`) reuses `prod` and overrides only what differs.
 */

export const PROFILE_NAMES = ["dev", "prod"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/** Azure managed disk SKUs a VM's OS disk can be (the ZRS ones only in regions with zones). */
export const OS_DISK_TYPES = [
  "Standard_LRS",
  "StandardSSD_LRS",
  "Premium_LRS",
  "StandardSSD_ZRS",
  "Premium_ZRS",
] as const;
export type OsDiskType = (typeof OS_DISK_TYPES)[number];
/** Managed disk SKUs Azure allows for data disks only: a VM with one as its OS disk is refused. */
export const DATA_ONLY_DISK_TYPES = ["PremiumV2_LRS", "UltraSSD_LRS"] as const;

/**
 * When an alert fires. Each is checked over a window of minutes and must hold for a while (see
 * components/observability/alerts.ts), so a single bad request or a blip does not page anyone.
 */
export interface AlertThresholds {
  /** Alerts above this share of the gateway's requests answered 5xx, in percent (5 min). */
  readonly gateway5xxPercent: number;
  /** Alerts above this 95th-percentile request duration of any service, in milliseconds (5 min). */
  readonly p95LatencyMs: number;
  /** Alerts when fewer public health probes than this succeed, in percent (5 min). */
  readonly healthCheckSuccessPercent: number;
  /** Alerts above this used share of the host's root filesystem, in percent. */
  readonly diskUsedPercent: number;
  /** Alerts when one container restarts more often than this within 15 minutes. */
  readonly containerRestarts: number;
}

/** What each threshold may be: below or above these an alert is either always or never firing. */
export const THRESHOLD_RANGES: Readonly<
  Record<keyof AlertThresholds, { min: number; max: number; integer: boolean; unit: string }>
> = {
  gateway5xxPercent: { min: 0.1, max: 50, integer: false, unit: "percent of the gateway's requests answered 5xx" },
  p95LatencyMs: { min: 10, max: 60_000, integer: true, unit: "milliseconds of 95th-percentile request duration" },
  healthCheckSuccessPercent: { min: 1, max: 100, integer: false, unit: "percent of health probes that must succeed" },
  diskUsedPercent: { min: 50, max: 99, integer: false, unit: "percent of the root filesystem used" },
  containerRestarts: { min: 1, max: 100, integer: true, unit: "restarts of one container within 15 minutes" },
};

export interface Profile {
  readonly name: ProfileName;
  /** Azure VM size of the single host. */
  readonly vmSize: string;
  readonly osDisk: { readonly sizeGb: number; readonly type: OsDiskType };
  /**
   * Daily shutdown of the VM (Azure DevTest Labs schedule) to save money; `undefined` means the
   * host runs around the clock. Time is `HHmm`, time zone a Windows time zone id, as Azure wants.
   */
  readonly autoShutdown?: { readonly time: string; readonly timeZone: string };
  /**
   * Mark stateful and hard-to-recreate resources `protect` (and `retainOnDelete` for data), so a
   * mistaken `pulumi destroy` or a replacing change stops instead of deleting them.
   */
  readonly protect: boolean;
  /** Defaults for the data layer: plans, tiers, how far back data can be restored. */
  readonly data: {
    readonly neon: { readonly plan: "free" | "launch" | "scale"; readonly historyRetentionSeconds: number };
    readonly atlas: {
      readonly instanceSize: string;
      readonly backup: boolean;
      readonly pointInTimeRestore: boolean;
      readonly snapshotRetentionDays: number;
    };
  };
  /** Defaults for the observability layer (Grafana Cloud). */
  readonly observability: {
    readonly alertThresholds: AlertThresholds;
    /** Synthetic monitoring of the public health endpoints: public probe locations and how often. */
    readonly syntheticCheck: { readonly probes: readonly string[]; readonly frequencySeconds: number };
  };
  /** Defaults for the delivery layer (GitHub repository environment). */
  readonly delivery: {
    /**
     * Deployments wait for a reviewer's approval: reviewers are then required, self-review is
     * prevented, admins cannot bypass, and only the default branch may deploy.
     */
    readonly requireReviewers: boolean;
  };
  /** Defaults for the deploy layer on the VM. */
  readonly deploy: {
    /** Seconds a new release is watched after the switch, the previous one kept warm to switch back to. */
    readonly bakeSeconds: number;
  };
}

const HOUR = 3600;
const DAY = 24 * HOUR;

export const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  dev: {
    name: "dev",
    // Burstable, 2 vCPU / 4 GiB: enough for the compose stack, cheap while idle.
    vmSize: "Standard_B2s",
    osDisk: { sizeGb: 64, type: "StandardSSD_LRS" },
    autoShutdown: { time: "1900", timeZone: "UTC" },
    protect: false,
    data: {
      // Neon's Free plan refuses more than 6 h of history.
      neon: { plan: "free", historyRetentionSeconds: 6 * HOUR },
      atlas: { instanceSize: "M0", backup: false, pointInTimeRestore: false, snapshotRetentionDays: 0 },
    },
    observability: {
      // Loose: dev runs on a burstable VM that sleeps at night and is redeployed often.
      alertThresholds: {
        gateway5xxPercent: 10,
        p95LatencyMs: 2000,
        healthCheckSuccessPercent: 50,
        diskUsedPercent: 90,
        containerRestarts: 5,
      },
      // One probe every 5 minutes keeps dev inside the free tier's check executions.
      syntheticCheck: { probes: ["Amsterdam"], frequencySeconds: 300 },
    },
    delivery: { requireReviewers: false },
    deploy: { bakeSeconds: 30 },
  },
  prod: {
    // General purpose, 2 vCPU / 8 GiB, no CPU credits to run out of under sustained load.
    name: "prod",
    vmSize: "Standard_D2s_v5",
    osDisk: { sizeGb: 128, type: "Premium_LRS" },
    protect: true,
    data: {
      neon: { plan: "scale", historyRetentionSeconds: 7 * DAY },
      atlas: { instanceSize: "M10", backup: true, pointInTimeRestore: true, snapshotRetentionDays: 7 },
    },
    observability: {
      alertThresholds: {
        gateway5xxPercent: 2,
        p95LatencyMs: 800,
        healthCheckSuccessPercent: 90,
        diskUsedPercent: 85,
        containerRestarts: 3,
      },
      // Three locations, so one probe's own network trouble cannot fail the check alone.
      syntheticCheck: { probes: ["Amsterdam", "Frankfurt", "London"], frequencySeconds: 60 },
    },
    delivery: { requireReviewers: true },
    // Long enough for a failure that needs real traffic to show before the old release is gone.
    deploy: { bakeSeconds: 120 },
  },
};

export function isProfileName(value: unknown): value is ProfileName {
  return typeof value === "string" && (PROFILE_NAMES as readonly string[]).includes(value);
}
