/**
 * Traffic weights of a release, as pure functions: what the app serves now pinned by revision name
 * (so a new revision starts at 0 %), each canary step's weights, and the way back. Used by the
 * component (to pin), the driver (to move) and `npm run rollback`.
 */

/** One entry of `configuration.ingress.traffic` as ARM returns it. */
export interface TrafficEntry {
  readonly revisionName?: string;
  readonly latestRevision?: boolean;
  readonly weight?: number;
  readonly label?: string;
}

/** A pinned entry: a revision by name and its share. */
export interface Weight {
  readonly revisionName: string;
  readonly weight: number;
}

/**
 * The traffic an app serves now, by revision name: `latestRevision: true` becomes the revision it
 * means (else the next revision would take that share the moment it exists), entries at 0 % are
 * dropped (a deactivated revision stays listed at 0, and naming it again is refused). Empty when
 * the app serves nothing yet.
 */
export function pinTraffic(
  traffic: readonly TrafficEntry[] | undefined,
  latestRevisionName: string | undefined,
): Weight[] {
  const byName = new Map<string, number>();
  for (const entry of traffic ?? []) {
    const name = entry.latestRevision ? latestRevisionName : entry.revisionName;
    const weight = entry.weight ?? 0;
    if (!name || weight <= 0) continue;
    byName.set(name, (byName.get(name) ?? 0) + weight);
  }
  return [...byName.entries()]
    .map(([revisionName, weight]) => ({ revisionName, weight }))
    .sort((a, b) => b.weight - a.weight || (a.revisionName < b.revisionName ? -1 : 1));
}

/**
 * Weights with `percent` on the new revision and the rest shared by the previous revisions in their
 * current proportions (largest remainder, so the integers add up to exactly 100).
 */
export function stepWeights(newRevision: string, previous: readonly Weight[], percent: number): Weight[] {
  const others = previous.filter((w) => w.revisionName !== newRevision && w.weight > 0);
  if (others.length === 0 || percent >= 100) return [{ revisionName: newRevision, weight: 100 }];
  const rest = 100 - percent;
  const total = others.reduce((sum, w) => sum + w.weight, 0);
  const exact = others.map((w) => ({ revisionName: w.revisionName, exact: (w.weight / total) * rest }));
  const floors = exact.map((e) => ({
    revisionName: e.revisionName,
    weight: Math.floor(e.exact),
    remainder: e.exact - Math.floor(e.exact),
  }));
  let missing = rest - floors.reduce((sum, f) => sum + f.weight, 0);
  for (const f of [...floors].sort((a, b) => b.remainder - a.remainder)) {
    if (missing <= 0) break;
    f.weight += 1;
    missing -= 1;
  }
  const out: Weight[] = percent > 0 ? [{ revisionName: newRevision, weight: percent }] : [];
  return [...out, ...floors.filter((f) => f.weight > 0).map(({ revisionName, weight }) => ({ revisionName, weight }))];
}

/** Canary steps checked: ascending percentages in 1..100 ending at 100. Undefined when fine. */
export function stepsProblem(steps: readonly number[]): string | undefined {
  if (steps.length === 0) return "no steps: give at least [100]";
  if (steps.some((s) => !Number.isInteger(s) || s < 1 || s > 100))
    return `steps ${JSON.stringify(steps)} must be whole percentages from 1 to 100`;
  if (steps.some((s, i) => i > 0 && s <= steps[i - 1]!)) return `steps ${JSON.stringify(steps)} must ascend`;
  if (steps[steps.length - 1] !== 100) return `steps ${JSON.stringify(steps)} must end at 100`;
  return undefined;
}

/** A revision as ARM lists it (the fields rollback reads). */
export interface RevisionInfo {
  readonly name: string;
  readonly createdTime?: string;
  readonly active?: boolean;
  readonly trafficWeight?: number;
  readonly healthState?: string;
  readonly provisioningState?: string;
}

/**
 * Where `npm run rollback` sends an app's traffic: all of it to the newest revision that ran
 * (not failed) created before the newest revision taking any traffic now. So a release stuck
 * mid-canary (`new 10 %, old 90 %`) goes back to `old`, and a finished one (`new 100 %`) to the one
 * before it. Undefined when there is none.
 */
export function rollbackTarget(
  current: readonly Weight[],
  revisions: readonly RevisionInfo[],
): { readonly from: string; readonly to: RevisionInfo } | undefined {
  const time = (name: string) => {
    const created = revisions.find((r) => r.name === name)?.createdTime;
    return created ? Date.parse(created) : Infinity;
  };
  const serving = current
    .filter((w) => w.weight > 0)
    .map((w) => w.revisionName)
    .sort((a, b) => time(b) - time(a))[0];
  if (!serving) return undefined;
  const servingTime = time(serving);
  const older = revisions
    .filter(
      (r) =>
        r.name !== serving &&
        r.provisioningState !== "Failed" &&
        r.createdTime !== undefined &&
        Date.parse(r.createdTime) < servingTime,
    )
    .sort((a, b) => Date.parse(b.createdTime!) - Date.parse(a.createdTime!));
  return older[0] ? { from: serving, to: older[0] } : undefined;
}
