/**
 * The core section: profile, region, host, network edge, the application's services and their
 * public endpoints, merged from the profile and the stack config. Its settings are CORE_SETTINGS
 * (settings.ts); each `readX` step below reads some of them and reports to the one collector.
 */
import * as posixPath from "node:path/posix";
import { AZURE_REGIONS, DNS_LABEL_PATTERN, RESERVED_ADMIN_USERS, VM_SIZE_PATTERN, azureFqdn } from "./azure";
import { VM_SIZES, describeVmSize, findVmSize, isLargeEnough, largeEnoughInstead, type VmSize } from "./azure-vm-sizes";
import { releaseProblem } from "../components/deploy/release";
import {
  composeFilesOf,
  loadApp,
  memoryReader,
  type AppDefinition,
  type AppService,
  type FileReader,
  type Variable,
} from "./compose";
import { parseImageRef, type ImageRef } from "./image-ref";
import { movingReference } from "./image-policy";
import { MIN_SSH_PREFIX, checkSshSource } from "./network-address";
import {
  DATA_ONLY_DISK_TYPES,
  OS_DISK_TYPES,
  PROFILES,
  PROFILE_NAMES,
  isProfileName,
  type OsDiskType,
  type Profile,
  type ProfileName,
} from "./profiles";
import { closest, type ConfigReader, type SecretRequirement } from "./reader";
import { CORE_SETTINGS, DEFAULT_COMPOSE_FILE } from "./settings";
import { defaultValue, type Section } from "./setting";
import { MIN_RSA_BITS, readSshPublicKey } from "./ssh-key";
import { WINDOWS_TIME_ZONES, findWindowsTimeZone, windowsTimeZoneForIana } from "./time-zones";

export { DEFAULT_COMPOSE_FILE } from "./settings";

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
}

const S = CORE_SETTINGS;
const ADDRESS_SPACE = "10.42.0.0/16";
const SUBNET_PREFIX = "10.42.1.0/24";
const ACME_PORT = 80;
/** The proxy's HTTPS port: Caddy holds it for the endpoint on 443 and its own redirects. */
const HTTPS_PORT = 443;
const DEPLOY_USER = "deploy";

const ADMIN_USER = /^[a-z_][a-z0-9_-]{0,31}$/;
const SSH_PUBLIC_KEY = /^(ssh-[a-z0-9]+|ecdsa-sha2-nistp(256|384|521)|sk-[a-z0-9@.-]+) [A-Za-z0-9+/]+={0,3}( .*)?$/;
const SHUTDOWN_TIME = /^([01][0-9]|2[0-3]):?([0-5][0-9])$/;

/**
 * The core section. Its read always returns the core: the valid parts, and stand-ins for the invalid
 * ones (the profile a mistyped one most likely meant, empty names, an application without services),
 * so every layer's settings are still checked in the same pass.
 */
export const coreSection: Section<"core", void, CoreSpec> = {
  name: "core",
  title: "Core: profile, Azure host, network edge, application",
  settings: CORE_SETTINGS,
  read: readCore,
};

