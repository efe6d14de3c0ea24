/**
 * The layer contract of stacks/: every `xxxLayer()` takes the environment first and, by name, the
 * layers it stands on, returns a read-only record of outputs (an `XxxLayer` interface, never a
 * component), and reads a secret only through stackSecret, so the offline plan and `pulumi up`
 * treat a missing secret the same way in every layer.
 */
import { readFileSync, readdirSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";

const layerFiles = readdirSync(__dirname)
  .filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))
  .map((f) => ({ file: f, text: readFileSync(path.join(__dirname, f), "utf8") }));

/** `export function fooLayer(<params>): <Result> {`, parameters possibly over several lines. */
const LAYER = /export function (\w+Layer)\(([\s\S]*?)\):\s*([\w<>]+)\s*\{/g;

const layers = layerFiles.flatMap(({ file, text }) =>
  [...text.matchAll(LAYER)].map((m) => ({ file, name: m[1]!, params: m[2]!, result: m[3]! })),
);

describe("the layer contract", () => {
  it("finds the layers", () => {
    expect(layers.map((l) => l.name)).toEqual(
      expect.arrayContaining([
        "foundationLayer",
        "hostLayer",
        "dataLayer",
        "observabilityLayer",
        "deliveryLayer",
        "deployLayer",
      ]),
    );
  });

  it.each(layers.map((l) => [l.name, l] as const))(
    "%s takes the environment first, its inputs by name, and returns its XxxLayer record",
    (_name, layer) => {
      expect(layer.params.trim()).toMatch(/^environment: Environment\s*(,\s*\{[\s\S]*\}\s*:\s*\{[\s\S]*\},?)?$/);
      const record = layer.name[0]!.toUpperCase() + layer.name.slice(1);
      expect(layer.result).toBe(record);
      const declared = layerFiles.find((f) => f.file === layer.file)!.text;
      // Read-only: every member of the record is readonly.
      const body = declared.slice(declared.indexOf(`export interface ${record} {`));
      expect(body, `${layer.file} declares interface ${record}`).not.toBe("");
      const members = body
        .slice(0, body.indexOf("\n}\n"))
        .split("\n")
        .filter((l) => /^ {2}\w/.test(l));
      for (const member of members) expect(member, `${record}: ${member}`).toMatch(/^ {2}readonly /);
    },
  );

  it("reads secrets only through stackSecret", () => {
    const direct = layerFiles
      .filter(({ file, text }) => file !== "secrets.ts" && /\.secret\(\s*["'`]/.test(text))
      .map((f) => f.file);
    expect(direct).toEqual([]);
  });
});
