import { createHash, createHmac } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import type { ProgramContext } from "../../stacks";
import { computedInvoke, computedState, isWireSecret, wireSecret } from "./mocks";
import { SECRET_PLACEHOLDER } from "./project";

export interface ResourceOptionsSeen {
  readonly protect: boolean;
  readonly retainOnDelete: boolean;
  readonly deleteBeforeReplace: boolean;
  readonly replaceOnChanges: readonly string[];
  readonly ignoreChanges: readonly string[];
  readonly additionalSecretOutputs: readonly string[];
}

/** One resource the program declared, as the engine would receive it. */
export interface PlannedResource {
  readonly urn: string;
  /** The id the provider would assign (a placeholder); lets the plan name what an id input refers to. */
  readonly id?: string;
  readonly type: string;
  readonly name: string;
  /** URN of the parent resource; undefined for top-level resources. */
  readonly parent?: string;
  /** False for component resources, which group others and create nothing themselves. */
  readonly custom: boolean;
  /** Inputs with every secret replaced by `[secret]`. */
  readonly inputs: Readonly<Record<string, unknown>>;
  /** Dotted paths of the inputs that are secret, e.g. `osProfile.customData`. */
  readonly secretPaths: readonly string[];
  /**
   * Per secret path, a keyed digest of the value, present only when the evaluation was given a
   * digest key: two plans made with one key show whether a secret changed, and nothing else.
   */
  readonly secretDigests?: Readonly<Record<string, string>>;
  readonly options: ResourceOptionsSeen;
  /**
   * URNs of the resources the engine waits for before creating or updating this one: `dependsOn`
   * and the resources whose outputs its inputs use. Not part of the plan document.
   */
  readonly dependencies: readonly string[];
}

export interface PlannedOutput {
  /** The value, or `[secret]` when the output is secret. */
  readonly value: unknown;
  readonly secret: boolean;
}

export interface Evaluation {
  readonly project: string;
  readonly stack: string;
  readonly resources: readonly PlannedResource[];
  readonly outputs: Readonly<Record<string, PlannedOutput>>;
  /** Keyed digests of the secret outputs, when the evaluation was given a digest key. */
  readonly outputSecretDigests?: Readonly<Record<string, string>>;
  /** What the program logged while it ran (warnings from validation among them). */
  readonly log: readonly string[];
  /** Set when the program failed; nothing it declared should be trusted then. */
  readonly error?: string;
}

export interface EvaluateOptions {
  readonly project: string;
  readonly stack: string;
  readonly config: Readonly<Record<string, string>>;
  readonly secretKeys: readonly string[];
  /** `plan` (default) tolerates missing secrets with a warning; `up` treats them as `pulumi up` does. */
  readonly mode?: "plan" | "up";
  /** What the program is told about the host besides the mode (the SSH agent, a drift check's pins); default nothing. */
  readonly host?: Omit<ProgramContext, "mode">;
  /**
   * Imports the program module and returns its exports (the stack outputs), or the function it
   * exports: that is called, as the engine calls it, but with `mode` and `host`.
   */
  readonly load: () => Promise<Record<string, unknown> | ((context: ProgramContext) => unknown)>;
  /**
   * A random key, shared by the two evaluations of a plan diff, to digest secrets with (HMAC), so
   * the diff can tell that a secret changed without ever holding it. Without it, no digests.
   */
  readonly secretDigestKey?: string;
  /**
   * Run as a preview (`pulumi.runtime.isDryRun()` true), as `pulumi preview` and the drift check
   * do; default false, an update. The mocks still compute every output, so the program runs to the end.
   */
  readonly preview?: boolean;
}

type RegisterRequest = {
  getType(): string;
  getName(): string;
  getParent(): string;
  getCustom(): boolean;
  getProtect(): boolean | undefined;
  getRetainondelete(): boolean | undefined;
  getDeletebeforereplace(): boolean;
  getReplaceonchangesList(): string[];
  getIgnorechangesList(): string[];
  getAdditionalsecretoutputsList(): string[];
  getDependenciesList(): string[];
};
type Callback = (err: unknown, response?: { getUrn(): string }) => void;

