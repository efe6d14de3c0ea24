"use strict";
/**
 * Loads the project's TypeScript in plain Node: each .ts file is transpiled by esbuild the first
 * time its content is seen, and the JavaScript is cached by content hash under
 * node_modules/.cache/liftoff-ts. Types are checked by `npm run typecheck`, not here. Only the
 * project's own files pass through this hook, so the SDKs load at native speed.
 */
const crypto = require("node:crypto");
const fs = require("node:fs");
const path = require("node:path");

const cacheDir = path.join(__dirname, "..", "node_modules", ".cache", "liftoff-ts");
let esbuild;

function transpile(source, filename) {
  const key = crypto.createHash("sha256").update(filename).update("\0").update(source).digest("hex");
  const cached = path.join(cacheDir, `${key}.js`);
  try {
    return fs.readFileSync(cached, "utf8");
  } catch {
    // Not cached yet: transpile below.
  }
  esbuild ??= require("esbuild");
  const { code } = esbuild.transformSync(source, {
    loader: "ts",
    format: "cjs",
    target: "node20",
    sourcefile: filename,
    sourcemap: "inline",
  });
  try {
    fs.mkdirSync(cacheDir, { recursive: true });
    const temporary = `${cached}.${process.pid}`;
    fs.writeFileSync(temporary, code);
    fs.renameSync(temporary, cached);
  } catch {
    // A read-only tree still works, just without the cache.
  }
  return code;
}

require.extensions[".ts"] = function compileTypeScript(module, filename) {
  module._compile(transpile(fs.readFileSync(filename, "utf8"), filename), filename);
};
