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
from .plan import other_slot


@dataclass(frozen=True)
class BakeResult:
    ok: bool
    reason: str


class Switch(Protocol):
    def caddyfile_problems(self, manifest: Manifest, caddyfile: str) -> list[str]: ...
    def send(self, manifest: Manifest, shares: dict[str, int]) -> None: ...
    def wait_seen(self, manifest: Manifest, shares: dict[str, int], timeout: float) -> None: ...
    def verify(self, manifest: Manifest, slot: str) -> list[str]: ...


class Watch(Protocol):
    def watch(self, manifest: Manifest, slot: str, seconds: float) -> BakeResult: ...


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

    def watch(self, manifest: Manifest, slot: str, seconds: float) -> BakeResult:
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


def describe_shares(shares: dict[str, int]) -> str:
    return ", ".join(f"{slot} {pct} %" for slot, pct in sorted(shares.items(), key=lambda kv: -kv[1]))


def shares_for(target: str, percent: int) -> dict[str, int]:
    return {target: percent, other_slot(target): 100 - percent}


__all__ = ["BakeResult", "ContainerWatch", "ImplicitSwitch", "Switch", "Watch", "describe_shares", "log", "shares_for"]
