/**
 * Import cycles among the project's own TypeScript modules, type-only imports and re-exports
 * included: a cycle means two modules each need the other, so neither can be read (or loaded) alone.
 */
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import * as path from "node:path";
import * as ts from "typescript";

/** The project's modules under `roots` (test files and node_modules left out), by absolute path. */
export function sourceFiles(roots: readonly string[]): string[] {
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      if (name === "node_modules" || name.startsWith(".")) continue;
      const full = path.join(dir, name);
      if (statSync(full).isDirectory()) walk(full);
      else if (/\.ts$/.test(name) && !/\.(test|d)\.ts$/.test(name)) files.push(full);
    }
  };
  for (const root of roots) walk(root);
  return files.sort();
}

/** The project modules `file` imports, re-exports from or names in an `import("...")` type. */
export function importsOf(file: string): string[] {
  const info = ts.preProcessFile(readFileSync(file, "utf8"), true, true);
  const found = new Set<string>();
  for (const { fileName } of info.importedFiles) {
    if (!fileName.startsWith(".")) continue;
    const base = path.resolve(path.dirname(file), fileName);
    const target = [`${base}.ts`, path.join(base, "index.ts"), base].find(
      (candidate) => existsSync(candidate) && statSync(candidate).isFile(),
    );
    if (target && target.endsWith(".ts")) found.add(target);
  }
  return [...found].sort();
}

/** Every cycle as its strongly connected set of modules (Tarjan), each sorted, relative to `base`. */
export function importCycles(files: readonly string[], base: string): string[][] {
  const graph = new Map(files.map((f) => [f, importsOf(f).filter((t) => files.includes(t))]));
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || graph.get(v)!.includes(v))
      cycles.push(component.map((f) => path.relative(base, f)).sort());
  };
  for (const f of files) if (!index.has(f)) visit(f);
  return cycles;
}

if (require.main === module) {
  const base = path.resolve(__dirname, "..", "..");
  const roots = process.argv.slice(2).map((r) => path.resolve(r));
  const cycles = importCycles(sourceFiles(roots.length > 0 ? roots : [base]), base);
  for (const c of cycles) console.log(`cycle: ${c.join(" <-> ")}`);
  console.log(`${cycles.length} import cycle${cycles.length === 1 ? "" : "s"}`);
  process.exitCode = cycles.length > 0 ? 1 : 0;
}
