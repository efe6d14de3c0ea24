import * as pulumi from "@pulumi/pulumi";
import { OFFLINE_PLAN_ENV } from "../../environments/load";
import { createRestoreWaitProvider } from "./restore-wait";

/** The Pulumi type of the wait: `pulumi-nodejs:dynamic/atlas:RestoreWait`. */
export const RESTORE_WAIT_TYPE = "pulumi-nodejs:dynamic/atlas:RestoreWait";

const provider = createRestoreWaitProvider();
let serialized: Promise<string> | undefined;

/** The provider's code as `pulumi.dynamic.Resource` stores it; the offline plan never runs it. */
function providerCode(): pulumi.Input<string> {
  if (process.env[OFFLINE_PLAN_ENV] === "1") return "(the provider's code is serialized under `pulumi up`, not in the offline plan)";
  serialized ??= pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true }).then((sf) => {
    if (sf.containsSecrets) throw new Error("the Atlas restore wait's code captured a secret; it must read secrets in configure()");
    return sf.text;
  });
  return pulumi.output(serialized);
}

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
export class AtlasRestoreWait extends pulumi.CustomResource {
  declare readonly finishedAt: pulumi.Output<string>;

  constructor(name: string, args: AtlasRestoreWaitArgs, opts?: pulumi.CustomResourceOptions) {
    super(RESTORE_WAIT_TYPE, name, { ...args, finishedAt: undefined, __provider: providerCode() }, opts);
  }
}