/**
 * Runs a Pulumi program under the SDK's mock monitor and records everything it declares, with the
 * options the engine would see. No engine, provider plugin, credential or network is involved.
 */
export async function evaluateProgram(options: EvaluateOptions): Promise<Evaluation> {
  const records: { request: RegisterRequest; inputs: Record<string, unknown>; id?: string; urn?: string }[] = [];
  const log: string[] = [];
  const failures: string[] = [];

  const seen: { inputs: Record<string, unknown>; id: string }[] = [];
  // The engine marks a resource's additionalSecretOutputs secret; the mock monitor does not, so the
  // outputs named by the resource being registered are wrapped here, as the engine would.
  let secretOutputs: readonly string[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const result = computedState(args);
        seen.push({ inputs: args.inputs as Record<string, unknown>, id: result.id });
        const state = { ...result.state };
        for (const key of secretOutputs)
          if (state[key] !== undefined && !isWireSecret(state[key])) state[key] = wireSecret(state[key]);
        return { ...result, state };
      },
      call: (args) => computedInvoke(args),
    },
    options.project,
    options.stack,
    options.preview ?? false,
  );
  pulumi.runtime.setAllConfig({ ...options.config }, [...options.secretKeys]);

  // Wrap the mock monitor so the resource options (protect, replaceOnChanges, ...) are recorded too:
  // the mocks interface only sees inputs.
  const monitor = pulumi.runtime.getMonitor() as unknown as {
    registerResource(req: RegisterRequest, cb: Callback): void;
  };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, cb) => {
    const index = records.length;
    records.push({ request: req, inputs: {} });
    const before = seen.length;
    // The mock monitor calls newResource synchronously inside registerResource.
    secretOutputs = req.getAdditionalsecretoutputsList();
    register(req, (err, response) => {
      const record = records[index]!;
      record.inputs = seen[before]?.inputs ?? {};
      if (req.getCustom()) record.id = seen[before]?.id;
      if (response) record.urn = response.getUrn();
      cb(err, response);
    });
  };

  const originalWarn = console.warn;
  const originalError = console.error;
  const originalLog = console.log;
  console.warn = (...args: unknown[]) =>
    log.push(
      args
        .map(String)
        .join(" ")
        .replace(/^warning: \[runtime\] /, "warning: "),
    );
  console.error = (...args: unknown[]) => log.push(args.map(String).join(" "));
  // The program's info lines (pulumi.log.info) are part of the plan; anything else printed passes through.
  console.log = (...args: unknown[]) => {
    const line = args.map(String).join(" ");
    if (line.startsWith("info: [runtime] ")) log.push(line.replace(/^info: \[runtime\] /, "info: "));
    else originalLog(...args);
  };
  const onRejection = (reason: unknown) => failures.push(describe(reason));
  process.on("unhandledRejection", onRejection);

  const outputs: Record<string, PlannedOutput> = {};
  const outputDigests: Record<string, string> = {};
  const digestKey = options.secretDigestKey;
  try {
    const loaded = await options.load();
    const exports = (
      typeof loaded === "function" ? await loaded({ ...options.host, mode: options.mode ?? "plan" }) : loaded
    ) as Record<string, unknown>;
    for (const [key, value] of Object.entries(exports)) {
      if (key === "__esModule" || typeof value === "function") continue;
      const output: pulumi.Output<unknown> = pulumi.output(value as pulumi.Input<unknown>);
      const [resolved, secret] = await Promise.all([
        new Promise<unknown>((resolve) => output.apply((v) => resolve(v))),
        pulumi.isSecret(output),
      ]);
      if (resolved === undefined) continue;
      outputs[key] = { value: secret ? SECRET_PLACEHOLDER : resolved, secret };
      if (secret && digestKey) outputDigests[key] = secretDigest(digestKey, resolved);
    }
    await pulumi.runtime.disconnect();
  } catch (err) {
    failures.push(describe(err));
    // What the program registered before it failed is still in flight; let it land on this
    // evaluation's mock monitor, not on the next one's.
    await pulumi.runtime.disconnect().catch((e: unknown) => failures.push(describe(e)));
  } finally {
    console.warn = originalWarn;
    console.error = originalError;
    console.log = originalLog;
    process.off("unhandledRejection", onRejection);
  }

  const resources = records.map(({ request, inputs, id, urn }): PlannedResource => {
    const secretPaths: string[] = [];
    const digests: Record<string, string> = {};
    const masked = mask(
      inputs,
      "",
      secretPaths,
      digestKey ? (path, v) => (digests[path] = secretDigest(digestKey, v)) : undefined,
    );
    const parent = request.getParent();
    const resource: PlannedResource = {
      urn: urn ?? "",
      ...(id ? { id } : {}),
      type: request.getType(),
      name: request.getName(),
      ...(parent ? { parent } : {}),
      custom: request.getCustom(),
      inputs: summarizeDynamicProvider(masked as Record<string, unknown>),
      secretPaths,
      ...(digestKey ? { secretDigests: digests } : {}),
      options: {
        protect: request.getProtect() ?? false,
        retainOnDelete: request.getRetainondelete() ?? false,
        deleteBeforeReplace: request.getDeletebeforereplace(),
        replaceOnChanges: request.getReplaceonchangesList(),
        ignoreChanges: request.getIgnorechangesList(),
        additionalSecretOutputs: request.getAdditionalsecretoutputsList(),
      },
      dependencies: request.getDependenciesList(),
    };
    // Unmasked inputs for tests that must look inside a secret; not enumerable, so no JSON
    // rendering of the plan can ever include them.
    Object.defineProperty(resource, REVEALED, { value: unwrapAll(inputs), enumerable: false });
    return resource;
  });
  return {
    project: options.project,
    stack: options.stack,
    resources,
    outputs,
    ...(digestKey ? { outputSecretDigests: outputDigests } : {}),
    log,
    ...(failures.length > 0 ? { error: failures.join("\n") } : {}),
  };
}