function readCore(reader: ConfigReader): CoreSpec {
  const { input } = reader;
  const profile = readProfile(reader);
  const resolvedProfile = profile ?? PROFILES[likelyProfile(reader.text(S.profile.key), input.stack)];
  const region = readRegion(reader);
  const owner = readOwner(reader);
  const dnsLabel = readDnsLabel(reader);
  const vmSize = readVmSize(reader, profile);
  const osDiskSizeGb = S.osDiskSizeGb.read(reader, profile);
  const osDiskType = readOsDiskType(reader, profile, vmSize);
  const adminUser = readAdminUser(reader);
  const sshPublicKey = readSshPublicKeySetting(reader);
  const sshPort = S.sshPort.read(reader) ?? defaultValue(S.sshPort, profile)!;
  const sshAllowedCidrs = readSshAllowedCidrs(reader);
  const autoShutdown = readAutoShutdown(reader, profile);
  const app = readApp(reader);
  readHostAccessAllowed(reader, app);
  const services = readServices(reader, app, resolvedProfile);
  const fqdn = azureFqdn(dnsLabel ?? "", region ?? "");
  const publicEndpoints = readPublicEndpoints(reader, app, services, fqdn);
  readSshPortConflicts(reader, app, sshPort);
  warnNoEndpoints(reader, app, publicEndpoints);
  const secrets = [S.ghcrToken.read(reader)!];

  return {
    project: input.project,
    stack: input.stack,
    profile: resolvedProfile,
    profileName: resolvedProfile.name,
    region: region ?? "",
    owner: owner ?? "",
    tags: {
      environment: input.stack,
      profile: resolvedProfile.name,
      owner: owner ?? "",
      "managed-by": "liftoff",
      project: input.project,
    },
    protect: resolvedProfile.protect,
    namePrefix: `${input.project}-${input.stack}`,
    network: {
      addressSpace: ADDRESS_SPACE,
      subnetPrefix: SUBNET_PREFIX,
      sshPort,
      sshAllowedCidrs,
      acmePort: ACME_PORT,
    },
    host: {
      vmSize: vmSize?.name ?? resolvedProfile.vmSize,
      osDisk: {
        sizeGb: osDiskSizeGb ?? resolvedProfile.osDisk.sizeGb,
        type: osDiskType ?? resolvedProfile.osDisk.type,
      },
      adminUser,
      deployUser: DEPLOY_USER,
      ...(sshPublicKey ? { sshPublicKey } : {}),
      ...(autoShutdown ? { autoShutdown } : {}),
      dnsLabel: dnsLabel ?? "",
      fqdn,
    },
    app: app ?? emptyApp(reader.text(S.composeFile.key) ?? DEFAULT_COMPOSE_FILE),
    services,
    publicEndpoints,
    secrets,
  };
}

/** The profile first: every default comes from it. Undefined when missing or unknown. */
function readProfile(reader: ConfigReader): Profile | undefined {
  const text = reader.text(S.profile.key);
  const key = reader.key(S.profile.key);
  if (text === undefined) {
    reader.error({
      key,
      message: "is not set; a stack must name the kind of environment it is",
      allowed: S.profile.allowed,
      fix: reader.setCommand(S.profile.key, likelyProfile(undefined, reader.stack)),
    });
    return undefined;
  }
  if (!isProfileName(text)) {
    reader.error({
      key,
      value: text,
      message: "is not a known profile",
      allowed: S.profile.allowed,
      fix: reader.setCommand(S.profile.key, likelyProfile(text, reader.stack)),
    });
    return undefined;
  }
  return PROFILES[text];
}

function readRegion(reader: ConfigReader): string | undefined {
  const region = S.region.read(reader);
  if (region === undefined) {
    reader.error({
      key: reader.key(S.region.key),
      message: "is not set",
      allowed: "an Azure region name such as westeurope, eastus2, swedencentral",
      fix: reader.setCommand(S.region.key, S.region.example),
    });
  } else if (!AZURE_REGIONS.includes(region)) {
    const near = closest(region.toLowerCase().replace(/\s+/g, ""), AZURE_REGIONS);
    reader.error({
      key: reader.key(S.region.key),
      value: region,
      message: "is not an Azure region",
      allowed: S.region.allowed,
      fix: reader.setCommand(S.region.key, near ?? S.region.example),
    });
  }
  return region;
}

function readOwner(reader: ConfigReader): string | undefined {
  const owner = S.owner.read(reader);
  if (owner === undefined || owner.trim() === "") {
    reader.error({
      key: reader.key(S.owner.key),
      value: owner,
      message: "is not set; every resource is tagged with who answers for it",
      allowed: "a team or person, e.g. platform-team",
      fix: reader.setCommand(S.owner.key, S.owner.example),
    });
    return undefined;
  }
  if (owner.length > 256 || /[<>%&\\?/]/.test(owner)) {
    reader.error({
      key: reader.key(S.owner.key),
      value: owner,
      message: "cannot be an Azure tag value",
      allowed: S.owner.allowed,
      fix: reader.setCommand(S.owner.key, S.owner.example),
    });
  }
  return owner;
}

