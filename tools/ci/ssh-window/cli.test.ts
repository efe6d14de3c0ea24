import { spawnSync } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { installFakeAz, type FakeAzState } from "./fake-az";
import { parseWindowRuleName } from "./window";

const ROOT = path.resolve(__dirname, "../../..");
const TSX = path.join(ROOT, "node_modules/.bin/tsx");
const CLI = path.join(ROOT, "tools/ci/ssh-window.ts");
const FIREWALL = [
  { name: "allow-ssh-admin", priority: 100 },
  { name: "allow-http-acme", priority: 110 },
  { name: "deny-all-inbound", priority: 4096 },
];
const future = Math.floor(Date.now() / 1000) + 3600;
const past = Math.floor(Date.now() / 1000) - 60;

function setup(state: Partial<FakeAzState> = {}) {
  const az = installFakeAz({ nsg: true, rules: [...FIREWALL], ...state });
  const stateDir = mkdtempSync(path.join(tmpdir(), "liftoff-ssh-window-"));
  const run = (...args: string[]) => {
    const r = spawnSync(TSX, [CLI, ...args], {
      cwd: ROOT,
      encoding: "utf8",
      env: { ...process.env, ...az.env, RUNNER_TEMP: stateDir },
    });
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  return { az, run, stateDir };
}
const windows = <R extends { name: string }>(rules: readonly R[]) => rules.filter((r) => parseWindowRuleName(r.name));

describe("ssh-window with a fake az", () => {
  it("open creates exactly one /32 rule for this run on the dev NSG's SSH port, at the reserved band; close deletes it", () => {
    const { az, run } = setup();
    const opened = run("open", "--stack", "dev", "--run", "900-1", "--ip", "20.61.10.7", "--confirm-ip", "20.61.10.7");
    expect(opened.status, opened.stderr).toBe(0);
    expect(opened.stdout).toMatch(
      /^ssh-window: open: 20\.61\.10\.7\/32 may reach port 22 on liftoff-dev-nsg until \S+Z \(rule liftoff-ci-ssh-900-1-until-\d{10}, priority 4000\)\n$/,
    );
    const created = az.calls().filter((c) => c[3] === "create");
    expect(created).toHaveLength(1);
    expect(created[0]).toEqual(
      expect.arrayContaining([
        "--resource-group",
        "liftoff-dev-rg",
        "--nsg-name",
        "liftoff-dev-nsg",
        "--source-address-prefixes",
        "20.61.10.7/32",
        "--destination-port-ranges",
        "22",
        "--priority",
        "4000",
      ]),
    );
    expect(windows(az.state().rules)).toEqual([
      expect.objectContaining({ source: "20.61.10.7/32", port: "22", priority: 4000 }),
    ]);

    const closed = run("close", "--stack", "dev", "--run", "900-1");
    expect(closed.status, closed.stderr).toBe(0);
    expect(closed.stdout).toMatch(/closed: removed liftoff-ci-ssh-900-1-until-\d{10} from liftoff-dev-nsg/);
    expect(az.state().rules).toEqual(FIREWALL);
  });

  it("removes stale expired windows left by dead runners, and leaves other live windows alone", () => {
    const stale = { name: `liftoff-ci-ssh-5-1-until-${past}`, priority: 4000 };
    const live = { name: `liftoff-ci-ssh-6-1-until-${future}`, priority: 4001 };
    const { az, run } = setup({ rules: [...FIREWALL, stale, live] });
    expect(run("open", "--stack", "dev", "--run", "900-1", "--ip", "20.61.10.7").status).toBe(0);
    const names = az.state().rules.map((r) => r.name);
    expect(names).not.toContain(stale.name);
    expect(names).toContain(live.name);
    expect(windows(az.state().rules).find((r) => r.name.startsWith("liftoff-ci-ssh-900-1-"))?.priority).toBe(4000);
    // A close by another run also sweeps what has expired since.
    az.setState({ ...az.state(), rules: [...az.state().rules, stale] });
    expect(run("close", "--stack", "dev", "--run", "901-1").status).toBe(0);
    expect(az.state().rules.map((r) => r.name)).not.toContain(stale.name);
  });

  it.each([["*"], ["0.0.0.0/0"], ["Internet"], ["10.0.0.4"], ["20.61.10.0/24"]])(
    "refuses %j with exit 64 and never calls az to create",
    (ip) => {
      const { az, run } = setup();
      const result = run("open", "--stack", "dev", "--run", "900-1", "--ip", ip);
      expect(result.status).toBe(64);
      expect(result.stderr).toContain("--ip");
      expect(az.calls().filter((c) => c[3] === "create")).toEqual([]);
    },
  );

  it("refuses disagreeing address lookups, bad run ids, unknown stacks and commands with exit 64", () => {
    const { az, run } = setup();
    expect(
      run("open", "--stack", "dev", "--run", "900-1", "--ip", "20.61.10.7", "--confirm-ip", "20.61.10.8").status,
    ).toBe(64);
    expect(run("open", "--stack", "dev", "--run", "latest", "--ip", "20.61.10.7").status).toBe(64);
    const unknown = run("open", "--stack", "nope", "--run", "900-1", "--ip", "20.61.10.7");
    expect(unknown.status).toBe(64);
    expect(unknown.stderr).toContain("Pulumi.nope.yaml");
    expect(run("destroy", "--stack", "dev").status).toBe(64);
    expect(az.calls()).toEqual([]);
  });

  it("fails with exit 1 when Azure refuses the rule, and when a deleted rule is still there", () => {
    const refused = setup({ failCreate: true });
    const r = refused.run("open", "--stack", "dev", "--run", "900-1", "--ip", "20.61.10.7");
    expect(r.status).toBe(1);
    expect(r.stderr).toContain("simulated failure");

    const mine = { name: `liftoff-ci-ssh-900-1-until-${future}`, priority: 4000 };
    const stuck = setup({ rules: [...FIREWALL, mine], ignoreDelete: true });
    const c = stuck.run("close", "--stack", "dev", "--run", "900-1");
    expect(c.status).toBe(1);
    expect(c.stderr).toContain("still present");
  });

  it("on a new environment, waits in the background until pulumi up creates the NSG, then opens; close stops the watcher", async () => {
    const { az, run } = setup({ nsg: { appearsAfterShows: 3 } });
    const opened = run(
      "open",
      "--stack",
      "dev",
      "--run",
      "900-1",
      "--ip",
      "20.61.10.7",
      "--wait-for-nsg-minutes",
      "1",
      "--poll-seconds",
      "0.2",
    );
    expect(opened.status, opened.stderr).toBe(0);
    expect(opened.stdout).toContain("does not exist yet (a new environment): watcher pid");
    for (let i = 0; i < 100 && windows(az.state().rules).length === 0; i++)
      await new Promise((r) => setTimeout(r, 100));
    expect(windows(az.state().rules)).toHaveLength(1);
    const closed = run("close", "--stack", "dev", "--run", "900-1");
    expect(closed.status, closed.stderr).toBe(0);
    expect(az.state().rules).toEqual(FIREWALL);
  }, 30_000);

  it("without waiting, a missing NSG is nothing to open or close", () => {
    const { az, run } = setup({ nsg: false });
    const opened = run("open", "--stack", "dev", "--run", "900-1", "--ip", "20.61.10.7");
    expect(opened.status).toBe(0);
    expect(opened.stdout).toContain("nothing to open");
    expect(run("close", "--stack", "dev", "--run", "900-1").stdout).toContain("nothing to close");
    expect(az.calls().every((c) => c[2] === "show")).toBe(true);
  });
});
