/**
 * The local test host for the deploy layer.
 *
 *   npm run testbed -- up       start (or confirm) dockerd, sshd, registry, caddy; build and push
 *                               the test images; write .testbed/testbed.json. Idempotent.
 *   npm run testbed -- down     stop what the testbed started and the release containers.
 *   npm run testbed -- status   say what is up; exit 0 only when everything is.
 *
 * See tools/testbed/README.md.
 */
import * as path from "node:path";
import { down, status, up } from "./testbed";

const USAGE = "usage: npm run testbed -- up | down | status";

async function main(argv: readonly string[]): Promise<number> {
  const repoRoot = path.resolve(__dirname, "..", "..");
  const command = argv[0];
  if (argv.length !== 1) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  switch (command) {
    case "up": {
      const started = Date.now();
      const summary = await up(repoRoot);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      process.stdout.write(
        [
          "",
          `testbed is up (${seconds} s)`,
          `  started:         ${summary.started.length > 0 ? summary.started.join(", ") : "nothing"}`,
          `  already running: ${summary.alreadyRunning.length > 0 ? summary.alreadyRunning.join(", ") : "nothing"}`,
          `  testbed.json:    ${summary.testbedJson}`,
          "  next:            npm run test:e2e",
          "",
        ].join("\n"),
      );
      return 0;
    }
    case "down": {
      const { stopped } = await down(repoRoot);
      process.stdout.write(
        `\ntestbed is down; stopped: ${stopped.length > 0 ? stopped.join(", ") : "nothing was running"}\n`,
      );
      return 0;
    }
    case "status": {
      const components = await status(repoRoot);
      for (const c of components) process.stdout.write(`${c.name.padEnd(13)} ${c.detail}\n`);
      const allUp = components.every((c) => c.up);
      process.stdout.write(allUp ? "\ntestbed is up\n" : "\ntestbed is not (fully) up: run `npm run testbed -- up`\n");
      return allUp ? 0 : 1;
    }
    default:
      process.stderr.write(`unknown command ${JSON.stringify(command)}\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`\ntestbed: FAILED: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
