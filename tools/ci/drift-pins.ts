/**
 * drift-pins: the drift job's steps around its preview (tools/ci/drift/pins.ts says why).
 *
 *   pulumi stack output --json --stack dev | npx tsx tools/ci/drift-pins.ts pin >> "$GITHUB_ENV"
 *   printf '%s\n' "$PREVIEW_OUTPUT" | npx tsx tools/ci/drift-pins.ts report --stack dev --summary "$GITHUB_STEP_SUMMARY"
 *
 * `pin` prints LIFTOFF_PINNED_IMAGES=... (nothing, with a notice, for a stack never deployed).
 * `report` appends the newer images to the summary and prints one ::notice per image; it exits 0
 * whatever it finds: a newer image is information, not drift. Exit 64 on bad usage or input.
 */
import { appendFileSync, readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { newerImages, newerImagesReport, pinEnvLine } from "./drift/pins";

const USAGE =
  "usage: drift-pins pin < stack-outputs.json\n       drift-pins report --stack <stack> [--summary <file>] < preview-output";

function main(argv: readonly string[]): void {
  const [command, ...rest] = argv;
  const { values } = parseArgs({
    args: [...rest],
    options: { stack: { type: "string" }, summary: { type: "string" } },
    strict: true,
  });
  const input = readFileSync(0, "utf8");
  if (command === "pin") {
    const line = pinEnvLine(input.trim() === "" ? "{}" : input);
    if (line) process.stdout.write(`${line}\n`);
    else
      process.stderr.write(
        "::notice title=drift check::the stack has no images output yet (never deployed): nothing pinned\n",
      );
    return;
  }
  if (command === "report") {
    if (!values.stack) throw new Error(`--stack is required\n${USAGE}`);
    const lines = newerImages(input);
    if (values.summary) appendFileSync(values.summary, newerImagesReport(values.stack, lines));
    for (const line of lines) process.stdout.write(`::notice title=newer image on ${values.stack}::${line}\n`);
    return;
  }
  throw new Error(USAGE);
}

if (require.main === module) {
  try {
    main(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`drift-pins: error: ${(error as Error).message}\n`);
    process.exitCode = 64;
  }
}
