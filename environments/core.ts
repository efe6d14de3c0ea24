import { z } from "zod";
import { AZURE_REGIONS, DNS_LABEL_PATTERN, RESERVED_ADMIN_USERS, VM_SIZE_PATTERN, azureFqdn } from "./azure";
import * as posixPath from "node:path/posix";
import { MIN_VM_MEMORY_GIB, MIN_VM_VCPUS, VM_SIZES, describeVmSize, findVmSize, isLargeEnough, largeEnoughInstead } from "./azure-vm-sizes";
import { releaseProblem } from "../components/deploy/release";
import { composeFilesOf, loadApp, memoryReader, type AppDefinition, type FileReader, type Variable } from "./compose";
import { parseImageRef, type ImageRef } from "./image-ref";
import { IMAGE_POLICIES, movingReference, type ImagePolicy } from "./image-policy";
import { MIN_SSH_PREFIX, checkSshSource } from "./network-address";
import { DATA_ONLY_DISK_TYPES, OS_DISK_TYPES, PROFILES, PROFILE_NAMES, isProfileName, type OsDiskType, type Profile, type ProfileName } from "./profiles";
import { RELEASE_POLICY_KEYS, readReleasePolicy } from "./release-policy";
import { closest, type ConfigReader, type ProblemInput, type SecretDefinition } from "./reader";
import { MIN_RSA_BITS, readSshPublicKey } from "./ssh-key";
import { WINDOWS_TIME_ZONES, findWindowsTimeZone, windowsTimeZoneForIana } from "./time-zones";
import type { CoreSpec, PublicEndpoint, SecretRequirement, ServiceSpec } from "./spec";

/** Where the application's compose file is, relative to the project, unless `liftoff:composeFile` says. */
export const DEFAULT_COMPOSE_FILE = "app/compose.yaml";

const ADDRESS_SPACE = "10.42.0.0/16";
const SUBNET_PREFIX = "10.42.1.0/24";
const ACME_PORT = 80;
/** The proxy's HTTPS port: Caddy holds it for the endpoint on 443 and its own redirects. */
const HTTPS_PORT = 443;
const DEPLOY_USER = "deploy";

/** Secrets no default can stand in for: `pulumi up` refuses to run without them. */
export const REQUIRED_SECRETS: readonly SecretDefinition[] = [
  {
    key: "ghcrToken",
    purpose: "pulls the service images from GitHub Container Registry on the host",
    howToSet:
      "create a classic personal access token with only read:packages (GitHub has no API to mint one), then: pulumi config set --secret liftoff:ghcrToken",
  },
];

/** The settings the core section reads. */
export const CORE_KEYS: readonly string[] = [
  "profile", "region", "owner", "dnsLabel", "vmSize", "osDiskSizeGb", "osDiskType", "adminUser",
  "sshPublicKey", "sshAllowedCidrs", "sshPort", "autoShutdown", "autoShutdownTimeZone", "composeFile",
  "composeFiles", "composeVariables", "composeSecrets", "composeProfiles", "images", "imagePolicy", "allowUnsafeProd", "hostAccessAllowed",
  ...RELEASE_POLICY_KEYS,
  ...REQUIRED_SECRETS.map((s) => s.key),
];

const ADMIN_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const SSH_PUBLIC_KEY = /^(ssh-[a-z0-9]+|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}( .*)?$/;
const SHUTDOWN_TIME = /^([01][0-9]|2[0-3]):?([0-5][0-9])$/;

const stringListSchema = z.array(z.string());
const stringMapSchema = z.record(z.string(), z.string());

/**
 * The core read: `spec` when it is valid; `draft` always, with the valid parts and stand-ins for
 * the invalid ones (the profile a mistyped one most likely meant, empty names, an application without
 * services), so every layer's settings are still checked in the same pass.
 */
export interface CoreResult {
  readonly spec?: CoreSpec;
  readonly draft: CoreSpec;
}