function readDnsLabel(reader: ConfigReader): string | undefined {
  const label = S.dnsLabel.read(reader);
  if (label === undefined) {
    reader.error({
      key: reader.key(S.dnsLabel.key),
      message: "is not set; it names the host <label>.<region>.cloudapp.azure.com and must be unique in the region",
      allowed: "3-63 lowercase letters, digits and hyphens, starting with a letter",
      fix: reader.setCommand(S.dnsLabel.key, `acme-${reader.stack}`),
    });
  } else if (!DNS_LABEL_PATTERN.test(label)) {
    reader.error({
      key: reader.key(S.dnsLabel.key),
      value: label,
      message: "is a DNS label Azure refuses",
      allowed: S.dnsLabel.allowed,
      fix: reader.setCommand(S.dnsLabel.key, suggestLabel(label, reader.stack)),
    });
  }
  return label;
}

/** The VM size, from liftoff's table and large enough for the host's work; undefined when not. */
function readVmSize(reader: ConfigReader, profile: Profile | undefined): VmSize | undefined {
  const text = S.vmSize.read(reader, profile);
  if (text === undefined) return undefined;
  const size = findVmSize(text);
  const key = reader.key(S.vmSize.key);
  const allowed = S.vmSize.allowed;
  if (!size) {
    const candidates = VM_SIZES.filter(isLargeEnough).map((s) => s.name);
    const near =
      closest(text, candidates) ?? closest(`Standard_${text}`, candidates) ?? profile?.vmSize ?? "Standard_B2s";
    const message = VM_SIZE_PATTERN.test(text)
      ? "is not an Azure VM size liftoff supports (Azure has no such size, or it is outside liftoff's table)"
      : "is not an Azure VM size name";
    reader.error({ key, value: text, message, allowed, fix: reader.setCommand(S.vmSize.key, near) });
  } else if (!isLargeEnough(size)) {
    reader.error({
      key,
      value: text,
      message: `is too small (${describeVmSize(size)}): the host runs Docker, the proxy, the collector and, during a deploy, two copies of every service`,
      allowed,
      fix: reader.setCommand(S.vmSize.key, largeEnoughInstead(size)),
    });
  }
  return size;
}

/** The OS disk type: one Azure allows for an OS disk, and Premium only on a size that can attach it. */
function readOsDiskType(
  reader: ConfigReader,
  profile: Profile | undefined,
  vmSize: VmSize | undefined,
): OsDiskType | undefined {
  const text = S.osDiskType.read(reader, profile);
  if (text === undefined) return undefined;
  const key = reader.key(S.osDiskType.key);
  if ((DATA_ONLY_DISK_TYPES as readonly string[]).includes(text)) {
    reader.error({
      key,
      value: text,
      message: "is a disk type Azure allows for data disks only, never as a VM's OS disk",
      allowed: S.osDiskType.allowed,
      fix: reader.setCommand(S.osDiskType.key, (vmSize?.premiumStorage ?? true) ? "Premium_LRS" : "StandardSSD_LRS"),
    });
    return undefined;
  }
  if (!(OS_DISK_TYPES as readonly string[]).includes(text)) {
    reader.error({
      key,
      value: text,
      message: "is not a managed disk type liftoff offers",
      allowed: S.osDiskType.allowed,
      fix: reader.setCommand(S.osDiskType.key, closest(text, OS_DISK_TYPES) ?? "Premium_LRS"),
    });
    return undefined;
  }
  if (text.startsWith("Premium") && vmSize && !vmSize.premiumStorage) {
    const blamed = reader.isSet(S.osDiskType.key) || !reader.isSet(S.vmSize.key) ? S.osDiskType.key : S.vmSize.key;
    const withS = vmSize.name.replace(/_v(\d)$/, "s_v$1");
    reader.error({
      key: reader.key(blamed),
      value: blamed === S.osDiskType.key ? text : vmSize.name,
      message:
        blamed === S.osDiskType.key
          ? `is Premium SSD, which ${vmSize.name} cannot attach (only sizes with an s, e.g. ${withS}, can)`
          : `cannot attach the Premium SSD OS disk (liftoff:osDiskType ${text})`,
      allowed: "a Premium disk only on a size with premium storage (an s in its name)",
      fix: `${reader.setCommand(S.osDiskType.key, "StandardSSD_LRS")}, or ${reader.setCommand(S.vmSize.key, findVmSize(withS) ? withS : "Standard_D2s_v5")}`,
    });
  }
  return text as OsDiskType;
}

