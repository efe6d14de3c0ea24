/**
 * `recreate` step by step: validate the source and plan, create the stack with its config, `pulumi
 * up`, wait for the public health checks, and say how long each step took. The workspace, clock and
 * health wait are passed in, so tests run it all against fakes.
 */
import type { EngineEvent } from "@pulumi/pulumi/automation/events";
import { DEFAULT_COMPOSE_FILE } from "../../environments/core";
import type { HealthResult, HealthWaitOptions } from "./health";
import { resourceGroupName } from "../../stacks/names";
import {
  planRecreate,
  renderPlan,
  renderRefusals,
  type HealthTarget,
  type PlanInput,
  type RecreatePlan,
  type RecreateRequest,
} from "./plan";
import type { RecreateWorkspace } from "./workspace";

/** Exit codes of `npm run recreate` (documented in --help and docs/disaster-recovery.md). */
export const EXIT = {
  ok: 0,
  /** A flag is missing or malformed. */
  usage: 2,
  /** The plan refused: unknown source, existing target, time outside the window, ... Nothing was touched. */
  refused: 3,
  /** Creating the stack or `pulumi up` failed; the new stack exists and says how far it got. */
  upFailed: 4,
  /** `pulumi up` succeeded but a public health check did not pass in time. */
  unhealthy: 5,
} as const;

export interface RecreateDeps {
  readonly workspace: RecreateWorkspace;
  readonly project: string;
  /** The application's compose file by path (the source's liftoff:composeFile, else the default), and the project's files beside it. */
  readonly readApp: (file: string) => Pick<PlanInput, "app" | "appFiles">;
  readonly now: () => Date;
  readonly waitForHealth: (targets: readonly HealthTarget[], options: HealthWaitOptions) => Promise<HealthResult[]>;
  /** Progress and results, line by line. */
  readonly print: (...lines: string[]) => void;
}

export interface RecreateOptions {
  readonly dryRun?: boolean;
  readonly healthTimeoutMs?: number;
}

export interface StepTiming {
  readonly step: string;
  readonly seconds: number;
  /** Sub-phases of `pulumi up`, from the engine's events (they overlap: the engine runs in parallel). */
  readonly detail?: boolean;
}

export interface RecreateOutcome {
  readonly exitCode: number;
  readonly plan?: RecreatePlan;
  readonly timings: readonly StepTiming[];
}

/** Which part of the program a resource type belongs to, for the timing of `pulumi up`. */
export function phaseOf(type: string): "data restore" | "host" | "deploy" | "observability and delivery" | undefined {
  if (type.startsWith("pulumi-nodejs:dynamic/neon:") || type.startsWith("mongodbatlas:")) return "data restore";
  // The apps of a containerapps stack are its release; its environment is the platform, like a host.
  if (type === "azure-native:app:ContainerApp" || type === "azure-native:app:Job") return "deploy";
  if (type.startsWith("azure-native:") || type.startsWith("tls:")) return "host";
  if (type.startsWith("command:")) return "deploy";
  if (type.startsWith("pulumi:") || type.startsWith("liftoff:")) return undefined;
  return "observability and delivery";
}

/** Collects the engine's resource events into a start and end per phase. */
export class PhaseClock {
  private readonly spans = new Map<string, { start: number; end: number }>();

  onEvent(event: EngineEvent): void {
    const step = event.resourcePreEvent?.metadata ?? event.resOutputsEvent?.metadata;
    if (!step) return;
    const phase = phaseOf(step.type);
    if (!phase) return;
    const span = this.spans.get(phase) ?? { start: event.timestamp, end: event.timestamp };
    span.start = Math.min(span.start, event.timestamp);
    span.end = Math.max(span.end, event.timestamp);
    this.spans.set(phase, span);
  }

  timings(): StepTiming[] {
    return [...this.spans.entries()]
      .sort((a, b) => a[1].start - b[1].start)
      .map(([phase, span]) => ({ step: `  ${phase}`, seconds: span.end - span.start, detail: true }));
  }
}

export function renderTimings(timings: readonly StepTiming[]): string {
  const width = Math.max(...timings.map((t) => t.step.length));
  return timings.map((t) => `${t.step.padEnd(width)}  ${formatSeconds(t.seconds)}`).join("\n");
}

function formatSeconds(seconds: number): string {
  const s = Math.round(seconds);
  return s >= 60 ? `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, "0")} s` : `${s} s`;
}

