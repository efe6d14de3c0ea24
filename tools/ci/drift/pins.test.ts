import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_DIR } from "../../../test/harness";
import { newerImages, newerImagesReport, pinEnvLine } from "./pins";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const OUTPUTS = {
  fqdn: "liftoff-acme-dev.westeurope.cloudapp.azure.com",
  images: { orders: `ghcr.io/acme/orders@${digest("c")}`, catalog: `ghcr.io/acme/catalog@${digest("d")}` },
  collectorImage: `docker.io/grafana/alloy@${digest("f")}`,
  databaseUrls: "[secret]",
};
const PREVIEW = `Previewing update (dev):
  pulumi:pulumi:Stack liftoff-dev running
@ previewing update....
Diagnostics:
  liftoff:delivery:ContainerImages (images):
    newer image: orders ghcr.io/acme/orders:main now names ${digest("1")}; the stack runs ${digest("c")} until the next pulumi up
    newer image: orders ghcr.io/acme/orders:main now names ${digest("1")}; the stack runs ${digest("c")} until the next pulumi up

Resources:
    62 unchanged
`;

describe("the drift job's pin line", () => {
  it("carries the last up's images and collector image, as one $GITHUB_ENV line, and nothing else", () => {
    const line = pinEnvLine(JSON.stringify(OUTPUTS))!;
    expect(line.split("\n")).toHaveLength(1);
    expect(line.startsWith("LIFTOFF_PINNED_IMAGES=")).toBe(true);
    expect(JSON.parse(line.slice("LIFTOFF_PINNED_IMAGES=".length))).toEqual({
      images: OUTPUTS.images,
      collectorImage: OUTPUTS.collectorImage,
    });
  });

  it("is absent for a stack never deployed, and refuses an output that is not an image by digest (no $GITHUB_ENV injection)", () => {
    expect(pinEnvLine("{}")).toBeUndefined();
    expect(() => pinEnvLine(JSON.stringify({ images: { orders: "ghcr.io/acme/orders:main" } }))).toThrow(
      /images.orders = .* is not an image by digest/,
    );
    expect(() =>
      pinEnvLine(JSON.stringify({ images: { orders: `ghcr.io/acme/orders@${digest("c")}\nEVIL=1` } })),
    ).toThrow(/not an image by digest/);
  });
});

describe("the drift job's newer-image report", () => {
  it("collects the program's newer-image lines once each, and says they are not drift", () => {
    const lines = newerImages(PREVIEW);
    expect(lines).toEqual([
      `orders ghcr.io/acme/orders:main now names ${digest("1")}; the stack runs ${digest("c")} until the next pulumi up`,
    ]);
    expect(newerImagesReport("dev", lines)).toMatch(
      /^## Newer images for dev \(not drift\)\n[\s\S]*- `orders` `ghcr.io\/acme\/orders:main` now names/,
    );
    expect(newerImagesReport("dev", [])).toMatch(/Every tag names the digest the last `pulumi up` pinned/);
  });

  it("runs as the workflow runs it: notices on stdout, the report in the summary, exit 0", () => {
    const summary = path.join(mkdtempSync(path.join(tmpdir(), "liftoff-drift-")), "summary.md");
    const r = spawnSync(
      process.execPath,
      ["-r", "./tools/ts-register.js", "tools/ci/drift-pins.ts", "report", "--stack", "dev", "--summary", summary],
      { cwd: PROJECT_DIR, input: PREVIEW, encoding: "utf8" },
    );
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      `::notice title=newer image on dev::orders ghcr.io/acme/orders:main now names ${digest("1")}; the stack runs ${digest("c")} until the next pulumi up\n`,
    );
    expect(readFileSync(summary, "utf8")).toContain("## Newer images for dev (not drift)");
    const pin = spawnSync(process.execPath, ["-r", "./tools/ts-register.js", "tools/ci/drift-pins.ts", "pin"], {
      cwd: PROJECT_DIR,
      input: JSON.stringify(OUTPUTS),
      encoding: "utf8",
    });
    expect(pin.status).toBe(0);
    expect(pin.stdout).toMatch(/^LIFTOFF_PINNED_IMAGES=\{"images":/);
  }, 60_000);
});