function readAdminUser(reader: ConfigReader): string {
  const user = S.adminUser.read(reader)!;
  if (!ADMIN_USER.test(user) || RESERVED_ADMIN_USERS.includes(user) || user === DEPLOY_USER) {
    reader.error({
      key: reader.key(S.adminUser.key),
      value: user,
      message: "is a Linux admin user name Azure (or liftoff, which reserves `deploy`) refuses",
      allowed: S.adminUser.allowed,
      fix: reader.setCommand(S.adminUser.key, S.adminUser.example),
    });
  }
  return user;
}

/** The operator's OpenSSH public key, trimmed; a key Azure refuses is reported. */
function readSshPublicKeySetting(reader: ConfigReader): string | undefined {
  const line = S.sshPublicKey.read(reader);
  if (line === undefined) return undefined;
  const stack = reader.stack;
  const problem = (message: string) =>
    reader.error({
      key: reader.key(S.sshPublicKey.key),
      value: truncate(line),
      message,
      allowed: `${S.sshPublicKey.allowed} (Azure's Linux VMs take no other); leave unset to have liftoff generate a key pair`,
      fix: `ssh-keygen -t ed25519 -f ~/.ssh/liftoff_${stack}, then pulumi config set ${reader.key(S.sshPublicKey.key)} "$(cat ~/.ssh/liftoff_${stack}.pub)" --stack ${stack}`,
    });
  const info = SSH_PUBLIC_KEY.test(line.trim()) ? readSshPublicKey(line) : undefined;
  if (!info || !info.ok) problem(`is not an OpenSSH public key${info ? `: ${info.reason}` : ""}`);
  else if (info.type === "other") problem(`is an ${info.algorithm} key, which Azure refuses for a Linux VM`);
  else if (info.type === "ssh-rsa" && info.bits < MIN_RSA_BITS)
    problem(`is a ${info.bits}-bit RSA key; Azure refuses RSA keys under ${MIN_RSA_BITS} bits`);
  return line.trim() || undefined;
}

