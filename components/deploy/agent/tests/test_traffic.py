"""traffic.py: the switch's decisions, the Caddyfile/manifest check, gates on disk, verify."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, cast

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from liftoff_release import traffic  # noqa: E402
from liftoff_release.traffic import Traffic, TrafficError, TrafficSpec  # noqa: E402

TESTDATA = Path(__file__).resolve().parents[2] / "testdata"
"""Rendered by the TypeScript renderer (components/deploy/release.test.ts keeps them current)."""


def load(fixture: str) -> tuple[dict[str, object], str]:
    d = TESTDATA / fixture
    return json.loads((d / "manifest.json").read_text()), (d / "Caddyfile").read_text()


def spec_of(manifest: dict[str, object]) -> TrafficSpec:
    spec, problems = traffic.parse_traffic(manifest)
    assert problems == []
    assert spec is not None
    return spec


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


class FakeHttp:
    def __init__(self, answers: dict[str, tuple[int, bytes] | OSError]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, str | None, str | None]] = []

    def get(self, url: str, *, host: str | None = None, server_name: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
        self.calls.append((url, host, server_name))
        answer = self.answers[url]
        if isinstance(answer, OSError):
            raise answer
        return answer


def _with_lanes(manifest: dict[str, object], lanes: int) -> dict[str, object]:
    """The manifest as an older renderer wrote it, with ``lanes`` lanes per slot."""
    doc = cast("dict[str, Any]", manifest)
    doc["traffic"]["lanes"] = lanes
    for s in cast("list[dict[str, Any]]", doc["services"]):
        if s["public"]:
            for slot in ("blue", "green"):
                s["public"]["upstreams"][slot] = s["public"]["upstreams"][slot][:lanes]
    return manifest


def test_the_renderers_release_passes_the_caddyfile_check() -> None:
    # Every release has the same lanes, whatever its canary steps (release.ts LANES).
    for fixture, lanes in (("golden-release", 20), ("traffic-canary", 20)):
        manifest, caddyfile = load(fixture)
        spec = spec_of(manifest)
        assert spec.lanes == lanes
        assert traffic.caddyfile_problems(spec, caddyfile) == []


def test_a_caddyfile_pointing_at_ports_no_slot_publishes_is_refused_naming_the_service() -> None:
    manifest, caddyfile = load("golden-release")
    spec = spec_of(manifest)
    broken = caddyfile.replace("127.77.2.1:20001", "127.77.2.1:29999")
    problems = traffic.caddyfile_problems(spec, broken)
    assert len(problems) == 1
    assert "api-gateway" in problems[0] and "127.77.2.1:20001" in problems[0] and "missing" in problems[0]


def test_a_caddyfile_whose_sites_follow_no_gate_is_refused() -> None:
    manifest, caddyfile = load("golden-release")
    spec = spec_of(manifest)
    problems = traffic.caddyfile_problems(spec, caddyfile.replace("health_port 19999", "health_uri /healthz"))
    assert any("gate port" in p for p in problems)
    problems = traffic.caddyfile_problems(spec, caddyfile.replace("root * /srv/liftoff/gates", "root * /tmp/gates"))
    assert any("gateRoot" in p for p in problems)
    assert any("no site" in p for p in traffic.caddyfile_problems(spec, "# nothing\n"))


def test_a_manifest_whose_upstreams_disagree_with_its_lanes_is_refused() -> None:
    manifest, _ = load("golden-release")
    services = manifest["services"]
    assert isinstance(services, list)
    services[0]["public"]["upstreams"]["green"] = ["127.0.0.1:20001"]  # type: ignore[index]
    spec, problems = traffic.parse_traffic(manifest)
    assert spec is None
    assert any("api-gateway" in p and "upstreams.green" in p for p in problems)


def test_a_canary_step_the_lanes_cannot_send_within_5_points_is_refused() -> None:
    manifest = _with_lanes(load("golden-release")[0], 2)
    manifest["release"] = {"canary": {"steps": [10, 100], "stepSeconds": 30}}
    spec, problems = traffic.parse_traffic(manifest)
    assert spec is None
    assert any("release.canary.steps: 10" in p for p in problems)


@pytest.mark.parametrize(
    ("shares", "blue", "green"),
    [
        ({"blue": 100}, 20, 0),
        ({"green": 100, "blue": 0}, 0, 20),
        ({"blue": 90, "green": 10}, 18, 2),
        ({"blue": 75, "green": 25}, 15, 5),
        ({"blue": 50, "green": 50}, 10, 10),
        ({"blue": 99, "green": 1}, 19, 1),  # at least one lane for a step above 0
        ({"blue": 1, "green": 99}, 1, 19),
        ({"blue": 0, "green": 0}, 0, 0),
    ],
)
def test_gate_plan_opens_k_of_n_lanes_for_a_share(shares: dict[str, int], blue: int, green: int) -> None:
    manifest, _ = load("traffic-canary")
    spec = spec_of(manifest)
    plan = traffic.gate_plan(spec, shares)
    assert sorted(a for a in plan if a.startswith("127.77.1.")) == sorted(spec.lane_addresses("blue")[:blue])
    assert sorted(a for a in plan if a.startswith("127.77.2.")) == sorted(spec.lane_addresses("green")[:green])


def test_gate_plan_refuses_a_decision_that_does_not_place_all_traffic() -> None:
    spec = spec_of(load("traffic-canary")[0])
    with pytest.raises(TrafficError, match="sum to 60"):
        traffic.gate_plan(spec, {"blue": 50, "green": 10})
    with pytest.raises(TrafficError, match="unknown slot"):
        traffic.gate_plan(spec, {"red": 100})
    one_lane = spec_of(_with_lanes(load("golden-release")[0], 1))
    with pytest.raises(TrafficError, match="at least 2 lanes"):
        traffic.gate_plan(one_lane, {"blue": 90, "green": 10})


def test_send_replaces_the_gate_set_in_one_rename_and_shares_reads_it_back(tmp_path: Path) -> None:
    spec = spec_of(load("traffic-canary")[0])
    gates = tmp_path / "gates"
    t = Traffic(gates, "127.0.0.1:2019", FakeHttp({}), FakeClock())
    assert t.shares(spec) == {"blue": 0, "green": 0}
    t.send(spec, {"blue": 100})
    assert gates.is_symlink()
    assert t.shares(spec) == {"blue": 100, "green": 0}
    first = gates.resolve()
    t.send(spec, {"blue": 90, "green": 10})
    assert t.shares(spec) == {"blue": 90, "green": 10}
    assert sorted(p.name for p in gates.iterdir()) == sorted([*spec.lane_addresses("blue")[:18], *spec.lane_addresses("green")[:2]])
    assert not first.exists(), "the previous gate set is removed"
    assert len(list((tmp_path / "gates.d").iterdir())) == 1
    assert oct((gates / "127.77.2.1").stat().st_mode & 0o777) == "0o644", "Caddy (another user) reads the gates"


def test_send_takes_over_a_plain_gate_directory(tmp_path: Path) -> None:
    spec = spec_of(load("golden-release")[0])
    (tmp_path / "gates").mkdir()
    (tmp_path / "gates" / "127.77.1.1").write_text("")
    t = Traffic(tmp_path / "gates", "127.0.0.1:2019", FakeHttp({}), FakeClock())
    t.send(spec, {"green": 100})
    assert t.shares(spec) == {"blue": 0, "green": 100}


def test_wait_seen_waits_one_gate_check_after_the_decision(tmp_path: Path) -> None:
    spec = spec_of(load("golden-release")[0])
    clock = FakeClock()
    t = Traffic(tmp_path / "gates", "127.0.0.1:2019", FakeHttp({}), clock)
    t.wait_seen(spec)
    assert clock.slept == [], "nothing decided, nothing to wait for"
    t.send(spec, {"blue": 100})
    clock.t += 0.1
    t.wait_seen(spec)
    assert len(clock.slept) == 1 and abs(clock.slept[0] - (spec.health_interval + 0.15 - 0.1)) < 1e-9


def upstreams_body(spec: TrafficSpec) -> bytes:
    return json.dumps([{"address": a, "num_requests": 0, "fails": 0} for a in sorted(spec.all_upstreams())]).encode()


def test_verify_passes_when_caddy_runs_the_release_and_each_public_address_answers(tmp_path: Path) -> None:
    spec = spec_of(load("golden-release")[0])
    http = FakeHttp(
        {
            "http://127.0.0.1:2019/reverse_proxy/upstreams": (200, upstreams_body(spec)),
            "https://127.0.0.1:443/healthz": (200, b"ok"),
            "https://127.0.0.1:8443/healthz": (204, b""),
        }
    )
    t = Traffic(tmp_path / "gates", "127.0.0.1:2019", http, FakeClock())
    t.send(spec, {"green": 100})
    assert t.verify(spec, "green") == []
    assert ("https://127.0.0.1:8443/healthz", "acme-dev.westeurope.cloudapp.azure.com:8443", "acme-dev.westeurope.cloudapp.azure.com") in http.calls


def test_verify_names_the_service_that_does_not_answer_through_the_proxy(tmp_path: Path) -> None:
    spec = spec_of(load("golden-release")[0])
    clock = FakeClock()
    http = FakeHttp(
        {
            "http://127.0.0.1:2019/reverse_proxy/upstreams": (200, upstreams_body(spec)),
            "https://127.0.0.1:443/healthz": (502, b""),
            "https://127.0.0.1:8443/healthz": ConnectionRefusedError("refused"),
        }
    )
    t = Traffic(tmp_path / "gates", "127.0.0.1:2019", http, clock)
    t.send(spec, {"green": 100})
    problems = t.verify(spec, "green")
    assert problems == [
        "service api-gateway: https://acme-dev.westeurope.cloudapp.azure.com/healthz through the proxy answered 502",
        "service identity-service: https://acme-dev.westeurope.cloudapp.azure.com:8443/healthz through the proxy did not answer (refused)",
    ]
    assert len(clock.slept) == 4, "two retries per address, one gate interval apart"


def test_verify_notices_caddy_running_another_config_and_gates_not_sending_everything(tmp_path: Path) -> None:
    spec = spec_of(load("golden-release")[0])
    listed = json.dumps([{"address": "127.0.0.1:20000"}]).encode()
    http = FakeHttp(
        {
            "http://127.0.0.1:2019/reverse_proxy/upstreams": (200, listed),
            "https://127.0.0.1:443/healthz": (200, b""),
            "https://127.0.0.1:8443/healthz": (200, b""),
        }
    )
    t = Traffic(tmp_path / "gates", "127.0.0.1:2019", http, FakeClock())
    t.send(spec, {"blue": 100})
    problems = t.verify(spec, "green")
    assert any("api-gateway" in p and "a config other than" in p for p in problems)
    assert any("do not send all traffic to slot green" in p for p in problems)


def test_probe_target_reaches_the_site_on_its_bind_address_with_its_host_name() -> None:
    spec = spec_of(load("traffic-canary")[0])
    assert spec.bind == "127.0.0.1"
    assert traffic.probe_target(spec, spec.endpoints[0]) == (
        "https://127.0.0.1:443/healthz",
        "acme-dev.westeurope.cloudapp.azure.com",
        "acme-dev.westeurope.cloudapp.azure.com",
    )
    plain = traffic.Endpoint("web", "http://127.0.0.1:18080", None, {"blue": (), "green": ()})
    assert traffic.probe_target(spec, plain) == ("http://127.0.0.1:18080/", "127.0.0.1:18080", None)


def test_achieved_share_of_a_step() -> None:
    assert traffic.achieved_percent(10, 10) == 10.0
    assert traffic.achieved_percent(33, 20) == 35.0
    assert traffic.achieved_percent(1, 20) == 5.0
    assert traffic.lanes_open(0, 20) == 0
    with pytest.raises(TrafficError):
        traffic.lanes_open(101, 20)


def _published(manifest: dict[str, object], slot: str) -> set[str]:
    """The lane addresses a release's compose file publishes for ``slot`` (its manifest's upstreams)."""
    services = manifest["services"]
    assert isinstance(services, list)
    return {str(u).rsplit(":", 1)[0] for s in services if s["public"] for u in s["public"]["upstreams"][slot]}  # type: ignore[index]


@pytest.mark.parametrize("step", [10, 25, 50])
def test_a_canary_after_a_release_without_canary_opens_only_lanes_the_old_slot_publishes(step: int) -> None:
    # The e2e "canary step at 25 %": v1 rendered with the default policy (no canary) is live on
    # blue; v2 rendered with canary steps goes to green. The old slot still runs v1's compose file,
    # so every blue gate v2's decision opens must be a lane v1 publishes; a gate open on a lane
    # nobody listens on makes Caddy fail over to the remaining upstreams (measured: 49.8 % for 25 %).
    old, _ = load("golden-release")
    new = spec_of(load("traffic-canary")[0])
    plan = traffic.gate_plan(new, {"blue": 100 - step, "green": step})
    blue_open = {a for a in plan if a in new.lane_addresses("blue")}
    green_open = {a for a in plan if a in new.lane_addresses("green")}
    assert blue_open <= _published(old, "blue")
    assert abs(100 * len(green_open) / (len(blue_open) + len(green_open)) - step) <= traffic.CANARY_TOLERANCE


@pytest.mark.parametrize(("old_lanes", "blue", "green", "sent"), [(1, 1, 1, 50.0), (4, 3, 1, 25.0), (10, 9, 3, 25.0)])
def test_a_canary_against_an_older_slot_opens_only_its_published_lanes(old_lanes: int, blue: int, green: int, sent: float) -> None:
    # Hosts whose live release predates equal lanes: the old slot publishes old_lanes lanes.
    spec = traffic.with_published(spec_of(load("traffic-canary")[0]), "blue", old_lanes)
    plan = traffic.gate_plan(spec, {"blue": 75, "green": 25})
    assert sorted(a for a in plan if a.startswith("127.77.1.")) == sorted(spec.lane_addresses("blue")[:blue])
    assert sorted(a for a in plan if a.startswith("127.77.2.")) == sorted(spec.lane_addresses("green")[:green])
    assert traffic.planned_percent(spec, {"blue": 75, "green": 25}, "green") == sent
    # switching back to the old slot opens only its published lanes too
    assert traffic.gate_plan(spec, {"blue": 100, "green": 0}) == frozenset(spec.lane_addresses("blue")[:old_lanes])
