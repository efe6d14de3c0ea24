"""PURE decisions: what to do, given the release, the state files and what the host shows.

No I/O here: the edge observes (host.py) and acts (apply.py, rollback.py, repair.py); these
functions decide, and tests/test_plan.py pins each decision.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from .commands import CONFIG_FILES_LABEL, ONEOFF_LABEL, PROJECT_LABEL, SERVICE_LABEL
from .manifest import Manifest
from .state import Journal, Live


@dataclass(frozen=True)
class Container:
    id: str
    project: str
    service: str
    oneoff: bool
    status: str  # created | running | restarting | paused | exited | dead
    health: str  # none | starting | healthy | unhealthy
    restarts: int
    exit_code: int
    image: str
    config_files: str
    host_ports: tuple[int, ...]
    health_log: tuple[str, ...] = ()

    @property
    def running(self) -> bool:
        return self.status == "running"


def parse_inspect(doc: Sequence[Mapping[str, Any]]) -> list[Container]:
    """`docker inspect` output -> containers (labels, state, health, restarts, published ports)."""
    out: list[Container] = []
    for c in doc:
        config = cast(Mapping[str, Any], c.get("Config") or {})
        labels = cast(Mapping[str, str], config.get("Labels") or {})
        st = cast(Mapping[str, Any], c.get("State") or {})
        health = cast(Mapping[str, Any], st.get("Health") or {})
        ports: list[int] = []
        bindings = cast(Mapping[str, Any], cast(Mapping[str, Any], c.get("HostConfig") or {}).get("PortBindings") or {})
        for binds in bindings.values():
            for b in cast(list[Mapping[str, str]], binds or []):
                if str(b.get("HostPort", "")).isdigit():
                    ports.append(int(b["HostPort"]))
        log = tuple(f"{h.get('ExitCode')}: {str(h.get('Output', '')).strip()}" for h in cast(list[Mapping[str, Any]], health.get("Log") or [])[-3:])
        out.append(
            Container(
                id=str(c.get("Id", "")),
                project=labels.get(PROJECT_LABEL, ""),
                service=labels.get(SERVICE_LABEL, ""),
                oneoff=labels.get(ONEOFF_LABEL, "False") == "True",
                status=str(st.get("Status", "")),
                health=str(health.get("Status", "none")),
                restarts=int(c.get("RestartCount", 0) or 0),
                exit_code=int(st.get("ExitCode", 0) or 0),
                image=str(config.get("Image", "")),
                config_files=labels.get(CONFIG_FILES_LABEL, ""),
                host_ports=tuple(sorted(ports)),
                health_log=log,
            )
        )
    return out


def other_slot(slot: str) -> str:
    return "green" if slot == "blue" else "blue"


def target_slot(current: Live | None) -> str:
    return "blue" if current is None else other_slot(current.slot)


def slot_ports(manifest: Manifest, slot: str) -> dict[str, int]:
    """LIFTOFF_PORT_<NAME> -> the slot's host port, for every public service."""
    return {s.port_var(): s.public.slot_ports[slot] for s in manifest.services if s.public is not None}


def release_of(container: Container) -> str | None:
    """The release a container was created from: compose records releases/<id>/compose.yaml."""
    for f in container.config_files.split(","):
        parts = f.split("/")
        if len(parts) >= 2 and parts[-1] in ("compose.yaml", "accessories.yaml") and len(parts[-2]) == 64:
            return parts[-2]
    return None


# ---------------------------------------------------------------------------------------------
# health gate


@dataclass(frozen=True)
class GateSpec:
    name: str
    health_path: str | None
    host_port: int | None  # public services: probed at http://<host_ip>:<port><path>
    host_ip: str = "127.0.0.1"


@dataclass(frozen=True)
class Failure:
    service: str
    reason: str
    container: str | None
    crashed: bool = False


@dataclass
class GateVerdict:
    ready: set[str] = field(default_factory=lambda: cast(set[str], set()))
    waiting: dict[str, str] = field(default_factory=lambda: cast(dict[str, str], {}))
    failure: Failure | None = None

    @property
    def done(self) -> bool:
        return self.failure is None and not self.waiting


def gate_specs(manifest: Manifest, slot: str | None) -> list[GateSpec]:
    ip = f"{manifest.traffic.loopback[slot]}.1" if manifest.traffic is not None and slot else "127.0.0.1"
    return [GateSpec(s.name, s.health_path, s.public.slot_ports[slot] if s.public is not None and slot else None, ip) for s in manifest.services]


def gate(specs: Sequence[GateSpec], containers: Sequence[Container], probes: Mapping[str, int | None]) -> GateVerdict:
    """One look at a starting slot. Ready: every container of the service runs, never restarted,
    `healthy` when it has a health check, and (public with a health path) the probe answered 2xx.
    A restart, an exit or `unhealthy` is a failure at once (a crash loop does not get better)."""
    v = GateVerdict()
    by_service: dict[str, list[Container]] = {}
    for c in containers:
        if not c.oneoff:
            by_service.setdefault(c.service, []).append(c)
    for spec in specs:
        cs = by_service.get(spec.name, [])
        if not cs:
            v.waiting[spec.name] = "no container"
            continue
        why = ""
        for c in cs:
            if c.status in ("exited", "dead", "restarting") or c.restarts > 0:
                v.failure = Failure(spec.name, f"service {spec.name} is crash-looping: it exited with code {c.exit_code} (status {c.status}, {c.restarts} restart(s))", c.id, crashed=True)
                return v
            if c.health == "unhealthy":
                v.failure = Failure(spec.name, f"service {spec.name} is unhealthy: its container health check failed", c.id)
                return v
            if c.status != "running":
                why = f"status {c.status}"
            elif c.health == "starting":
                why = "health check starting"
        if not why and spec.host_port is not None and spec.health_path is not None:
            code = probes.get(spec.name)
            if code is None or not 200 <= code < 300:
                why = f"http://{spec.host_ip}:{spec.host_port}{spec.health_path} answered {code or 'nothing'}"
        if why:
            v.waiting[spec.name] = why
        else:
            v.ready.add(spec.name)
    return v


