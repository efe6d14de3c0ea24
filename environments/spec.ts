import type { DataSpec } from "./data";
import type { ImageRef } from "./image-ref";
import type { OsDiskType, Profile, ProfileName } from "./profiles";

/** A service the environment runs, with the image it runs. */
export interface ServiceSpec {
  readonly name: string;
  readonly image: ImageRef;
  /** The reference as the operator wrote it. */
  readonly imageText: string;
}

/** A service reachable from the internet: the firewall opens `port` and the proxy listens on it. */
export interface PublicEndpoint {
  readonly service: string;
  readonly port: number;
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
  readonly services: readonly ServiceSpec[];
  readonly publicEndpoints: readonly PublicEndpoint[];
  readonly secrets: readonly SecretRequirement[];
}

/**
 * The one validated description of an environment that every layer reads. Built only by
 * `buildEnvironmentSpec`, so a layer never sees an unvalidated value. Each layer's section adds
 * its part here.
 */
export type EnvironmentSpec = CoreSpec & { readonly data: DataSpec };
