"""The agent's decisions, pinned without a host."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from helpers import manifest_doc
from liftoff_release import plan
from liftoff_release.agent import Agent
from liftoff_release.config import Config
from liftoff_release.manifest import Manifest, parse
from liftoff_release.plan import Container, GateSpec
from liftoff_release.ports import BakeResult
from liftoff_release.state import Journal, Live

M = parse(manifest_doc())
REL = "e" * 64


def cont(service: str, project: str = "liftoff-blue", **over: Any) -> Container:
    base: dict[str, Any] = dict(id=f"id-{service}", project=project, service=service, oneoff=False, status="running", health="healthy",
                                restarts=0, exit_code=0, image="img", config_files=f"/srv/liftoff/releases/{REL}/compose.yaml", host_ports=())
    base.update(over)
    return Container(**base)


def test_parse_inspect_reads_labels_state_health_and_ports() -> None:
    doc = [{"Id": "abc", "RestartCount": 2, "Config": {"Image": "img", "Labels": {
        "com.docker.compose.project": "liftoff-green", "com.docker.compose.service": "api", "com.docker.compose.oneoff": "False",
        "com.docker.compose.project.config_files": f"/r/releases/{REL}/compose.yaml"}},
        "State": {"Status": "running", "ExitCode": 0, "Health": {"Status": "unhealthy", "Log": [{"ExitCode": 1, "Output": "no\n"}]}},
        "HostConfig": {"PortBindings": {"8080/tcp": [{"HostIp": "127.0.0.1", "HostPort": "20002"}]}}}]
    [c] = plan.parse_inspect(doc)
    assert (c.project, c.service, c.health, c.restarts, c.host_ports, c.health_log) == ("liftoff-green", "api", "unhealthy", 2, (20002,), ("1: no",))
    assert plan.release_of(c) == REL
    [bare] = plan.parse_inspect([{"Id": "x", "Config": {}, "State": {"Status": "exited"}}])
    assert (bare.health, bare.host_ports, plan.release_of(bare)) == ("none", (), None)


def test_target_is_the_idle_slot_and_blue_first() -> None:
    assert plan.target_slot(None) == "blue"
    assert plan.target_slot(Live("a", "blue", 0)) == "green"
    assert plan.target_slot(Live("a", "green", 0)) == "blue"


SPECS = [GateSpec("api-gateway", "/healthz", 20001), GateSpec("orders", None, None)]


def test_gate_waits_for_health_and_the_public_probe() -> None:
    v = plan.gate(SPECS, [cont("api-gateway"), cont("orders", health="starting")], {"api-gateway": 503})
    assert v.failure is None and not v.done
    assert v.waiting == {"api-gateway": "http://127.0.0.1:20001/healthz answered 503", "orders": "health check starting"}
    v = plan.gate(SPECS, [cont("api-gateway"), cont("orders", health="none")], {"api-gateway": 200})
    assert v.done and v.ready == {"api-gateway", "orders"}


def test_gate_fails_at_once_on_a_crash_loop_or_unhealthy_naming_the_service() -> None:
    v = plan.gate(SPECS, [cont("api-gateway"), cont("orders", restarts=1)], {"api-gateway": 200})
    assert v.failure is not None and v.failure.service == "orders" and "crash-looping" in v.failure.reason
    v = plan.gate(SPECS, [cont("api-gateway", health="unhealthy"), cont("orders")], {})
    assert v.failure is not None and v.failure.reason == "service api-gateway is unhealthy: its container health check failed"
    v = plan.gate(SPECS, [cont("orders")], {})
    assert v.waiting == {"api-gateway": "no container"}


def test_one_off_job_containers_are_not_services() -> None:
    v = plan.gate([GateSpec("orders", None, None)], [cont("orders", oneoff=True, status="exited", exit_code=1)], {})
    assert v.waiting == {"orders": "no container"} and v.failure is None


def test_accessories_update_only_when_their_definition_changes_or_they_are_down() -> None:
    assert plan.accessories_to_update(M, {"broker": "d" * 64}, ["broker"]) == []
    assert plan.accessories_to_update(M, {"broker": "f" * 64}, ["broker"])[0][1].startswith("definition changed (ffffffffffff -> dddddddddddd)")
    assert plan.accessories_to_update(M, {"broker": "d" * 64}, [])[0][1] == "not running: starting it again"
    assert plan.accessories_to_update(M, {"broker": None}, [])[0][1].startswith("starting")


def healthy_host() -> list[Container]:
    return [cont("api-gateway"), cont("orders"), cont("broker", project="liftoff-accessories"),
            cont("api-gateway", project="liftoff-green", status="exited", id="old-api")]


def test_the_live_release_is_clean_only_when_it_serves_alone_healthy() -> None:
    d = plan.drift(M, "blue", healthy_host(), True, {"broker": "d" * 64})
    assert d.clean, d.reasons  # a stopped idle slot (kept for a fast rollback) is fine


def test_drift_after_a_reboot_recreates_unhealthy_services_and_accessories() -> None:
    host = [cont("api-gateway", health="unhealthy"), cont("orders", status="exited"), cont("broker", project="liftoff-accessories", health="unhealthy"),
            cont("api-gateway", project="liftoff-green", id="old-api")]
    d = plan.drift(M, "blue", host, False, {"broker": "d" * 64})
    assert (d.recreate, d.accessories, d.idle_running, d.proxy_file) == (["api-gateway", "orders"], ["broker"], ["old-api"], True)
    assert not d.clean


def test_drift_sees_a_changed_accessory_definition() -> None:
    assert plan.drift(M, "blue", healthy_host(), True, {"broker": "0" * 64}).accessories == ["broker"]


def journal(phase: str) -> Journal:
    return Journal(run="r1", pid=1, action="apply", release="n" * 64, phase=phase, target="green", old_slot="blue", old_release="o" * 64,
                   before_current=Live("o" * 64, "blue", 1), before_previous=Live("p" * 64, "green", 0), started=0.0)


def test_a_run_killed_before_the_switch_is_undone() -> None:
    for phase in ("prepare", "start"):
        r = plan.recovery(journal(phase))
        assert (r.kind, r.remove_slot, r.restore) == ("undo", "green", (Live("o" * 64, "blue", 1), Live("p" * 64, "green", 0)))


def test_a_run_killed_during_the_bake_switches_back_to_the_old_slot() -> None:
    r = plan.recovery(journal("switched"))
    assert (r.kind, r.serve_slot, r.remove_slot) == ("switch-back", "blue", "green")
    assert r.restore == (Live("o" * 64, "blue", 1), Live("p" * 64, "green", 0))


def test_a_run_killed_after_going_live_only_stops_the_old_slot() -> None:
    r = plan.recovery(journal("finishing"))
    assert (r.kind, r.stop_slot, r.remove_slot, r.restore) == ("finish", "blue", None, None)


def test_canary_steps_then_the_bake() -> None:
    assert plan.traffic_steps((10, 50, 100), 5, 30) == [(10, 5), (50, 5), (100, 30)]
    assert plan.traffic_steps((100,), 0, 0) == [(100, 0)]


def test_prune_keeps_the_newest_and_every_protected_release() -> None:
    assert plan.prune_choice(["f", "e", "d", "c", "b", "a"], 2, {"a", "d"}) == ["c", "b"]


class FakeSwitch:
    def __init__(self, log: list[str], verify_problems: list[str] | None = None) -> None:
        self.log = log
        self.problems = verify_problems or []

    def caddyfile_problems(self, manifest: Manifest, caddyfile: str) -> list[str]:
        return []

    def shares(self) -> dict[str, int]:
        return {}

    def send(self, manifest: Manifest, shares: dict[str, int]) -> None:
        self.log.append(f"send {sorted(shares.items())}")

    def wait_seen(self, manifest: Manifest, shares: dict[str, int], timeout: float) -> None:
        self.log.append("seen")

    def verify(self, manifest: Manifest, slot: str) -> list[str]:
        self.log.append(f"verify {slot}")
        return self.problems


class FakeWatch:
    def __init__(self, log: list[str], fail_at: int | None = None) -> None:
        self.log, self.fail_at, self.n = log, fail_at, 0

    def watch(self, manifest: Manifest, slot: str, seconds: float, share: int = 100) -> BakeResult:
        self.n += 1
        self.log.append(f"watch {slot} {seconds:g} at {share}")
        if self.n == self.fail_at:
            return BakeResult(False, "service api-gateway: 5xx rate 40 % through the proxy")
        return BakeResult(True, "")


def agent(tmp: Path, log: list[str], fail_at: int | None = None, problems: list[str] | None = None) -> Agent:
    cfg = Config(tmp, tmp / "proxy" / "Caddyfile", tmp / "entry", None, 1, None, None, None)
    return Agent(cfg, "apply", "run", switch_factory=lambda _d, _m: FakeSwitch(log, problems), watch=FakeWatch(log, fail_at))


def test_go_live_moves_traffic_step_by_step_watching_between_steps(tmp_path: Path) -> None:
    log: list[str] = []
    assert agent(tmp_path, log).go_live(M, tmp_path, "green", "blue", bake=True).ok
    assert log == ["send [('blue', 50), ('green', 50)]", "seen", "watch green 5 at 50",
                   "send [('blue', 0), ('green', 100)]", "seen", "verify green", "watch green 30 at 100"]


def test_go_live_stops_at_the_first_failing_watch(tmp_path: Path) -> None:
    log: list[str] = []
    r = agent(tmp_path, log, fail_at=1).go_live(M, tmp_path, "green", "blue", bake=True)
    assert (r.ok, r.reason) == (False, "service api-gateway: 5xx rate 40 % through the proxy")
    assert log[-1] == "watch green 5 at 50" and not any("100" in line for line in log)


def test_go_live_fails_when_the_proxy_does_not_show_the_new_slot(tmp_path: Path) -> None:
    log: list[str] = []
    r = agent(tmp_path, log, problems=["https://shop.example.org answered 502"]).go_live(M, tmp_path, "green", None, bake=True)
    assert (r.ok, r.reason) == (False, "verify through the proxy: https://shop.example.org answered 502")
    assert log == ["send [('green', 100)]", "seen", "verify green"]  # a first release has nothing to canary against


def test_go_live_opens_only_the_lanes_an_older_live_release_publishes(tmp_path: Path) -> None:
    # The live release was rendered with fewer lanes (before every release had the same): the
    # switch gets a spec that keeps the old slot's other gates shut.
    seen: list[Manifest] = []
    log: list[str] = []
    cfg = Config(tmp_path, tmp_path / "proxy" / "Caddyfile", tmp_path / "entry", None, 1, None, None, None)

    def factory(_d: Path, m: Manifest) -> FakeSwitch:
        seen.append(m)
        return FakeSwitch(log)

    a = Agent(cfg, "apply", "run", switch_factory=factory, watch=FakeWatch(log))
    assert M.traffic is not None and M.traffic.lanes == 2
    assert a.go_live(M, tmp_path, "green", "blue", bake=True, old_lanes=1).ok
    assert [m.traffic.published for m in seen if m.traffic is not None] == [{"blue": 1}]
    seen.clear()
    assert a.go_live(M, tmp_path, "green", "blue", bake=True, old_lanes=2).ok
    assert [m.traffic.published for m in seen if m.traffic is not None] == [{}]
