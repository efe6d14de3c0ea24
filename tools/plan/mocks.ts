import { createHash } from "node:crypto";
import type * as pulumi from "@pulumi/pulumi";

/**
 * What the providers would compute for the resources liftoff declares: ids, names, addresses.
 * Values are obviously fake (documentation address ranges, an all-zero subscription) so nothing in
 * a plan can be mistaken for a real environment.
 */
export const PLAN_SUBSCRIPTION = "00000000-0000-0000-0000-000000000000";
export const PLAN_PUBLIC_IP = "198.51.100.10";
export const PLAN_PRIVATE_IP = "10.42.1.4";
export const PLAN_TENANT = "11111111-1111-1111-1111-111111111111";
/** The Container Apps environment's inbound address (documentation range, like every plan address). */
export const PLAN_ENVIRONMENT_IP = "198.51.100.20";

/** The input that carries an Azure resource's own name, per resource type. */
const AZURE_NAME_INPUT: Readonly<Record<string, string>> = {
  "azure-native:resources:ResourceGroup": "resourceGroupName",
  "azure-native:network:VirtualNetwork": "virtualNetworkName",
  "azure-native:network:Subnet": "subnetName",
  "azure-native:network:NetworkSecurityGroup": "networkSecurityGroupName",
  "azure-native:network:SecurityRule": "securityRuleName",
  "azure-native:network:PublicIPAddress": "publicIpAddressName",
  "azure-native:network:NetworkInterface": "networkInterfaceName",
  "azure-native:compute:VirtualMachine": "vmName",
  "azure-native:devtestlab:GlobalSchedule": "name",
  "azure-native:storage:StorageAccount": "accountName",
  "azure-native:storage:BlobContainer": "containerName",
  "azure-native:keyvault:Vault": "vaultName",
  "azure-native:keyvault:Key": "keyName",
  "azure-native:network:NatGateway": "natGatewayName",
  "azure-native:app:ManagedEnvironment": "environmentName",
  "azure-native:app:ContainerApp": "containerAppName",
  "azure-native:app:Job": "jobName",
  "azure-native:app:ManagedCertificate": "managedCertificateName",
  "azure-native:app:ManagedEnvironmentsStorage": "storageName",
  "azure-native:storage:FileShare": "shareName",
};

type State = Record<string, unknown>;

