/**
 * tools/testbed/install-docker.sh: shellcheck-clean, idempotent against an installed prefix (no
 * download, the system's apt untouched), and what .ci/run runs instead of Debian 12's Docker.
 * Its download from scratch is proven by running it into a scratch prefix (see the README).
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { DOCKER_PREFIX } from "./layout";

const SCRIPT = path.join(__dirname, "install-docker.sh");
const CI_RUN = path.join(__dirname, "..", "..", ".ci", "run");

describe("install-docker.sh", () => {
  it("is shellcheck-clean", () => {
    const r = spawnSync("shellcheck", ["--severity=style", SCRIPT], { encoding: "utf8" });
    if (r.error) throw new Error("shellcheck is not installed: apt-get install -y shellcheck (or run .ci/run)");
    expect(r.stdout + r.stderr).toBe("");
    expect(r.status).toBe(0);
  });

  it("downloads nothing when the prefix already holds Docker 26.1 and Compose v2.26, and says so with the versions", () => {
    if (!fs.existsSync(path.join(DOCKER_PREFIX, "usr/sbin/dockerd"))) {
      throw new Error(`${DOCKER_PREFIX} holds no Docker: run bash ${SCRIPT} (or .ci/run)`);
    }
    const state = fs.mkdtempSync(path.join(os.tmpdir(), "liftoff-docker-apt-"));
    const r = spawnSync("bash", [SCRIPT], {
      encoding: "utf8",
      env: {
        ...process.env,
        LIFTOFF_DOCKER_PREFIX: DOCKER_PREFIX,
        LIFTOFF_DOCKER_APT_STATE: state,
        LIFTOFF_DOCKER_PLUGIN_DIR: "",
      },
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(
      /already installed: dockerd 26\.1\.\d+, docker 26\.1\.\d+, compose 2\.26\.\d+; nothing to download/,
    );
    expect(r.stdout).toMatch(/^Docker version 26\.1\.\d+/m);
    expect(r.stdout).toMatch(/^Docker Compose version 2\.26\.\d+/m);
    expect(r.stdout).toContain("==> summary");
    expect(fs.readdirSync(state)).toEqual([]);
  });

  it("reads only its private sources list (trixie) and keeps apt's lists and cache in its own directory", () => {
    const text = fs.readFileSync(SCRIPT, "utf8");
    for (const option of [
      "Dir::Etc::sourcelist=$sources",
      "Dir::Etc::sourceparts=$STATE/empty.d",
      "Dir::State::Lists=$STATE/lists",
      "Dir::Cache=$STATE/cache",
    ]) {
      expect(text).toContain(`-o "${option}"`);
    }
    expect(text).toMatch(/PACKAGES=\(docker\.io docker-cli containerd runc tini docker-compose\)/);
    expect(text).not.toMatch(/\/etc\/apt\/sources\.list/);
  });
});

describe(".ci/run", () => {
  const text = fs.readFileSync(CI_RUN, "utf8");
  const aptList = /apt_packages=\(([^)]*)\)/.exec(text)?.[1]?.split(/\s+/).filter(Boolean) ?? [];

  it("installs Docker 26.1 and Compose v2 with install-docker.sh, not Debian 12's Docker 20.10 or Compose v1", () => {
    expect(aptList).toContain("caddy");
    expect(aptList).not.toContain("docker.io");
    expect(aptList).not.toContain("docker-compose");
    expect(aptList).toEqual(expect.arrayContaining(["iptables", "runc"]));
    expect(text).toMatch(/^\$sudo bash tools\/testbed\/install-docker\.sh$/m);
    expect(text.indexOf("install-docker.sh\n")).toBeLessThan(text.indexOf("npm run testbed -- up\n"));
  });
});
