"""What the agent needs from the traffic switch and the bake watch (w-traffic's traffic.py and
bake.py, contract-deploy-v2.md). `Implicit*` is the mechanism of the format 2 Caddyfile (both slots
in one upstream set, Caddy's active health checks move traffic) until traffic.py replaces it."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from .host import Host, log
from .manifest import Manifest, health_interval_seconds
from . import bake
from .plan import other_slot
from .traffic import StdlibHttp, SystemClock, Traffic, TrafficSpec
from .traffic import caddyfile_problems as traffic_caddyfile_problems


@dataclass(frozen=True)
class BakeResult:
    ok: bool
    reason: str


class Switch(Protocol):
    def caddyfile_problems(self, manifest: Manifest, caddyfile: str) -> list[str]: ...
    def shares(self) -> dict[str, int]: ...
    def send(self, manifest: Manifest, shares: dict[str, int]) -> None: ...
    def wait_seen(self, manifest: Manifest, shares: dict[str, int], timeout: float) -> None: ...
    def verify(self, manifest: Manifest, slot: str) -> list[str]: ...


class Watch(Protocol):
    def watch(self, manifest: Manifest, slot: str, seconds: float, share: int = 100) -> BakeResult: ...


class ImplicitSwitch:
    """Format 2: both slots are in Caddy's upstream set; Caddy sends traffic to whichever answers
    its health check. `send` can only wait until Caddy has seen the slots it should (one health
    interval after they answered); taking a running slot out of rotation is not possible."""

    def __init__(self, release_dir: Path) -> None:
        try:
            self.interval = health_interval_seconds((release_dir / "Caddyfile").read_text())
        except OSError:
            self.interval = 0.0

    def caddyfile_problems(self, manifest: Manifest, caddyfile: str) -> list[str]:
        return []

    def shares(self) -> dict[str, int]:
        return {}  # not known: Caddy's health checks decide

    def send(self, manifest: Manifest, shares: dict[str, int]) -> None:
        return None

    def wait_seen(self, manifest: Manifest, shares: dict[str, int], timeout: float) -> None:
        if manifest.public_services():
            time.sleep(min(timeout, (self.interval + 0.25) if self.interval else 2.0))

    def verify(self, manifest: Manifest, slot: str) -> list[str]:
        return []


class ContainerWatch:
    """Until bake.py: the new slot fails its bake when a container restarts, exits or turns
    unhealthy (the error rate through the proxy is bake.py's)."""

    def __init__(self, host: Host) -> None:
        self.host = host

    def watch(self, manifest: Manifest, slot: str, seconds: float, share: int = 100) -> BakeResult:
        deadline = time.monotonic() + seconds
        names = {s.name for s in manifest.services}
        while True:
            for cont in self.host.slot_containers(slot):
                if cont.oneoff or cont.service not in names:
                    continue
                if cont.restarts > 0 or cont.status in ("exited", "dead", "restarting"):
                    self.host.logs(cont.id, cont.service)
                    return BakeResult(False, f"service {cont.service} restarted or exited during the bake (status {cont.status}, {cont.restarts} restart(s), exit code {cont.exit_code})")
                if cont.health == "unhealthy":
                    self.host.logs(cont.id, cont.service)
                    return BakeResult(False, f"service {cont.service} turned unhealthy during the bake")
            if time.monotonic() >= deadline:
                return BakeResult(True, "")
            time.sleep(min(0.5, max(0.0, deadline - time.monotonic())))


class GateSwitch:
    """Format 3: traffic.py's gates. A slot gets traffic only when the agent opens its gates."""

    def __init__(self, spec: TrafficSpec, admin: str | None) -> None:
        self.spec = spec
        self.traffic = Traffic(Path(spec.gate_root), admin or "localhost:2019", StdlibHttp(), SystemClock())

    def caddyfile_problems(self, manifest: Manifest, caddyfile: str) -> list[str]:
        return traffic_caddyfile_problems(self.spec, caddyfile)

    def shares(self) -> dict[str, int]:
        return self.traffic.shares(self.spec)

    def send(self, manifest: Manifest, shares: dict[str, int]) -> None:
        self.traffic.send(self.spec, shares)

    def wait_seen(self, manifest: Manifest, shares: dict[str, int], timeout: float) -> None:
        self.traffic.wait_seen(self.spec)

    def verify(self, manifest: Manifest, slot: str) -> list[str]:
        return self.traffic.verify(self.spec, slot)


def switch_for(release_dir: Path, manifest: Manifest, admin: str | None) -> Switch:
    return GateSwitch(manifest.traffic, admin) if manifest.traffic is not None else ImplicitSwitch(release_dir)


class BakeWatch:
    """Format 3: bake.py's judgement (health, restarts, 5xx rate through the proxy from Caddy's
    access log) over the new slot's containers."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.fallback = ContainerWatch(host)

    def watch(self, manifest: Manifest, slot: str, seconds: float, share: int = 100) -> BakeResult:
        if manifest.traffic is None:
            return self.fallback.watch(manifest, slot, seconds)
        ports = {e.service: bake.log_port(e.access_log) for e in manifest.traffic.endpoints if e.access_log}
        try:
            listener: bake.AccessLogListener | None = bake.AccessLogListener(ports) if ports else None
        except OSError as err:
            log(f"note: cannot read Caddy's access log ({err}): the bake judges container health only")
            listener = None
        names = {s.name for s in manifest.services}

        def observe() -> bake.Observation:
            cs = tuple(bake.Container(x.service, x.running, None if x.health == "none" else x.health, x.restarts, x.exit_code)
                       for x in self.host.slot_containers(slot) if not x.oneoff and x.service in names)
            return bake.Observation(cs, listener.counts() if listener is not None else None)

        try:
            r = bake.watch(bake.BakePolicy(manifest.release.max_error_rate, manifest.release.min_requests), observe, SystemClock(), seconds, share / 100)
        finally:
            if listener is not None:
                listener.close()
        if not r.ok and r.service is not None:
            for x in self.host.slot_containers(slot):
                if x.service == r.service and not x.oneoff:
                    self.host.logs(x.id, r.service)
                    break
        return BakeResult(r.ok, r.reason)


def describe_shares(shares: dict[str, int]) -> str:
    return ", ".join(f"{slot} {pct} %" for slot, pct in sorted(shares.items(), key=lambda kv: -kv[1]))


def shares_for(target: str, percent: int) -> dict[str, int]:
    return {target: percent, other_slot(target): 100 - percent}


__all__ = ["BakeResult", "BakeWatch", "ContainerWatch", "GateSwitch", "ImplicitSwitch", "Switch", "Watch", "describe_shares", "log", "shares_for", "switch_for"]
