import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { importCycles, sourceFiles } from "./cycles";

const ROOT = path.resolve(__dirname, "..", "..");

describe("import cycles", () => {
  it("finds a cycle made of type-only imports and re-exports", () => {
    const dir = mkdtempSync(path.join(tmpdir(), "liftoff-cycles-"));
    writeFileSync(path.join(dir, "a.ts"), 'import type { B } from "./b";\nexport type A = { b?: B };\n');
    writeFileSync(path.join(dir, "b.ts"), 'export type { A as B } from "./a";\n');
    writeFileSync(path.join(dir, "c.ts"), 'import type { A } from "./a";\nexport type C = A;\n');
    expect(importCycles(sourceFiles([dir]), dir)).toEqual([["a.ts", "b.ts"]]);
  });

  it("finds none in environments/: each section owns its spec type, and spec.ts only puts them together", () => {
    expect(importCycles(sourceFiles([path.join(ROOT, "environments")]), ROOT)).toEqual([]);
  });
});
