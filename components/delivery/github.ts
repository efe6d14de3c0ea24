/** What this stack's GitHub repository environment holds for the deployment workflows. */

/** Variables the workflows read (`vars.*`): where to deploy, as whom. */
export const GITHUB_VARIABLES = {
  host: "LIFTOFF_HOST",
  sshUser: "LIFTOFF_SSH_USER",
  sshPort: "LIFTOFF_SSH_PORT",
} as const;

/** Secrets the workflows read (`secrets.*`). */
export const GITHUB_SECRETS = {
  /** Only when liftoff generated the key pair; an operator's own key stays with the operator. */
  sshPrivateKey: "LIFTOFF_SSH_PRIVATE_KEY",
} as const;

/** GitHub's rule for Actions variable and secret names. */
const NAME = /^(?!GITHUB_)[A-Z_][A-Z0-9_]*$/;

export function checkActionsName(name: string): string {
  if (!NAME.test(name))
    throw new Error(
      `${name} cannot name a GitHub Actions variable or secret: letters, digits and _, not starting with GITHUB_ or a digit`,
    );
  return name;
}

export interface Protection {
  readonly preventSelfReview: boolean;
  readonly canAdminsBypass: boolean;
  /** Deploy only from the repository's default branch (a custom branch policy naming it). */
  readonly defaultBranchOnly: boolean;
  readonly deploymentBranchPolicy?: { readonly protectedBranches: boolean; readonly customBranchPolicies: boolean };
}

/**
 * A protected environment waits for a reviewer who is not the one who triggered the deployment,
 * binds admins too, and deploys the default branch only. An unprotected one deploys any branch at once.
 */
export function environmentProtection(isProtected: boolean): Protection {
  if (!isProtected) return { preventSelfReview: false, canAdminsBypass: true, defaultBranchOnly: false };
  return {
    preventSelfReview: true,
    canAdminsBypass: false,
    defaultBranchOnly: true,
    // GitHub takes exactly one of the two; custom policies are what can name a single branch.
    deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
  };
}
