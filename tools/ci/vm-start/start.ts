/**
 * Starting a stack's VM before a deploy: a stack with a nightly auto-shutdown (dev) is deallocated
 * after its shutdown time, and the deploy layer would dial SSH for ten minutes and fail (holding
 * back prod, which waits for dev). Pure: the az commands as token arrays and the decision from the
 * VM's power state; tools/ci/vm-start.ts runs them.
 */

export interface VmTarget {
  readonly resourceGroup: string;
  readonly vm: string;
}

/** The VM's power state code (`PowerState/running`, `PowerState/deallocated`, ...), one line. */
export function powerStateCommand(target: VmTarget): string[] {
  return [
    "vm",
    "get-instance-view",
    "--resource-group",
    target.resourceGroup,
    "--name",
    target.vm,
    "--query",
    "instanceView.statuses[?starts_with(code, 'PowerState/')].code | [0]",
    "--output",
    "tsv",
  ];
}

/** Starts the VM and waits until Azure reports it started (az's default, without --no-wait). */
export function startCommand(target: VmTarget): string[] {
  return ["vm", "start", "--resource-group", target.resourceGroup, "--name", target.vm];
}

export type StartDecision =
  { readonly action: "start"; readonly why: string } | { readonly action: "nothing"; readonly why: string };

/**
 * What to do for a power state (Azure's PowerState codes: starting, running, stopping, stopped,
 * deallocating, deallocated; https://learn.microsoft.com/azure/virtual-machines/states-billing).
 * Starting a running VM would be harmless, but saying nothing is clearer; an unknown state is
 * started too, since a deploy to a VM that is not running cannot succeed.
 */
export function decideStart(powerState: string | undefined): StartDecision {
  const state = powerState?.trim().replace(/^PowerState\//, "") ?? "";
  if (state === "running" || state === "starting") return { action: "nothing", why: `the VM is ${state}` };
  if (state === "") return { action: "start", why: "Azure reported no power state" };
  return { action: "start", why: `the VM is ${state}` };
}
