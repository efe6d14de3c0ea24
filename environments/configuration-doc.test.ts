import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { CONFIGURATION_DOC, renderConfigurationDoc } from "./configuration-doc";
import { SECTIONS } from "./sections";

const committed = () => readFileSync(path.join(__dirname, "..", CONFIGURATION_DOC), "utf8");
const settings = SECTIONS.flatMap((section) => Object.values(section.settings));

describe("the configuration reference", () => {
  it("is what the settings tables generate (run `npm run docs:config` after changing a setting)", () => {
    // One assertion on the whole text: a stale doc shows as a diff of the lines that changed.
    expect(committed(), `${CONFIGURATION_DOC} is stale: run npm run docs:config`).toBe(renderConfigurationDoc());
  });

  it("has one row for every setting the validation knows, and nothing else", () => {
    const rows = renderConfigurationDoc()
      .split("\n")
      .filter((line) => /^\| `[A-Za-z]+` \|/.test(line))
      .map((line) => line.slice(3, line.indexOf("`", 3)));
    // Each section's table, then the secrets of every section in one table.
    expect(rows).toEqual(
      [...settings.filter((s) => s.type !== "secret"), ...settings.filter((s) => s.type === "secret")].map(
        (s) => s.key,
      ),
    );
  });

  it("declares each setting once: no key in two sections' tables", () => {
    const keys = settings.map((s) => s.key);
    expect(keys.filter((key, i) => keys.indexOf(key) !== i)).toEqual([]);
  });

  it("gives every secret the exact command that sets it", () => {
    const doc = renderConfigurationDoc();
    for (const s of settings.filter((s) => s.type === "secret")) {
      expect(doc).toContain(`| \`pulumi config set --secret liftoff:${s.key} --stack <stack>\` |`);
    }
  });
});
