import { describe, expect, it } from "vitest";
import { parseImageRef, type ImageRef } from "../../environments/image-ref";
import { checkActionsName, environmentProtection } from "./github";
import { imageResolution, pinnedReference, registryLookupName } from "./images";

const ref = (text: string): ImageRef => {
  const parsed = parseImageRef(text);
  if (!parsed.ok) throw new Error(parsed.detail);
  return parsed.ref;
};
const DIGEST = `sha256:${"c".repeat(64)}`;

describe("image pinning", () => {
  it("looks up the digest of an image given by tag", () => {
    expect(imageResolution(ref("ghcr.io/acme/api-gateway:1.4.2"))).toMatchObject({
      kind: "lookup",
      name: "ghcr.io/acme/api-gateway:1.4.2",
    });
    expect(imageResolution(ref("docker.io/grafana/alloy:v1.8.3"))).toMatchObject({
      kind: "lookup",
      name: "grafana/alloy:v1.8.3",
    });
  });

  // The docker provider reads a lookup name as terraform-provider-docker's parseImageOptions does:
  // a first component with "." or ":" (or any name with two "/") is the registry host it asks.
  it.each([
    ["docker.io/grafana/alloy:v1.8.3", "grafana/alloy:v1.8.3"],
    ["grafana/alloy:v1.8.3", "grafana/alloy:v1.8.3"],
    ["docker.io/library/redis:7", "library/redis:7"],
    ["docker.io/redis:7", "library/redis:7"],
    ["redis:7", "library/redis:7"],
    ["index.docker.io/bitnami/redis:7.2", "bitnami/redis:7.2"],
    ["registry-1.docker.io/library/redis:7", "library/redis:7"],
    ["docker.io/acme/tools/probe:1", "registry-1.docker.io/acme/tools/probe:1"],
    ["ghcr.io/acme/api-gateway:1.4.2", "ghcr.io/acme/api-gateway:1.4.2"],
    ["ghcr.io/acme:main", "ghcr.io/acme:main"],
    ["localhost:5000/orders:dev", "localhost:5000/orders:dev"],
    ["quay.io/prometheus/node-exporter:v1.8.2", "quay.io/prometheus/node-exporter:v1.8.2"],
  ])("registryLookupName(%s) = %s", (image, name) => {
    expect(registryLookupName(ref(image))).toBe(name);
  });

  it("never sends a Docker Hub image to docker.io's web host", () => {
    for (const image of ["docker.io/grafana/alloy:v1", "docker.io/redis:7", "redis:7", "docker.io/a/b/c:1"]) {
      const name = registryLookupName(ref(image));
      expect(name, image).not.toMatch(/^(index\.)?docker\.io\//);
    }
  });

  it("uses an image given by digest as is, without a lookup", () => {
    expect(imageResolution(ref(`ghcr.io/acme/orders@${DIGEST}`))).toEqual({
      kind: "pinned",
      reference: `ghcr.io/acme/orders@${DIGEST}`,
    });
    expect(imageResolution(ref(`ghcr.io/acme/orders:1.0@${DIGEST}`))).toEqual({
      kind: "pinned",
      reference: `ghcr.io/acme/orders@${DIGEST}`,
    });
  });

  it("hands the deploy layer name@sha256:..., with the registry spelled out and no tag", () => {
    expect(pinnedReference(ref("redis:7"), DIGEST)).toBe(`docker.io/library/redis@${DIGEST}`);
  });

  it("refuses an answer from the registry that is not a sha256 digest", () => {
    expect(() => pinnedReference(ref("ghcr.io/acme/x:1"), "sha256:abc")).toThrow(/expected sha256:<64 hex>/);
  });
});

describe("GitHub environment rules", () => {
  it("protected: reviewers required, no self-review, admins bound, default branch only", () => {
    expect(environmentProtection(true)).toEqual({
      preventSelfReview: true,
      canAdminsBypass: false,
      defaultBranchOnly: true,
      deploymentBranchPolicy: { protectedBranches: false, customBranchPolicies: true },
    });
  });

  it("unprotected: any branch deploys at once", () => {
    expect(environmentProtection(false)).toEqual({
      preventSelfReview: false,
      canAdminsBypass: true,
      defaultBranchOnly: false,
    });
  });

  it("refuses names GitHub Actions would refuse for variables and secrets", () => {
    expect(checkActionsName("LIFTOFF_HOST")).toBe("LIFTOFF_HOST");
    for (const bad of ["GITHUB_TOKEN", "1HOST", "liftoff-host"]) expect(() => checkActionsName(bad)).toThrow();
  });
});
