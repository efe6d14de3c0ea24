/**
 * The three sample applications of test/e2e/apps/ (each five services or more), read by liftoff's
 * compose loader (environments/compose/) and rendered by the real renderer. Shared by the renderer's unit test (the
 * rendered releases pass `docker compose config`) and the e2e deployment on the test host.
 */
import * as path from "node:path";
import { renderRelease, type RenderedRelease } from "../../components/deploy";
import type { AppDefinition } from "../../environments/compose/model";
import { fsReader, loadApp } from "../../environments/compose";

export const APPS_DIR = path.join(__dirname, "apps");

export const SAMPLE_APPS: Readonly<Record<string, { readonly files: readonly string[] }>> = {
  shop: { files: ["compose.yaml", "compose.override.yaml"] },
  ledger: { files: ["compose.yaml"] },
  media: { files: ["compose.yaml"] },
};

/** The image variables the sample apps use. */
export type SampleImages = Record<
  "GATEWAY_IMAGE" | "IDENTITY_IMAGE" | "ORDERS_IMAGE" | "CATALOG_IMAGE" | "BROKER_IMAGE",
  string
>;

export function loadSampleApp(name: string, images: SampleImages): AppDefinition {
  const variables = Object.fromEntries(Object.entries(images).map(([k, value]) => [k, { value, secret: false }]));
  const { app, problems } = loadApp({
    projectDir: path.join(APPS_DIR, name),
    files: SAMPLE_APPS[name]!.files,
    variables,
    reader: fsReader,
  });
  if (!app) throw new Error(`the loader refused the sample app ${name}:\n${JSON.stringify(problems, null, 2)}`);
  return app;
}

export function renderSampleApp(
  name: string,
  images: SampleImages,
  site: string,
  registry: { server: string; username: string } | null,
  /** Where the host agent keeps its state (the test host's differs from a real host's /srv/liftoff). */
  releaseRoot?: string,
): RenderedRelease {
  const app = loadSampleApp(name, images);
  return renderRelease({
    project: name,
    environment: "e2e",
    app,
    images: Object.fromEntries(app.services.map((s) => [s.name, s.imageText])),
    sites: { api: site },
    bind: "127.0.0.1",
    bindings: {},
    registry,
    healthTimeoutSeconds: 60,
    // The proxy's gate files live under the agent's root: the test host's, not a real host's.
    ...(releaseRoot ? { releaseRoot } : {}),
  });
}
