/**
 * `npm run rollback -- <stack>` for a `containerapps` stack: every Container App of the stack sends
 * all its traffic back to the revision before the one serving now, without a `pulumi up`. The
 * previous revisions are kept active by the release driver, so this is a traffic change of seconds;
 * an older, deactivated revision is activated first and waited for.
 *
 * The same ARM client as the release driver (components/containerapps/driver.ts); the choice of
 * revision is the pure `rollbackTarget` (components/containerapps/traffic.ts).
 */
import {
  APP_API_VERSION,
  appPath,
  expectOk,
  armRequest,
  setTraffic,
  waitReady,
  type Arm,
} from "../../components/containerapps/driver";
import {
  pinTraffic,
  rollbackTarget,
  type RevisionInfo,
  type TrafficEntry,
} from "../../components/containerapps/traffic";

export interface RollbackRequest {
  readonly subscriptionId: string;
  readonly resourceGroupName: string;
  /** Apps tagged `liftoff-stack: <stack>` are rolled back. */
  readonly stack: string;
  /** Only these apps (default: all of the stack's apps that serve traffic). */
  readonly apps?: readonly string[];
  /** Print what would move, change nothing. */
  readonly dryRun?: boolean;
}

export interface RollbackLine {
  readonly app: string;
  readonly from?: string;
  readonly to?: string;
  readonly outcome: "moved" | "would move" | "nothing older" | "no traffic";
}

interface AppBody {
  readonly name?: string;
  readonly tags?: Record<string, string>;
  readonly properties?: {
    readonly latestRevisionName?: string;
    readonly configuration?: { readonly ingress?: { readonly traffic?: TrafficEntry[] } };
  };
}
interface RevisionBody {
  readonly name?: string;
  readonly properties?: {
    readonly createdTime?: string;
    readonly active?: boolean;
    readonly trafficWeight?: number;
    readonly healthState?: string;
    readonly provisioningState?: string;
  };
}

export async function rollback(
  arm: Arm,
  request: RollbackRequest,
  log: (line: string) => void = () => undefined,
): Promise<RollbackLine[]> {
  const list = expectOk(
    await armRequest(
      arm,
      "GET",
      `/subscriptions/${encodeURIComponent(request.subscriptionId)}/resourceGroups/${encodeURIComponent(request.resourceGroupName)}/providers/Microsoft.App/containerApps?api-version=${APP_API_VERSION}`,
    ),
    `list the Container Apps of ${request.resourceGroupName}`,
  ) as { value?: AppBody[] };
  const apps = (list.value ?? []).filter(
    (a) => a.name && a.tags?.["liftoff-stack"] === request.stack && (!request.apps || request.apps.includes(a.name)),
  );
  if (request.apps) {
    const missing = request.apps.filter((name) => !apps.some((a) => a.name === name));
    if (missing.length > 0)
      throw new Error(
        `no Container App of stack ${request.stack} named ${missing.join(", ")} in ${request.resourceGroupName}`,
      );
  }
  if (apps.length === 0)
    throw new Error(
      `no Container App tagged liftoff-stack=${request.stack} in ${request.resourceGroupName}: is this a containerapps stack, and the right resource group?`,
    );
  const lines: RollbackLine[] = [];
  for (const app of apps.sort((a, b) => (a.name! < b.name! ? -1 : 1))) {
    const name = app.name!;
    const base = appPath(request.subscriptionId, request.resourceGroupName, name);
    const current = pinTraffic(app.properties?.configuration?.ingress?.traffic, app.properties?.latestRevisionName);
    if (current.length === 0) {
      lines.push({ app: name, outcome: "no traffic" });
      continue;
    }
    const revisions = expectOk(
      await armRequest(arm, "GET", `${base}/revisions?api-version=${APP_API_VERSION}`),
      `list ${name}'s revisions`,
    ) as { value?: RevisionBody[] };
    const infos: RevisionInfo[] = (revisions.value ?? [])
      .filter((r) => r.name)
      .map((r) => ({ name: r.name!, ...r.properties }));
    const target = rollbackTarget(current, infos);
    if (!target) {
      lines.push({ app: name, from: current[0]!.revisionName, outcome: "nothing older" });
      log(`${name}: ${current[0]!.revisionName} is its oldest revision; nothing to go back to`);
      continue;
    }
    if (request.dryRun) {
      lines.push({ app: name, from: target.from, to: target.to.name, outcome: "would move" });
      log(`${name}: would move 100% from ${target.from} to ${target.to.name}`);
      continue;
    }
    if (target.to.active === false) {
      log(`${name}: activating ${target.to.name} (it was deactivated) and waiting until it is ready`);
      expectOk(
        await armRequest(
          arm,
          "POST",
          `${base}/revisions/${encodeURIComponent(target.to.name)}/activate?api-version=${APP_API_VERSION}`,
          {},
        ),
        `activate ${target.to.name}`,
      );
      await waitReady(arm, base, target.to.name);
    }
    await setTraffic(
      arm,
      base,
      [{ revisionName: target.to.name, weight: 100 }],
      `move ${name}'s traffic to ${target.to.name}`,
    );
    lines.push({ app: name, from: target.from, to: target.to.name, outcome: "moved" });
    log(`${name}: 100% on ${target.to.name} (was ${target.from})`);
  }
  return lines;
}