/** The SSH sources, normalised; each one that opens SSH too widely, or is malformed, is reported. */
function readSshAllowedCidrs(reader: ConfigReader): string[] {
  const input = S.sshAllowedCidrs.read(reader) ?? [];
  const cidrs: string[] = [];
  input.forEach((source, i) => {
    const key = `${reader.key(S.sshAllowedCidrs.key)}[${i}]`;
    const fix = reader.pathCommand(`${S.sshAllowedCidrs.key}[${i}]`, "203.0.113.7/32");
    const allowed = `IPv4 addresses or CIDR ranges you administer from, /${MIN_SSH_PREFIX} or narrower`;
    const check = checkSshSource(source);
    switch (check.kind) {
      case "ok":
        cidrs.push(check.cidr);
        break;
      case "internet":
        reader.error({ key, value: source, message: "opens SSH to the whole internet", allowed, fix });
        break;
      case "too-broad":
        reader.error({
          key,
          value: source,
          message: `opens SSH to 2^${32 - check.prefix} addresses, in effect the internet`,
          allowed,
          fix,
        });
        break;
      case "host-bits":
        reader.error({
          key,
          value: source,
          message: `has host bits set; Azure would refuse it`,
          allowed,
          fix: reader.pathCommand(`${S.sshAllowedCidrs.key}[${i}]`, check.network),
        });
        break;
      case "malformed":
        reader.error({
          key,
          value: source,
          message:
            "is not an IPv4 address or CIDR (service tags and IPv6 are not accepted: the host has one IPv4 address)",
          allowed,
          fix,
        });
        break;
    }
  });
  if (reader.isSet(S.sshAllowedCidrs.key) && input.length > 0 && cidrs.length === input.length) {
    for (const duplicate of new Set(cidrs.filter((c, i) => cidrs.indexOf(c) !== i))) {
      reader.warn({
        key: reader.key(S.sshAllowedCidrs.key),
        value: duplicate,
        message: "is listed twice",
        allowed: "each range once",
        fix: `remove the duplicate from Pulumi.${reader.stack}.yaml`,
      });
    }
  }
  if (input.length === 0) {
    reader.warn({
      key: reader.key(S.sshAllowedCidrs.key),
      message: "is empty: SSH is closed to everyone, so neither you nor the deploy layer can reach the host",
      allowed: "the IPv4 addresses or ranges you administer from",
      fix: `set ${S.sshAllowedCidrs.example} in Pulumi.${reader.stack}.yaml`,
    });
  }
  return cidrs;
}

/** The daily shutdown (`HHmm` and a Windows time zone id, as Azure wants), or undefined for none. */
function readAutoShutdown(
  reader: ConfigReader,
  profile: Profile | undefined,
): { time: string; timeZone: string } | undefined {
  let time = S.autoShutdown.read(reader, profile);
  if (time !== undefined && time !== "off" && !SHUTDOWN_TIME.test(time)) {
    reader.error({
      key: reader.key(S.autoShutdown.key),
      value: time,
      message: "is not a time of day or `off`",
      allowed: S.autoShutdown.allowed,
      fix: reader.setCommand(S.autoShutdown.key, S.autoShutdown.example),
    });
    time = profile && S.autoShutdown.default.kind === "profile" ? S.autoShutdown.default.of(profile) : undefined;
  }
  const timeZone = readAutoShutdownTimeZone(reader, profile);
  const m = time === undefined ? null : SHUTDOWN_TIME.exec(time);
  return m ? { time: `${m[1]}${m[2]}`, timeZone } : undefined;
}

function readAutoShutdownTimeZone(reader: ConfigReader, profile: Profile | undefined): string {
  const fallback =
    (profile && S.autoShutdownTimeZone.default.kind === "profile"
      ? S.autoShutdownTimeZone.default.of(profile)
      : undefined) ?? "UTC";
  const text = reader.text(S.autoShutdownTimeZone.key);
  if (text === undefined) return fallback;
  const timeZone = findWindowsTimeZone(text);
  if (timeZone !== undefined) return timeZone;
  const iana = windowsTimeZoneForIana(text);
  const near = iana ?? closest(text, WINDOWS_TIME_ZONES) ?? "W. Europe Standard Time";
  reader.error({
    key: reader.key(S.autoShutdownTimeZone.key),
    value: text,
    message: iana
      ? `is an IANA time zone; Azure's auto-shutdown takes the Windows id, here "${iana}"`
      : "is not a Windows time zone id Azure's auto-shutdown accepts",
    allowed: S.autoShutdownTimeZone.allowed,
    fix: reader.setCommand(S.autoShutdownTimeZone.key, `"${near}"`),
  });
  return fallback;
}

