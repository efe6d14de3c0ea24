import { describe, expect, it } from "vitest";
import { checkAlloyReferences, parseAlloy, type AlloyBlock } from "../../test/alloy-syntax";
import { ALLOY_CONTAINER, ALLOY_TOKEN_VARIABLE, lokiPushUrl, renderAlloyConfig, type AlloyConfigInput } from "./alloy";

const INPUT: AlloyConfigInput = {
  environment: "dev",
  host: "liftoff-acme-dev.westeurope.cloudapp.azure.com",
  metrics: { url: "https://prometheus-prod-22-prod-eu-west-3.grafana.net/api/prom/push", username: "1234567" },
  logs: { url: "https://logs-prod-012.grafana.net", username: "765432" },
};

const find = (blocks: readonly AlloyBlock[], name: string, label?: string) =>
  blocks.find((b) => b.name === name && b.label === label)!;

describe("the host collector's Alloy config", () => {
  it("matches the reviewed golden file", async () => {
    await expect(renderAlloyConfig(INPUT)).toMatchFileSnapshot("./testdata/dev.alloy");
  });

  it("is valid Alloy syntax whose every reference names a declared component and export", () => {
    const blocks = parseAlloy(renderAlloyConfig(INPUT));
    expect(checkAlloyReferences(blocks)).toEqual([]);
    expect(
      blocks
        .filter((b) => b.label)
        .map((b) => `${b.name}.${b.label}`)
        .sort(),
    ).toEqual([
      "discovery.docker.containers",
      "discovery.relabel.containers",
      "discovery.relabel.host",
      "discovery.relabel.logs",
      "loki.source.docker.containers",
      "loki.write.grafana_cloud",
      "prometheus.exporter.cadvisor.containers",
      "prometheus.exporter.unix.host",
      "prometheus.remote_write.grafana_cloud",
      "prometheus.scrape.containers",
      "prometheus.scrape.host",
    ]);
  });

  it("ships host and container metrics to the stack's Prometheus as its user", () => {
    const blocks = parseAlloy(renderAlloyConfig(INPUT));
    const endpoint = find(blocks, "prometheus.remote_write", "grafana_cloud").blocks[0]!;
    expect(endpoint.attributes["url"]).toEqual({ kind: "string", value: INPUT.metrics.url });
    expect(endpoint.blocks[0]!.attributes["username"]).toEqual({ kind: "string", value: "1234567" });
    for (const scrape of ["host", "containers"]) {
      expect(find(blocks, "prometheus.scrape", scrape).attributes["forward_to"]).toEqual({
        kind: "array",
        items: [{ kind: "ref", path: ["prometheus", "remote_write", "grafana_cloud", "receiver"] }],
      });
    }
  });

  it("ships every container's logs to the stack's Loki, labelled with environment, host and compose service", () => {
    const blocks = parseAlloy(renderAlloyConfig(INPUT));
    const write = find(blocks, "loki.write", "grafana_cloud");
    expect(write.blocks[0]!.attributes["url"]).toEqual({
      kind: "string",
      value: "https://logs-prod-012.grafana.net/loki/api/v1/push",
    });
    expect(write.attributes["external_labels"]).toEqual({
      kind: "object",
      fields: { environment: { kind: "string", value: "dev" }, host: { kind: "string", value: INPUT.host } },
    });
    const source = find(blocks, "loki.source.docker", "containers");
    expect(source.attributes["targets"]).toEqual({
      kind: "ref",
      path: ["discovery", "docker", "containers", "targets"],
    });
    const rules = find(blocks, "discovery.relabel", "logs").blocks.map((r) => r.attributes["target_label"]);
    expect(rules).toContainEqual({ kind: "string", value: "service_name" });
  });

  it("never contains the token: Alloy reads it from the container's environment", () => {
    const text = renderAlloyConfig(INPUT);
    expect(text.match(/password = sys\.env\("GRAFANA_CLOUD_TOKEN"\)/g)).toHaveLength(2);
    expect(ALLOY_CONTAINER.environment).toEqual([ALLOY_TOKEN_VARIABLE]);
  });

  it("escapes what it interpolates, so an odd host name cannot break the file", () => {
    const blocks = parseAlloy(renderAlloyConfig({ ...INPUT, host: 'evil"\nhost\\' }));
    expect(checkAlloyReferences(blocks)).toEqual([]);
    expect(find(blocks, "loki.write", "grafana_cloud").attributes["external_labels"]).toMatchObject({
      fields: { host: { value: 'evil"\nhost\\' } },
    });
  });

  it("is checked by a parser that does reject broken configs", () => {
    const text = renderAlloyConfig(INPUT);
    expect(() => parseAlloy(text.replace('level  = "warn"', 'level  = "warn" format = "x"'))).toThrow(
      /must end its line/,
    );
    expect(() => parseAlloy(text.replace("}\n\n// Host", "\n\n// Host"))).toThrow();
    expect(
      checkAlloyReferences(
        parseAlloy(text.replace("loki.write.grafana_cloud.receiver", "loki.write.grafana.receiver")),
      ),
    ).toEqual(["loki.source.docker.containers.forward_to: loki.write.grafana.receiver names no declared component"]);
    expect(
      checkAlloyReferences(parseAlloy(text.replace("discovery.relabel.host.output", "discovery.relabel.host.targets"))),
    ).toEqual(["prometheus.scrape.host.targets: discovery.relabel exports no targets"]);
  });

  it("pushes logs to Loki's push API however the stack spells its logs URL", () => {
    expect(lokiPushUrl("https://logs.example/")).toBe("https://logs.example/loki/api/v1/push");
  });

  it("runs pinned, reads the host read-only and publishes no port", () => {
    expect(ALLOY_CONTAINER.image).toMatch(/^docker\.io\/grafana\/alloy:v\d+\.\d+\.\d+$/);
    for (const mount of ALLOY_CONTAINER.mounts) expect(mount).toMatch(/:ro(,|$)/);
    expect(ALLOY_CONTAINER.command.join(" ")).toContain("--server.http.listen-addr=127.0.0.1:");
  });
});
