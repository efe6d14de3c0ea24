"""What "the new release is failing" means during a bake window or a canary step.

:func:`evaluate` is pure: it turns observations into :class:`BakeResult` (ok, or failed with a
reason that names the service). The observations are

* the new slot's containers (running, health, restart count), which the agent collects with
  ``docker inspect`` and hands in as :class:`Container` values;
* requests and 5xx answers per public service through the proxy (:class:`ProxyCounts`), counted
  from Caddy's JSON access log. Each public site of the release's Caddyfile logs to a UDP port
  on loopback (``services[].public.accessLog``, ``udp/127.0.0.1:<port>``): nothing is written to
  disk, a datagram nobody reads is dropped, and during a watch :class:`AccessLogListener` (the
  thin edge) counts what Caddy sends.

Caddy 2.6.2's access log does not say which upstream answered, so during a canary step the new
slot's error rate is estimated from the site's rate, the step's share and the old slot's rate
measured before the step (:func:`new_slot_error_rate`); at 100 % it is exact.

Interface used by the agent (w-agent):

``policy = BakePolicy.from_manifest(manifest)``  (``release.maxErrorRate``, ``release.minRequests``)
``listener = AccessLogListener(ports)``; ``listener.counts()`` -> {service: ProxyCounts} since
the listener started; ``listener.close()``.
``evaluate(policy, before, now, share, old_rates) -> BakeResult`` on every poll;
``watch(policy, observe, clock, seconds, share, old_rates) -> BakeResult`` runs the loop.
"""

from __future__ import annotations

import json
import socket
import threading
from dataclasses import dataclass, field
from typing import Callable, Mapping, Protocol, cast


@dataclass(frozen=True)
class Container:
    """One container of the new slot, as ``docker inspect`` shows it."""

    service: str
    running: bool
    health: str | None
    """``healthy``, ``unhealthy``, ``starting``, or None when it has no health check."""
    restarts: int
    exit_code: int | None = None


@dataclass(frozen=True)
class ProxyCounts:
    """Requests through the proxy for one public service, and how many were answered 5xx."""

    requests: int = 0
    errors: int = 0

    def minus(self, earlier: ProxyCounts) -> ProxyCounts:
        return ProxyCounts(max(0, self.requests - earlier.requests), max(0, self.errors - earlier.errors))

    @property
    def rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


@dataclass(frozen=True)
class Observation:
    containers: tuple[Container, ...]
    proxy: Mapping[str, ProxyCounts] | None = None
    """Counts since some fixed start per public service; None when the access log is not read."""


@dataclass(frozen=True)
class BakePolicy:
    max_error_rate: float = 0.01
    """Largest share of 5xx answers of the new slot tolerated (0-1)."""
    min_requests: int = 20
    """Fewer requests than this in the window say nothing about the error rate: not judged."""

    @staticmethod
    def from_manifest(manifest: Mapping[str, object]) -> BakePolicy:
        """``release.maxErrorRate`` and ``release.minRequests`` (validated by the manifest module)."""
        raw = manifest.get("release")
        release = {str(k): v for k, v in cast("dict[object, object]", raw).items()} if isinstance(raw, dict) else {}
        rate = release.get("maxErrorRate")
        minimum = release.get("minRequests")
        return BakePolicy(
            float(rate) if isinstance(rate, (int, float)) and not isinstance(rate, bool) else BakePolicy.max_error_rate,
            minimum if isinstance(minimum, int) and not isinstance(minimum, bool) else BakePolicy.min_requests,
        )


@dataclass(frozen=True)
class BakeResult:
    ok: bool
    reason: str
    service: str | None = None
    rates: Mapping[str, float] = field(default_factory=lambda: {})
    """Estimated 5xx rate of the new slot per public service, for the report."""


def new_slot_error_rate(window: ProxyCounts, share: float, old_rate: float) -> float:
    """The new slot's 5xx rate from a site's counts when it gets ``share`` (0-1] of the requests.

    The site's errors are share * new + (1 - share) * old; ``old_rate`` is the old slot's rate
    measured before the step. Clamped to [0, 1].
    """
    if window.requests == 0 or share <= 0:
        return 0.0
    expected_old = (1.0 - share) * window.requests * old_rate
    estimate = (window.errors - expected_old) / (share * window.requests)
    return min(1.0, max(0.0, estimate))


