/**
 * Hand-written release directories for the e2e tests, in the format of
 * components/deploy/agent/README.md ("Release directory format"). The real TypeScript renderer
 * comes later; this helper writes the same files for the test images, nothing more.
 */
import { createHash } from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { DEFAULT_PROXY_TUNING, GATE_PORT, LOOPBACK, caddySite, gateSite, releaseId as contentReleaseId, type ProxyTuning } from "../../components/deploy/release";
import { envFileLine } from "../../components/deploy/rules";

export interface FixtureService {
  readonly name: string;
  readonly image: string;
  readonly healthPath: string | null;
  readonly public?: {
    readonly address: string;
    readonly containerPort: number;
    readonly slotPorts: { readonly blue: number; readonly green: number };
  };
  readonly env: Readonly<Record<string, string>>;
}

export interface FixtureAccessory {
  readonly name: string;
  readonly image: string;
  readonly volume: string;
  readonly mountPath: string;
  readonly env?: Readonly<Record<string, string>>;
}

export interface FixtureRelease {
  readonly project: string;
  readonly environment: string;
  readonly registry: { readonly server: string; readonly username: string } | null;
  readonly services: readonly FixtureService[];
  readonly accessories: readonly FixtureAccessory[];
  readonly healthTimeoutSeconds: number;
  readonly keepReleases: number;
  /** Proxy tuning; the defaults are what the e2e suite measured to lose no request. */
  readonly proxy?: Partial<ProxyTuning>;
  /** A bare Caddyfile to use instead of the rendered one (for the rejected-config case). */
  readonly caddyfileOverride?: string;
  /** The `release` object (bake, canary) of the format 3 manifest; default: no bake, no canary. */
  /** The gate directory (`traffic.gateRoot`): `<agent root>/gates` on the test host. */
  readonly gateRoot?: string;
  readonly release?: { readonly bakeSeconds: number; readonly canary?: { readonly steps: readonly number[]; readonly stepSeconds: number } };
}

const ZERO_ID = "0".repeat(64);

function portVar(name: string): string {
  return `LIFTOFF_PORT_${name.toUpperCase().replace(/-/g, "_")}`;
}

export function renderEnvFile(env: Readonly<Record<string, string>>): string {
  return Object.keys(env)
    .sort()
    .map((key) => envFileLine(key, env[key] ?? ""))
    .join("");
}

export function renderCompose(spec: FixtureRelease): string {
  const lines = ["# liftoff release: application services (test fixture)", "services:"];
  for (const s of spec.services) {
    lines.push(
      `  ${s.name}:`,
      `    image: ${JSON.stringify(s.image)}`,
      "    restart: unless-stopped",
      "    env_file:",
      `      - env/${s.name}.env`,
    );
    if (s.public) {
      lines.push("    ports:", `      - "\${LIFTOFF_LOOPBACK}.1:\${${portVar(s.name)}}:${s.public.containerPort}"`);
    }
    lines.push("    networks:", "      - default", "      - liftoff-accessories", "    stop_grace_period: 30s");
  }
  lines.push("networks:", "  liftoff-accessories:", "    external: true", "");
  return lines.join("\n");
}

export function renderAccessoryBlock(a: FixtureAccessory): string {
  const lines = [
    `  ${a.name}:`,
    `    image: ${JSON.stringify(a.image)}`,
    "    restart: unless-stopped",
  ];
  if (a.env && Object.keys(a.env).length > 0) {
    lines.push("    environment:");
    for (const key of Object.keys(a.env).sort()) lines.push(`      ${key}: ${JSON.stringify(a.env[key])}`);
  }
  lines.push(
    "    volumes:",
    `      - ${a.volume}:${a.mountPath}`,
    "    networks:",
    "      - liftoff-accessories",
  );
  return `${lines.join("\n")}\n`;
}

export function renderAccessories(spec: FixtureRelease): string {
  const lines = ["# liftoff release: accessories (test fixture)", "services:"];
  let body = lines.join("\n") + "\n";
  for (const a of spec.accessories) body += renderAccessoryBlock(a);
  body += "volumes:\n";
  for (const a of spec.accessories) body += `  ${a.volume}: {}\n`;
  body += "networks:\n  liftoff-accessories:\n    external: true\n";
  return body;
}