/** The compose variables: plain ones (secret when Pulumi holds the map as secret) and secret ones. */
function readComposeVariables(reader: ConfigReader): Record<string, Variable> {
  const plain = S.composeVariables.read(reader) ?? {};
  const secret = S.composeSecrets.read(reader) ?? {};
  const secretCommand = `pulumi config set --secret --path '${reader.key(S.composeSecrets.key)}.<NAME>' <value> --stack ${reader.stack}`;
  if (reader.isSet(S.composeSecrets.key) && !reader.input.secretKeys.has(S.composeSecrets.key)) {
    reader.error({
      key: reader.key(S.composeSecrets.key),
      value: "(hidden)",
      message: "is stored in plain text in the stack config",
      allowed: "values set with --secret",
      fix: secretCommand,
    });
  }
  // A map Pulumi holds as secret as a whole cannot say which of its values are: all are treated so.
  const plainAreSecret = reader.input.secretKeys.has(S.composeVariables.key);
  if (plainAreSecret) {
    reader.warn({
      key: reader.key(S.composeVariables.key),
      value: "(hidden)",
      message: "holds a secret value, so every variable in it is treated as secret (usable in environment only)",
      allowed: "non-secret values here, secret ones in liftoff:composeSecrets",
      fix: `move the secret values to liftoff:composeSecrets (${secretCommand})`,
    });
  }
  return {
    ...Object.fromEntries(
      Object.entries(plain).map(([name, v]) => [name, { value: String(v), secret: plainAreSecret }]),
    ),
    ...Object.fromEntries(Object.entries(secret).map(([name, v]) => [name, { value: String(v), secret: true }])),
  };
}

/** The application: the operator's compose file(s), loaded with their x-liftoff settings. */
function readApp(reader: ConfigReader): AppDefinition | undefined {
  const { input } = reader;
  const composeFile = S.composeFile.read(reader)!;
  const composeFiles = S.composeFiles.read(reader);
  const profiles = S.composeProfiles.read(reader) ?? [];
  const variables = readComposeVariables(reader);
  let files: { projectDir: string; reader: FileReader } | undefined = input.appFiles;
  if (!files && input.app) {
    files = {
      projectDir: "/project",
      reader: memoryReader({ [posixPath.join("/project", input.app.file)]: input.app.text }),
    };
  }
  if (!files || (!input.appFiles && !input.app)) {
    reader.error({
      key: reader.key(S.composeFile.key),
      value: composeFile,
      message: "cannot be read; liftoff needs the application's compose file",
      allowed: S.composeFile.allowed,
      fix: `create ${composeFile} (see app/compose.yaml) or ${reader.setCommand(S.composeFile.key, DEFAULT_COMPOSE_FILE)}`,
    });
    return undefined;
  }
  const result = loadApp({
    projectDir: files.projectDir,
    files: composeFilesOf(composeFile, composeFiles, files.projectDir, files.reader),
    variables,
    profiles,
    reader: files.reader,
  });
  for (const { severity, ...p } of result.problems) {
    if (severity === "error") reader.error(p);
    else reader.warn(p);
  }
  const app = result.app;
  const unrenderable = app && releaseProblem(app);
  if (app && unrenderable) {
    reader.error({
      key: `${app.file}: ${unrenderable.where}`,
      message: unrenderable.message,
      allowed: "what a release can carry to the host side by side with the live one (docs/compose.md)",
      fix: `edit ${app.file}: change or remove it as the message says`,
    });
    return undefined;
  }
  return app;
}

/**
 * The host access this stack's reviewers accepted (`<service>:<kind>`): the policy pack holds every
 * other declared access against it (advisory in dev, mandatory in prod). An entry the application
 * does not declare is refused, so the list cannot silently outlive what it was written for.
 */
function readHostAccessAllowed(reader: ConfigReader, app: AppDefinition | undefined): void {
  const allowed = S.hostAccessAllowed.read(reader) ?? [];
  if (!app) return;
  const declared = app.services.flatMap((svc) => svc.hostAccess.map((kind) => `${svc.name}:${kind}`));
  allowed.forEach((entry, i) => {
    if (declared.includes(entry)) return;
    const near = closest(entry, declared);
    reader.error({
      key: `${reader.key(S.hostAccessAllowed.key)}[${i}]`,
      value: entry,
      message: "allows host access the application does not declare in x-liftoff.hostAccess",
      allowed: declared.join(", ") || "none: no service declares host access",
      fix: `remove it from liftoff:hostAccessAllowed in Pulumi.${reader.stack}.yaml${near ? `, or write ${near}` : ""}`,
    });
  });
}

