/**
 * The bootstrap program (bootstrap/Pulumi.yaml `main`): the state backend and secrets provider the
 * main liftoff project logs in to. Its own state lives in a local file backend (see README.md).
 */
import * as pulumi from "@pulumi/pulumi";
import { formatProblems } from "../environments/validate";
import {
  BOOTSTRAP_NAMESPACE,
  backendUrl as toBackendUrl,
  loginEnvironment,
  readBootstrapConfig,
  secretsProviderUrl,
  type BootstrapSpec,
} from "./config";
import { stateBackend } from "./state-backend";

/** Reads `liftoff-bootstrap:*` and stops, naming every problem, before anything is declared. */
function loadSpec(): BootstrapSpec {
  const prefix = `${BOOTSTRAP_NAMESPACE}:`;
  const values: Record<string, string> = {};
  for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
    if (key.startsWith(prefix)) values[key.slice(prefix.length)] = value;
  }
  const { spec, problems } = readBootstrapConfig({ project: pulumi.getProject(), stack: pulumi.getStack(), values });
  for (const warning of problems.filter((p) => p.severity === "warning"))
    pulumi.log.warn(formatProblems([warning], { withSeverity: false }));
  if (!spec) {
    const errors = problems.filter((p) => p.severity === "error");
    throw new pulumi.RunError(
      `stack ${pulumi.getStack()} has ${errors.length} configuration error${errors.length === 1 ? "" : "s"}; nothing was declared.\n${formatProblems(errors)}`,
    );
  }
  return spec;
}

const spec = loadSpec();
const backend = stateBackend(spec);

export const resourceGroupName = backend.resourceGroupName;
export const storageAccountName = spec.names.storageAccount;
export const containerName = spec.names.container;
export const keyVaultName = spec.names.vault;
export const keyName = spec.names.key;
/** `pulumi login <backendUrl>` for the main project. */
export const backendUrl = toBackendUrl(spec.names.storageAccount, spec.names.container);
/** `pulumi stack init <stack> --secrets-provider <secretsProvider>`. */
export const secretsProvider = secretsProviderUrl(spec.names.vault, spec.names.key);
/** What to export before running the main project (none of it is a secret). */
export const environment = loginEnvironment(spec.names);
/** Resource ids, for `pulumi import` should this program's own state ever be lost. */
export const storageAccountId = backend.storageAccountId;
export const keyVaultId = backend.vaultId;
