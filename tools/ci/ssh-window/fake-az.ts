/**
 * A stand-in for the Azure CLI, for tests: an executable `az` that answers the four NSG commands
 * the SSH window uses and the two VM commands of vm-start from a JSON state file, and records every
 * call (argv) it receives.
 */
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

export interface FakeNsgRule {
  readonly name: string;
  readonly priority: number;
  readonly source?: string;
  readonly port?: string;
}
export interface FakeAzState {
  /** The NSG exists from the start, or after this many `nsg show` calls (a new environment). */
  nsg: boolean | { readonly appearsAfterShows: number };
  rules: FakeNsgRule[];
  /** `rule create` fails (Azure said no). */
  failCreate?: boolean;
  /** `rule delete` answers 0 but leaves the rule (a delete that did not take). */
  ignoreDelete?: boolean;
  shows?: number;
  /** The stack's VM: its power state (`running`, `deallocated`, ...); absent: no such VM (az exits 3). */
  vm?: { powerState: string };
}

const SCRIPT = `#!/usr/bin/env node
const fs = require("node:fs");
const args = process.argv.slice(2);
fs.appendFileSync(process.env.FAKE_AZ_LOG, JSON.stringify(args) + "\\n");
const state = JSON.parse(fs.readFileSync(process.env.FAKE_AZ_STATE, "utf8"));
const save = () => fs.writeFileSync(process.env.FAKE_AZ_STATE, JSON.stringify(state));
const flag = (name) => { const i = args.indexOf(name); return i < 0 ? undefined : args[i + 1]; };
const cmd = args.slice(0, 4).join(" ");
if (args[0] === "vm" && (args[1] === "get-instance-view" || args[1] === "start")) {
  if (!state.vm) { process.stderr.write("(ResourceNotFound) The Resource 'Microsoft.Compute/virtualMachines/" + flag("--name") + "' was not found.\\n"); process.exit(3); }
  if (args[1] === "get-instance-view") { process.stdout.write("PowerState/" + state.vm.powerState + "\\n"); process.exit(0); }
  state.vm.powerState = "running"; save(); process.exit(0);
}
const nsgExists = () => state.nsg === true || (typeof state.nsg === "object" && (state.shows || 0) > state.nsg.appearsAfterShows);
if (args.slice(0, 3).join(" ") === "network nsg show") {
  state.shows = (state.shows || 0) + 1; save();
  if (!nsgExists()) { process.stderr.write("(ResourceNotFound) The Resource 'Microsoft.Network/networkSecurityGroups/" + flag("--name") + "' was not found.\\n"); process.exit(3); }
  process.stdout.write(flag("--name") + "\\n"); process.exit(0);
}
if (!nsgExists()) { process.stderr.write("(ResourceNotFound) NSG not found\\n"); process.exit(3); }
if (cmd === "network nsg rule list") { process.stdout.write(JSON.stringify(state.rules.map((r) => ({ name: r.name, priority: r.priority })))); process.exit(0); }
if (cmd === "network nsg rule create") {
  if (state.failCreate) { process.stderr.write("(SecurityRuleConflict) simulated failure\\n"); process.exit(1); }
  state.rules.push({ name: flag("--name"), priority: Number(flag("--priority")), source: flag("--source-address-prefixes"), port: flag("--destination-port-ranges") }); save(); process.exit(0);
}
if (cmd === "network nsg rule delete") {
  if (!state.ignoreDelete) state.rules = state.rules.filter((r) => r.name !== flag("--name"));
  save(); process.exit(0);
}
process.stderr.write("fake az: unexpected command " + args.join(" ") + "\\n"); process.exit(2);
`;

export interface FakeAz {
  /** Put first on PATH. */
  readonly binDir: string;
  readonly env: Record<string, string>;
  state(): FakeAzState;
  setState(state: FakeAzState): void;
  /** Every argv the fake received, in order. */
  calls(): string[][];
}

export function installFakeAz(initial: FakeAzState): FakeAz {
  const dir = mkdtempSync(path.join(tmpdir(), "liftoff-fake-az-"));
  const binDir = path.join(dir, "bin");
  mkdirSync(binDir);
  writeFileSync(path.join(binDir, "az"), SCRIPT);
  chmodSync(path.join(binDir, "az"), 0o755);
  const stateFile = path.join(dir, "state.json");
  const logFile = path.join(dir, "calls.log");
  writeFileSync(stateFile, JSON.stringify(initial));
  writeFileSync(logFile, "");
  return {
    binDir,
    env: { FAKE_AZ_STATE: stateFile, FAKE_AZ_LOG: logFile, PATH: `${binDir}:${process.env["PATH"] ?? ""}` },
    state: () => JSON.parse(readFileSync(stateFile, "utf8")) as FakeAzState,
    setState: (state) => writeFileSync(stateFile, JSON.stringify(state)),
    calls: () =>
      existsSync(logFile)
        ? readFileSync(logFile, "utf8")
            .split("\n")
            .filter(Boolean)
            .map((l) => JSON.parse(l) as string[])
        : [],
  };
}
