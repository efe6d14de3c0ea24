import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect } from "vitest";
import { PROJECT_DIR } from "./harness";

const run = promisify(execFile);

/**
 * A dynamic provider's serialized text, as `pulumi.dynamic.Resource` produces it
 * (`serializeFunction(() => provider, {allowSecrets: true})`), made in a plain Node process that
 * loads the TypeScript as the program does. `factory` is called with `options` (JavaScript source).
 */
export async function serializedProvider(modulePath: string, factory: string, options: string): Promise<string> {
  const script = `
    const pulumi = require("@pulumi/pulumi");
    const { ${factory} } = require(${JSON.stringify(modulePath)});
    const provider = ${factory}(${options});
    pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true })
      .then((sf) => process.stdout.write(JSON.stringify({ text: sf.text, exportName: sf.exportName, containsSecrets: sf.containsSecrets })));
  `;
  const { stdout } = await run(process.execPath, ["-r", "./tools/ts-register.js", "-e", script], {
    cwd: PROJECT_DIR,
    maxBuffer: 64 << 20,
  });
  const result = JSON.parse(stdout) as { text: string; exportName: string; containsSecrets: boolean };
  expect(result.exportName).toBe("handler");
  expect(result.containsSecrets).toBe(false);
  return result.text;
}