export async function recreate(
  request: RecreateRequest,
  options: RecreateOptions,
  deps: RecreateDeps,
): Promise<RecreateOutcome> {
  const { print, workspace } = deps;
  const timings: StepTiming[] = [];
  const startedAt = Date.now();
  let stepStart = startedAt;
  const endStep = (step: string) => {
    const now = Date.now();
    timings.push({ step, seconds: (now - stepStart) / 1000 });
    stepStart = now;
  };
  const summary = () => {
    timings.push({ step: "total", seconds: (Date.now() - startedAt) / 1000 });
    print("", "timings:");
    print(renderTimings(timings));
  };

  // 1. The source, and the plan.
  print(`[1/4] reading stack ${request.source} and planning ${request.target}`);
  const existingStacks = await workspace.listStacks();
  const source = existingStacks.includes(request.source) ? await workspace.readStack(request.source) : undefined;
  const app = deps.readApp(source?.config["liftoff:composeFile"]?.value ?? DEFAULT_COMPOSE_FILE);
  const result = planRecreate({
    request,
    existingStacks,
    ...(source ? { source } : {}),
    now: deps.now(),
    project: deps.project,
    ...app,
  });
  endStep("validate source and plan");
  if (!result.ok) {
    print(renderRefusals(result.refusals), "", `nothing was created (exit ${EXIT.refused})`);
    return { exitCode: EXIT.refused, timings };
  }
  const plan = result.plan;
  print(renderPlan(plan));
  if (options.dryRun) {
    print("", "dry run: nothing was created");
    return { exitCode: EXIT.ok, plan, timings };
  }

  // 2. The stack and its config.
  const secretsProvider = source?.secretsProvider;
  print(
    "",
    `[2/4] creating stack ${plan.target} with ${Object.keys(plan.config).length} settings, its secrets encrypted by ${secretsProvider ? `${request.source}'s secrets provider, ${secretsProvider}` : "the backend's default secrets provider, as " + request.source + "'s are"}`,
  );
  try {
    await workspace.createStack(plan.target, plan.config, secretsProvider);
  } catch (err) {
    endStep("create stack + config");
    print(
      `creating ${plan.target} failed: ${message(err)}`,
      `if it was created, remove it before trying again: pulumi stack rm ${plan.target}`,
    );
    summary();
    return { exitCode: EXIT.upFailed, plan, timings };
  }
  endStep("create stack + config");

  // 3. pulumi up, with the engine's progress and its phases.
  print("", `[3/4] pulumi up --stack ${plan.target}`);
  const phases = new PhaseClock();
  let outputs;
  try {
    outputs = await workspace.up(plan.target, {
      onOutput: (text) => {
        for (const line of text.split("\n")) if (line.trim() !== "") print(`  | ${line}`);
      },
      onEvent: (event) => phases.onEvent(event),
    });
  } catch (err) {
    endStep("pulumi up");
    timings.push(...phases.timings());
    print(
      `pulumi up failed: ${message(err)}`,
      `the stack ${plan.target} exists with what was created; fix the cause and run: pulumi up --stack ${plan.target}`,
    );
    summary();
    return { exitCode: EXIT.upFailed, plan, timings };
  }
  endStep("pulumi up");
  timings.push(...phases.timings());

  // 4. The public health checks, at the FQDN the new stack reports.
  const fqdn = typeof outputs["fqdn"]?.value === "string" ? (outputs["fqdn"].value as string) : plan.fqdn;
  const targets = healthTargetsAfterUp(plan, outputs);
  print(
    "",
    `[4/4] waiting for ${targets.length} public health check${targets.length === 1 ? "" : "s"} at ${plan.runtime === "containerapps" ? "the apps' hostnames" : fqdn}`,
  );
  const health = await deps.waitForHealth(targets, {
    ...(options.healthTimeoutMs ? { timeoutMs: options.healthTimeoutMs } : {}),
    onProgress: (line) => print(line),
  });
  endStep("health checks");
  summary();
  const failing = health.filter((h) => !h.healthy);
  if (failing.length > 0) {
    print(
      "",
      `${plan.target} is up but not healthy: ${failing.map((h) => `${h.service} (${h.url}: ${h.last})`).join(", ")}`,
    );
    print(
      plan.runtime === "containerapps"
        ? `look at the apps: az containerapp revision list --name <service> --resource-group ${resourceGroupName(`${deps.project}-${plan.target}`)}, and their logs in Grafana`
        : `look at the host: ssh to ${fqdn}, then /srv/liftoff/bin/liftoff-release status`,
    );
    return { exitCode: EXIT.unhealthy, plan, timings };
  }
  print(
    "",
    `${plan.target} serves ${plan.source}'s release with data as of ${plan.at}: ${targets.map((t) => t.url).join(", ")}`,
  );
  return { exitCode: EXIT.ok, plan, timings };
}

/**
 * The health URLs to wait for once the new stack is up: on a VM the planned ones at the FQDN the
 * stack reports; on Container Apps each endpoint's URL from the `endpoints` output plus its path.
 */
export function healthTargetsAfterUp(
  plan: Pick<RecreatePlan, "runtime" | "fqdn" | "health">,
  outputs: Readonly<Record<string, { readonly value: unknown }>>,
): { service: string; url: string }[] {
  if (plan.runtime === "containerapps") {
    const endpoints = (outputs["endpoints"]?.value ?? {}) as Record<string, string>;
    return plan.health
      .filter((h) => typeof endpoints[h.service] === "string")
      .map((h) => ({ service: h.service, url: `${endpoints[h.service]!.replace(/\/+$/, "")}${h.url}` }));
  }
  const fqdn = typeof outputs["fqdn"]?.value === "string" ? (outputs["fqdn"].value as string) : plan.fqdn;
  return plan.health.map((h) => ({ ...h, url: h.url.replace(plan.fqdn, fqdn) }));
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
