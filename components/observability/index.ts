import * as pulumi from "@pulumi/pulumi";
import * as alerting from "@pulumiverse/grafana/alerting";
import * as cloud from "@pulumiverse/grafana/cloud";
import * as oss from "@pulumiverse/grafana/oss";
import { Provider as GrafanaProvider } from "@pulumiverse/grafana/provider";
import * as syntheticMonitoring from "@pulumiverse/grafana/syntheticmonitoring";
import type { AlertThresholds } from "../../environments/profiles";
import { RULE_GROUPS, alertRuleGroups } from "./alerts";
import { ALLOY_CONTAINER, ALLOY_TOKEN_VARIABLE, renderAlloyConfig } from "./alloy";
import { checkJob, checkJobPattern, checkTimeoutMs, probeIds, type HealthCheck } from "./checks";
import {
  dashboardUrl,
  grafanaUid,
  hostDashboard,
  servicesDashboard,
  type Dashboard,
  type DatasourceRef,
} from "./dashboards";
import { otelEnvironment, otlpEndpoint, otlpHeaders, type OtelService, type OtelVariable } from "./otel";

export { alertRuleGroups, EXPRESSION_DATASOURCE, RULE_GROUPS, type Rule, type RuleGroup } from "./alerts";
export { ALLOY_CONTAINER, ALLOY_IMAGE, ALLOY_TOKEN_VARIABLE, renderAlloyConfig, type AlloyConfigInput } from "./alloy";
export { checkJob, checkJobPattern, healthUrl, probeIds, type HealthCheck } from "./checks";
export { dashboardUrl, grafanaUid, hostDashboard, servicesDashboard } from "./dashboards";
export {
  imageVersion,
  otelEnvironment,
  otlpEndpoint,
  otlpHeaders,
  OTEL_SECRET_VARIABLES,
  OTEL_VARIABLES,
  OTLP_PROTOCOL,
  type OtelService,
  type OtelVariable,
} from "./otel";

/** The only scopes the services' token has: it can write telemetry to this one stack, nothing else. */
export const OTLP_WRITE_SCOPES = ["metrics:write", "logs:write", "traces:write"] as const;
/** What synthetic monitoring's probes publish results with (the provider documents these four). */
export const SYNTHETIC_PUBLISHER_SCOPES = ["metrics:write", "logs:write", "traces:write", "stacks:read"] as const;

export interface ObservabilityArgs {
  /** Environment name (the stack's), in labels, uids and `deployment.environment`. */
  readonly environment: string;
  /** Prefix of names, e.g. `liftoff-prod`. */
  readonly namePrefix: string;
  /**
   * A Grafana Cloud access policy token with stacks:read/write/delete, accesspolicies:read/write/delete
   * and stack-service-accounts:write. Only the cloud provider sees it.
   */
  readonly cloudAccessPolicyToken: pulumi.Input<string>;
  /** Grafana Cloud region slug of the stack and its access policies, e.g. `prod-eu-west-3`. */
  readonly region: string;
  /** The stack is `https://<stackSlug>.grafana.net`. */
  readonly stackSlug: string;
  /** Grafana refuses to delete the stack while on. Default true, as Grafana's own default. */
  readonly deleteProtection?: boolean;
  /** Also `protect` the stack in Pulumi (default false), so a destroy stops before Grafana refuses. */
  readonly protect?: boolean;
  /** Labels of the stack (Grafana allows 10; letters, digits, `/ - . _`). */
  readonly labels?: Readonly<Record<string, string>>;
  /** The services that get OTel settings and dashboard panels. */
  readonly services: readonly OtelService[];
  /** The service whose 5xx share is alerted on; none: no such rule. */
  readonly gatewayService?: string;
  /** Public health URLs, each probed by a synthetic check. */
  readonly healthChecks: readonly HealthCheck[];
  /** Synthetic monitoring probe names (e.g. Amsterdam) and how often each probes, in seconds. */
  readonly syntheticCheck: { readonly probes: readonly string[]; readonly frequencySeconds: number };
  readonly alertThresholds: AlertThresholds;
  /** Whom the alerts mail; at least one address. */
  readonly alertEmails: readonly string[];
  /**
   * The host's name as its metrics and logs are labelled (`instance`, `host`). Absent when there is
   * no host (runtime `containerapps`): then no host dashboard and no host alert rules.
   */
  readonly host?: string;
}