/**
 * The core of the environment: profile, region, host, network edge, services and their public
 * endpoints, merged from the profile and the stack config.
 */
export function readCore(reader: ConfigReader): CoreResult {
  const input = reader.input;
  const raw = input.values;
  const k = (key: string) => reader.key(key);
  const setCommand = (key: string, example: string) => reader.setCommand(key, example);
  const pathCommand = (path: string, example: string) => reader.pathCommand(path, example);
  const error = (p: ProblemInput) => reader.error(p);
  const warn = (p: ProblemInput) => reader.warn(p);
  const text = (key: string) => reader.text(key);
  const integer = (key: string, fallback: number | undefined, min: number, max: number, example: string) =>
    reader.integer(key, fallback, min, max, example);
  const structured = <T>(key: string, schema: z.ZodType<T>, allowed: string, example: string) =>
    reader.structured(key, schema, allowed, example);

  // Profile first: every default below comes from it.
  const profileText = text("profile");
  let profile: Profile | undefined;
  if (profileText === undefined) {
    error({ key: k("profile"), message: "is not set; a stack must name the kind of environment it is", allowed: PROFILE_NAMES.join(", "), fix: setCommand("profile", input.stack === "prod" ? "prod" : "dev") });
  } else if (!isProfileName(profileText)) {
    error({ key: k("profile"), value: profileText, message: "is not a known profile", allowed: PROFILE_NAMES.join(", "), fix: setCommand("profile", "prod") });
  } else {
    profile = PROFILES[profileText];
  }
  const resolvedProfile = profile ?? PROFILES[likelyProfile(profileText, input.stack)];

  const region = text("region");
  if (region === undefined) {
    error({ key: k("region"), message: "is not set", allowed: "an Azure region name such as westeurope, eastus2, swedencentral", fix: setCommand("region", "westeurope") });
  } else if (!AZURE_REGIONS.includes(region)) {
    const near = closest(region.toLowerCase().replace(/\s+/g, ""), AZURE_REGIONS);
    error({ key: k("region"), value: region, message: "is not an Azure region", allowed: "an Azure region name as `az account list-locations` spells it (lowercase, no spaces)", fix: setCommand("region", near ?? "westeurope") });
  }

  const owner = text("owner");
  if (owner === undefined || owner.trim() === "") {
    error({ key: k("owner"), value: owner, message: "is not set; every resource is tagged with who answers for it", allowed: "a team or person, e.g. platform-team", fix: setCommand("owner", "platform-team") });
  } else if (owner.length > 256 || /[<>%&\\?/]/.test(owner)) {
    error({ key: k("owner"), value: owner, message: "cannot be an Azure tag value", allowed: "up to 256 characters without < > % & \\ ? /", fix: setCommand("owner", "platform-team") });
  }

  const dnsLabel = text("dnsLabel");
  if (dnsLabel === undefined) {
    error({ key: k("dnsLabel"), message: "is not set; it names the host <label>.<region>.cloudapp.azure.com and must be unique in the region", allowed: "3-63 lowercase letters, digits and hyphens, starting with a letter", fix: setCommand("dnsLabel", `acme-${input.stack}`) });
  } else if (!DNS_LABEL_PATTERN.test(dnsLabel)) {
    error({ key: k("dnsLabel"), value: dnsLabel, message: "is a DNS label Azure refuses", allowed: "3-63 lowercase letters, digits and hyphens, starting with a letter and ending with a letter or digit", fix: setCommand("dnsLabel", suggestLabel(dnsLabel, input.stack)) });
  }

  const vmSizeText = text("vmSize") ?? profile?.vmSize;
  const vmSize = vmSizeText === undefined ? undefined : findVmSize(vmSizeText);
  if (vmSizeText !== undefined) {
    const sizesAllowed = `a size from liftoff's table (environments/azure-vm-sizes.ts: B, Bsv2, Basv2, Dv3-Dv5, Dasv5, Dlsv5, Ev5, Easv5, Fsv2) with at least ${MIN_VM_VCPUS} vCPUs and ${MIN_VM_MEMORY_GIB} GiB, e.g. Standard_B2s, Standard_D2s_v5`;
    if (!vmSize) {
      const candidates = VM_SIZES.filter(isLargeEnough).map((s) => s.name);
      const near = closest(vmSizeText, candidates) ?? closest(`Standard_${vmSizeText}`, candidates) ?? profile?.vmSize ?? "Standard_B2s";
      const message = VM_SIZE_PATTERN.test(vmSizeText) ? "is not an Azure VM size liftoff supports (Azure has no such size, or it is outside liftoff's table)" : "is not an Azure VM size name";
      error({ key: k("vmSize"), value: vmSizeText, message, allowed: sizesAllowed, fix: setCommand("vmSize", near) });
    } else if (!isLargeEnough(vmSize)) {
      error({ key: k("vmSize"), value: vmSizeText, message: `is too small (${describeVmSize(vmSize)}): the host runs Docker, the proxy, the collector and, during a deploy, two copies of every service`, allowed: sizesAllowed, fix: setCommand("vmSize", largeEnoughInstead(vmSize)) });
    }
  }

  const osDiskSizeGb = integer("osDiskSizeGb", profile?.osDisk.sizeGb, 30, 4095, "128");
  const osDiskTypeText = text("osDiskType") ?? profile?.osDisk.type;
  const premiumSize = vmSize?.premiumStorage ?? true;
  if (osDiskTypeText !== undefined && (DATA_ONLY_DISK_TYPES as readonly string[]).includes(osDiskTypeText)) {
    error({ key: k("osDiskType"), value: osDiskTypeText, message: "is a disk type Azure allows for data disks only, never as a VM's OS disk", allowed: OS_DISK_TYPES.join(", "), fix: setCommand("osDiskType", premiumSize ? "Premium_LRS" : "StandardSSD_LRS") });
  } else if (osDiskTypeText !== undefined && !(OS_DISK_TYPES as readonly string[]).includes(osDiskTypeText)) {
    error({ key: k("osDiskType"), value: osDiskTypeText, message: "is not a managed disk type liftoff offers", allowed: OS_DISK_TYPES.join(", "), fix: setCommand("osDiskType", closest(osDiskTypeText, OS_DISK_TYPES) ?? "Premium_LRS") });
  } else if (osDiskTypeText !== undefined && osDiskTypeText.startsWith("Premium") && vmSize && !vmSize.premiumStorage) {
    const blamed = reader.isSet("osDiskType") || !reader.isSet("vmSize") ? "osDiskType" : "vmSize";
    const withS = vmSize.name.replace(/_v(\d)$/, "s_v$1");
    error({ key: k(blamed), value: blamed === "osDiskType" ? osDiskTypeText : vmSize.name, message: blamed === "osDiskType" ? `is Premium SSD, which ${vmSize.name} cannot attach (only sizes with an s, e.g. ${withS}, can)` : `cannot attach the Premium SSD OS disk (liftoff:osDiskType ${osDiskTypeText})`, allowed: "a Premium disk only on a size with premium storage (an s in its name)", fix: `${setCommand("osDiskType", "StandardSSD_LRS")}, or ${setCommand("vmSize", findVmSize(withS) ? withS : "Standard_D2s_v5")}` });
  }

  const adminUser = text("adminUser") ?? "liftoff";
  if (!ADMIN_USER.test(adminUser) || RESERVED_ADMIN_USERS.includes(adminUser) || adminUser === DEPLOY_USER) {
    error({ key: k("adminUser"), value: adminUser, message: "is a Linux admin user name Azure (or liftoff, which reserves `deploy`) refuses", allowed: "1-32 lowercase letters, digits, _ or -, not a reserved name such as admin, root, user", fix: setCommand("adminUser", "ops") });
  }

  const sshPublicKey = text("sshPublicKey");
  if (sshPublicKey !== undefined) {
    const keyAllowed = `one line as in ~/.ssh/id_ed25519.pub: an Ed25519 key, or an RSA key of ${MIN_RSA_BITS} bits or more (Azure's Linux VMs take no other); leave unset to have liftoff generate a key pair`;
    const keyFix = `ssh-keygen -t ed25519 -f ~/.ssh/liftoff_${input.stack}, then pulumi config set ${k("sshPublicKey")} "$(cat ~/.ssh/liftoff_${input.stack}.pub)" --stack ${input.stack}`;
    const info = SSH_PUBLIC_KEY.test(sshPublicKey.trim()) ? readSshPublicKey(sshPublicKey) : undefined;
    if (!info || !info.ok) {
      error({ key: k("sshPublicKey"), value: truncate(sshPublicKey), message: `is not an OpenSSH public key${info ? `: ${info.reason}` : ""}`, allowed: keyAllowed, fix: keyFix });
    } else if (info.type === "other") {
      error({ key: k("sshPublicKey"), value: truncate(sshPublicKey), message: `is an ${info.algorithm} key, which Azure refuses for a Linux VM`, allowed: keyAllowed, fix: keyFix });
    } else if (info.type === "ssh-rsa" && info.bits < MIN_RSA_BITS) {
      error({ key: k("sshPublicKey"), value: truncate(sshPublicKey), message: `is a ${info.bits}-bit RSA key; Azure refuses RSA keys under ${MIN_RSA_BITS} bits`, allowed: keyAllowed, fix: keyFix });
    }
  }

  const sshPort = integer("sshPort", 22, 1, 65535, "22") ?? 22;

  const cidrsExample = "[203.0.113.7/32]";
  const cidrInput = structured("sshAllowedCidrs", stringListSchema, "a list of IPv4 addresses or CIDR ranges", `liftoff:sshAllowedCidrs: ${cidrsExample}`) ?? [];
  const sshAllowedCidrs: string[] = [];
  cidrInput.forEach((source, i) => {
    const key = `${k("sshAllowedCidrs")}[${i}]`;
    const fix = pathCommand(`sshAllowedCidrs[${i}]`, "203.0.113.7/32");
    const allowed = `IPv4 addresses or CIDR ranges you administer from, /${MIN_SSH_PREFIX} or narrower`;
    const check = checkSshSource(source);
    switch (check.kind) {
      case "ok":
        sshAllowedCidrs.push(check.cidr);
        break;
      case "internet":
        error({ key, value: source, message: "opens SSH to the whole internet", allowed, fix });
        break;
      case "too-broad":
        error({ key, value: source, message: `opens SSH to 2^${32 - check.prefix} addresses, in effect the internet`, allowed, fix });
        break;
      case "host-bits":
        error({ key, value: source, message: `has host bits set; Azure would refuse it`, allowed, fix: pathCommand(`sshAllowedCidrs[${i}]`, check.network) });
        break;
      case "malformed":
        error({ key, value: source, message: "is not an IPv4 address or CIDR (service tags and IPv6 are not accepted: the host has one IPv4 address)", allowed, fix });
        break;
    }
  });
  if (raw["sshAllowedCidrs"] !== undefined && cidrInput.length > 0 && sshAllowedCidrs.length === cidrInput.length) {
    const duplicates = sshAllowedCidrs.filter((c, i) => sshAllowedCidrs.indexOf(c) !== i);
    for (const d of new Set(duplicates)) {
      warn({ key: k("sshAllowedCidrs"), value: d, message: "is listed twice", allowed: "each range once", fix: `remove the duplicate from Pulumi.${input.stack}.yaml` });
    }
  }
  if (cidrInput.length === 0) {
    warn({ key: k("sshAllowedCidrs"), message: "is empty: SSH is closed to everyone, so neither you nor the deploy layer can reach the host", allowed: "the IPv4 addresses or ranges you administer from", fix: `set liftoff:sshAllowedCidrs: ${cidrsExample} in Pulumi.${input.stack}.yaml` });
  }

  let autoShutdown: { time: string; timeZone: string } | undefined = profile?.autoShutdown;
  const shutdownText = text("autoShutdown");
  if (shutdownText !== undefined) {
    const m = SHUTDOWN_TIME.exec(shutdownText);
    if (shutdownText === "off") autoShutdown = undefined;
    else if (m) autoShutdown = { time: `${m[1]}${m[2]}`, timeZone: autoShutdown?.timeZone ?? "UTC" };
    else error({ key: k("autoShutdown"), value: shutdownText, message: "is not a time of day or `off`", allowed: "HH:MM (24 h) or off", fix: setCommand("autoShutdown", "19:00") });
  }
  const timeZoneText = text("autoShutdownTimeZone");
  if (timeZoneText !== undefined) {
    const timeZone = findWindowsTimeZone(timeZoneText);
    if (timeZone === undefined) {
      const iana = windowsTimeZoneForIana(timeZoneText);
      const near = iana ?? closest(timeZoneText, WINDOWS_TIME_ZONES) ?? "W. Europe Standard Time";
      error({
        key: k("autoShutdownTimeZone"),
        value: timeZoneText,
        message: iana ? `is an IANA time zone; Azure's auto-shutdown takes the Windows id, here "${iana}"` : "is not a Windows time zone id Azure's auto-shutdown accepts",
        allowed: "a Windows time zone id such as UTC, W. Europe Standard Time, Pacific Standard Time (the ids `tzutil /l` lists)",
        fix: setCommand("autoShutdownTimeZone", `"${near}"`),
      });
    } else if (autoShutdown) {
      autoShutdown = { ...autoShutdown, timeZone };
    }
  }

  // Services and their images.
  // The application: the operator's compose file, read with its x-liftoff settings.
  const composeFile = text("composeFile") ?? DEFAULT_COMPOSE_FILE;
  const composeFiles = structured("composeFiles", stringListSchema, "a list of compose files relative to the project, merged in order", "liftoff:composeFiles: [app/compose.yaml, app/compose.prod.yaml]");
  const composeProfiles = structured("composeProfiles", stringListSchema, "a list of Compose profile names", "liftoff:composeProfiles: [monitoring]") ?? [];
  const variableValues = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));
  const plainVariables = structured("composeVariables", variableValues, "a map of variable name to value", "liftoff:composeVariables: {TAG: 1.4.2}") ?? {};
  const secretVariables = structured("composeSecrets", variableValues, "a map of variable name to secret value, each set with --secret", "pulumi config set --secret --path 'liftoff:composeSecrets.DB_PASSWORD' <value>") ?? {};
  if (reader.isSet("composeSecrets") && !input.secretKeys.has("composeSecrets")) {
    error({ key: k("composeSecrets"), value: "(hidden)", message: "is stored in plain text in the stack config", allowed: "values set with --secret", fix: `pulumi config set --secret --path 'liftoff:composeSecrets.<NAME>' <value> --stack ${input.stack}` });
  }
  // A map Pulumi holds as secret as a whole cannot say which of its values are: all are treated so.
  const plainAreSecret = input.secretKeys.has("composeVariables");
  if (plainAreSecret) {
    warn({ key: k("composeVariables"), value: "(hidden)", message: "holds a secret value, so every variable in it is treated as secret (usable in environment only)", allowed: "non-secret values here, secret ones in liftoff:composeSecrets", fix: `move the secret values to liftoff:composeSecrets (pulumi config set --secret --path 'liftoff:composeSecrets.<NAME>' <value> --stack ${input.stack})` });
  }
  const variables: Record<string, Variable> = {
    ...Object.fromEntries(Object.entries(plainVariables).map(([name, v]) => [name, { value: String(v), secret: plainAreSecret }])),
    ...Object.fromEntries(Object.entries(secretVariables).map(([name, v]) => [name, { value: String(v), secret: true }])),
  };
  let app: AppDefinition | undefined;
  let files: { projectDir: string; reader: FileReader } | undefined = input.appFiles;
  if (!files && input.app) {
    files = { projectDir: "/project", reader: memoryReader({ [posixPath.join("/project", input.app.file)]: input.app.text }) };
  }
  if (!files || (!input.appFiles && !input.app)) {
    error({ key: k("composeFile"), value: composeFile, message: "cannot be read; liftoff needs the application's compose file", allowed: "a path relative to the project, or absolute", fix: `create ${composeFile} (see app/compose.yaml) or ${setCommand("composeFile", "app/compose.yaml")}` });
  } else {
    const result = loadApp({
      projectDir: files.projectDir,
      files: composeFilesOf(composeFile, composeFiles, files.projectDir, files.reader),
      variables,
      profiles: composeProfiles,
      reader: files.reader,
    });
    for (const { severity, ...p } of result.problems) (severity === "error" ? error : warn)(p);
    app = result.app;
    const unrenderable = app && releaseProblem(app);
    if (app && unrenderable) {
      error({
        key: `${app.file}: ${unrenderable.where}`,
        message: unrenderable.message,
        allowed: "what a release can carry to the host side by side with the live one (docs/compose.md)",
        fix: `edit ${app.file}: change or remove it as the message says`,
      });
      app = undefined;
    }
  }

  // The host access this stack's reviewers accepted (`<service>:<kind>`): the policy pack holds every
  // other declared access against it (advisory in dev, mandatory in prod). An entry the application
  // does not declare is refused, so the list cannot silently outlive what it was written for.
  const allowedHostAccess = structured("hostAccessAllowed", stringListSchema, "a list of <service>:<host access kind> the application declares", "liftoff:hostAccessAllowed: [agent:host-paths]") ?? [];
  if (app) {
    const declared = app.services.flatMap((svc) => svc.hostAccess.map((kind) => `${svc.name}:${kind}`));
    allowedHostAccess.forEach((entry, i) => {
      if (declared.includes(entry)) return;
      error({
        key: `${k("hostAccessAllowed")}[${i}]`,
        value: entry,
        message: "allows host access the application does not declare in x-liftoff.hostAccess",
        allowed: declared.join(", ") || "none: no service declares host access",
        fix: `remove it from liftoff:hostAccessAllowed in Pulumi.${input.stack}.yaml${closest(entry, declared) ? `, or write ${closest(entry, declared)}` : ""}`,
      });
    });
  }

  // Per-stack image overrides, e.g. dev runs :main while prod runs what the compose file pins.
  const imagesExample = "liftoff:images: {api-gateway: ghcr.io/acme/api-gateway:main}";
  const overrides = structured("images", stringMapSchema, "a map of service name to image reference", imagesExample) ?? {};
  const appServices = new Set(app?.services.map((s) => s.name) ?? []);
  const images = new Map<string, { text: string; ref: ImageRef }>();
  for (const [name, ref] of Object.entries(overrides)) {
    const key = `${k("images")}.${name}`;
    if (app && !appServices.has(name)) {
      error({ key, value: ref, message: `names a service that ${app.file} does not define`, allowed: [...appServices].join(", "), fix: `remove it from liftoff:images in Pulumi.${input.stack}.yaml, or fix the service name` });
      continue;
    }
    const parsed = parseImageRef(ref);
    if (!parsed.ok) {
      const pinned = parsed.reason === "no-tag-or-digest" ? `${ref}:1.4.2` : `ghcr.io/acme/${name}:1.4.2`;
      error({ key, value: ref, message: `is not a usable image reference: ${parsed.detail}`, allowed: "registry/owner/name:tag or registry/owner/name@sha256:<digest>", fix: pathCommand(`images.${name}`, pinned) });
      continue;
    }
    images.set(name, { text: ref.trim(), ref: parsed.ref });
  }
  const services: ServiceSpec[] = (app?.services ?? []).map((s) => {
    const override = images.get(s.name);
    return override
      ? { ...s, image: override.ref, imageText: override.text, imageKey: `${k("images")}.${s.name}` }
      : { ...s, imageKey: `${app!.file}: services.${s.name}.image` };
  });

  // Prod runs pinned images: a moving tag would change what runs at the next `up` unasked.
  const policyText = text("imagePolicy") ?? "strict";
  const imagePolicy = (IMAGE_POLICIES as readonly string[]).includes(policyText) ? (policyText as ImagePolicy) : undefined;
  if (!imagePolicy) {
    error({ key: k("imagePolicy"), value: policyText, message: "is not an image policy", allowed: `${IMAGE_POLICIES.join(" or ")}: what a prod stack does with an image on a moving tag (refuse it, or warn)`, fix: setCommand("imagePolicy", "strict") });
  }
  if (resolvedProfile.name === "prod") {
    for (const service of services) {
      const moving = movingReference(service.image);
      if (!moving) continue;
      const overridden = images.has(service.name);
      const pinned = `${service.imageText.split("@")[0]!.replace(/:[^:/]*$/, "")}:1.4.2`;
      const problem = {
        key: service.imageKey,
        value: service.imageText,
        message: `${moving}; a prod stack runs a version or a digest, so what it runs changes only when you change it`,
        allowed: "a version tag (1.4.2, v2, 3.13-alpine), a commit tag, or @sha256:<digest>",
        fix: overridden
          ? `${pathCommand(`images.${service.name}`, pinned)}${policyText === "warn" ? "" : `, or to only warn: ${setCommand("imagePolicy", "warn")}`}`
          : `edit ${app!.file}: pin ${service.name}'s image, e.g. image: ${pinned}${
            // An override is offered only to a stack that already uses liftoff:images.
            reader.isSet("images") ? `, or override it for this stack: ${pathCommand(`images.${service.name}`, pinned)}` : ""
          }${policyText === "warn" ? "" : `, or to only warn: ${setCommand("imagePolicy", "warn")}`}`,
      };
      if (imagePolicy === "warn") warn(problem);
      else error(problem);
    }
  }

  // Public endpoints come from the application, and the firewall and proxy both derive from them.
  const seenPorts = new Map<number, string>();
  const publicEndpoints: Omit<PublicEndpoint, "url">[] = [];
  for (const endpoint of app?.endpoints ?? []) {
    const key = `${app!.file}: x-liftoff.endpoints.${endpoint.name}.port`;
    const fix = `edit ${app!.file}: give endpoint ${endpoint.name} another port, e.g. 9443`;
    const allowed = `1-65535 except ${ACME_PORT} (certificates) and the SSH port, one endpoint per port`;
    const value = String(endpoint.port);
    if (endpoint.port < 1 || endpoint.port > 65535) {
      error({ key, value, message: "is not a TCP port", allowed, fix });
    } else if (endpoint.port === ACME_PORT) {
      error({ key, value, message: "is kept for certificate issuance and the HTTPS redirect", allowed, fix });
    } else if (seenPorts.has(endpoint.port)) {
      error({ key, value, message: `is already the port of endpoint ${seenPorts.get(endpoint.port)}`, allowed, fix });
    } else {
      seenPorts.set(endpoint.port, endpoint.name);
      const service = services.find((s) => s.public?.endpoint === endpoint.name)!;
      publicEndpoints.push({ name: endpoint.name, service: service.name, port: endpoint.port, containerPort: service.public!.containerPort, healthPath: service.healthPath! });
    }
  }
  // SSH must not share a port the firewall opens to everyone or the proxy listens on: the one rule
  // (the NSG's) would then open SSH to the internet, or sshd and Caddy would fight over the port.
  const proxyPorts = new Map<number, string>([[ACME_PORT, "certificate issuance and the HTTPS redirect (open to the internet)"], [HTTPS_PORT, "the proxy's HTTPS port"]]);
  for (const endpoint of app?.endpoints ?? []) proxyPorts.set(endpoint.port, `the public endpoint ${endpoint.name} (open to the internet)`);
  const usedBy = proxyPorts.get(sshPort);
  if (usedBy !== undefined) {
    const free = [22, 2222, 22022].find((p) => !proxyPorts.has(p))!;
    error({ key: k("sshPort"), value: String(sshPort), message: `is the port of ${usedBy}; SSH would share it with the proxy and be reachable from the internet`, allowed: `a port other than ${[...proxyPorts.keys()].sort((a, b) => a - b).join(", ")}`, fix: setCommand("sshPort", String(free)) });
  }

  if (app && publicEndpoints.length === 0 && app.endpoints.length === 0) {
    warn({ key: `${app.file}: x-liftoff.endpoints`, message: "declares no public endpoint: nothing is reachable from the internet", allowed: "the endpoints the internet may call", fix: `edit ${app.file}: x-liftoff: { endpoints: { api: { port: 443 } } }` });
  }

  const secrets: SecretRequirement[] = REQUIRED_SECRETS.map((s) => reader.requireSecret(s));
  const release = readReleasePolicy(reader, resolvedProfile);

  const fqdn = azureFqdn(dnsLabel ?? "", region ?? "");
  const draft: CoreSpec = {
    project: input.project,
    stack: input.stack,
    profile: resolvedProfile,
    profileName: resolvedProfile.name,
    region: region ?? "",
    owner: owner ?? "",
    tags: { environment: input.stack, profile: resolvedProfile.name, owner: owner ?? "", "managed-by": "liftoff", project: input.project },
    protect: resolvedProfile.protect,
    namePrefix: `${input.project}-${input.stack}`,
    network: { addressSpace: ADDRESS_SPACE, subnetPrefix: SUBNET_PREFIX, sshPort, sshAllowedCidrs, acmePort: ACME_PORT },
    host: {
      vmSize: vmSize?.name ?? resolvedProfile.vmSize,
      osDisk: { sizeGb: osDiskSizeGb ?? resolvedProfile.osDisk.sizeGb, type: (osDiskTypeText ?? resolvedProfile.osDisk.type) as OsDiskType },
      adminUser,
      deployUser: DEPLOY_USER,
      ...(sshPublicKey ? { sshPublicKey: sshPublicKey.trim() } : {}),
      ...(autoShutdown ? { autoShutdown } : {}),
      dnsLabel: dnsLabel ?? "",
      fqdn,
    },
    app: app ?? emptyApp(composeFile),
    services,
    publicEndpoints: publicEndpoints.map((e) => ({ ...e, url: e.port === 443 ? `https://${fqdn}` : `https://${fqdn}:${e.port}` })),
    secrets,
    release,
  };
  const valid = !reader.hasErrors && profile && region && owner && dnsLabel && vmSize && osDiskTypeText && app;
  return valid ? { spec: draft, draft } : { draft };
}

/** The stand-in for an application that could not be read: no services, so nothing depends on it. */
function emptyApp(file: string): AppDefinition {
  return { files: [file], file, endpoints: [], services: [], volumes: {}, networks: {}, secrets: {}, configs: {}, assets: [] };
}

/** The profile a missing or mistyped `liftoff:profile` most likely meant, for checking the rest. */
function likelyProfile(text: string | undefined, stack: string): ProfileName {
  const near = text === undefined ? undefined : closest(text, PROFILE_NAMES);
  if (near && isProfileName(near)) return near;
  return /^prod/.test(stack) ? "prod" : "dev";
}

function truncate(s: string): string {
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function suggestLabel(label: string, stack: string): string {
  const cleaned = label.toLowerCase().replace(/[^a-z0-9-]/g, "-").replace(/^[^a-z]+/, "").replace(/-+$/, "").slice(0, 63);
  return DNS_LABEL_PATTERN.test(cleaned) ? cleaned : `acme-${stack}`;
}

/** The known name nearest to a typo, when it is near enough to be a likely meaning. */
