/** The VM's Azure name from the environment's name prefix; pure, so CI tools find the same VM. */
export function vmName(namePrefix: string): string {
  return `${namePrefix}-vm`;
}
