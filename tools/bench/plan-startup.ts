/**
 * `npm run bench:plan [-- --runs N] [--json]`: wall time and peak memory of `npm run plan -- prod`
 * against the floor (a process that only loads @pulumi/pulumi and the provider modules the program
 * uses), measured alternately in one run. Prints a table, or JSON with --json.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";

const ROOT = path.resolve(__dirname, "..", "..");
const args = process.argv.slice(2);
const runs =
  Number(args[args.indexOf("--runs") + 1]) > 0 && args.includes("--runs")
    ? Number(args[args.indexOf("--runs") + 1])
    : 7;
const json = args.includes("--json");
const stack = "prod";

/** Every @pulumi/* and @pulumiverse/* module the program imports, as it imports them. */
export function providerModules(): string[] {
  const found = new Set<string>(["@pulumi/pulumi"]);
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith(".ts") && !entry.name.endsWith(".test.ts")) {
        for (const m of readFileSync(full, "utf8").matchAll(/from "(@pulumi(?:verse)?\/[^"]+)"/g)) found.add(m[1]!);
      }
    }
  };
  for (const dir of ["stacks", "components", "environments"]) walk(path.join(ROOT, dir));
  return [...found].sort();
}

interface Sample {
  seconds: number;
  maxRssMb: number;
}

function measure(command: string[], usageFile: string): Sample {
  rmSync(usageFile, { force: true });
  const start = process.hrtime.bigint();
  const result = spawnSync(process.execPath, ["-r", path.join(__dirname, "report-usage.js"), ...command], {
    cwd: ROOT,
    env: { ...process.env, LIFTOFF_USAGE_FILE: usageFile },
    stdio: ["ignore", "ignore", "pipe"],
    encoding: "utf8",
  });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (result.status !== 0) throw new Error(`${command.join(" ")} failed (${result.status}): ${result.stderr}`);
  const { maxRssKb } = JSON.parse(readFileSync(usageFile, "utf8").trim().split("\n").at(-1)!) as { maxRssKb: number };
  return { seconds, maxRssMb: maxRssKb / 1024 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const modules = providerModules();
const usageFile = path.join(mkdtempSync(path.join(tmpdir(), "liftoff-bench-")), "usage.jsonl");
const floorCommand = [path.join(__dirname, "floor.js"), ...modules];
const planCommand = [
  "-r",
  path.join(ROOT, "tools", "ts-register.js"),
  path.join(ROOT, "tools", "plan", "cli.ts"),
  stack,
];

process.stderr.write(`floor loads: ${modules.join(", ")}\n`);
// One untimed run each, so the transpile cache and the OS page cache are warm for both.
measure(floorCommand, usageFile);
measure(planCommand, usageFile);
const floor: Sample[] = [];
const plan: Sample[] = [];
for (let i = 1; i <= runs; i++) {
  floor.push(measure(floorCommand, usageFile));
  plan.push(measure(planCommand, usageFile));
  process.stderr.write(
    `run ${i}/${runs}: floor ${floor.at(-1)!.seconds.toFixed(2)} s, plan ${plan.at(-1)!.seconds.toFixed(2)} s\n`,
  );
}

const summary = (samples: Sample[]) => ({
  medianSeconds: Number(median(samples.map((s) => s.seconds)).toFixed(3)),
  minSeconds: Number(Math.min(...samples.map((s) => s.seconds)).toFixed(3)),
  peakRssMb: Number(Math.max(...samples.map((s) => s.maxRssMb)).toFixed(1)),
});
const result = {
  runs,
  stack,
  floor: summary(floor),
  plan: summary(plan),
  timeRatio: Number((median(plan.map((s) => s.seconds)) / median(floor.map((s) => s.seconds))).toFixed(2)),
  goals: { timeRatio: 1.5, peakRssMb: 300 },
};
const met = result.timeRatio <= result.goals.timeRatio && result.plan.peakRssMb < result.goals.peakRssMb;

if (json) {
  process.stdout.write(`${JSON.stringify({ ...result, met }, null, 2)}\n`);
} else {
  const row = (name: string, s: ReturnType<typeof summary>) =>
    `${name.padEnd(24)} ${s.medianSeconds.toFixed(2).padStart(8)} ${s.minSeconds.toFixed(2).padStart(8)} ${s.peakRssMb.toFixed(0).padStart(9)}`;
  process.stdout.write(
    [
      `${"".padEnd(24)} ${"median s".padStart(8)} ${"min s".padStart(8)} ${"peak MB".padStart(9)}`,
      row("floor (SDK + providers)", result.floor),
      row(`npm run plan -- ${stack}`, result.plan),
      "",
      `plan/floor time: ${result.timeRatio}× (goal ≤ ${result.goals.timeRatio}×); plan peak ${result.plan.peakRssMb} MB (goal < ${result.goals.peakRssMb} MB): ${met ? "met" : "NOT met"}`,
      "",
    ].join("\n"),
  );
}