/** The collector the deploy layer runs on the host, ready to start. */
export interface CollectorSpec {
  readonly container: typeof ALLOY_CONTAINER;
  /** The Alloy configuration (not secret: it names the token's variable, not the token). */
  readonly config: pulumi.Output<string>;
  /** The container's environment: the token, secret. */
  readonly environment: Readonly<Record<string, pulumi.Output<string>>>;
}

/**
 * The environment's Grafana Cloud stack and everything that watches it: a write-only OTLP token for
 * the services, the host collector's config, dashboards, alert rules with their contact point, and
 * synthetic checks of the public health endpoints. Three provider instances: the cloud API (stack,
 * policies, service account), the stack's own Grafana (folder, dashboards, alerting) through a
 * service account token, and synthetic monitoring through the token its installation returns.
 */
export class Observability extends pulumi.ComponentResource {
  public readonly stackId: pulumi.Output<string>;
  public readonly stackUrl: pulumi.Output<string>;
  public readonly otlpEndpoint: pulumi.Output<string>;
  /** `OTEL_EXPORTER_OTLP_HEADERS`' value; secret. */
  public readonly otlpHeaders: pulumi.Output<string>;
  /** Per service, the OTel SDK's environment; `OTEL_EXPORTER_OTLP_HEADERS` is secret. */
  public readonly otelEnvironment: Readonly<Record<string, Readonly<Record<OtelVariable, pulumi.Output<string>>>>>;
  public readonly collector: CollectorSpec;
  public readonly folderUid: pulumi.Output<string>;
  /** Dashboard name → URL. */
  public readonly dashboardUrls: Readonly<Record<string, pulumi.Output<string>>>;

