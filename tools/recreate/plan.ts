/**
 * The recreate plan, pure: from the source stack's config and outputs, the target's name, the
 * instant to restore and the clock, what the new stack is given (config, restore sources, release),
 * or why it must not be made. Nothing here touches Pulumi, a cloud or the network.
 */
import { azureFqdn, AZURE_REGIONS, DNS_LABEL_PATTERN } from "../../environments/azure";
import { slugFromLabel } from "../../environments/grafana";
import { formatDuration } from "../../environments/neon";
import { closest } from "../../environments/reader";
import type { EnvironmentSpec } from "../../environments/spec";
import type { ConfigInput, EvaluationMode } from "../../environments/reader";
import { buildEnvironmentSpec, formatProblems } from "../../environments/validate";

const NS = "liftoff:";

/** One config value as the Automation API hands it over (`pulumi config --json`). */
export interface ConfigEntry {
  readonly value: string;
  readonly secret: boolean;
}
export type StackConfig = Readonly<Record<string, ConfigEntry>>;
export type StackOutputs = Readonly<Record<string, { readonly value: unknown; readonly secret: boolean }>>;

export interface RecreateRequest {
  readonly source: string;
  readonly target: string;
  /** `--at`: the instant to restore (RFC 3339 UTC); absent: the latest safe instant. */
  readonly at?: string;
  /** `--region`: another Azure region for the new stack (a region outage). */
  readonly region?: string;
  /** `--dns-label`: the new host's DNS label; absent: derived from the source's and the target's name. */
  readonly dnsLabel?: string;
  /** `--empty-mongo`: accept that MongoDB starts empty when the source has no point-in-time backup. */
  readonly emptyMongo?: boolean;
}

export interface PlanInput {
  readonly request: RecreateRequest;
  readonly existingStacks: readonly string[];
  /** The source stack's config and outputs; absent when it does not exist. */
  readonly source?: { readonly config: StackConfig; readonly outputs: StackOutputs };
  readonly now: Date;
  /** The application's compose file, as the program reads it. */
  readonly app?: { readonly file: string; readonly text: string };
  /** The project's files, so the application is read as `pulumi up` reads it: override file, `.env`, extends across files. */
  readonly appFiles?: ConfigInput["appFiles"];
  readonly project: string;
  /** `up` (default) refuses a target missing a secret; `plan` only warns (offline, without secrets). */
  readonly mode?: EvaluationMode;
}

/** Why a recreate must not start: the flag or key, the value, what is allowed, how to fix it. */
export interface Refusal {
  readonly subject: string;
  readonly value?: string;
  readonly message: string;
  readonly allowed: string;
  readonly fix: string;
}

export interface ConfigChange {
  readonly key: string;
  /** Absent: not set on the source. */
  readonly from?: string;
  /** Absent: removed for the target. */
  readonly to?: string;
  readonly secret: boolean;
  readonly why: string;
}

export interface PostgresRestore {
  readonly projectId: string;
  /** Absent: the source project's default branch. */
  readonly branchId?: string;
  readonly timestamp: string;
  /** The oldest instant the source project's history retention still holds. */
  readonly windowStart: string;
}
export interface MongoRestore {
  readonly projectId: string;
  readonly clusterName: string;
  readonly timestamp: string;
  readonly windowStart: string;
}

export interface HealthTarget {
  readonly service: string;
  readonly url: string;
}

export interface RecreatePlan {
  readonly source: string;
  readonly target: string;
  readonly at: string;
  /** Every `liftoff:*` (and other) setting of the new stack; secrets keep their flag. */
  readonly config: Readonly<Record<string, ConfigEntry>>;
  /** What differs from the source's config, and why. */
  readonly changes: readonly ConfigChange[];
  /** Settings copied unchanged, and how many of them are secret. */
  readonly copied: { readonly total: number; readonly secrets: number };
  readonly restore: {
    readonly postgres?: PostgresRestore;
    readonly mongodb?: MongoRestore | { readonly empty: true; readonly reason: string };
  };
  /** The release the new stack must run: service → image by digest, as the source ran it. */
  readonly images: Readonly<Record<string, string>>;
  /** The runtime the new stack runs on (the source's). */
  readonly runtime: "vm" | "containerapps";
  /**
   * The new host's name and the health URLs `recreate` waits for. On `containerapps` there is no
   * host: `fqdn` is empty and each URL is the health path alone, joined after `up` to the
   * endpoint's URL the new stack reports (its apps' hostnames are Azure's to choose).
   */
  readonly fqdn: string;
  readonly health: readonly HealthTarget[];
  /** What the operator must know or do besides. */
  readonly notes: readonly string[];
}

