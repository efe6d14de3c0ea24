/**
 * `npm run rollback -- <stack> [--resource-group <rg>] [--subscription <id>] [--app <name>]... [--dry-run]`
 */
import { spawnSync } from "node:child_process";
import { armSettings } from "../../components/containerapps/driver";
import { rollback } from "./rollback";

export const HELP = `usage: npm run rollback -- <stack> [options]

For a stack with liftoff:runtime containerapps: sends all traffic of each of the stack's Container
Apps back to the revision before the one serving now, without a \`pulumi up\`. The release driver
keeps the previous revisions active, so this takes seconds; an older, deactivated revision is
activated first. Signs in to Azure as \`pulumi up\` does (az login, or the AZURE_* variables of a
service principal). The next \`pulumi up\` keeps this traffic until the release changes.

options:
  --resource-group <rg>   the stack's resource group; default: the stack output resourceGroupName
                          (\`pulumi stack output --stack <stack>\`)
  --subscription <id>     default: the stack output subscriptionId, else AZURE_SUBSCRIPTION_ID or
                          ARM_SUBSCRIPTION_ID
  --app <name>            only this app (repeatable); default: all of the stack's apps
  --dry-run               print what would move; change nothing
  --help                  this text

exit codes: 0 rolled back (or nothing older to go to), 1 Azure refused or failed, 2 bad usage`;

interface Flags {
  stack?: string;
  resourceGroup?: string;
  subscription?: string;
  apps: string[];
  dryRun: boolean;
  help: boolean;
}

export function parseFlags(argv: readonly string[]): Flags | string {
  const flags: Flags = { apps: [], dryRun: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new Error(`${arg} needs a value`);
      return v;
    };
    try {
      if (arg === "--help" || arg === "-h") flags.help = true;
      else if (arg === "--dry-run") flags.dryRun = true;
      else if (arg === "--resource-group") flags.resourceGroup = value();
      else if (arg === "--subscription") flags.subscription = value();
      else if (arg === "--app") flags.apps.push(value());
      else if (arg.startsWith("--")) return `unknown option ${arg}`;
      else if (flags.stack === undefined) flags.stack = arg;
      else return `one stack only (got ${flags.stack} and ${arg})`;
    } catch (err) {
      return (err as Error).message;
    }
  }
  if (!flags.help && !flags.stack) return "name the stack: npm run rollback -- <stack>";
  return flags;
}

/** The stack's outputs (non-secret), for its resource group and subscription. */
function stackOutputs(stack: string): Record<string, unknown> {
  const r = spawnSync("pulumi", ["stack", "output", "--json", "--stack", stack], { encoding: "utf8" });
  if (r.status !== 0) return {};
  try {
    return JSON.parse(r.stdout) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function main(argv: readonly string[]): Promise<number> {
  const flags = parseFlags(argv);
  if (typeof flags === "string") {
    process.stderr.write(`${flags}\n\n${HELP}\n`);
    return 2;
  }
  if (flags.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  const needOutputs = !flags.resourceGroup || !flags.subscription;
  const outputs = needOutputs ? stackOutputs(flags.stack!) : {};
  const text = (v: unknown) => (typeof v === "string" && v !== "" ? v : undefined);
  const resourceGroupName = flags.resourceGroup ?? text(outputs["resourceGroupName"]);
  const subscriptionId =
    flags.subscription ??
    text(outputs["subscriptionId"]) ??
    process.env["AZURE_SUBSCRIPTION_ID"] ??
    process.env["ARM_SUBSCRIPTION_ID"];
  if (!resourceGroupName || !subscriptionId) {
    process.stderr.write(
      `cannot tell the stack's ${!resourceGroupName ? "resource group" : "subscription"}: pass --resource-group and --subscription (or log in to the Pulumi backend holding ${flags.stack})\n`,
    );
    return 2;
  }
  try {
    const lines = await rollback(
      armSettings({ pollIntervalMs: 5000 }),
      {
        subscriptionId,
        resourceGroupName,
        stack: flags.stack!,
        ...(flags.apps.length > 0 ? { apps: flags.apps } : {}),
        dryRun: flags.dryRun,
      },
      (line) => process.stdout.write(`${line}\n`),
    );
    const moved = lines.filter((l) => l.outcome === "moved").length;
    process.stdout.write(flags.dryRun ? "dry run: nothing changed\n" : `${moved} app(s) rolled back\n`);
    return 0;
  } catch (err) {
    process.stderr.write(`rollback failed: ${(err as Error).message}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => process.exit(code));
}
