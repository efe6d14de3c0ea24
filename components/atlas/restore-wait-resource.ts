import * as pulumi from "@pulumi/pulumi";
import { createRestoreWaitProvider } from "./restore-wait";

/** The Pulumi type of the wait: `pulumi-nodejs:dynamic/atlas:RestoreWait`. */
export const RESTORE_WAIT_TYPE = "pulumi-nodejs:dynamic/atlas:RestoreWait";

/** Reads the Atlas credentials in configure(), so its serialized code holds none (restore-wait-closure.test.ts). */
const provider = createRestoreWaitProvider();

export interface AtlasRestoreWaitArgs {
  readonly projectId: pulumi.Input<string>;
  readonly clusterName: pulumi.Input<string>;
  readonly jobId: pulumi.Input<string>;
  /** Give up after this long (default 240 min); `pulumi up` fails with what to check. */
  readonly timeoutMinutes?: pulumi.Input<number>;
}

/**
 * Done once Atlas reports the restore job finished (see restore-wait.ts); `finishedAt` is what a
 * consumer waits on.
 */
export class AtlasRestoreWait extends pulumi.dynamic.Resource {
  declare readonly finishedAt: pulumi.Output<string>;

  constructor(name: string, args: AtlasRestoreWaitArgs, opts?: pulumi.CustomResourceOptions) {
    super(provider, name, { ...args, finishedAt: undefined }, opts, "atlas", "RestoreWait");
  }
}
