/**
 * The edge between `recreate` and Pulumi: the few stack operations it needs, behind an interface so
 * tests use a fake. The real one drives the Pulumi CLI through the Automation API
 * (`@pulumi/pulumi/automation`), in the project directory, on whatever backend `pulumi login` chose.
 */
import { spawn } from "node:child_process";
import type { EngineEvent } from "@pulumi/pulumi/automation/events";
import type { StackConfig, StackOutputs } from "./plan";

export interface UpProgress {
  /** The engine's own progress text, line by line. */
  readonly onOutput: (text: string) => void;
  readonly onEvent: (event: EngineEvent) => void;
}

export interface SourceStack {
  readonly config: StackConfig;
  readonly outputs: StackOutputs;
  /**
   * The secrets provider the stack's secrets are encrypted with (`azurekeyvault://...`,
   * `passphrase`, ...); undefined when it uses its backend's default (Pulumi Cloud's).
   */
  readonly secretsProvider?: string;
}

export interface RecreateWorkspace {
  listStacks(): Promise<string[]>;
  /** The stack's config with secrets decrypted (they stay in memory), its last outputs and its secrets provider. */
  readStack(name: string): Promise<SourceStack>;
  /**
   * Creates the stack with `secretsProvider` (the backend's default when undefined) and sets its
   * config; secrets are set as secrets, never on a command line.
   */
  createStack(name: string, config: StackConfig, secretsProvider?: string): Promise<void>;
  up(name: string, progress: UpProgress): Promise<StackOutputs>;
}

/**
 * The secrets provider a stack was created with, from its `Pulumi.<stack>.yaml` settings:
 * `secretsprovider:` when set (the Key Vault key `bootstrap/` made, or any cloud KMS); a
 * `encryptionsalt:` without it means the passphrase provider; neither, the backend's default
 * (Pulumi Cloud's own encryption). A stack created without the source's provider would fall back to
 * a passphrase, which CI does not have (or `stack init` fails non-interactively).
 */
export function secretsProviderOf(settings: {
  readonly secretsProvider?: string;
  readonly encryptionSalt?: string;
}): string | undefined {
  if (settings.secretsProvider) return settings.secretsProvider;
  if (settings.encryptionSalt) return "passphrase";
  return undefined;
}

/** `pulumi config set --secret --stack <stack> -- <key>`: the value goes on stdin, never in argv. */
export function secretConfigArgs(stack: string, key: string): string[] {
  return ["config", "set", "--secret", "--stack", stack, "--non-interactive", "--", key];
}

/**
 * Sets one secret by piping it to `pulumi config set`, which reads a value missing from its command
 * line from stdin. (The Automation API's setConfig/setAllConfig put the value in argv, where `ps`
 * shows it to every user of the machine.)
 */
export function setSecretConfig(
  cwd: string,
  stack: string,
  key: string,
  value: string,
  pulumi = "pulumi",
): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(pulumi, secretConfigArgs(stack, key), { cwd, stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
    child.on("error", (err) => reject(new Error(`could not run ${pulumi} to set ${key}: ${err.message}`)));
    child.on("close", (code) =>
      code === 0
        ? resolve()
        : reject(new Error(`pulumi config set --secret ${key} failed (exit ${code}): ${stderr.trim()}`)),
    );
    child.stdin.end(value);
  });
}

/** The real workspace: the Pulumi CLI via the Automation API, in `projectDir`. */
export async function automationWorkspace(projectDir: string): Promise<RecreateWorkspace> {
  // Required here, not imported at the top: --help and the tests never load it. (require: the tool
  // runs as CommonJS through tools/ts-register.js, where import() of a directory fails.)
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { LocalWorkspace, Stack } = require("@pulumi/pulumi/automation") as typeof import("@pulumi/pulumi/automation");
  const workspace = await LocalWorkspace.create({ workDir: projectDir });
  return {
    listStacks: async () => (await workspace.listStacks()).map((s) => s.name),
    readStack: async (name) => {
      const stack = await Stack.select(name, workspace);
      const [config, outputs, settings] = await Promise.all([
        stack.getAllConfig(),
        stack.outputs(),
        workspace.stackSettings(name),
      ]);
      const secretsProvider = secretsProviderOf(settings);
      return {
        config: Object.fromEntries(
          Object.entries(config).map(([k, v]) => [k, { value: v.value, secret: v.secret ?? false }]),
        ),
        outputs,
        ...(secretsProvider ? { secretsProvider } : {}),
      };
    },
    createStack: async (name, config, secretsProvider) => {
      // `stack init --secrets-provider <the source's>`: LocalWorkspace.createStack passes the
      // workspace's secretsProvider, so the new stack gets a workspace of its own with it.
      const creating = secretsProvider
        ? await LocalWorkspace.create({ workDir: projectDir, secretsProvider })
        : workspace;
      const stack = await Stack.create(name, creating);
      const plain = Object.fromEntries(
        Object.entries(config)
          .filter(([, v]) => !v.secret)
          .map(([k, v]) => [k, { value: v.value, secret: false }]),
      );
      await stack.setAllConfig(plain);
      for (const [key, entry] of Object.entries(config)) {
        if (entry.secret) await setSecretConfig(projectDir, name, key, entry.value);
      }
    },
    up: async (name, progress) => {
      const stack = await Stack.select(name, workspace);
      const result = await stack.up({ onOutput: progress.onOutput, onEvent: progress.onEvent, color: "never" });
      return result.outputs;
    },
  };
}