export function renderCaddyfile(spec: FixtureRelease): string {
  const tuning = { ...DEFAULT_PROXY_TUNING, ...spec.proxy };
  const blocks = ["# liftoff release: proxy config (test fixture)"];
  for (const s of spec.services) {
    if (s.public) blocks.push(caddySite({ address: s.public.address, bind: "127.0.0.1", upstreams: [...lanes(s.public, "blue"), ...lanes(s.public, "green")], tuning }));
  }
  blocks.push(gateSite(1, gateRootOf(spec)));
  return `${blocks.join("\n\n")}\n`;
}

/** The release id of the contract, computed by the real renderer's function over these files. */
export function releaseId(files: ReadonlyMap<string, Buffer>): string {
  return contentReleaseId([...files].map(([p, content]) => ({ path: p, content: content.toString("utf8"), mode: 0o644 })));
}

/** One lane per slot (format 3): the slot's loopback address .1 and its port. */
function lanes(pub: { readonly slotPorts: { readonly blue: number; readonly green: number } }, slot: "blue" | "green"): string[] {
  return [`${LOOPBACK[slot]}.1:${pub.slotPorts[slot]}`];
}

function gateRootOf(spec: FixtureRelease): string {
  return spec.gateRoot ?? "/srv/liftoff/gates";
}

function renderManifest(spec: FixtureRelease, id: string): string {
  const manifest = {
    format: 3,
    id,
    project: spec.project,
    environment: spec.environment,
    registry: spec.registry,
    services: spec.services.map((s) => ({
      name: s.name,
      image: s.image,
      healthPath: s.healthPath,
      public: s.public ? { ...s.public, upstreams: { blue: lanes(s.public, "blue"), green: lanes(s.public, "green") } } : null,
    })),
    traffic: {
      lanes: 1,
      gatePort: GATE_PORT,
      gateRoot: gateRootOf(spec),
      loopback: LOOPBACK,
      healthInterval: Number.parseInt((spec.proxy?.healthInterval ?? DEFAULT_PROXY_TUNING.healthInterval).replace("ms", ""), 10) / 1000,
      bind: "127.0.0.1",
    },
    jobs: [],
    accessories: spec.accessories.map((a) => ({
      name: a.name,
      image: a.image,
      definitionHash: createHash("sha256").update(renderAccessoryBlock(a)).digest("hex"),
    })),
    assets: [],
    healthTimeoutSeconds: spec.healthTimeoutSeconds,
    keepReleases: spec.keepReleases,
    release: { canary: { steps: [100], stepSeconds: 0 }, maxErrorRate: 0.01, minRequests: 20, bakeSeconds: 0, ...spec.release },
  };
  return `${JSON.stringify(manifest, null, 2)}\n`;
}

/** Writes the release into dir (which must not exist) and returns its id. */
export function writeRelease(dir: string, spec: FixtureRelease): string {
  const files = new Map<string, Buffer>();
  files.set("compose.yaml", Buffer.from(renderCompose(spec)));
  if (spec.accessories.length > 0) files.set("accessories.yaml", Buffer.from(renderAccessories(spec)));
  files.set("Caddyfile", Buffer.from(spec.caddyfileOverride ?? renderCaddyfile(spec)));
  for (const s of spec.services) files.set(`env/${s.name}.env`, Buffer.from(renderEnvFile(s.env)));
  files.set("manifest.json", Buffer.from(renderManifest(spec, ZERO_ID)));
  const id = releaseId(files);
  files.set("manifest.json", Buffer.from(renderManifest(spec, id)));

  fs.mkdirSync(dir, { recursive: false, mode: 0o700 });
  for (const [rel, content] of files) {
    const file = path.join(dir, rel);
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    fs.writeFileSync(file, content, { mode: rel.startsWith("env/") ? 0o600 : 0o644 });
  }
  return id;
}