/** Provider-computed outputs for one resource, merged over its inputs. */
export function computedState(args: pulumi.runtime.MockResourceArgs): { id: string; state: State } {
  const delivered = observabilityAndDeliveryState(args);
  if (delivered) return delivered;
  const inputs = args.inputs as State;
  const plain = (key: string) => unwrapSecret(inputs[key]);
  if (args.type.startsWith("azure-native:")) {
    const nameKey = AZURE_NAME_INPUT[args.type];
    const name = String((nameKey && plain(nameKey)) ?? args.name);
    const [, module, kind] = args.type.split(":");
    const group =
      args.type === "azure-native:resources:ResourceGroup" ? name : String(plain("resourceGroupName") ?? "rg");
    const id =
      args.type === "azure-native:resources:ResourceGroup"
        ? `/subscriptions/${PLAN_SUBSCRIPTION}/resourceGroups/${name}`
        : `/subscriptions/${PLAN_SUBSCRIPTION}/resourceGroups/${group}/providers/Microsoft.${module}/${kind}/${name}`;
    const state: State = { ...inputs, name, id };
    if (args.type === "azure-native:network:PublicIPAddress") {
      const dns = plain("dnsSettings") as { domainNameLabel?: string } | undefined;
      state["ipAddress"] = PLAN_PUBLIC_IP;
      state["dnsSettings"] = {
        ...dns,
        fqdn: `${dns?.domainNameLabel}.${String(plain("location"))}.cloudapp.azure.com`,
      };
    }
    if (args.type === "azure-native:app:ManagedEnvironment") {
      // Azure picks a random word per environment; here one derived from its place and name.
      state["defaultDomain"] =
        `${planUuid(`env:${group}:${name}`).slice(0, 13).replace("-", "")}.${String(plain("location"))}.azurecontainerapps.io`;
      state["staticIp"] = PLAN_ENVIRONMENT_IP;
      state["provisioningState"] = "Succeeded";
    }
    if (args.type === "azure-native:app:ContainerApp") {
      const environmentId = String(plain("managedEnvironmentId") ?? plain("environmentId") ?? "");
      const domain = `${planUuid(`env:${group}:${environmentId.split("/").at(-1)}`)
        .slice(0, 13)
        .replace("-", "")}.${String(plain("location"))}.azurecontainerapps.io`;
      const configuration = (plain("configuration") as State | undefined) ?? {};
      const ingress = unwrapSecret(configuration["ingress"]) as State | undefined;
      const fqdn = ingress ? `${name}${ingress["external"] === true ? "" : ".internal"}.${domain}` : undefined;
      const template = (plain("template") as State | undefined) ?? {};
      const suffix = String(unwrapSecret(template["revisionSuffix"]) ?? planUuid(JSON.stringify(template)).slice(0, 8));
      state["latestRevisionName"] = `${name}--${suffix}`;
      state["latestReadyRevisionName"] = `${name}--${suffix}`;
      state["latestRevisionFqdn"] = fqdn ? `${name}--${suffix}.${domain}` : "";
      state["outboundIpAddresses"] = [PLAN_PUBLIC_IP];
      if (ingress) state["configuration"] = { ...configuration, ingress: { ...ingress, fqdn } };
    }
    if (args.type === "azure-native:compute:VirtualMachine") {
      // Azure gives every VM it creates a new vmId. Here it is derived from what makes a new VM (its
      // place and name, and the cloud-init it must be replaced for), so a replacement changes it in
      // the plan diff and an in-place update (a resize, tags) does not.
      const customData = unwrapSecret((plain("osProfile") as State | undefined)?.["customData"]);
      state["vmId"] = planUuid(`vm:${group}:${String(plain("location"))}:${name}:${String(customData)}`);
    }
    if (args.type === "azure-native:network:NetworkInterface") {
      const configs = (plain("ipConfigurations") as State[] | undefined) ?? [];
      state["ipConfigurations"] = configs.map((c, i) => ({
        ...c,
        privateIPAddress: i === 0 ? PLAN_PRIVATE_IP : undefined,
      }));
    }
    return { id, state };
  }
  if (args.type === "tls:index/privateKey:PrivateKey") {
    return {
      id: `${args.name}-id`,
      state: {
        ...inputs,
        publicKeyOpenssh:
          "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPLANPLANPLANPLANPLANPLANPLANPLANPLANPLANPLAN liftoff-plan\n",
        privateKeyOpenssh: "-----BEGIN OPENSSH PRIVATE KEY-----\nplan-placeholder\n-----END OPENSSH PRIVATE KEY-----\n",
        privateKeyPem: "-----BEGIN PRIVATE KEY-----\nplan-placeholder\n-----END PRIVATE KEY-----\n",
      },
    };
  }
  const data = dataLayerState(args.type, args.name, inputs);
  if (data) return data;
  const release = containerAppsReleaseState(args.type, args.name, inputs);
  if (release) return release;
  return { id: `${args.name}-id`, state: { ...inputs } };
}

// ---------------------------------------------------------------------------------------------
// Observability (Grafana Cloud) and delivery (container registry, GitHub): resources and invokes.
// Tokens look like tokens but say `plan`, so a leak in a plan or a test is unmistakable.
// ---------------------------------------------------------------------------------------------

