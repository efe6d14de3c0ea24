"""bake.py: when the new release counts as failing, and the access-log edge."""

from __future__ import annotations

import json
import socket
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from liftoff_release import bake  # noqa: E402
from liftoff_release.bake import BakePolicy, Container, Observation, ProxyCounts  # noqa: E402

POLICY = BakePolicy(max_error_rate=0.01, min_requests=20)


def healthy(**restarts: int) -> Observation:
    return Observation(tuple(Container(s, True, "healthy", n) for s, n in {"gateway": 0, "orders": 0, **restarts}.items()))


def test_a_healthy_release_passes() -> None:
    result = bake.evaluate(POLICY, healthy(), healthy())
    assert result.ok and result.service is None


@pytest.mark.parametrize(
    ("now", "reason"),
    [
        (Observation((Container("gateway", True, "healthy", 0), Container("orders", False, None, 0, 137))), "service orders of the new release stopped (exit code 137)"),
        (healthy(orders=2), "service orders of the new release restarted 2 time(s) during the bake"),
        (Observation((Container("gateway", True, "unhealthy", 0), Container("orders", True, "healthy", 0))), "service gateway of the new release is unhealthy"),
    ],
)
def test_a_stopped_restarting_or_unhealthy_service_fails_the_bake_by_name(now: Observation, reason: str) -> None:
    result = bake.evaluate(POLICY, healthy(), now)
    assert not result.ok
    assert result.reason == reason


def test_restarts_before_the_window_do_not_count() -> None:
    assert bake.evaluate(POLICY, healthy(orders=3), healthy(orders=3)).ok


def with_proxy(counts: dict[str, ProxyCounts]) -> Observation:
    return Observation(healthy().containers, counts)


def test_5xx_through_the_proxy_above_the_limit_fails_naming_the_service() -> None:
    before = with_proxy({"gateway": ProxyCounts(100, 0)})
    now = with_proxy({"gateway": ProxyCounts(300, 10)})
    result = bake.evaluate(POLICY, before, now)
    assert not result.ok
    assert result.service == "gateway"
    assert result.reason == "service gateway: 5.0% of requests through the proxy answered 5xx (10 of 200); the limit is 1.0%"


def test_too_few_requests_say_nothing_about_the_error_rate() -> None:
    result = bake.evaluate(POLICY, with_proxy({"gateway": ProxyCounts()}), with_proxy({"gateway": ProxyCounts(10, 5)}))
    assert result.ok
    assert result.rates["gateway"] == 0.5


def test_a_canary_step_is_judged_on_the_new_slots_estimated_rate() -> None:
    # 10 % to the new slot; the old slot's 2 % of errors are expected and do not fail the step.
    window = ProxyCounts(1000, 18)  # 900 old * 2 % = 18
    assert bake.new_slot_error_rate(window, 0.1, 0.02) == 0.0
    assert bake.evaluate(POLICY, with_proxy({"gateway": ProxyCounts()}), with_proxy({"gateway": window}), 0.1, {"gateway": 0.02}).ok
    # 18 expected from the old slot plus 20 more: 20 of 100 new requests failed.
    failing = ProxyCounts(1000, 38)
    assert abs(bake.new_slot_error_rate(failing, 0.1, 0.02) - 0.2) < 1e-9
    result = bake.evaluate(POLICY, with_proxy({"gateway": ProxyCounts()}), with_proxy({"gateway": failing}), 0.1, {"gateway": 0.02})
    assert not result.ok and "estimated for the new slot at 10% of the traffic" in result.reason


class FakeClock:
    def __init__(self) -> None:
        self.t = 0.0

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.t += seconds


def test_watch_stops_at_the_first_failure_and_otherwise_lasts_the_window() -> None:
    clock = FakeClock()
    seen = [healthy(), healthy(), healthy(), healthy(orders=1), healthy(orders=1)]
    result = bake.watch(POLICY, lambda: seen.pop(0), clock, seconds=10, poll=0.5)
    assert not result.ok and result.service == "orders"
    assert abs(clock.t - 1.5) < 1e-9

    clock = FakeClock()
    polls: list[float] = []

    def observe() -> Observation:
        polls.append(clock.t)
        return healthy()

    assert bake.watch(POLICY, observe, clock, seconds=3, poll=0.5).ok
    assert abs(clock.t - 3.0) < 1e-9
    assert len(polls) == 7


def test_policy_from_the_manifest_release_object() -> None:
    assert BakePolicy.from_manifest({"release": {"maxErrorRate": 0.05, "minRequests": 100}}) == BakePolicy(0.05, 100)
    assert BakePolicy.from_manifest({}) == BakePolicy()


def test_counts_caddys_access_log_lines() -> None:
    line = json.dumps({"level": "info", "logger": "http.log.access.log0", "msg": "handled request", "status": 502})
    assert bake.count_access_line(line) == (True, True)
    assert bake.count_access_line(line.replace("502", "200")) == (True, False)
    assert bake.count_access_line('{"msg": "server running"}') is None
    assert bake.count_access_line("not json") is None


def free_udp_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_the_listener_counts_datagrams_per_service() -> None:
    port = free_udp_port()
    listener = bake.AccessLogListener({"gateway": port})
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as out:
            for status in (200, 200, 503, 200):
                out.sendto(json.dumps({"msg": "handled request", "status": status}).encode() + b"\n", ("127.0.0.1", port))
        deadline = time.monotonic() + 2
        while listener.counts()["gateway"].requests < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert listener.counts() == {"gateway": ProxyCounts(4, 1)}
    finally:
        listener.close()
    assert bake.log_port("udp/127.0.0.1:19900") == 19900
