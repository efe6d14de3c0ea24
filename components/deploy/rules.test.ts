import { readFileSync } from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { HEALTH_PATH_PATTERN, envFileLine, envNameProblem, envValueProblem, healthPathProblem } from "./rules";

describe("the rules the plan and the host share", () => {
  it("the host agent validates health paths with exactly the renderer's pattern", () => {
    const agent = readFileSync(path.join(__dirname, "agent", "liftoff_release", "manifest.py"), "utf8");
    const match = /^HPATH = re\.compile\(r"(.*)"\)$/m.exec(agent);
    expect(match, 'the agent defines HPATH = re.compile(r"...")').not.toBeNull();
    expect(match![1]).toBe(HEALTH_PATH_PATTERN);
  });

  it.each(["/healthz", "/health/ready", "/status?probe=1&deep=true", "/a%2Fb", "/~user/x-y_z.json", "/"])(
    "accepts the health path %s",
    (p) => {
      expect(healthPathProblem(p)).toBeUndefined();
    },
  );

  it.each([
    ["/healthz;x", 'holds ";"'],
    ["healthz", "does not start with /"],
    ["/health z", 'holds " "'],
    ["/a|b", 'holds "|"'],
    ["/a%zz", "percent-escape"],
    ["/{x}", 'holds "{"'],
    [`/${"a".repeat(300)}`, "longer than 256"],
  ])("refuses the health path %s", (p, message) => {
    expect(healthPathProblem(p)).toContain(message);
  });

  it("accepts every variable name Compose's env files accept, and says why for the rest", () => {
    for (const name of [
      "DATABASE_URL",
      "Serilog__MinimumLevel__Override__Microsoft.AspNetCore",
      "my-var",
      "a.b-c",
      "_x",
      "1A",
      "Ärger",
      "list[0]",
    ])
      expect(envNameProblem(name), name).toBeUndefined();
    expect(envNameProblem("A B")).toContain('" "');
    expect(envNameProblem("A=B")).toContain('"="');
    expect(envNameProblem("")).toBe("is empty");
  });

  it("accepts every value but NUL and broken Unicode, and never quotes the value", () => {
    expect(envValueProblem('-Xmx512m "$x" #c \\ = é\nline')).toBeUndefined();
    expect(envValueProblem("sec\0ret")).not.toContain("sec");
    expect(envValueProblem("\uD800")).toContain("Unicode");
  });

  it('writes one double-quoted line per variable with only \\\\ \\" \\$ \\n \\r escaped', () => {
    expect(envFileLine("A", 'x "y" $z \\ \n\r\t#')).toBe('A="x \\"y\\" \\$z \\\\ \\n\\r\t#"\n');
  });
});