/** A deterministic UUID-shaped id from a seed, for ids the cloud would assign. */
function planUuid(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A deterministic number from a name, for ids the cloud would assign. */
function planNumber(name: string, base: number, span: number): number {
  return base + (parseInt(createHash("sha256").update(name).digest("hex").slice(0, 8), 16) % span);
}

/** Provider-computed outputs of Grafana Cloud and GitHub resources; undefined for other types. */
function observabilityAndDeliveryState(
  args: pulumi.runtime.MockResourceArgs,
): { id: string; state: State } | undefined {
  const inputs = args.inputs as State;
  const plain = (key: string) => unwrapSecret(inputs[key]);
  switch (args.type) {
    case "grafana:cloud/stack:Stack": {
      const slug = String(plain("slug"));
      const region = String(plain("regionSlug") ?? "prod-us-central-0");
      const id = String(planNumber(slug, 900_000, 99_999));
      return {
        id,
        state: {
          ...inputs,
          url: `https://${slug}.grafana.net`,
          status: "active",
          clusterSlug: region,
          otlpUrl: `https://otlp-gateway-${region}.grafana.net/otlp`,
          prometheusUserId: planNumber(`${slug}-prom`, 1_000_000, 999_999),
          prometheusUrl: `https://prometheus-prod-00-${region}.grafana.net`,
          prometheusRemoteWriteEndpoint: `https://prometheus-prod-00-${region}.grafana.net/api/prom/push`,
          logsUserId: planNumber(`${slug}-logs`, 1_000_000, 999_999),
          logsUrl: `https://logs-prod-000-${region}.grafana.net`,
          tracesUserId: planNumber(`${slug}-traces`, 1_000_000, 999_999),
          tracesUrl: `https://tempo-prod-00-${region}.grafana.net`,
        },
      };
    }
    case "grafana:cloud/accessPolicy:AccessPolicy":
      return {
        id: `${String(plain("region"))}:${args.name}`,
        state: { ...inputs, policyId: `plan-policy-${args.name}` },
      };
    case "grafana:cloud/accessPolicyToken:AccessPolicyToken":
      return {
        id: `${String(plain("region"))}:${args.name}`,
        state: { ...inputs, token: `glc_plan_${args.name}_never_real` },
      };
    case "grafana:cloud/stackServiceAccount:StackServiceAccount":
      return { id: `${String(plain("stackSlug"))}:${planNumber(args.name, 1, 999)}`, state: { ...inputs } };
    case "grafana:cloud/stackServiceAccountToken:StackServiceAccountToken":
      return {
        id: `${String(plain("stackSlug"))}:token-${planNumber(args.name, 1, 999)}`,
        state: { ...inputs, key: `glsa_plan_${args.name}_never_real` },
      };
    case "grafana:syntheticMonitoring/installation:Installation":
      return {
        id: `sm-${String(plain("stackId"))}`,
        state: {
          ...inputs,
          smAccessToken: `sm_plan_${args.name}_never_real`,
          stackSmApiUrl: "https://synthetic-monitoring-api-plan.grafana.net",
        },
      };
    case "grafana:oss/folder:Folder":
      return {
        id: `1:${String(plain("uid"))}`,
        state: { ...inputs, url: `https://plan.grafana.net/dashboards/f/${String(plain("uid"))}` },
      };
    case "grafana:oss/dashboard:Dashboard": {
      const uid = String((JSON.parse(String(plain("configJson"))) as { uid?: string }).uid);
      return {
        id: `1:${uid}`,
        state: {
          ...inputs,
          uid,
          dashboardId: planNumber(uid, 1, 9999),
          version: 1,
          url: `https://plan.grafana.net/d/${uid}`,
        },
      };
    }
    case "grafana:syntheticMonitoring/check:Check":
      return { id: String(planNumber(args.name, 1, 99_999)), state: { ...inputs, tenantId: 1 } };
    case "github:index/repositoryEnvironment:RepositoryEnvironment":
      return { id: `${String(plain("repository"))}:${String(plain("environment"))}`, state: { ...inputs } };
    default:
      return undefined;
  }
}

/** Public probe locations the synthetic monitoring API lists (a subset of Grafana's). */
export const PLAN_PROBES: Readonly<Record<string, number>> = {
  Amsterdam: 7,
  Atlanta: 1,
  Frankfurt: 8,
  London: 5,
  NewYork: 2,
  Paris: 9,
  SaoPaulo: 12,
  Singapore: 14,
  Sydney: 15,
  Tokyo: 16,
};

/**
 * The containerapps release's drivers (components/containerapps/driver.ts): a job run that
 * succeeded, and a traffic release that ended with every app on the revision it was given.
 */
function containerAppsReleaseState(
  type: string,
  name: string,
  inputs: State,
): { id: string; state: State } | undefined {
  if (type === "pulumi-nodejs:dynamic/containerapps:JobRun") {
    const job = String(unwrapSecret(inputs["jobName"]));
    return {
      id: `${name}-run`,
      state: {
        ...inputs,
        executionName: `${job}-${planUuid(`${job}:${String(unwrapSecret(inputs["releaseId"]))}`).slice(0, 7)}`,
        status: "Succeeded",
      },
    };
  }
  if (type === "pulumi-nodejs:dynamic/containerapps:TrafficRelease") {
    const apps = (unwrapSecret(inputs["apps"]) as { name: unknown; revision: unknown }[] | undefined) ?? [];
    const live = Object.fromEntries(apps.map((a) => [String(unwrapSecret(a.name)), String(unwrapSecret(a.revision))]));
    return { id: `${name}-traffic`, state: { ...inputs, live } };
  }
  return undefined;
}

/** What the providers' lookups (invokes) would return. */
export function computedInvoke(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
  const inputs = (args.inputs ?? {}) as State;
  const plain = (key: string) => unwrapSecret(inputs[key]);
  switch (args.token) {
    case "azure-native:storage:listStorageAccountKeys":
      return {
        keys: [{ keyName: "key1", permissions: "FULL", value: `plan-storage-key-${String(plain("accountName"))}` }],
      };
    case "azure-native:authorization:getClientConfig":
      return {
        clientId: PLAN_SUBSCRIPTION,
        objectId: PLAN_SUBSCRIPTION,
        subscriptionId: PLAN_SUBSCRIPTION,
        tenantId: PLAN_TENANT,
      };
    case "grafana:oss/getDataSource:getDataSource": {
      const name = String(plain("name"));
      const kind = /-logs$/.test(name) ? "loki" : /-traces$/.test(name) ? "tempo" : "prometheus";
      // Newer stacks name their datasources' uids like this; older ones have random uids.
      const uid = { loki: "grafanacloud-logs", tempo: "grafanacloud-traces", prometheus: "grafanacloud-prom" }[kind];
      return {
        id: `1:${uid}`,
        name,
        uid,
        type: kind,
        url: "https://plan.grafana.net",
        isDefault: kind === "prometheus",
      };
    }
    case "grafana:syntheticMonitoring/getProbes:getProbes":
      return { id: "probes", probes: { ...PLAN_PROBES } };
    case "docker:index/getRegistryImage:getRegistryImage": {
      const name = String(plain("name"));
      return { id: name, name, sha256Digest: `sha256:${createHash("sha256").update(`plan:${name}`).digest("hex")}` };
    }
    case "github:index/getUser:getUser": {
      const username = String(plain("username"));
      return {
        id: String(planNumber(username, 1_000_000, 8_999_999)),
        login: username,
        username,
        nodeId: `U_plan_${username}`,
      };
    }
    case "github:index/getTeam:getTeam": {
      const slug = String(plain("slug"));
      return { id: String(planNumber(slug, 1_000, 8_999_999)), slug, name: slug, nodeId: `T_plan_${slug}` };
    }
    case "github:index/getRepository:getRepository": {
      const fullName = String(plain("fullName") ?? plain("name"));
      return {
        id: fullName.split("/").at(-1),
        fullName,
        name: fullName.split("/").at(-1),
        defaultBranch: "main",
        repoId: planNumber(fullName, 1, 99_999_999),
      };
    }
    default:
      return inputs;
  }
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

/** True for the wire form of a secret value as the mock monitor receives it. */
export function isWireSecret(value: unknown): value is { value: unknown } {
  return (
    value !== null && typeof value === "object" && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG
  );
}

export function unwrapSecret(value: unknown): unknown {
  return isWireSecret(value) ? value.value : value;
}

/** `value` in the wire form of a secret, as a provider's secret output reaches the program. */
export function wireSecret(value: unknown): { value: unknown } {
  return { [SECRET_SIG_KEY]: SECRET_SIG, value } as { value: unknown };
}

// -------------------------------------------------------------------------------------------------
// Data layer: Neon (liftoff's dynamic provider), MongoDB Atlas, generated passwords.
// Ids and hosts have the providers' shapes and say "plan" where they can; the engine marks the
// secret ones (a role's password, a generated password) from the resources' additionalSecretOutputs.
// -------------------------------------------------------------------------------------------------

/** Neon project id → region, so a branch's compute gets a host in its project's region. */
const neonRegions = new Map<string, string>();

/** A stable fake 24-hex-digit Atlas id (ObjectId) for a name. */
function atlasId(kind: string, name: string): string {
  return createHash("sha256").update(`${kind}:${name}`).digest("hex").slice(0, 24);
}

function neonHost(endpoint: string, region: string): string {
  return `ep-${endpoint}.${region.replace(/^aws-/, "")}.aws.neon.tech`;
}

function dataLayerState(type: string, name: string, inputs: State): { id: string; state: State } | undefined {
  const plain = (key: string) => unwrapSecret(inputs[key]);
  const slug = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "");
  switch (type) {
    case "pulumi-nodejs:dynamic/neon:Project": {
      const projectId = `plan-${slug(String(plain("name")))}`;
      const region = String(plain("regionId"));
      neonRegions.set(projectId, region);
      return {
        id: projectId,
        state: {
          ...inputs,
          projectId,
          defaultBranchId: `br-${projectId}-main`,
          host: neonHost(`${projectId}-main`, region),
        },
      };
    }
    case "pulumi-nodejs:dynamic/neon:Branch": {
      const projectId = String(plain("projectId"));
      const branchId = `br-${projectId}-${slug(String(plain("name")))}`;
      return {
        id: branchId,
        state: {
          ...inputs,
          branchId,
          host: neonHost(branchId.slice(3), neonRegions.get(projectId) ?? "aws-eu-central-1"),
        },
      };
    }
    case "pulumi-nodejs:dynamic/neon:Role":
      return {
        id: `${plain("projectId")}/${plain("branchId")}/${plain("name")}`,
        state: { ...inputs, password: "plan-neon-role-password" },
      };
    case "pulumi-nodejs:dynamic/neon:Login":
      return {
        id: `${plain("projectId")}/${plain("branchId")}/${plain("name")}`,
        state: { ...inputs, password: "plan-neon-login-password" },
      };
    case "pulumi-nodejs:dynamic/neon:AllowedIp":
      return { id: `${plain("projectId")}/${plain("ip")}`, state: { ...inputs, added: true } };
    case "pulumi-nodejs:dynamic/neon:Database":
      return { id: `${plain("projectId")}/${plain("branchId")}/${plain("name")}`, state: { ...inputs } };
    case "mongodbatlas:index/project:Project": {
      const id = atlasId("project", String(plain("name")));
      return { id, state: { ...inputs, id, clusterCount: 0, created: "2026-01-01T00:00:00Z" } };
    }
    case "mongodbatlas:index/advancedCluster:AdvancedCluster": {
      const cluster = String(plain("name"));
      const host = `${slug(cluster)}.plan0.mongodb.net`;
      return {
        id: `${plain("projectId")}-${cluster}`,
        state: {
          ...inputs,
          clusterId: atlasId("cluster", cluster),
          stateName: "IDLE",
          mongoDbVersion: "8.0.4",
          connectionStrings: {
            standard: `mongodb://${slug(cluster)}-shard-00-00.plan0.mongodb.net:27017/?ssl=true&authSource=admin`,
            standardSrv: `mongodb+srv://${host}`,
            private: "",
            privateSrv: "",
            privateEndpoints: [],
          },
        },
      };
    }
    case "mongodbatlas:index/databaseUser:DatabaseUser":
      return { id: `${plain("projectId")}-${plain("username")}-${plain("authDatabaseName")}`, state: { ...inputs } };
    case "mongodbatlas:index/projectIpAccessList:ProjectIpAccessList":
      return { id: `${plain("projectId")}-${plain("cidrBlock") ?? plain("ipAddress")}`, state: { ...inputs } };
    case "mongodbatlas:index/cloudBackupSchedule:CloudBackupSchedule":
      return {
        id: `${plain("projectId")}-${plain("clusterName")}`,
        state: { ...inputs, nextSnapshot: "2026-01-01T00:00:00Z" },
      };
    case "mongodbatlas:index/cloudBackupSnapshotRestoreJob:CloudBackupSnapshotRestoreJob": {
      const jobId = atlasId(
        "restore",
        `${String(plain("projectId"))}/${String(plain("clusterName"))}/${JSON.stringify(plain("deliveryTypeConfig"))}`,
      );
      return {
        id: jobId,
        state: { ...inputs, snapshotRestoreJobId: jobId, cancelled: false, expired: false, failed: false },
      };
    }
    case "pulumi-nodejs:dynamic/atlas:RestoreWait":
      // Under `pulumi up` this waits for Atlas to finish; the plan only shows that it would.
      return {
        id: String(plain("jobId")),
        state: { ...inputs, finishedAt: "(when Atlas reports the restore finished)" },
      };
    case "random:index/randomPassword:RandomPassword": {
      const length = Number(plain("length") ?? 32);
      const result = `plan${"0".repeat(Math.max(0, length - 4))}`;
      return { id: "none", state: { ...inputs, result, bcryptHash: "$2a$10$plan" } };
    }
    case "pulumi:providers:mongodbatlas":
      return { id: `${name}-provider-id`, state: { ...inputs } };
    default:
      return undefined;
  }
}