def evaluate(
    policy: BakePolicy,
    before: Observation,
    now: Observation,
    share: float = 1.0,
    old_rates: Mapping[str, float] | None = None,
) -> BakeResult:
    """Is the new release failing? ``before`` is the observation when the window started."""
    restarts_before = {c.service: c.restarts for c in before.containers}
    for c in sorted(now.containers, key=lambda c: c.service):
        if not c.running:
            code = f" (exit code {c.exit_code})" if c.exit_code is not None else ""
            return BakeResult(False, f"service {c.service} of the new release stopped{code}", c.service)
        restarted = c.restarts - restarts_before.get(c.service, c.restarts)
        if restarted > 0:
            return BakeResult(False, f"service {c.service} of the new release restarted {restarted} time(s) during the bake", c.service)
        if c.health == "unhealthy":
            return BakeResult(False, f"service {c.service} of the new release is unhealthy", c.service)
    rates: dict[str, float] = {}
    if now.proxy is not None:
        start = before.proxy or {}
        for service in sorted(now.proxy):
            window = now.proxy[service].minus(start.get(service, ProxyCounts()))
            rate = new_slot_error_rate(window, share, (old_rates or {}).get(service, 0.0))
            rates[service] = rate
            if window.requests >= max(1, policy.min_requests) and rate > policy.max_error_rate:
                via = "" if share >= 1.0 else f", estimated for the new slot at {share:.0%} of the traffic"
                return BakeResult(
                    False,
                    f"service {service}: {rate:.1%} of requests through the proxy answered 5xx ({window.errors} of {window.requests}{via}); the limit is {policy.max_error_rate:.1%}",
                    service,
                    rates,
                )
    return BakeResult(True, "no failure observed", None, rates)


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


def watch(
    policy: BakePolicy,
    observe: Callable[[], Observation],
    clock: Clock,
    seconds: float,
    share: float = 1.0,
    old_rates: Mapping[str, float] | None = None,
    poll: float = 0.5,
) -> BakeResult:
    """Observe every ``poll`` seconds for ``seconds``; the first failure ends the watch."""
    before = observe()
    end = clock.now() + seconds
    result = evaluate(policy, before, before, share, old_rates)
    while result.ok and clock.now() < end:
        clock.sleep(min(poll, max(0.0, end - clock.now())))
        result = evaluate(policy, before, observe(), share, old_rates)
    return result


# ---------------------------------------------------------------------------------------------
# the edge: Caddy's access log over UDP


def count_access_line(line: bytes | str) -> tuple[bool, bool] | None:
    """(is a request, answered 5xx) for one line of Caddy's JSON access log; None for other lines."""
    try:
        entry: object = json.loads(line)
    except ValueError:
        return None
    if not isinstance(entry, dict):
        return None
    fields = cast("dict[str, object]", entry)
    status = fields.get("status")
    if fields.get("msg") != "handled request" or not isinstance(status, int):
        return None
    return True, status >= 500


class AccessLogListener:
    """Counts Caddy's access log datagrams per public service while it runs (a background thread).

    ``ports`` maps a service to the UDP port its site logs to (the manifest's
    ``services[].public.accessLog``, ``udp/127.0.0.1:<port>``). Caddy sends whether or not anyone
    listens; lines sent before the listener starts are not counted.
    """

    def __init__(self, ports: Mapping[str, int], host: str = "127.0.0.1") -> None:
        self._lock = threading.Lock()
        self._counts: dict[str, ProxyCounts] = {s: ProxyCounts() for s in ports}
        self._socks: list[tuple[str, socket.socket]] = []
        self._stopped = threading.Event()
        for service, port in ports.items():
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
            sock.bind((host, port))
            sock.settimeout(0.2)
            self._socks.append((service, sock))
        self._threads = [threading.Thread(target=self._run, args=(s, sock), daemon=True) for s, sock in self._socks]
        for t in self._threads:
            t.start()

    def _run(self, service: str, sock: socket.socket) -> None:
        while not self._stopped.is_set():
            try:
                data = sock.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return
            for line in data.splitlines():
                counted = count_access_line(line)
                if counted is None:
                    continue
                with self._lock:
                    c = self._counts[service]
                    self._counts[service] = ProxyCounts(c.requests + 1, c.errors + (1 if counted[1] else 0))

    def counts(self) -> dict[str, ProxyCounts]:
        with self._lock:
            return dict(self._counts)

    def close(self) -> None:
        self._stopped.set()
        for t in self._threads:
            t.join(timeout=1.0)
        for _, sock in self._socks:
            sock.close()


def log_port(access_log: str) -> int:
    """The port of a ``udp/127.0.0.1:<port>`` access-log address (manifest ``public.accessLog``)."""
    if not access_log.startswith("udp/127.0.0.1:"):
        raise ValueError(f"access log {access_log!r} is not udp/127.0.0.1:<port>")
    return int(access_log.rsplit(":", 1)[1])