export type PlanResult =
  { readonly ok: true; readonly plan: RecreatePlan } | { readonly ok: false; readonly refusals: readonly Refusal[] };

/** Margin kept from the oldest restorable instant: the restore starts minutes after planning. */
export const WINDOW_MARGIN_MS = 10 * 60_000;
/**
 * Without `--at`, this long before now: the clouds' clocks, and Atlas restoring only up to the oplog
 * it has copied (usually within a minute).
 */
export const LATEST_LAG_MS = 2 * 60_000;

const STACK_NAME = /^[A-Za-z0-9_.-]{1,100}$/;
const RFC3339_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

/** `2026-11-20T08:30:00Z`: whole seconds, as Neon and Atlas take it. */
export function utcSeconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function planRecreate(input: PlanInput): PlanResult {
  const { request, now } = input;
  const refusals: Refusal[] = [];
  const refuse = (r: Refusal) => refusals.push(r);

  if (!STACK_NAME.test(request.target)) {
    refuse({
      subject: "--to",
      value: request.target,
      message: "is not a stack name Pulumi accepts",
      allowed: "letters, digits, -, _ and .",
      fix: "e.g. --to prod-dr",
    });
  }
  if (request.target === request.source) {
    refuse({
      subject: "--to",
      value: request.target,
      message: "is the source itself; recreate makes a new stack beside it",
      allowed: "a stack name that does not exist yet",
      fix: `e.g. --to ${request.source}-dr`,
    });
  } else if (input.existingStacks.includes(request.target)) {
    refuse({
      subject: "--to",
      value: request.target,
      message: "already exists; recreate never writes into an existing stack",
      allowed: "a stack name that does not exist yet",
      fix: `choose another name, or remove the old one first: pulumi stack rm ${request.target}`,
    });
  }
  if (!input.source || !input.existingStacks.includes(request.source)) {
    const near = closest(request.source, input.existingStacks);
    refuse({
      subject: "--from",
      value: request.source,
      message: "is not a stack of this project",
      allowed:
        input.existingStacks.length > 0
          ? input.existingStacks.join(", ")
          : "(no stacks: `pulumi login` to the backend that holds them)",
      fix: near ? `--from ${near}` : "pulumi stack ls",
    });
    return { ok: false, refusals };
  }

  let at: Date;
  if (request.at === undefined) {
    at = new Date(Math.floor((now.getTime() - LATEST_LAG_MS) / 1000) * 1000);
  } else if (!RFC3339_UTC.test(request.at) || Number.isNaN(Date.parse(request.at))) {
    refuse({
      subject: "--at",
      value: request.at,
      message: "is not a UTC instant",
      allowed: "YYYY-MM-DDTHH:MM:SSZ, e.g. 2026-11-20T08:30:00Z",
      fix: `e.g. --at ${utcSeconds(new Date(now.getTime() - 3600_000))}`,
    });
    return { ok: false, refusals };
  } else {
    at = new Date(request.at);
    if (at.getTime() > now.getTime()) {
      refuse({
        subject: "--at",
        value: request.at,
        message: `is in the future (now is ${utcSeconds(now)})`,
        allowed: "an instant in the past, inside the restore window",
        fix: `leave --at out for the latest instant, or e.g. --at ${utcSeconds(new Date(now.getTime() - 3600_000))}`,
      });
    }
  }
  const timestamp = utcSeconds(at);

  const sourceConfig = input.source.config;
  const outputs = input.source.outputs;
  const sourceSpec = validatedSource(input, sourceConfig, refuse);
  if (!sourceSpec) return { ok: false, refusals };

  // Restore windows, from the source's own settings.
  const restore: { postgres?: PostgresRestore; mongodb?: MongoRestore | { empty: true; reason: string } } = {};
  const notes: string[] = [];
  const pg = sourceSpec.data.postgres;
  const neonProjectId = outputText(outputs, "neonProjectId");
  if (pg) {
    const windowStart = new Date(now.getTime() - pg.historyRetentionSeconds * 1000);
    const branchId = outputText(outputs, "neonBranchId");
    if (!neonProjectId) {
      refuse({
        subject: "--from",
        value: request.source,
        message: "needs Postgres but has no neonProjectId output: its data layer was never created",
        allowed: "a source stack that ran `pulumi up` with its data layer",
        fix: `pulumi stack output --stack ${request.source}`,
      });
    } else if (pg.restoreFrom && !branchId) {
      refuse({
        subject: "--from",
        value: request.source,
        message:
          "serves Postgres from a restore branch (liftoff:neonRestoreFrom) but records no neonBranchId output, so the branch to restore from is unknown",
        allowed: "a source whose last `pulumi up` recorded neonBranchId",
        fix: `run \`pulumi up --stack ${request.source}\` once if it can still run, or set liftoff:neonRestoreSource by hand`,
      });
    } else if (at.getTime() < windowStart.getTime() + WINDOW_MARGIN_MS) {
      refuse({
        subject: "--at",
        value: timestamp,
        message: `is outside ${request.source}'s Postgres restore window: Neon keeps ${formatDuration(pg.historyRetentionSeconds)} of history (liftoff:neonHistoryRetentionHours on the ${pg.plan} plan), back to ${utcSeconds(windowStart)}`,
        allowed: `an instant after ${utcSeconds(new Date(windowStart.getTime() + WINDOW_MARGIN_MS))} (10 minutes of margin: the restore starts after planning)`,
        fix: `--at ${utcSeconds(new Date(Math.max(windowStart.getTime() + WINDOW_MARGIN_MS + 60_000, Math.min(at.getTime(), now.getTime()))))}`,
      });
    } else {
      restore.postgres = {
        projectId: neonProjectId,
        ...(branchId ? { branchId } : {}),
        timestamp,
        windowStart: utcSeconds(windowStart),
      };
    }
  }
  const mongo = sourceSpec.data.mongodb;
  if (mongo) {
    const atlasProjectId = outputText(outputs, "atlasProjectId");
    const clusterName = outputText(outputs, "atlasClusterName");
    if (!mongo.backup || !mongo.pointInTimeRestore) {
      const reason = mongo.free
        ? `${request.source}'s cluster is the free tier ${mongo.instanceSize}, which has no backups`
        : `${request.source}'s cluster has ${mongo.backup ? "no point-in-time restore (liftoff:atlasPointInTimeRestore)" : "no cloud backup (liftoff:atlasBackup)"}`;
      if (request.emptyMongo) {
        restore.mongodb = { empty: true, reason };
        notes.push(`MongoDB starts EMPTY: ${reason}. Restore what you kept (mongodump) by hand.`);
      } else {
        refuse({
          subject: "--from",
          value: request.source,
          message: `cannot have its MongoDB restored: ${reason}`,
          allowed:
            "a source with cloud backup and point-in-time restore (the prod profile), or --empty-mongo to start MongoDB empty",
          fix: "add --empty-mongo to recreate with Postgres restored and MongoDB empty",
        });
      }
    } else if (!atlasProjectId || !clusterName) {
      refuse({
        subject: "--from",
        value: request.source,
        message: "needs MongoDB but has no atlasProjectId/atlasClusterName outputs: its data layer was never created",
        allowed: "a source stack that ran `pulumi up` with its data layer",
        fix: `pulumi stack output --stack ${request.source}`,
      });
    } else {
      const windowStart = new Date(now.getTime() - mongo.snapshotRetentionDays * 86400_000);
      if (at.getTime() < windowStart.getTime() + WINDOW_MARGIN_MS) {
        refuse({
          subject: "--at",
          value: timestamp,
          message: `is outside ${request.source}'s MongoDB point-in-time window: Atlas restores the last ${mongo.snapshotRetentionDays} days (liftoff:atlasSnapshotRetentionDays), back to ${utcSeconds(windowStart)}`,
          allowed: `an instant after ${utcSeconds(new Date(windowStart.getTime() + WINDOW_MARGIN_MS))}`,
          fix: `--at ${utcSeconds(new Date(windowStart.getTime() + WINDOW_MARGIN_MS + 60_000))}`,
        });
      } else {
        restore.mongodb = { projectId: atlasProjectId, clusterName, timestamp, windowStart: utcSeconds(windowStart) };
      }
    }
  }

  // The release: exactly the images the source ran.
  const images = outputs["images"]?.value;
  const pinned: Record<string, string> = {};
  if (images === null || typeof images !== "object" || Object.keys(images).length === 0) {
    refuse({
      subject: "--from",
      value: request.source,
      message: "has no images output, so the release it ran is unknown",
      allowed: "a source stack whose last `pulumi up` recorded its images by digest",
      fix: `pulumi stack output images --stack ${request.source}`,
    });
  } else {
    for (const [service, ref] of Object.entries(images as Record<string, unknown>)) {
      if (typeof ref !== "string" || !/@sha256:[0-9a-f]{64}$/.test(ref)) {
        refuse({
          subject: `${request.source} output images.${service}`,
          value: String(ref),
          message: "is not an image pinned by digest",
          allowed: "registry/owner/name@sha256:<64 hex>",
          fix: `pulumi stack output images --stack ${request.source}`,
        });
      } else {
        pinned[service] = ref;
      }
    }
  }

  // Names that must be unique: the DNS label (per Azure region) and the Grafana stack slug (global).
  const region = request.region ?? sourceSpec.region;
  if (request.region !== undefined && !AZURE_REGIONS.includes(request.region)) {
    const near = closest(request.region.toLowerCase(), AZURE_REGIONS);
    refuse({
      subject: "--region",
      value: request.region,
      message: "is not an Azure region",
      allowed: "an Azure region name as `az account list-locations` spells it, e.g. northeurope",
      fix: `--region ${near ?? "northeurope"}`,
    });
  }
  const sourceLabel = sourceSpec.host.dnsLabel;
  const dnsLabel = request.dnsLabel ?? derivedLabel(sourceLabel, request.source, request.target);
  const labelSubject = request.dnsLabel !== undefined ? "--dns-label" : "derived DNS label";
  if (!DNS_LABEL_PATTERN.test(dnsLabel)) {
    refuse({
      subject: labelSubject,
      value: dnsLabel,
      message: "is a DNS label Azure refuses",
      allowed: "3-63 lowercase letters, digits and hyphens, starting with a letter",
      fix: "--dns-label <label>, e.g. acme-prod-dr",
    });
  } else if (dnsLabel === sourceLabel) {
    refuse({
      subject: labelSubject,
      value: dnsLabel,
      message: "is the source's DNS label; the new host needs its own",
      allowed: `any label other than ${sourceLabel}`,
      fix: `--dns-label ${sourceLabel}-dr`,
    });
  }
  const slugWasSet = sourceConfig[`${NS}grafanaStackSlug`] !== undefined;
  const slug = slugFromLabel(dnsLabel);
  if (slug === undefined || slug === sourceSpec.observability.grafana.stackSlug) {
    refuse({
      subject: "grafanaStackSlug",
      value: slug ?? "(none)",
      message: `derived from the DNS label ${dnsLabel}, is ${slug ? "the source's Grafana stack slug" : "not a slug Grafana accepts"}; the new stack needs its own`,
      allowed: "a DNS label whose letters and digits (first 29) differ from the source's",
      fix: "--dns-label <a shorter or different label>",
    });
  }
  if (refusals.length > 0) return { ok: false, refusals };

  // The target's config: the source's, with what must differ.
  const config: Record<string, ConfigEntry> = { ...sourceConfig };
  const changes: ConfigChange[] = [];
  const set = (key: string, value: string | undefined, why: string) => {
    const full = `${NS}${key}`;
    const before = sourceConfig[full];
    if (value === undefined) delete config[full];
    else config[full] = { value, secret: false };
    changes.push({
      key: full,
      ...(before ? { from: before.secret ? "[secret]" : before.value } : {}),
      ...(value !== undefined ? { to: value } : {}),
      secret: false,
      why,
    });
  };
  if (request.region !== undefined && request.region !== sourceSpec.region) {
    set("region", request.region, "--region: the new host's Azure region");
    if (sourceConfig[`${NS}atlasRegion`])
      set("atlasRegion", undefined, "the new cluster goes in the Atlas region nearest the new host");
  }
  set("dnsLabel", dnsLabel, "the new host's own name (unique in its Azure region)");
  if (slugWasSet) set("grafanaStackSlug", slug, "the new stack's own Grafana Cloud stack (slugs are global)");
  set("images", JSON.stringify(pinned), `the release ${request.source} runs, by digest`);
  if (sourceConfig[`${NS}neonRestoreFrom`])
    set(
      "neonRestoreFrom",
      undefined,
      "the source's own restore point; the new stack restores through neonRestoreSource",
    );
  if (restore.postgres) {
    const { windowStart: _w, ...neon } = restore.postgres;
    set("neonRestoreSource", JSON.stringify(neon), `a branch of ${request.source}'s Neon project as of ${timestamp}`);
  }
  if (restore.mongodb && !("empty" in restore.mongodb)) {
    const { windowStart: _w, ...atlas } = restore.mongodb;
    set(
      "atlasRestoreSource",
      JSON.stringify(atlas),
      `${request.source}'s cluster restored into the new one as of ${timestamp}`,
    );
  }

  // The target must pass the one validation step before anything is created.
  if (sourceSpec.runtime.kind === "containerapps" && sourceConfig[`${NS}containerAppsCustomDomains`]) {
    set(
      "containerAppsCustomDomains",
      undefined,
      "a custom domain is bound to one environment at a time: move it once the new one is healthy (docs/runtimes.md)",
    );
  }
  const targetSpec = validate(input, request.target, config, input.mode ?? "up");
  if (!targetSpec.spec) {
    return {
      ok: false,
      refusals: [
        {
          subject: `stack ${request.target}`,
          message: `its config would not validate:\n${formatProblems(targetSpec.problems.filter((p) => p.severity === "error"))}`,
          allowed: "a config the program accepts",
          fix: "fix the source's config, or pass the flags named above",
        },
      ],
    };
  }
  const spec = targetSpec.spec;
  for (const warning of targetSpec.problems.filter((p) => p.severity === "warning"))
    notes.push(`${warning.key}: ${warning.message}`);

  const containerApps = spec.runtime.kind === "containerapps";
  if (containerApps) {
    notes.push(
      `The new environment's apps get new hostnames (<service>.<its own default domain>, in the stack's endpoints output); clients of ${request.source} must move to them, or move your custom domains (liftoff:containerAppsCustomDomains) once it is healthy.`,
    );
  } else if (region !== sourceSpec.region) {
    notes.push(
      `The new host is ${azureFqdn(dnsLabel, region)}: Azure DNS labels are regional, so clients must move from ${sourceSpec.host.fqdn} (point your own DNS name's CNAME at the new one).`,
    );
  } else {
    notes.push(
      `The new host is ${azureFqdn(dnsLabel, region)}; clients of ${sourceSpec.host.fqdn} must move to it (or your own DNS name's CNAME).`,
    );
  }
  if (restore.postgres) {
    notes.push(
      `Postgres: the new stack's branch lives in ${request.source}'s Neon project ${restore.postgres.projectId}: deleting that project (or ${request.source}'s stack with it) deletes the restored data too. Deleting ${request.target} deletes only its branch.`,
    );
    if (pg?.ipAllow)
      notes.push(
        `Postgres: ${request.source}'s project uses IP Allow; the new host's address is added to it while ${request.target} exists. A \`pulumi up --refresh\` of ${request.source} would take it out again.`,
      );
  }
  const accessories = spec.services.filter((s) => s.accessory).map((s) => s.name);
  if (accessories.length > 0) {
    notes.push(
      containerApps
        ? `Not recovered: the Azure Files shares of ${accessories.join(", ")} (${request.source}'s own); they start empty.`
        : `Not recovered: the host-local volumes of ${accessories.join(", ")} (they lived on ${request.source}'s VM disk); they start empty.`,
    );
  }

  const sourceKeys = Object.keys(sourceConfig);
  const changed = new Set(changes.map((c) => c.key));
  const unchanged = sourceKeys.filter((k) => !changed.has(k));
  return {
    ok: true,
    plan: {
      source: request.source,
      target: request.target,
      at: timestamp,
      config,
      changes,
      copied: { total: unchanged.length, secrets: unchanged.filter((k) => sourceConfig[k]!.secret).length },
      restore,
      images: pinned,
      runtime: spec.runtime.kind,
      fqdn: containerApps ? "" : spec.host.fqdn,
      health: containerApps
        ? spec.publicEndpoints.map((e) => ({ service: e.service, url: e.healthPath }))
        : healthTargets(spec.host.fqdn, spec),
      notes,
    },
  };
}

