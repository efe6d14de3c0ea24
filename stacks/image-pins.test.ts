/**
 * The drift check's split between "infrastructure drifted" and "a newer image exists": with the
 * digests of the last `pulumi up` in LIFTOFF_PINNED_IMAGES, the program renders exactly that release
 * (so a moved `:main` tag changes nothing the preview compares) and reports the moved tags as
 * information lines. Run as the drift job runs the program: as a preview.
 */
import { describe, expect, it } from "vitest";
import { parseImageRef, type ImageRef } from "../environments/image-ref";
import { byType, runStack } from "../test/harness";
import { PINNED_IMAGES_ENV, imagePins } from "./image-pins";

const digest = (c: string) => `sha256:${c.repeat(64)}`;
/** What dev's last `pulumi up` pinned: other digests than the (mock) registry names today. */
const LAST_UP = {
  images: {
    "api-gateway": `ghcr.io/acme/api-gateway@${digest("a")}`,
    "identity-service": `ghcr.io/acme/identity-service@${digest("b")}`,
    orders: `ghcr.io/acme/orders@${digest("c")}`,
    catalog: `ghcr.io/acme/catalog@${digest("d")}`,
    broker: `ghcr.io/acme/broker@${digest("e")}`,
  },
  collectorImage: `docker.io/grafana/alloy@${digest("f")}`,
};

const ref = (text: string): ImageRef => {
  const parsed = parseImageRef(text);
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.ref;
};

describe("a drift check of dev (tags track :main) with the last up's digests pinned", () => {
  it("renders the release with the pinned digests, so a new :main image is no change, and reports each moved tag as information", async () => {
    const unpinned = await runStack("dev", { preview: true });
    expect(unpinned.error).toBeUndefined();
    const moving = unpinned.outputs["images"]!.value as Record<string, string>;
    expect(moving["orders"]).not.toBe(LAST_UP.images.orders);

    const pinned = await runStack("dev", { preview: true, host: { pinnedImages: JSON.stringify(LAST_UP) } });
    expect(pinned.error).toBeUndefined();
    expect(pinned.outputs["images"]!.value).toEqual(LAST_UP.images);
    expect(pinned.outputs["collectorImage"]!.value).toBe(LAST_UP.collectorImage);
    const compose = (pinned.outputs["releaseFiles"]!.value as Record<string, string>)["compose.yaml"]!;
    for (const image of ["api-gateway", "identity-service", "orders", "catalog"] as const)
      expect(compose).toContain(LAST_UP.images[image]);

    const log = pinned.log.join("\n");
    expect(log).toMatch(/info: drift check: the release is pinned to the 6 image digests of the last pulumi up/);
    expect(log).toContain(
      `newer image: orders ghcr.io/acme/orders:main now names ${moving["orders"]!.split("@")[1]}; the stack runs ${digest("c")} until the next pulumi up`,
    );
    expect(log).toMatch(/newer image: \(collector\) grafana\/alloy:v[\d.]+ now names sha256:/);
    // broker is pinned by tag 3.13 in the compose file: also looked up, also pinned.
    expect(log).toMatch(/newer image: broker ghcr\.io\/acme\/broker:3\.13 now names/);
  });

  it("pins nothing and reports nothing when the tags still name the pinned digests", async () => {
    const today = await runStack("dev", { preview: true });
    const pins = JSON.stringify({
      images: today.outputs["images"]!.value,
      collectorImage: today.outputs["collectorImage"]!.value,
    });
    const pinned = await runStack("dev", { preview: true, host: { pinnedImages: pins } });
    expect(pinned.outputs["images"]!.value).toEqual(today.outputs["images"]!.value);
    expect(pinned.log.join("\n")).not.toContain("newer image:");
    const apply = (e: typeof today) =>
      byType(e, "command:remote:Command").find((c) => c.name === "deploy-apply")!.inputs["triggers"];
    expect(apply(pinned)).toEqual(apply(today));
  });

  it("stops with the variable's name when what it holds is not the stack's image outputs", async () => {
    const bad = await runStack("dev", {
      preview: true,
      host: { pinnedImages: '{"images": {"orders": "ghcr.io/acme/orders:main"}}' },
    });
    expect(bad.error).toContain(`${PINNED_IMAGES_ENV}: orders = "ghcr.io/acme/orders:main" is not an image by digest`);
  });
});

describe("imagePins", () => {
  const images = {
    orders: ref("ghcr.io/acme/orders:main"),
    catalog: ref(`ghcr.io/acme/catalog@${digest("9")}`),
    redis: ref("redis:7"),
    "(collector)": ref("docker.io/grafana/alloy:v1.8.3"),
  };

  it("pins images looked up by tag to the last up's digest when the repository is the same", () => {
    const pins = imagePins(
      JSON.stringify({
        images: {
          orders: `ghcr.io/acme/orders@${digest("1")}`,
          catalog: `ghcr.io/acme/catalog@${digest("2")}`,
          redis: `docker.io/library/redis@${digest("3")}`,
        },
        collectorImage: `docker.io/grafana/alloy@${digest("4")}`,
      }),
      images,
      "(collector)",
    );
    expect(pins).toEqual({
      pins: {
        orders: `ghcr.io/acme/orders@${digest("1")}`,
        redis: `docker.io/library/redis@${digest("3")}`,
        "(collector)": `docker.io/grafana/alloy@${digest("4")}`,
      },
      ignored: [],
    });
  });

  it("does not pin an image the program changed (a pending change shows), nor one that is gone", () => {
    const pins = imagePins(
      JSON.stringify({
        images: { orders: `ghcr.io/acme/orders-v2@${digest("1")}`, gone: `ghcr.io/acme/gone@${digest("2")}` },
      }),
      images,
      "(collector)",
    );
    expect(pins.pins).toEqual({});
    expect(pins.ignored).toEqual([
      "orders: the program now runs ghcr.io/acme/orders, the last up ran ghcr.io/acme/orders-v2",
      "gone: no such image in the program any more",
    ]);
  });

  it("refuses what is not JSON of the outputs' shape", () => {
    expect(() => imagePins("orders=x", images, "(collector)")).toThrow(/LIFTOFF_PINNED_IMAGES is not JSON/);
    expect(() => imagePins('{"images": []}', images, "(collector)")).toThrow(/must be an object with "images"/);
    expect(() => imagePins('{"collectorImage": 7}', images, "(collector)")).toThrow(
      /collector\) = 7 is not an image by digest/,
    );
  });
});