const REVEALED = Symbol("revealed inputs");

/** A resource's inputs with secrets unwrapped. For tests only; never rendered. */
export function revealInputs(resource: PlannedResource): Record<string, unknown> {
  return (resource as unknown as Record<symbol, Record<string, unknown>>)[REVEALED] ?? {};
}

function unwrapAll(value: unknown): unknown {
  if (isWireSecret(value)) return unwrapAll(value.value);
  if (Array.isArray(value)) return value.map(unwrapAll);
  if (value !== null && typeof value === "object")
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapAll(v)]));
  return value;
}

/**
 * A dynamic resource carries its provider's serialized code as the `__provider` input (tens of KB);
 * the plan shows its size and hash, so a change to the provider's code is visible without the text.
 */
function summarizeDynamicProvider(inputs: Record<string, unknown>): Record<string, unknown> {
  const code = inputs["__provider"];
  if (typeof code !== "string" || !code.startsWith("exports.")) return inputs;
  const digest = createHash("sha256").update(code).digest("hex").slice(0, 12);
  return { ...inputs, __provider: `<serialized dynamic provider, ${code.length} characters, sha256 ${digest}>` };
}

/** Replaces secrets by the placeholder, collecting where they were (and, if asked, their digests). */
function mask(
  value: unknown,
  path: string,
  secretPaths: string[],
  digest?: (path: string, secret: unknown) => void,
): unknown {
  if (isWireSecret(value)) {
    secretPaths.push(path);
    digest?.(path, unwrapAll(value));
    return SECRET_PLACEHOLDER;
  }
  if (Array.isArray(value)) return value.map((v, i) => mask(v, `${path}[${i}]`, secretPaths, digest));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, mask(v, path ? `${path}.${k}` : k, secretPaths, digest)]),
    );
  }
  return value;
}

/** HMAC of a secret's JSON under the diff's one-off key: equal values give equal digests, and the key never leaves the diff. */
function secretDigest(key: string, value: unknown): string {
  return createHmac("sha256", key)
    .update(JSON.stringify(value) ?? "undefined")
    .digest("hex");
}

function describe(err: unknown): string {
  if (pulumi.RunError.isInstance(err as Error)) return (err as Error).message;
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}