  constructor(name: string, args: ObservabilityArgs, opts?: pulumi.ComponentResourceOptions) {
    super("liftoff:observability:Observability", name, {}, opts);
    const child = { parent: this };

    // Cloud API: the stack and what is scoped to it.
    const cloudProvider = new GrafanaProvider(
      `${name}-cloud`,
      { cloudAccessPolicyToken: pulumi.secret(args.cloudAccessPolicyToken) },
      child,
    );
    const onCloud = { parent: this, provider: cloudProvider };

    const stack = new cloud.Stack(
      `${name}-stack`,
      {
        name: args.stackSlug,
        slug: args.stackSlug,
        regionSlug: args.region,
        description: `liftoff ${args.environment}: telemetry of the ${args.environment} environment`,
        labels: stackLabels({ ...args.labels, "managed-by": "liftoff" }),
        deleteProtection: args.deleteProtection ?? true,
      },
      { ...onCloud, protect: args.protect ?? false },
    );

    const otlpPolicy = new cloud.AccessPolicy(
      `${name}-otlp`,
      {
        region: args.region,
        name: `${args.stackSlug}-otlp-write`,
        displayName: `liftoff ${args.environment}: services and host collector write telemetry`,
        scopes: [...OTLP_WRITE_SCOPES],
        realms: [{ type: "stack", identifier: stack.id }],
      },
      onCloud,
    );
    const otlpToken = new cloud.AccessPolicyToken(
      `${name}-otlp`,
      {
        region: args.region,
        accessPolicyId: otlpPolicy.policyId,
        name: `${args.stackSlug}-otlp-write`,
        displayName: `liftoff ${args.environment} OTLP`,
      },
      onCloud,
    );
    const token = pulumi.secret(otlpToken.token);

    // The stack's own Grafana, through a service account liftoff owns: alert provisioning needs Admin.
    const serviceAccount = new cloud.StackServiceAccount(
      `${name}-admin`,
      {
        stackSlug: stack.slug,
        name: "liftoff",
        role: "Admin",
        isDisabled: false,
      },
      onCloud,
    );
    const serviceAccountToken = new cloud.StackServiceAccountToken(
      `${name}-admin`,
      {
        stackSlug: stack.slug,
        serviceAccountId: serviceAccount.id,
        name: "liftoff",
      },
      onCloud,
    );
    const stackProvider = new GrafanaProvider(
      `${name}-grafana`,
      { url: stack.url, auth: pulumi.secret(serviceAccountToken.key) },
      child,
    );
    const onStack = { parent: this, provider: stackProvider };

    // Every Grafana Cloud stack comes with these datasources; look them up rather than guess uids.
    // Depending on the token keeps the lookup out of a preview that is still creating the stack.
    const lookup = { provider: stackProvider, parent: this, dependsOn: [serviceAccountToken] };
    const prometheus: pulumi.Output<DatasourceRef> = oss
      .getDataSourceOutput({ name: pulumi.interpolate`grafanacloud-${stack.slug}-prom` }, lookup)
      .apply((ds) => ({ type: "prometheus" as const, uid: ds.uid }));
    const loki: pulumi.Output<DatasourceRef> = oss
      .getDataSourceOutput({ name: pulumi.interpolate`grafanacloud-${stack.slug}-logs` }, lookup)
      .apply((ds) => ({ type: "loki" as const, uid: ds.uid }));

    const folder = new oss.Folder(
      `${name}-folder`,
      { uid: grafanaUid(args.environment, "folder"), title: `liftoff ${args.environment}` },
      onStack,
    );

    const serviceNames = args.services.map((s) => s.name);
    const dashboards: Record<string, pulumi.Output<Dashboard>> = {
      services: prometheus.apply((p) =>
        servicesDashboard({ environment: args.environment, services: serviceNames, prometheus: p }),
      ),
    };
    if (args.host !== undefined) {
      const host = args.host;
      dashboards["host"] = pulumi
        .all([prometheus, loki])
        .apply(([p, l]) => hostDashboard({ environment: args.environment, host, prometheus: p, loki: l }));
    }
    const dashboardUrls: Record<string, pulumi.Output<string>> = {};
    for (const [kind, json] of Object.entries(dashboards)) {
      const dashboard = new oss.Dashboard(
        `${name}-${kind}`,
        {
          folder: folder.uid,
          configJson: json.apply((d) => JSON.stringify(d)),
          overwrite: true,
          message: "Applied by liftoff (pulumi up)",
        },
        onStack,
      );
      dashboardUrls[kind] = pulumi.all([stack.url, dashboard.uid]).apply(([url, uid]) => dashboardUrl(url, uid));
    }

    const contactPoint = new alerting.ContactPoint(
      `${name}-email`,
      {
        name: `${args.namePrefix} on-call`,
        emails: [{ addresses: [...args.alertEmails], singleEmail: true }],
      },
      onStack,
    );
    new alerting.NotificationPolicy(
      `${name}-routing`,
      {
        contactPoint: contactPoint.name,
        groupBies: ["grafana_folder", "alertname"],
        groupWait: "30s",
        groupInterval: "5m",
        repeatInterval: "4h",
      },
      onStack,
    );
    const groups = prometheus.apply((p) =>
      alertRuleGroups({
        environment: args.environment,
        prometheusUid: p.uid,
        thresholds: args.alertThresholds,
        ...(args.gatewayService ? { gatewayService: args.gatewayService } : {}),
        healthCheckJobs: checkJobPattern(args.namePrefix),
        host: args.host ?? "",
      }),
    );
    for (const groupName of RULE_GROUPS.filter((g) => g !== "host" || args.host !== undefined)) {
      const group = groups.apply((all) => all.find((g) => g.name === groupName)!);
      new alerting.RuleGroup(
        `${name}-${groupName}-rules`,
        {
          name: groupName,
          folderUid: folder.uid,
          intervalSeconds: group.intervalSeconds,
          // Copies: the provider's input types are mutable, the pure rules readonly.
          rules: group.rules.apply((rules) =>
            rules.map((r) => ({
              ...r,
              labels: { ...r.labels },
              annotations: { ...r.annotations },
              datas: r.datas.map((d) => ({ ...d })),
            })),
          ),
        },
        onStack,
      );
    }

    // Synthetic monitoring: installed with its own publisher token, then checks through its API.
    const publisherPolicy = new cloud.AccessPolicy(
      `${name}-sm-publisher`,
      {
        region: args.region,
        name: `${args.stackSlug}-sm-publisher`,
        displayName: `liftoff ${args.environment}: synthetic monitoring publishes results`,
        scopes: [...SYNTHETIC_PUBLISHER_SCOPES],
        realms: [{ type: "stack", identifier: stack.id }],
      },
      onCloud,
    );
    const publisherToken = new cloud.AccessPolicyToken(
      `${name}-sm-publisher`,
      {
        region: args.region,
        accessPolicyId: publisherPolicy.policyId,
        name: `${args.stackSlug}-sm-publisher`,
      },
      onCloud,
    );
    const installation = new syntheticMonitoring.Installation(
      `${name}-sm`,
      {
        stackId: stack.id,
        metricsPublisherKey: pulumi.secret(publisherToken.token),
      },
      onCloud,
    );
    const smProvider = new GrafanaProvider(
      `${name}-sm`,
      {
        smUrl: installation.stackSmApiUrl,
        smAccessToken: pulumi.secret(installation.smAccessToken),
      },
      child,
    );
    const probes = syntheticMonitoring
      .getProbesOutput({}, { provider: smProvider, parent: this, dependsOn: [installation] })
      .apply((result) => probeIds(result.probes, args.syntheticCheck.probes));
    for (const check of args.healthChecks) {
      new syntheticMonitoring.Check(
        `${name}-${check.service}-health`,
        {
          job: checkJob(args.namePrefix, check.service),
          target: check.url,
          enabled: true,
          probes,
          frequency: args.syntheticCheck.frequencySeconds * 1000,
          timeout: checkTimeoutMs(args.syntheticCheck.frequencySeconds),
          labels: { environment: args.environment, service: check.service },
          settings: {
            http: {
              method: "GET",
              ipVersion: "V4",
              failIfNotSsl: true,
              noFollowRedirects: true,
              validStatusCodes: [200],
            },
          },
        },
        { parent: this, provider: smProvider },
      );
    }

    // What the services and the collector need.
    this.stackId = stack.id;
    this.stackUrl = stack.url;
    this.otlpEndpoint = stack.otlpUrl.apply(otlpEndpoint);
    this.otlpHeaders = pulumi.secret(pulumi.all([stack.id, token]).apply(([id, t]) => otlpHeaders(id, t)));
    const environments = otelEnvironment<pulumi.Output<string>>({
      endpoint: this.otlpEndpoint,
      headers: this.otlpHeaders,
      environment: args.environment,
      services: args.services,
    });
    this.otelEnvironment = Object.fromEntries(
      Object.entries(environments).map(([service, variables]) => [
        service,
        Object.fromEntries(Object.entries(variables).map(([key, value]) => [key, pulumi.output(value)])) as Record<
          OtelVariable,
          pulumi.Output<string>
        >,
      ]),
    );
    this.collector = {
      container: ALLOY_CONTAINER,
      config: pulumi
        .all([stack.prometheusRemoteWriteEndpoint, stack.prometheusUserId, stack.logsUrl, stack.logsUserId])
        .apply(([metricsUrl, metricsUser, logsUrl, logsUser]) =>
          renderAlloyConfig({
            environment: args.environment,
            host: args.host ?? "",
            metrics: { url: metricsUrl, username: String(metricsUser) },
            logs: { url: logsUrl, username: String(logsUser) },
          }),
        ),
      environment: { [ALLOY_TOKEN_VARIABLE]: token },
    };
    this.folderUid = folder.uid;
    this.dashboardUrls = dashboardUrls;
    this.registerOutputs({
      stackId: this.stackId,
      stackUrl: this.stackUrl,
      otlpEndpoint: this.otlpEndpoint,
      otlpHeaders: this.otlpHeaders,
      collectorConfig: this.collector.config,
      folderUid: this.folderUid,
      dashboardUrls: this.dashboardUrls,
    });
  }
}

/** Stack labels as Grafana accepts them: at most 10, letters, digits and `/ - . _` only. */
export function stackLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const clean = (s: string) => s.replace(/[^a-zA-Z0-9/\-._]/g, "-");
  return Object.fromEntries(
    Object.entries(labels)
      .slice(0, 10)
      .map(([k, v]) => [clean(k), clean(v)]),
  );
}