/**
 * The new host's DNS label: the source's with the target's suffix (prod → prod-dr gives
 * `<label>-dr`), else with the whole target name, cut to Azure's 63 characters.
 */
export function derivedLabel(sourceLabel: string, source: string, target: string): string {
  const suffix = (target.startsWith(`${source}-`) ? target.slice(source.length + 1) : target)
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-");
  return `${sourceLabel.slice(0, 62 - suffix.length)}-${suffix}`.replace(/-+/g, "-").replace(/-$/, "");
}

/** The public health URLs of a stack: `https://<fqdn>[:port]<health path>` per public endpoint. */
export function healthTargets(fqdn: string, spec: Pick<EnvironmentSpec, "publicEndpoints">): HealthTarget[] {
  return spec.publicEndpoints.map((e) => ({
    service: e.service,
    url: `https://${fqdn}${e.port === 443 ? "" : `:${e.port}`}${e.healthPath}`,
  }));
}

function outputText(outputs: StackOutputs, key: string): string | undefined {
  const v = outputs[key]?.value;
  return typeof v === "string" && v !== "" ? v : undefined;
}

function validate(input: PlanInput, stack: string, config: StackConfig, mode: EvaluationMode) {
  const values: Record<string, string> = {};
  const secretKeys = new Set<string>();
  for (const [key, entry] of Object.entries(config)) {
    if (!key.startsWith(NS)) continue;
    values[key.slice(NS.length)] = entry.value;
    if (entry.secret) secretKeys.add(key.slice(NS.length));
  }
  return buildEnvironmentSpec({
    project: input.project,
    stack,
    values,
    secretKeys,
    mode,
    ...(input.app ? { app: input.app } : {}),
    ...(input.appFiles ? { appFiles: input.appFiles } : {}),
  });
}

