import { describe, expect, it } from "vitest";
import {
  SSH_WINDOW_PRIORITIES,
  createRuleCommand,
  deleteRuleCommand,
  listRulesCommand,
  parseRuleList,
  parseWindowRuleName,
  planClose,
  planOpen,
  runId,
  runnerSource,
  showNsgCommand,
  staleRules,
  ttlMinutes,
  windowRuleName,
} from "./window";

const target = { resourceGroup: "liftoff-dev-rg", networkSecurityGroup: "liftoff-dev-nsg", sshPort: 22 };
const now = new Date("2026-11-20T08:00:00Z");
const epoch = (iso: string) => Math.floor(new Date(iso).getTime() / 1000);
const ours = [
  { name: "allow-ssh-admin", priority: 100 },
  { name: "allow-http-acme", priority: 110 },
  { name: "deny-all-inbound", priority: 4096 },
];

describe("the runner's address", () => {
  it("becomes a single-address /32 source", () => {
    expect(runnerSource("20.61.10.7")).toEqual({ ok: true, value: "20.61.10.7/32" });
    expect(runnerSource(" 20.61.10.7/32 ", "20.61.10.7")).toEqual({ ok: true, value: "20.61.10.7/32" });
  });

  it.each([
    ["*", "is not a single IPv4 address"],
    ["Internet", "is not a single IPv4 address"],
    ["0.0.0.0/0", "is not a single IPv4 address"],
    ["20.61.10.0/24", "is not a single IPv4 address"],
    ["20.61.10.256", "is not a single IPv4 address"],
    ["020.61.10.7", "is not a single IPv4 address"],
    ["2001:db8::1", "is not a single IPv4 address"],
    ["", "is not a single IPv4 address"],
    ["10.1.2.3", "is in 10.0.0.0/8, which is not a public address"],
    ["172.20.0.1", "is in 172.16.0.0/12"],
    ["192.168.1.1", "is in 192.168.0.0/16"],
    ["127.0.0.1", "is in 127.0.0.0/8"],
    ["100.64.3.4", "is in 100.64.0.0/10"],
    ["169.254.169.254", "is in 169.254.0.0/16"],
    ["203.0.113.7", "is in 203.0.113.0/24"],
    ["0.0.0.0", "is in 0.0.0.0/8"],
    ["255.255.255.255", "is in 240.0.0.0/4"],
    ["224.0.0.1", "is in 224.0.0.0/4"],
  ])("refuses %j", (ip, why) => {
    const result = runnerSource(ip);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.problem).toContain(why);
    expect(!result.ok && result.problem).toContain("--ip");
  });

  it("refuses two lookups that disagree", () => {
    const result = runnerSource("20.61.10.7", "20.61.10.8");
    expect(result).toEqual({ ok: false, problem: expect.stringContaining("disagree") });
  });
});

describe("inputs", () => {
  it("takes a run id with its attempt, and a bounded lifetime", () => {
    expect(runId("1234567890-2")).toEqual({ ok: true, value: "1234567890-2" });
    expect(runId("1234567890").ok).toBe(false);
    expect(runId("12; rm -rf /-1").ok).toBe(false);
    expect(ttlMinutes(undefined)).toEqual({ ok: true, value: 90 });
    expect(ttlMinutes("30")).toEqual({ ok: true, value: 30 });
    for (const bad of ["4", "361", "1.5", "soon"]) expect(ttlMinutes(bad).ok, bad).toBe(false);
  });
});

describe("window rule names", () => {
  it("record the run and the expiry, and parse back", () => {
    const name = windowRuleName("77-1", new Date("2026-11-20T09:30:00Z"));
    expect(name).toBe(`liftoff-ci-ssh-77-1-until-${epoch("2026-11-20T09:30:00Z")}`);
    expect(name.length).toBeLessThanOrEqual(80);
    expect(parseWindowRuleName(name)).toEqual({ run: "77-1", expiresAt: new Date("2026-11-20T09:30:00Z") });
    expect(parseWindowRuleName("allow-ssh-admin")).toBeUndefined();
  });
});