/** Per-stack image overrides (`liftoff:images`), each for a service of the application. */
function readImageOverrides(
  reader: ConfigReader,
  app: AppDefinition | undefined,
): Map<string, { text: string; ref: ImageRef }> {
  const overrides = S.images.read(reader) ?? {};
  const names = new Set(app?.services.map((s) => s.name) ?? []);
  const images = new Map<string, { text: string; ref: ImageRef }>();
  for (const [name, ref] of Object.entries(overrides)) {
    const key = `${reader.key(S.images.key)}.${name}`;
    if (app && !names.has(name)) {
      reader.error({
        key,
        value: ref,
        message: `names a service that ${app.file} does not define`,
        allowed: [...names].join(", "),
        fix: `remove it from liftoff:images in Pulumi.${reader.stack}.yaml, or fix the service name`,
      });
      continue;
    }
    const parsed = parseImageRef(ref);
    if (!parsed.ok) {
      const pinned = parsed.reason === "no-tag-or-digest" ? `${ref}:1.4.2` : `ghcr.io/acme/${name}:1.4.2`;
      reader.error({
        key,
        value: ref,
        message: `is not a usable image reference: ${parsed.detail}`,
        allowed: "registry/owner/name:tag or registry/owner/name@sha256:<digest>",
        fix: reader.pathCommand(`images.${name}`, pinned),
      });
      continue;
    }
    images.set(name, { text: ref.trim(), ref: parsed.ref });
  }
  return images;
}

/** The services with the image this stack runs; a prod stack's must be pinned (`liftoff:imagePolicy`). */
function readServices(reader: ConfigReader, app: AppDefinition | undefined, profile: Profile): ServiceSpec[] {
  const overrides = readImageOverrides(reader, app);
  const services: ServiceSpec[] = (app?.services ?? []).map((s) => {
    const override = overrides.get(s.name);
    return override
      ? { ...s, image: override.ref, imageText: override.text, imageKey: `${reader.key(S.images.key)}.${s.name}` }
      : { ...s, imageKey: `${app!.file}: services.${s.name}.image` };
  });
  const policy = S.imagePolicy.read(reader);
  if (profile.name === "prod") {
    for (const service of services) checkPinned(reader, service, app!, overrides.has(service.name), policy);
  }
  return services;
}

/** Prod runs pinned images: a moving tag would change what runs at the next `up` unasked. */
function checkPinned(
  reader: ConfigReader,
  service: ServiceSpec,
  app: AppDefinition,
  overridden: boolean,
  policy: string | undefined,
): void {
  const moving = movingReference(service.image);
  if (!moving) return;
  const pinned = `${service.imageText.split("@")[0]!.replace(/:[^:/]*$/, "")}:1.4.2`;
  const onlyWarn = policy === "warn" ? "" : `, or to only warn: ${reader.setCommand(S.imagePolicy.key, "warn")}`;
  const override = reader.pathCommand(`images.${service.name}`, pinned);
  const problem = {
    key: service.imageKey,
    value: service.imageText,
    message: `${moving}; a prod stack runs a version or a digest, so what it runs changes only when you change it`,
    allowed: "a version tag (1.4.2, v2, 3.13-alpine), a commit tag, or @sha256:<digest>",
    fix: overridden
      ? `${override}${onlyWarn}`
      : // An override is offered only to a stack that already uses liftoff:images.
        `edit ${app.file}: pin ${service.name}'s image, e.g. image: ${pinned}${reader.isSet(S.images.key) ? `, or override it for this stack: ${override}` : ""}${onlyWarn}`,
  };
  if (policy === "warn") reader.warn(problem);
  else reader.error(problem);
}

