/**
 * The Container Apps policies (runtime `containerapps`, issue #13): pure rules over a Container App
 * or Job's properties and the stack's facts, like rules.ts. Messages name apps, variables and
 * settings, never a value.
 */
import { UNKNOWN, isProd, type Rule } from "./rules";

export const CONTAINER_APP_TYPE = "azure-native:app:ContainerApp";
export const CONTAINER_APP_JOB_TYPE = "azure-native:app:Job";

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => v !== null && typeof v === "object" && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const at = (value: unknown, dotted: string): unknown =>
  dotted.split(".").reduce<unknown>((v, key) => (isObj(v) ? v[key] : undefined), value);

/** The app's name as Azure knows it (the service it runs, by liftoff's naming). */
function appName(resource: { name: string; props: Readonly<Obj> }): string {
  const name = resource.props["containerAppName"] ?? resource.props["jobName"];
  return typeof name === "string" ? name : resource.name;
}

/**
 * Public ingress serves HTTPS only: an external ingress never allows plain HTTP (`allowInsecure`)
 * and is not raw TCP. A custom domain may be declared `bindingType: Disabled` for the moment its
 * managed certificate is issued (Azure's order: hostname, certificate, binding; the release's
 * traffic driver binds it): with allowInsecure false nothing is served in plain text meanwhile.
 */
export const containerAppIngressTls: Rule = (resource) => {
  if (resource.type !== CONTAINER_APP_TYPE) return [];
  const ingress = at(resource.props, "configuration.ingress");
  if (!isObj(ingress) || ingress["external"] !== true) return [];
  const problems: string[] = [];
  if (ingress["allowInsecure"] === true)
    problems.push(
      "its public ingress allows plain HTTP (allowInsecure: true); set allowInsecure: false so HTTP is redirected to HTTPS",
    );
  const transport = ingress["transport"];
  if (typeof transport === "string" && transport.toLowerCase() === "tcp")
    problems.push(
      "its public ingress is raw TCP, which Container Apps does not terminate TLS for; serve HTTP(S) or keep the port internal",
    );
  return problems.map((p) => `${appName(resource)}: ${p}`);
};

/**
 * A prod app keeps two replicas at least (unless liftoff:allowUnsafeProd names
 * containerAppsMinReplicas). An app that mounts an Azure Files share is an accessory that opted
 * into it, and runs exactly one replica on purpose: two writers of one broker or cache volume over
 * SMB corrupt it.
 */
export const prodMinReplicas: Rule = (resource, facts) => {
  if (
    resource.type !== CONTAINER_APP_TYPE ||
    !isProd(resource, facts) ||
    facts.allowUnsafeProd.includes("containerAppsMinReplicas")
  )
    return [];
  const volumes = list(at(resource.props, "template.volumes"));
  if (
    volumes.some(
      (v) => isObj(v) && typeof v["storageType"] === "string" && v["storageType"].toLowerCase() === "azurefile",
    )
  )
    return [];
  const min = at(resource.props, "template.scale.minReplicas");
  if (min === UNKNOWN || (typeof min === "number" && min >= 2)) return [];
  return [
    `${appName(resource)}: runs ${typeof min === "number" ? min : "Container Apps' default of 0"} replica${min === 1 ? "" : "s"} at least in prod; set template.scale.minReplicas to 2 or more (liftoff:containerAppsMinReplicas)`,
  ];
};

/** What a connection string or an auth header looks like: never a plain env value. */
const CREDENTIAL_VALUE = /:\/\/[^/\s:@]+:[^/\s@]+@|authorization=|^basic\s|^bearer\s/i;

/**
 * A secret reaches a container only as a secret ref: no env entry whose name the application marks
 * secret (secret stack variables, secret bindings, the database URLs and OTLP headers liftoff adds)
 * or whose value looks like a credential carries a plain `value`; registry passwords are refs.
 */
export const secretsAsSecretRefs: Rule = (resource, facts) => {
  if (resource.type !== CONTAINER_APP_TYPE && resource.type !== CONTAINER_APP_JOB_TYPE) return [];
  const name = appName(resource);
  const secretNames = new Set(facts.secretVariables[name] ?? Object.values(facts.secretVariables).flat());
  const problems: string[] = [];
  const containers = [
    ...list(at(resource.props, "template.containers")),
    ...list(at(resource.props, "template.initContainers")),
  ];
  for (const container of containers) {
    if (!isObj(container)) continue;
    for (const entry of list(container["env"])) {
      if (!isObj(entry) || typeof entry["name"] !== "string") continue;
      const value = entry["value"];
      if (value === undefined || value === null || value === UNKNOWN) continue;
      if (secretNames.has(entry["name"]) || (typeof value === "string" && CREDENTIAL_VALUE.test(value))) {
        problems.push(
          `variable ${entry["name"]} of container ${typeof container["name"] === "string" ? container["name"] : "(unnamed)"} holds a secret as a plain value; put it in configuration.secrets and reference it with secretRef`,
        );
      }
    }
  }
  for (const registry of list(at(resource.props, "configuration.registries"))) {
    if (isObj(registry) && registry["password"] !== undefined)
      problems.push(`the registry ${String(registry["server"])} has a plain password; use passwordSecretRef`);
  }
  return problems.map((p) => `${name}: ${p}`);
};