describe("opening", () => {
  it("adds exactly one /32 rule for this run at the first free priority of the reserved band", () => {
    const plan = planOpen({ rules: ours, run: "77-1", source: "20.61.10.7/32", port: 22, now, ttlMinutes: 90 });
    expect(plan).toEqual({
      ok: true,
      value: {
        remove: [],
        create: {
          name: `liftoff-ci-ssh-77-1-until-${epoch("2026-11-20T09:30:00Z")}`,
          priority: SSH_WINDOW_PRIORITIES.first,
          source: "20.61.10.7/32",
          port: 22,
          description:
            "CI SSH window for GitHub Actions run 77-1, expires 2026-11-20T09:30:00.000Z; removed by the run or by the next one after expiry",
        },
      },
    });
  });

  it("removes expired windows first and skips priorities still taken", () => {
    const expired = { name: `liftoff-ci-ssh-5-1-until-${epoch("2026-11-20T07:59:59Z")}`, priority: 4000 };
    const live = { name: `liftoff-ci-ssh-6-1-until-${epoch("2026-11-20T09:00:00Z")}`, priority: 4001 };
    const plan = planOpen({
      rules: [...ours, expired, live],
      run: "77-1",
      source: "20.61.10.7/32",
      port: 22,
      now,
      ttlMinutes: 90,
    });
    expect(plan.ok && plan.value.remove).toEqual([expired.name]);
    expect(plan.ok && plan.value.create?.priority).toBe(4000);
  });

  it("never touches a rule that only looks like a window: outside the band, or another name", () => {
    const lookalike = { name: `liftoff-ci-ssh-5-1-until-${epoch("2020-01-01T00:00:00Z")}`, priority: 300 };
    const operators = { name: "operator-ssh-until-1600000000", priority: 4002 };
    expect(staleRules([...ours, lookalike, operators], now)).toEqual([]);
  });

  it("is idempotent for the same run (a retried step)", () => {
    const mine = { name: `liftoff-ci-ssh-77-1-until-${epoch("2026-11-20T09:00:00Z")}`, priority: 4003 };
    expect(
      planOpen({ rules: [...ours, mine], run: "77-1", source: "20.61.10.7/32", port: 22, now, ttlMinutes: 90 }),
    ).toEqual({ ok: true, value: { remove: [], alreadyOpen: mine.name } });
  });

  it("fails when the band is full of live windows", () => {
    const full = Array.from({ length: 90 }, (_, i) => ({
      name: `liftoff-ci-ssh-${i + 1}-1-until-${epoch("2026-11-20T10:00:00Z")}`,
      priority: 4000 + i,
    }));
    const plan = planOpen({ rules: full, run: "500-1", source: "20.61.10.7/32", port: 22, now, ttlMinutes: 90 });
    expect(plan).toEqual({ ok: false, problem: expect.stringContaining("every priority from 4000 to 4089 is taken") });
  });
});

describe("closing", () => {
  it("removes this run's window and every expired one, nothing else", () => {
    const mine = { name: `liftoff-ci-ssh-77-1-until-${epoch("2026-11-20T09:30:00Z")}`, priority: 4000 };
    const expired = { name: `liftoff-ci-ssh-5-1-until-${epoch("2026-11-20T07:00:00Z")}`, priority: 4001 };
    const otherLive = { name: `liftoff-ci-ssh-6-1-until-${epoch("2026-11-20T09:00:00Z")}`, priority: 4002 };
    expect(planClose({ rules: [...ours, mine, expired, otherLive], run: "77-1", now })).toEqual([
      mine.name,
      expired.name,
    ]);
  });
});

describe("az commands", () => {
  it("are exact argument vectors", () => {
    expect(showNsgCommand(target)).toEqual([
      "network",
      "nsg",
      "show",
      "--resource-group",
      "liftoff-dev-rg",
      "--name",
      "liftoff-dev-nsg",
      "--query",
      "name",
      "--output",
      "tsv",
    ]);
    expect(listRulesCommand(target)).toEqual([
      "network",
      "nsg",
      "rule",
      "list",
      "--resource-group",
      "liftoff-dev-rg",
      "--nsg-name",
      "liftoff-dev-nsg",
      "--query",
      "[].{name:name,priority:priority}",
      "--output",
      "json",
    ]);
    const rule = {
      name: "liftoff-ci-ssh-77-1-until-1795681800",
      priority: 4000,
      source: "20.61.10.7/32",
      port: 22,
      description: "CI SSH window",
    };
    expect(createRuleCommand(target, rule)).toEqual([
      "network",
      "nsg",
      "rule",
      "create",
      "--resource-group",
      "liftoff-dev-rg",
      "--nsg-name",
      "liftoff-dev-nsg",
      "--name",
      "liftoff-ci-ssh-77-1-until-1795681800",
      "--priority",
      "4000",
      "--direction",
      "Inbound",
      "--access",
      "Allow",
      "--protocol",
      "Tcp",
      "--source-address-prefixes",
      "20.61.10.7/32",
      "--source-port-ranges",
      "*",
      "--destination-address-prefixes",
      "*",
      "--destination-port-ranges",
      "22",
      "--description",
      "CI SSH window",
      "--output",
      "none",
    ]);
    expect(deleteRuleCommand(target, rule.name)).toEqual([
      "network",
      "nsg",
      "rule",
      "delete",
      "--resource-group",
      "liftoff-dev-rg",
      "--nsg-name",
      "liftoff-dev-nsg",
      "--name",
      rule.name,
      "--output",
      "none",
    ]);
  });

  it("refuse a window from anything but one address, and deleting a rule that is not a window", () => {
    expect(() =>
      createRuleCommand(target, { name: "x", priority: 4000, source: "Internet", port: 22, description: "" }),
    ).toThrow(/only a single address/);
    expect(() => deleteRuleCommand(target, "allow-ssh-admin")).toThrow(/only window rules/);
  });

  it("read az's rule list and refuse anything else", () => {
    expect(parseRuleList('[{"name":"a","priority":100}]')).toEqual({ ok: true, value: [{ name: "a", priority: 100 }] });
    expect(parseRuleList("ERROR: boom").ok).toBe(false);
    expect(parseRuleList('[{"name":"a"}]').ok).toBe(false);
  });
});