/** Public endpoints come from the application; the firewall and the proxy both derive from them. */
function readPublicEndpoints(
  reader: ConfigReader,
  app: AppDefinition | undefined,
  services: readonly ServiceSpec[],
  fqdn: string,
): PublicEndpoint[] {
  const seenPorts = new Map<number, string>();
  const endpoints: PublicEndpoint[] = [];
  for (const endpoint of app?.endpoints ?? []) {
    const key = `${app!.file}: x-liftoff.endpoints.${endpoint.name}.port`;
    const fix = `edit ${app!.file}: give endpoint ${endpoint.name} another port, e.g. 9443`;
    const allowed = `1-65535 except ${ACME_PORT} (certificates) and the SSH port, one endpoint per port`;
    const value = String(endpoint.port);
    if (endpoint.port < 1 || endpoint.port > 65535) {
      reader.error({ key, value, message: "is not a TCP port", allowed, fix });
    } else if (endpoint.port === ACME_PORT) {
      reader.error({ key, value, message: "is kept for certificate issuance and the HTTPS redirect", allowed, fix });
    } else if (seenPorts.has(endpoint.port)) {
      reader.error({
        key,
        value,
        message: `is already the port of endpoint ${seenPorts.get(endpoint.port)}`,
        allowed,
        fix,
      });
    } else {
      seenPorts.set(endpoint.port, endpoint.name);
      const service = services.find((s) => s.public?.endpoint === endpoint.name)!;
      const url = endpoint.port === HTTPS_PORT ? `https://${fqdn}` : `https://${fqdn}:${endpoint.port}`;
      endpoints.push({
        name: endpoint.name,
        service: service.name,
        port: endpoint.port,
        containerPort: service.public!.containerPort,
        healthPath: service.healthPath!,
        url,
      });
    }
  }
  return endpoints;
}

/**
 * SSH must not share a port the firewall opens to everyone or the proxy listens on: the one rule
 * (the NSG's) would then open SSH to the internet, or sshd and Caddy would fight over the port.
 */
function readSshPortConflicts(reader: ConfigReader, app: AppDefinition | undefined, sshPort: number): void {
  const proxyPorts = new Map<number, string>([
    [ACME_PORT, "certificate issuance and the HTTPS redirect (open to the internet)"],
    [HTTPS_PORT, "the proxy's HTTPS port"],
  ]);
  for (const endpoint of app?.endpoints ?? [])
    proxyPorts.set(endpoint.port, `the public endpoint ${endpoint.name} (open to the internet)`);
  const usedBy = proxyPorts.get(sshPort);
  if (usedBy === undefined) return;
  const free = [22, 2222, 22022].find((p) => !proxyPorts.has(p))!;
  reader.error({
    key: reader.key(S.sshPort.key),
    value: String(sshPort),
    message: `is the port of ${usedBy}; SSH would share it with the proxy and be reachable from the internet`,
    allowed: `a port other than ${[...proxyPorts.keys()].sort((a, b) => a - b).join(", ")}`,
    fix: reader.setCommand(S.sshPort.key, String(free)),
  });
}

function warnNoEndpoints(
  reader: ConfigReader,
  app: AppDefinition | undefined,
  endpoints: readonly PublicEndpoint[],
): void {
  if (app && endpoints.length === 0 && app.endpoints.length === 0) {
    reader.warn({
      key: `${app.file}: x-liftoff.endpoints`,
      message: "declares no public endpoint: nothing is reachable from the internet",
      allowed: "the endpoints the internet may call",
      fix: `edit ${app.file}: x-liftoff: { endpoints: { api: { port: 443 } } }`,
    });
  }
}

/** The stand-in for an application that could not be read: no services, so nothing depends on it. */
function emptyApp(file: string): AppDefinition {
  return {
    files: [file],
    file,
    endpoints: [],
    services: [],
    volumes: {},
    networks: {},
    secrets: {},
    configs: {},
    assets: [],
  };
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
  const cleaned = label
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, "-")
    .replace(/^[^a-z]+/, "")
    .replace(/-+$/, "")
    .slice(0, 63);
  return DNS_LABEL_PATTERN.test(cleaned) ? cleaned : `acme-${stack}`;
}
