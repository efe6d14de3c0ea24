/**
 * `npm run docs:config`: writes docs/configuration.md from the settings tables
 * (environments/settings.ts). `--check` only says whether the committed file is current.
 */
import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { CONFIGURATION_DOC, renderConfigurationDoc } from "../../environments/configuration-doc";

const file = path.resolve(__dirname, "..", "..", CONFIGURATION_DOC);
const text = renderConfigurationDoc();
if (process.argv.includes("--check")) {
  let current = "";
  try {
    current = readFileSync(file, "utf8");
  } catch {
    // missing: stale
  }
  if (current !== text) {
    console.error(`${CONFIGURATION_DOC} is stale: run npm run docs:config`);
    process.exitCode = 1;
  }
} else {
  writeFileSync(file, text);
  console.log(`wrote ${CONFIGURATION_DOC}`);
}