# ---------------------------------------------------------------------------------------------
# accessories


def accessories_to_update(manifest: Manifest, applied: Mapping[str, str | None], running: Iterable[str]) -> list[tuple[str, str]]:
    """(name, why) of the accessories to (re)create: definition changed, new, or not running."""
    up = set(running)
    out: list[tuple[str, str]] = []
    for a in manifest.accessories:
        have = applied.get(a.name)
        if have is None:
            out.append((a.name, f"starting (definition {a.definition_hash[:12]})"))
        elif have != a.definition_hash:
            out.append((a.name, f"definition changed ({have[:12]} -> {a.definition_hash[:12]}): updating in place, volumes kept"))
        elif a.name not in up:
            out.append((a.name, "not running: starting it again"))
    return out


# ---------------------------------------------------------------------------------------------
# does the host run the live release as it should? (no-op apply, repair)


@dataclass
class Drift:
    recreate: list[str] = field(default_factory=lambda: cast(list[str], []))  # live services
    accessories: list[str] = field(default_factory=lambda: cast(list[str], []))
    idle_running: list[str] = field(default_factory=lambda: cast(list[str], []))  # container ids
    proxy_file: bool = False
    gates: bool = False
    reasons: list[str] = field(default_factory=lambda: cast(list[str], []))

    @property
    def clean(self) -> bool:
        return not (self.recreate or self.accessories or self.idle_running or self.proxy_file or self.gates)


def drift(manifest: Manifest, live_slot: str, containers: Sequence[Container], proxy_matches: bool, applied: Mapping[str, str | None]) -> Drift:
    """What differs from "the live release serves alone, healthy": a live service not running or
    not healthy (restarted after a reboot with its lame duck still set, exited, missing), an
    accessory down or of another definition, a running container in the idle slot, the proxy file."""
    d = Drift()
    live_project, idle_project = f"liftoff-{live_slot}", f"liftoff-{other_slot(live_slot)}"
    for s in manifest.services:
        cs = [c for c in containers if c.project == live_project and c.service == s.name and not c.oneoff]
        bad = [c for c in cs if not c.running or c.health in ("unhealthy", "starting")]
        if not cs or bad:
            d.recreate.append(s.name)
            d.reasons.append(f"service {s.name}: " + ("no container" if not cs else f"{bad[0].status}/{bad[0].health}"))
    for a in manifest.accessories:
        cs = [c for c in containers if c.project == "liftoff-accessories" and c.service == a.name and not c.oneoff]
        if not cs or any(not c.running or c.health == "unhealthy" for c in cs) or applied.get(a.name) != a.definition_hash:
            d.accessories.append(a.name)
            d.reasons.append(f"accessory {a.name}: " + ("no container" if not cs else "not running, unhealthy or another definition"))
    d.idle_running = [c.id for c in containers if c.project == idle_project and c.status in ("running", "restarting", "paused")]
    if d.idle_running:
        d.reasons.append(f"slot {other_slot(live_slot)} (idle) has {len(d.idle_running)} running container(s)")
    if not proxy_matches:
        d.proxy_file = True
        d.reasons.append("the proxy file differs from the live release's Caddyfile")
    return d


# ---------------------------------------------------------------------------------------------
# a run that did not finish (kill -9, reboot)


@dataclass(frozen=True)
class Recovery:
    kind: str  # "undo": remove the run's slot, state as before | "switch-back" | "finish": stop the old slot
    remove_slot: str | None
    serve_slot: str | None
    restore: tuple[Live | None, Live | None] | None
    stop_slot: str | None
    message: str


def recovery(j: Journal) -> Recovery:
    """How to converge from a journal whose run is gone. Before the bake was passed the new
    release is not trusted: traffic goes back to the old slot (still running: it is stopped only
    after the bake), the new slot is removed and the state files say what they said before. After
    it, the release is live: only stopping the old slot is left."""
    short = j.release[:12]
    if j.phase in ("prepare", "start"):
        return Recovery("undo", j.target, j.old_slot, (j.before_current, j.before_previous), None,
                        f"{j.action} of {short} was interrupted before the switch (phase {j.phase}): removed its slot {j.target}")
    if j.phase == "switched":
        return Recovery("switch-back", j.target, j.old_slot, (j.before_current, j.before_previous), None,
                        f"{j.action} of {short} was interrupted during the switch or bake: traffic back to slot {j.old_slot}, slot {j.target} removed")
    return Recovery("finish", None, j.target, None, j.old_slot, f"{j.action} of {short} was interrupted after it went live: stopped the old slot {j.old_slot}")


# ---------------------------------------------------------------------------------------------
# canary and bake


def traffic_steps(canary_steps: Sequence[int], step_seconds: int, bake_seconds: int) -> list[tuple[int, int]]:
    """(percent to the new slot, seconds to watch) in order; the last step is 100 % for the bake."""
    steps = [(s, step_seconds) for s in canary_steps if s < 100]
    return steps + [(100, bake_seconds)]


# ---------------------------------------------------------------------------------------------
# pruning


def prune_choice(newest_first: Sequence[str], keep: int, protected: Iterable[str]) -> list[str]:
    """Release ids to remove: beyond the newest `keep`, never a protected one (live, previous,
    the one being applied, one an accessory runs from)."""
    keep_set = set(protected)
    return [rid for i, rid in enumerate(newest_first) if i >= keep and rid not in keep_set]
