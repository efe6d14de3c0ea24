/**
 * Azure names the program gives from an environment's name prefix (`liftoff-<stack>`). Pure, so the
 * CI SSH window (tools/ci/ssh-window.ts) finds the same resource group without running the program.
 */
export function resourceGroupName(namePrefix: string): string {
  return `${namePrefix}-rg`;
}
