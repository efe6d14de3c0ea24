import type { AppDefinition, AppService } from "./app-definition";
import type { DataSpec } from "./data";
import type { RuntimeSpec } from "./runtime";
import type { ReleasePolicy } from "../components/deploy/release";
import type { AlertThresholds, OsDiskType, Profile, ProfileName } from "./profiles";

/**
 * A service the environment runs: its definition from the compose file, with the image this stack
 * runs (the compose file's, or the stack's override in `liftoff:images`).
 */
export type ServiceSpec = AppService & {
  /**
   * Where the image was set, for messages: `liftoff:images.<service>` for an override, else
   * `<compose file>: services.<service>.image`.
   */
  readonly imageKey: string;
};

/** A service reachable from the internet: the firewall opens `port` and the proxy listens on it. */
export interface PublicEndpoint {
  /** The endpoint's name in the compose file's x-liftoff.endpoints. */
  readonly name: string;
  readonly service: string;
  readonly port: number;
  /** The port the service listens on inside its container. */
  readonly containerPort: number;
  /** Path the proxy, the deploy gate and the synthetic check probe. */
  readonly healthPath: string;
  /** `https://<fqdn>[:port]`. */
  readonly url: string;
}

/** A secret the stack needs, and whether the operator has set it. */
export interface SecretRequirement {
  readonly key: string;
  readonly purpose: string;
  readonly howToSet: string;
  readonly isSet: boolean;
}

/** The environment's core: profile, region, host, network edge, services and public endpoints. */
export interface CoreSpec {
  readonly project: string;
  readonly stack: string;
  readonly profile: Profile;
  readonly profileName: ProfileName;
  readonly region: string;
  readonly owner: string;
  /** Tags every Azure resource carries. */
  readonly tags: Readonly<Record<string, string>>;
  readonly protect: boolean;
  /** Prefix for Azure resource names: `<project>-<stack>`. */
  readonly namePrefix: string;
  readonly network: {
    readonly addressSpace: string;
    readonly subnetPrefix: string;
    readonly sshPort: number;
    /** Normalised IPv4 CIDRs allowed to reach SSH; empty means SSH is closed to all. */
    readonly sshAllowedCidrs: readonly string[];
    /** Port kept open for ACME HTTP-01 certificate issuance and the HTTP→HTTPS redirect. */
    readonly acmePort: 80;
  };
  readonly host: {
    readonly vmSize: string;
    readonly osDisk: { readonly sizeGb: number; readonly type: OsDiskType };
    readonly adminUser: string;
    /** The unprivileged user (docker group) the deploy layer logs in as. */
    readonly deployUser: string;
    /** Operator-supplied OpenSSH public key; when absent liftoff generates a key pair. */
    readonly sshPublicKey?: string;
    readonly autoShutdown?: { readonly time: string; readonly timeZone: string };
    readonly dnsLabel: string;
    readonly fqdn: string;
  };
  /** The operator's application definition, validated. */
  readonly app: AppDefinition;
  readonly services: readonly ServiceSpec[];
  readonly publicEndpoints: readonly PublicEndpoint[];
  readonly secrets: readonly SecretRequirement[];
  /** `liftoff:bakeSeconds` and `liftoff:canary` over the profile's defaults (environments/release-policy.ts). */
  readonly release: ReleasePolicy;
}

/** The observability layer's part: the environment's Grafana Cloud stack and what it watches. */
export interface ObservabilitySpec {
  readonly grafana: {
    /** Grafana Cloud region slug, e.g. `prod-eu-west-3`; the stack and its access policies live there. */
    readonly region: string;
    /** Stack slug: the stack is `https://<slug>.grafana.net`. */
    readonly stackSlug: string;
    readonly stackUrl: string;
    /** Grafana refuses to delete the stack while on (prod); off in dev so it can be torn down. */
    readonly deleteProtection: boolean;
  };
  /** Who the alerts mail. */
  readonly alertEmails: readonly string[];
  readonly alertThresholds: AlertThresholds;
  /** The service whose 5xx ratio is alerted on: the one behind port 443, else the first public endpoint. */
  readonly gatewayService?: string;
  /** Public probe locations (Grafana's probe names) and how often each checks every health URL. */
  readonly syntheticCheck: { readonly probes: readonly string[]; readonly frequencySeconds: number };
  readonly secrets: readonly SecretRequirement[];
}

/** The delivery layer's part: where images come from and the GitHub environment deployments run in. */
export interface DeliverySpec {
  readonly registry: {
    /** Always `ghcr.io`: the pull credentials are a GitHub token. */
    readonly server: string;
    /** The GitHub user or organisation every service image must belong to. */
    readonly owner: string;
    /** The user `docker login ghcr.io` authenticates as (the PAT's owner). */
    readonly username: string;
    /** Image repositories (`registry/path`, no tag) allowed from outside the owner. */
    readonly externalImages: readonly string[];
  };
  /** Absent when the stack configures no GitHub repository: the layer then declares nothing of GitHub. */
  readonly github?: {
    readonly owner: string;
    readonly repository: string;
    /** The repository environment's name: the stack's name. */
    readonly environment: string;
    /** GitHub logins, and team slugs of the owner organisation, who must approve a deployment. */
    readonly reviewers: { readonly users: readonly string[]; readonly teams: readonly string[] };
    /** Reviewers required, self-review prevented, admins cannot bypass, default branch only. */
    readonly protected: boolean;
  };
  readonly secrets: readonly SecretRequirement[];
}

/**
 * The one validated description of an environment that every layer reads. Built only by
 * `buildEnvironmentSpec`, so a layer never sees an unvalidated value. Each layer's section adds
 * its part here; `secrets` lists every section's secrets.
 */
export type EnvironmentSpec = CoreSpec & {
  readonly data: DataSpec;
  readonly observability: ObservabilitySpec;
  readonly delivery: DeliverySpec;
  /** Where the application runs (`liftoff:runtime`) and how releases move traffic. */
  readonly runtime: RuntimeSpec;
};