/** The source's spec, through the same validation the program runs (its defaults, its profile). */
function validatedSource(
  input: PlanInput,
  config: StackConfig,
  refuse: (r: Refusal) => void,
): EnvironmentSpec | undefined {
  const result = validate(input, input.request.source, config, "plan");
  if (result.spec) return result.spec;
  refuse({
    subject: "--from",
    value: input.request.source,
    message: `has a config the program no longer accepts, so its restore windows cannot be known:\n${formatProblems(result.problems.filter((p) => p.severity === "error"))}`,
    allowed: "a source whose config validates",
    fix: "fix the source's config (pulumi config set ... --stack <source>), then run recreate again",
  });
  return undefined;
}

/** The plan for a person: the config diff (secrets as [secret]), restore options, release, notes. */
export function renderPlan(plan: RecreatePlan): string {
  const lines: string[] = [];
  lines.push(`recreate ${plan.source} → ${plan.target}, data as of ${plan.at}`);
  lines.push("", "config of the new stack:");
  lines.push(
    `  copied unchanged from ${plan.source}: ${plan.copied.total} settings (${plan.copied.secrets} secret, shown nowhere)`,
  );
  for (const c of plan.changes) {
    const show = (v: string | undefined) => (v === undefined ? "(unset)" : c.secret ? "[secret]" : v);
    lines.push(`  ${c.key}: ${show(c.from)} → ${show(c.to)}`, `      ${c.why}`);
  }
  lines.push("", "restore:");
  const pg = plan.restore.postgres;
  lines.push(
    pg
      ? `  Postgres: new branch in Neon project ${pg.projectId} from ${pg.branchId ?? "its default branch"} at ${pg.timestamp} (window back to ${pg.windowStart})`
      : "  Postgres: none (no service needs it)",
  );
  const mongo = plan.restore.mongodb;
  lines.push(
    !mongo
      ? "  MongoDB: none (no service needs it)"
      : "empty" in mongo
        ? `  MongoDB: starts EMPTY (${mongo.reason})`
        : `  MongoDB: point-in-time restore of ${mongo.clusterName} (Atlas project ${mongo.projectId}) at ${mongo.timestamp} into the new cluster (window back to ${mongo.windowStart})`,
  );
  lines.push("", "release (images by digest, as the source runs them):");
  for (const [service, ref] of Object.entries(plan.images)) lines.push(`  ${service}: ${ref}`);
  lines.push("", `health checks waited for after \`pulumi up\`:`);
  for (const h of plan.health)
    lines.push(
      `  ${h.service}: ${plan.runtime === "containerapps" ? `<its endpoint URL, known after up>${h.url}` : h.url}`,
    );
  if (plan.notes.length > 0) {
    lines.push("", "notes:");
    for (const n of plan.notes) lines.push(`  - ${n}`);
  }
  return lines.join("\n");
}

/** Refusals for a terminal, in the validation's shape. */
export function renderRefusals(refusals: readonly Refusal[]): string {
  return refusals
    .map((r) =>
      [
        `refused: ${r.subject}${r.value !== undefined ? ` = ${JSON.stringify(r.value)}` : ""} ${r.message}`,
        `  allowed: ${r.allowed}`,
        `  fix:     ${r.fix}`,
      ].join("\n"),
    )
    .join("\n");
}
