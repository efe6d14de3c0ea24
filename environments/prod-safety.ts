/**
 * Settings a `prod` stack must not have: each one is fine for a dev environment and a loss waiting
 * to happen in production. The validation refuses them for the prod profile unless the stack names
 * the rule in `liftoff:allowUnsafeProd`, a deliberate, reviewable override; the plan then warns.
 * The policy pack (policy/rules.ts) enforces the same rules at preview, and honours the same list.
 */
import { closest, type ConfigReader, type ProblemInput } from "./reader";
import type { ProfileName } from "./profiles";
import type { Setting } from "./setting";

/** The shortest point-in-time restore window a prod database may have, in hours. */
export const MIN_PROD_RESTORE_WINDOW_HOURS = 24;

/** The rules, by id (the setting each is about), and why each is unsafe in prod. */
export const UNSAFE_PROD_RULES = {
  autoShutdown: "a nightly auto-shutdown takes production down every evening",
  atlasBackup:
    "without Atlas cloud backup (the free M0 tier has none) a lost or corrupted collection cannot be recovered",
  atlasPointInTimeRestore: "without point-in-time restore the data written since the last snapshot cannot be recovered",
  containerAppsMinReplicas:
    "with fewer than 2 replicas a restart, a node drain or a platform update takes the service down, and a scaled-to-zero service keeps the first request waiting for a cold start",
  containerAppsZoneRedundant:
    "without zone redundancy the loss of one availability zone takes the whole environment down",
  neonHistoryRetentionHours: `with less than ${MIN_PROD_RESTORE_WINDOW_HOURS} h of Neon history a mistake noticed the next morning cannot be undone`,
} as const;
export type UnsafeProdRule = keyof typeof UNSAFE_PROD_RULES;
export const UNSAFE_PROD_RULE_IDS = Object.keys(UNSAFE_PROD_RULES) as UnsafeProdRule[];

export const ALLOW_UNSAFE_PROD_KEY = "allowUnsafeProd";

interface State {
  readonly prod: boolean;
  readonly allowed: ReadonlySet<string>;
  readonly used: Set<string>;
  /** The next free index of the list, so suggested commands run in order add distinct entries. */
  nextIndex: number;
}
const states = new WeakMap<ConfigReader, State>();

/**
 * Reads `liftoff:allowUnsafeProd` (a list of rule ids, declared in settings.ts) for this validation;
 * call once, before any section checks a rule.
 */
export function readUnsafeProdAllowances(reader: ConfigReader, profile: ProfileName, setting: Setting<string[]>): void {
  const key = reader.key(setting.key);
  const allowed = setting.allowed;
  const list = setting.read(reader) ?? [];
  const ids = new Set<string>();
  list.forEach((id, i) => {
    if ((UNSAFE_PROD_RULE_IDS as readonly string[]).includes(id)) ids.add(id);
    else
      reader.error({
        key: `${key}[${i}]`,
        value: id,
        message: "is not a prod rule liftoff knows",
        allowed,
        fix: reader.pathCommand(`${ALLOW_UNSAFE_PROD_KEY}[${i}]`, closest(id, UNSAFE_PROD_RULE_IDS) ?? "autoShutdown"),
      });
  });
  if (profile !== "prod" && ids.size > 0) {
    reader.warn({
      key,
      value: JSON.stringify(list),
      message: `has no effect: the ${profile} profile has no prod rules to allow`,
      allowed: "only on stacks with the prod profile",
      fix: `remove it: pulumi config rm ${key} --stack ${reader.stack}`,
    });
  }
  states.set(reader, { prod: profile === "prod", allowed: ids, used: new Set(), nextIndex: list.length });
}

/**
 * Reports a setting unsafe in prod: an error, or a warning when the stack allows the rule. Does
 * nothing outside prod. Returns true when it reported an error.
 */
export function unsafeInProd(reader: ConfigReader, rule: UnsafeProdRule, problem: ProblemInput): boolean {
  const state = states.get(reader);
  if (!state?.prod) return false;
  const why = UNSAFE_PROD_RULES[rule];
  if (state.allowed.has(rule)) {
    state.used.add(rule);
    reader.warn({
      ...problem,
      message: `${problem.message}: ${why}; allowed for this stack by ${reader.key(ALLOW_UNSAFE_PROD_KEY)} (${rule})`,
    });
    return false;
  }
  reader.error({
    ...problem,
    message: `${problem.message}; a prod stack refuses this: ${why}`,
    fix: `${problem.fix}; or, deliberately: pulumi config set --path '${reader.key(`${ALLOW_UNSAFE_PROD_KEY}[${state.nextIndex++}]`)}' ${rule} --stack ${reader.stack}`,
  });
  return true;
}

/** Warns about allowances no setting needed, so a stale override does not hide a future one. */
export function reportUnusedAllowances(reader: ConfigReader): void {
  const state = states.get(reader);
  if (!state?.prod) return;
  for (const rule of state.allowed) {
    if (state.used.has(rule)) continue;
    reader.warn({
      key: reader.key(ALLOW_UNSAFE_PROD_KEY),
      value: rule,
      message: "allows a prod rule this stack does not break",
      allowed: "only the rules the stack needs to break",
      fix: `remove ${rule} from ${reader.key(ALLOW_UNSAFE_PROD_KEY)} in Pulumi.${reader.stack}.yaml`,
    });
  }
}
