/**
 * `npm run recreate -- --from <stack> --to <new-stack> [--at <time>] [--region <region>]
 * [--dns-label <label>] [--empty-mongo] [--dry-run] [--health-timeout <minutes>]`
 */
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { readAppFile } from "../../environments/load";
import { waitForHealth } from "./health";
import type { RecreateRequest } from "./plan";
import { EXIT, recreate, type RecreateOptions } from "./run";
import { automationWorkspace } from "./workspace";

export const HELP = `usage: npm run recreate -- --from <stack> --to <new-stack> [options]

Disaster recovery: creates <new-stack> from <stack>'s profile and config, with its databases
restored to one instant (Postgres: a branch of the source's Neon project at that time; MongoDB: an
Atlas point-in-time restore of the source's cluster into the new one), the same image digests the
source runs, then waits until the public health checks pass and prints the time each step took.
Needs the Pulumi CLI logged in to the backend holding <stack>, and the clouds' credentials as for
\`pulumi up\`. Secrets copied from <stack> stay secret: never printed, never on a command line.

options:
  --from <stack>            the stack to recreate (must exist)
  --to <new-stack>          the stack to create (must not exist)
  --at <time>               restore the data as of this UTC instant, e.g. 2026-11-20T08:30:00Z,
                            inside both restore windows; default: 2 minutes ago
  --region <region>         put the new stack in another Azure region (a region outage)
  --dns-label <label>       the new host's DNS label; default: the source's plus the new name's suffix
  --empty-mongo             accept that MongoDB starts empty when the source has no point-in-time
                            backup (dev's free M0); without it such a source is refused
  --health-timeout <min>    how long to wait for the health checks (default 15)
  --dry-run                 print the plan (config diff with secrets as [secret], restore options,
                            image digests) and stop; nothing is created
  --help                    this text

exit codes:
  0  recreated and healthy (or --dry-run printed the plan)
  2  a flag is missing or malformed
  3  refused before anything was created: unknown source, target exists, time in the future or
     outside a restore window, source without backups for MongoDB, target config invalid
  4  the Pulumi CLI could not run, or creating the stack or pulumi up failed (if the new stack
     exists, fix the cause and run pulumi up --stack <new-stack>)
  5  pulumi up succeeded but a public health check did not pass in time`;

const VALUE_FLAGS = ["--from", "--to", "--at", "--region", "--dns-label", "--health-timeout"] as const;
const SWITCHES = ["--empty-mongo", "--dry-run", "--help"] as const;

export type ParsedArgs =
  | { readonly kind: "help" }
  | { readonly kind: "run"; readonly request: RecreateRequest; readonly options: RecreateOptions }
  | { readonly kind: "usage"; readonly problems: readonly string[] };

/** The command line, checked: every problem names the flag, the value and what is allowed. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<string, string>();
  const switches = new Set<string>();
  const problems: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const [flag, inline] = arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    if ((SWITCHES as readonly string[]).includes(flag)) {
      switches.add(flag);
    } else if ((VALUE_FLAGS as readonly string[]).includes(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value.startsWith("--")) {
        problems.push(`${flag} needs a value`);
        if (value !== undefined) i--;
      } else if (values.has(flag)) {
        problems.push(`${flag} is given twice`);
      } else {
        values.set(flag, value);
      }
    } else {
      problems.push(`${arg} is not an option of recreate (options: ${[...VALUE_FLAGS, ...SWITCHES].join(", ")})`);
    }
  }
  if (switches.has("--help")) return { kind: "help" };
  for (const required of ["--from", "--to"])
    if (!values.has(required)) problems.push(`${required} <stack> is required`);
  const timeout = values.get("--health-timeout");
  const minutes = timeout === undefined ? undefined : Number(timeout);
  if (minutes !== undefined && (!Number.isFinite(minutes) || minutes <= 0 || minutes > 120)) {
    problems.push(`--health-timeout ${JSON.stringify(timeout)} is not a number of minutes from 1 to 120`);
  }
  if (problems.length > 0) return { kind: "usage", problems };
  const optional = (flag: string) => values.get(flag);
  return {
    kind: "run",
    request: {
      source: values.get("--from")!,
      target: values.get("--to")!,
      ...(optional("--at") !== undefined ? { at: optional("--at")! } : {}),
      ...(optional("--region") !== undefined ? { region: optional("--region")! } : {}),
      ...(optional("--dns-label") !== undefined ? { dnsLabel: optional("--dns-label")! } : {}),
      ...(switches.has("--empty-mongo") ? { emptyMongo: true } : {}),
    },
    options: {
      dryRun: switches.has("--dry-run"),
      ...(minutes !== undefined ? { healthTimeoutMs: minutes * 60_000 } : {}),
    },
  };
}

async function main(argv: string[]): Promise<number> {
  const parsed = parseArgs(argv);
  if (parsed.kind === "help") {
    process.stdout.write(`${HELP}\n`);
    return EXIT.ok;
  }
  if (parsed.kind === "usage") {
    process.stderr.write(`${parsed.problems.map((p) => `error: ${p}`).join("\n")}\n\n${HELP}\n`);
    return EXIT.usage;
  }
  const projectDir = path.resolve(__dirname, "..", "..");
  const project = readProjectName(projectDir);
  let workspace;
  try {
    workspace = await automationWorkspace(projectDir);
  } catch (err) {
    process.stderr.write(
      `recreate needs the Pulumi CLI, logged in to the backend that holds ${parsed.request.source} (pulumi login ...): ${err instanceof Error ? err.message : String(err)}\n`,
    );
    return EXIT.upFailed;
  }
  const outcome = await recreate(parsed.request, parsed.options, {
    workspace,
    project,
    readApp: (file) => readAppFile(file, projectDir),
    now: () => new Date(),
    waitForHealth,
    print: (...lines) => process.stdout.write(`${lines.join("\n")}\n`),
  });
  return outcome.exitCode;
}

function readProjectName(projectDir: string): string {
  const doc = parse(readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8")) as { name?: string };
  if (!doc?.name) throw new Error(`${projectDir}/Pulumi.yaml has no project name`);
  return doc.name;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.stdout.write("", () => process.exit(code)),
    (err: unknown) => {
      process.stderr.write(`recreate failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(EXIT.upFailed);
    },
  );
}
