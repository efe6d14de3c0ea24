import * as pulumi from "@pulumi/pulumi";
import type { Environment } from "../environments/load";

/**
 * A secret the stack's validation required. Validation already stopped `pulumi up` when it is
 * missing; only the offline plan gets here without it, and gets a placeholder that says so.
 */
export function stackSecret(environment: Environment, key: string): pulumi.Output<string> {
  return environment.secret(key) ?? pulumi.secret(`[${key} not set]`);
}
