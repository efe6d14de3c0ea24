"""Where Caddy sends a release's traffic: explicit switching, canary shares, checks through the proxy.

The mechanism (components/deploy/agent/README.md, "Caddyfile"):

* Each public service of a slot publishes its container port on ``lanes`` loopback addresses of
  that slot, ``<loopback[slot]>.<k>:<slotPorts[slot]>`` for k = 1..lanes (the agent exports
  ``LIFTOFF_LOOPBACK`` for compose; Linux routes all of 127/8 to ``lo``). The release's Caddyfile
  lists every lane of both slots as one static upstream set per site, with ``lb_policy
  round_robin`` and an active health check that ``health_port`` points at the **gate site**, a
  Caddy ``file_server`` bound on the same addresses at ``gatePort`` that answers 200 when the file
  ``<gateRoot>/<address>`` exists and 404 when it does not.
* So an upstream is in rotation exactly when the agent has opened its lane's gate: traffic goes
  only where the agent sends it, a slot's health does not put it in rotation, and no ``caddy
  reload`` is needed to switch (a reload resets keep-alive connections; a health-check change
  does not). ``<gateRoot>`` is a symlink to a directory of gate files, replaced with one
  ``rename(2)``, so a decision is one atomic step on disk and Caddy sees it whole at its next
  health check (``healthInterval``).
* Canary: round robin over the available upstreams is uniform, so opening k lanes of the new slot
  and ``lanes - k`` of the old one sends k/lanes of the requests to the new slot (Caddy 2.6.2 has
  no weighted policy). A percentage is rounded to the nearest lane, at least one lane when it is
  above 0 (:func:`lanes_open`).

Everything that decides is a pure function of the manifest's traffic fields (:class:`TrafficSpec`,
parsed by :func:`parse_traffic`). The side effects — gate files, the clock, HTTP to Caddy's admin
API and to the public addresses — are in :class:`Traffic` and go through :class:`Http` and
:class:`Clock`, which tests replace.

Interface used by the agent (w-agent):

``parse_traffic(manifest) -> (TrafficSpec | None, problems)``
    the manifest's format-3 traffic fields, validated; problems -> exit 3.
``caddyfile_problems(spec, caddyfile) -> problems``
    the release's Caddyfile against the manifest; non-empty -> exit 3.
``Traffic(gates, admin, http, clock)``:
    ``shares(spec)`` percent per slot from the gate files; ``send(spec, shares)`` the one explicit
    decision (no reload); ``wait_seen(spec)`` until Caddy has checked every gate since;
    ``verify(spec, slot)`` through the proxy, problems -> exit 7 (switch back first).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import shutil
import socket
import ssl
import time
import urllib.parse
import uuid
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Mapping, Protocol, Sequence, cast

SLOTS: tuple[str, str] = ("blue", "green")
CANARY_TOLERANCE = 5.0
"""Percentage points a canary step's share may differ from the lanes' share (issue #12: +-5 pp)."""
MAX_LANES = 20
"""More lanes give finer canary steps but cost a published port (a docker-proxy) per lane."""

_LOOPBACK_PREFIX = re.compile(r"^127\.(?:25[0-5]|2[0-4]\d|1?\d?\d)\.(?:25[0-5]|2[0-4]\d|1?\d?\d)$")


@dataclass(frozen=True)
class Endpoint:
    """One public service as the proxy sees it."""

    service: str
    address: str
    """The Caddy site address, e.g. ``https://api.example.org:443``."""
    health_path: str | None
    """Probed through the proxy by :meth:`Traffic.verify` (``/`` when None)."""
    upstreams: Mapping[str, tuple[str, ...]]
    """Per slot, the dial addresses of its lanes, lane 1 first (``127.77.1.1:20000``)."""
    access_log: str | None = None
    """Where the site's JSON access log goes (``udp/127.0.0.1:<port>``), read by bake.py."""


@dataclass(frozen=True)
class TrafficSpec:
    """The manifest's traffic fields (format 3): ``traffic`` and ``services[].public.upstreams``."""

    lanes: int
    gate_port: int
    gate_root: str
    """The directory (a symlink the agent replaces) the Caddyfile's gate site serves files from."""
    loopback: Mapping[str, str]
    """Per slot, the first three octets of its lane addresses (``127.77.1``)."""
    health_interval: float
    """Seconds between Caddy's gate checks: how long a decision takes to be seen."""
    bind: str | None
    """Where the public sites listen (Caddy ``bind``); None: every interface, probed on 127.0.0.1."""
    endpoints: tuple[Endpoint, ...]
    published: Mapping[str, int] = field(default_factory=lambda: dict[str, int]())
    """Per slot, the lanes its running containers publish when fewer than ``lanes``: the old slot
    of a canary, started from a release rendered with fewer lanes (before they were the same for
    every release). Its other lanes have no listener, so their gates must stay shut."""

    def lane_addresses(self, slot: str) -> tuple[str, ...]:
        """The slot's lane addresses, lane 1 first: the names of its gate files."""
        return tuple(f"{self.loopback[slot]}.{k}" for k in range(1, self.lanes + 1))

    def all_upstreams(self) -> set[str]:
        return {u for e in self.endpoints for slot in SLOTS for u in e.upstreams[slot]}


class Http(Protocol):
    """The HTTP edge. ``get`` returns (status, body); raises OSError when nothing answers."""

    def get(self, url: str, *, host: str | None = None, server_name: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]: ...


class Clock(Protocol):
    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class TrafficError(Exception):
    """A decision that cannot be carried out (bad shares, gate directory not writable)."""


# ---------------------------------------------------------------------------------------------
# pure: manifest, shares, lanes, Caddyfile check


def _obj(value: object) -> dict[str, object]:
    """A JSON object's fields, or none when it is not an object."""
    return {str(k): v for k, v in cast("dict[object, object]", value).items()} if isinstance(value, dict) else {}


def _list(value: object) -> list[object]:
    return list(cast("list[object]", value)) if isinstance(value, list) else []


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def parse_traffic(manifest: Mapping[str, object]) -> tuple[TrafficSpec | None, list[str]]:
    """The traffic fields of a format-3 manifest, or the problems found (each names the field)."""
    problems: list[str] = []
    if not isinstance(manifest.get("traffic"), dict):
        return None, ["traffic: missing or not an object (manifest format 3 carries the switch's lanes and gate)"]
    t = _obj(manifest.get("traffic"))
    lanes = _int(t.get("lanes"))
    if lanes is None or not 1 <= lanes <= MAX_LANES:
        problems.append(f"traffic.lanes: {t.get('lanes')!r} is not an integer 1-{MAX_LANES}")
        lanes = 1
    gate_port = _int(t.get("gatePort"))
    if gate_port is None or not 1 <= gate_port <= 65535:
        problems.append(f"traffic.gatePort: {t.get('gatePort')!r} is not a port 1-65535")
        gate_port = 0
    gate_root = t.get("gateRoot")
    if not isinstance(gate_root, str) or not gate_root.startswith("/") or re.search(r"\s", gate_root):
        problems.append(f"traffic.gateRoot: {gate_root!r} is not an absolute path without whitespace")
        gate_root = ""
    interval = t.get("healthInterval")
    if not isinstance(interval, (int, float)) or isinstance(interval, bool) or not 0.05 <= interval <= 10:
        problems.append(f"traffic.healthInterval: {interval!r} is not a number of seconds 0.05-10")
        interval = 1.0
    bind = t.get("bind")
    if bind is not None and (not isinstance(bind, str) or not re.fullmatch(r"[0-9A-Za-z.:\[\]]+", bind)):
        problems.append(f"traffic.bind: {bind!r} is not null or one address")
        bind = None
    loopback: dict[str, str] = {}
    raw_loopback = _obj(t.get("loopback"))
    for slot in SLOTS:
        value = raw_loopback.get(slot)
        if not isinstance(value, str) or not _LOOPBACK_PREFIX.fullmatch(value):
            problems.append(f"traffic.loopback.{slot}: {value!r} is not three octets of a 127.x.y.0/24 network")
        else:
            loopback[slot] = value
    if len(loopback) == 2 and loopback["blue"] == loopback["green"]:
        problems.append("traffic.loopback: blue and green share a network; each slot needs its own addresses")

    endpoints: list[Endpoint] = []
    for i, raw_service in enumerate(_list(manifest.get("services"))):
        s = _obj(raw_service)
        if not isinstance(s.get("public"), dict):
            continue
        name = str(s.get("name"))
        pub = _obj(s["public"])
        health = s.get("healthPath")
        address = pub.get("address")
        if not isinstance(address, str) or not address or re.search(r"\s", address):
            problems.append(f"services[{i}] ({name}).public.address: {address!r} is not a site address")
            continue
        ports = _obj(pub.get("slotPorts"))
        raw_up = _obj(pub.get("upstreams"))
        upstreams: dict[str, tuple[str, ...]] = {}
        for slot in SLOTS:
            listed = raw_up.get(slot)
            port = ports.get(slot)
            expected = tuple(f"{loopback.get(slot, '?')}.{k}:{port}" for k in range(1, lanes + 1))
            if [str(u) for u in _list(listed)] != list(expected):
                problems.append(
                    f"services[{i}] ({name}).public.upstreams.{slot}: {listed!r} is not the slot's {lanes} lane address(es) "
                    f"{list(expected)!r} (traffic.loopback.{slot} + lane, slotPorts.{slot})"
                )
            upstreams[slot] = expected
        access_log = pub.get("accessLog")
        if access_log is not None and (not isinstance(access_log, str) or not re.fullmatch(r"udp/127\.0\.0\.1:\d{1,5}", access_log)):
            problems.append(f"services[{i}] ({name}).public.accessLog: {access_log!r} is not null or udp/127.0.0.1:<port>")
            access_log = None
        endpoints.append(Endpoint(name, address, health if isinstance(health, str) else None, upstreams, access_log if isinstance(access_log, str) else None))
    for step in _list(_obj(_obj(manifest.get("release")).get("canary")).get("steps")):
        if isinstance(step, int) and 0 < step < 100 and lanes >= 1:
            got = 100.0 * min(max(1, round(step * lanes / 100)), max(lanes - 1, 0)) / lanes
            if abs(got - step) > CANARY_TOLERANCE:
                problems.append(
                    f"release.canary.steps: {step} % cannot be sent with {lanes} lane(s) per slot (nearest {got:g} %); "
                    "render the release with the current renderer (components/deploy/release.ts LANES: the same lanes for every release)"
                )
    if not endpoints:
        problems.append("services: no public service; a release needs at least one public endpoint to switch")
    if problems:
        return None, problems
    return (
        TrafficSpec(lanes, gate_port, str(gate_root), loopback, float(interval), bind if isinstance(bind, str) else None, tuple(endpoints)),
        [],
    )


def lanes_open(percent: int, lanes: int) -> int:
    """Lanes to open for a share: the nearest whole lane, at least one above 0 %, all at 100 %."""
    if not 0 <= percent <= 100:
        raise TrafficError(f"share {percent} is not a percentage 0-100")
    if percent == 0:
        return 0
    return max(1, min(lanes, round(percent * lanes / 100)))


def achieved_percent(percent: int, lanes: int) -> float:
    """The share the gates actually give for a requested percentage (what a canary step reports)."""
    return 100.0 * lanes_open(percent, lanes) / lanes


def with_published(spec: TrafficSpec, slot: str, lanes: int | None) -> TrafficSpec:
    """``spec`` for a decision while ``slot`` runs containers that publish only ``lanes`` lanes."""
    if lanes is None or lanes >= spec.lanes:
        return spec
    return replace(spec, published={**spec.published, slot: max(1, lanes)})


def _usable(spec: TrafficSpec, slot: str) -> int:
    return min(spec.lanes, spec.published.get(slot, spec.lanes))


def gate_plan(spec: TrafficSpec, shares: Mapping[str, int]) -> frozenset[str]:
    """The lane addresses whose gates are open for the given percent per slot.

    Shares must sum to 100 (a decision always says where all of the traffic goes) or be all 0
    (nothing served: only for tests and a release's first failure with no live slot). Only lanes
    a slot publishes (:attr:`TrafficSpec.published`) are opened: Caddy would dial a gated-open lane
    nobody listens on, fail, and retry on the others, which skews the share.
    """
    unknown = set(shares) - set(SLOTS)
    if unknown:
        raise TrafficError(f"unknown slot(s) {sorted(unknown)}; slots are {list(SLOTS)}")
    total = sum(shares.values())
    if total not in (0, 100):
        raise TrafficError(f"shares {dict(shares)} sum to {total}, not 100")
    if total == 0:
        return frozenset()
    blue_share, green_share = shares.get("blue", 0), shares.get("green", 0)
    cap_blue, cap_green = _usable(spec, "blue"), _usable(spec, "green")
    if blue_share == 0 or green_share == 0:
        blue = cap_blue if blue_share else 0
        green = 0 if blue_share else cap_green
    elif (cap_blue, cap_green) != (spec.lanes, spec.lanes):
        # One slot publishes fewer lanes: the counts within both caps nearest the share, the most
        # lanes among equals (finer and better spread).
        blue, green = min(
            ((b, g) for b in range(1, cap_blue + 1) for g in range(1, cap_green + 1)),
            key=lambda bg: (abs(100 * bg[1] / (bg[0] + bg[1]) - green_share), -(bg[0] + bg[1])),
        )
    else:
        if spec.lanes < 2:
            raise TrafficError(f"shares {dict(shares)} need at least 2 lanes; this release has {spec.lanes} (render it with the current renderer)")
        # The smaller share is the one rounded to lanes (the canary); the other gets the rest.
        minor = "green" if green_share <= blue_share else "blue"
        k = min(spec.lanes - 1, lanes_open(min(blue_share, green_share), spec.lanes))
        blue, green = (spec.lanes - k, k) if minor == "green" else (k, spec.lanes - k)
    return frozenset(spec.lane_addresses("blue")[:blue] + spec.lane_addresses("green")[:green])


def planned_percent(spec: TrafficSpec, shares: Mapping[str, int], slot: str) -> float:
    """The share of requests ``slot`` gets from :func:`gate_plan` (what a canary step really sends)."""
    plan = gate_plan(spec, shares)
    mine = sum(1 for a in spec.lane_addresses(slot) if a in plan)
    return 100.0 * mine / len(plan) if plan else 0.0


def shares_of(spec: TrafficSpec, open_gates: frozenset[str]) -> dict[str, int]:
    """Percent per slot that the open gates give (rounded down to whole percent)."""
    counts = {slot: sum(1 for a in spec.lane_addresses(slot) if a in open_gates) for slot in SLOTS}
    total = sum(counts.values())
    return {slot: (100 * n // total if total else 0) for slot, n in counts.items()}


_SITE_START = re.compile(r"^(\S[^{]*?)\s*\{\s*$")


def _sites(caddyfile: str) -> list[tuple[str, list[str]]]:
    """Top-level blocks of a Caddyfile as (address line, body lines); comments dropped."""
    blocks: list[tuple[str, list[str]]] = []
    depth = 0
    current: list[str] = []
    head = ""
    for raw in caddyfile.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.strip().startswith("#") else ""
        if not line:
            continue
        if depth == 0:
            m = _SITE_START.match(line)
            if m:
                head, current, depth = m.group(1).strip(), [], 1
            continue
        depth += line.count("{") - line.count("}")
        if depth == 0:
            blocks.append((head, current))
        else:
            current.append(line)
    return blocks


def caddyfile_problems(spec: TrafficSpec, caddyfile: str) -> list[str]:
    """Where the release's Caddyfile disagrees with the manifest (non-empty: refuse, exit 3).

    Checked: one site per public endpoint whose ``reverse_proxy`` lists exactly the endpoint's
    lanes of both slots and health-checks them on the gate port; one gate site on ``gatePort``
    bound on every lane address and serving ``gateRoot``. A Caddyfile pointing a site at ports no
    slot publishes is caught here, before any container starts.
    """
    problems: list[str] = []
    blocks = _sites(caddyfile)
    by_address = {head: body for head, body in blocks}
    for e in spec.endpoints:
        body = by_address.get(e.address)
        if body is None:
            problems.append(f"Caddyfile: no site {e.address} for public service {e.service} (manifest services[].public.address)")
            continue
        proxies = [line for line in body if line.startswith("reverse_proxy ")]
        if len(proxies) != 1:
            problems.append(f"Caddyfile: site {e.address} has {len(proxies)} reverse_proxy directives, expected 1 for service {e.service}")
            continue
        listed = [tok for tok in proxies[0].split()[1:] if tok != "{"]
        expected = [u for slot in SLOTS for u in e.upstreams[slot]]
        if sorted(listed) != sorted(expected):
            missing = sorted(set(expected) - set(listed))
            extra = sorted(set(listed) - set(expected))
            problems.append(
                f"Caddyfile: site {e.address} proxies to {listed}, but the manifest's upstreams of service {e.service} are {expected}"
                + (f" (missing {missing})" if missing else "")
                + (f" (not in the manifest {extra})" if extra else "")
            )
        if f"health_port {spec.gate_port}" not in body:
            problems.append(f"Caddyfile: site {e.address} does not health-check on the gate port (health_port {spec.gate_port}); its traffic would not follow the gates")
        if not any(line.startswith("lb_policy round_robin") for line in body):
            problems.append(f"Caddyfile: site {e.address} needs lb_policy round_robin for the canary shares to hold")
    gate = by_address.get(f"http://:{spec.gate_port}")
    if gate is None:
        problems.append(f"Caddyfile: no gate site http://:{spec.gate_port} (manifest traffic.gatePort)")
    else:
        binds = [tok for line in gate if line.startswith("bind ") for tok in line.split()[1:]]
        lanes = [a for slot in SLOTS for a in spec.lane_addresses(slot)]
        if sorted(binds) != sorted(lanes):
            problems.append(f"Caddyfile: the gate site binds {binds}, expected every lane address {lanes}")
        if f"root * {spec.gate_root}" not in gate:
            problems.append(f"Caddyfile: the gate site does not serve {spec.gate_root} (manifest traffic.gateRoot)")
    return problems


def upstreams_problems(spec: TrafficSpec, listed: object) -> list[str]:
    """Caddy's ``GET /reverse_proxy/upstreams`` against the manifest: every lane of every endpoint.

    Caddy 2.6.2 reports ``address``, ``num_requests`` and ``fails`` per upstream, not its health
    (the gates give that: :meth:`Traffic.wait_seen`); an upstream missing here means Caddy runs
    another config than this release's Caddyfile.
    """
    entries = _list(listed)
    if not entries and not isinstance(listed, list):
        return [f"Caddy admin API: /reverse_proxy/upstreams answered {type(listed).__name__}, not a list"]
    seen = {str(_obj(u).get("address")) for u in entries}
    problems: list[str] = []
    for e in spec.endpoints:
        missing = [u for slot in SLOTS for u in e.upstreams[slot] if u not in seen]
        if missing:
            problems.append(f"Caddy does not proxy service {e.service} to {missing}: it runs a config other than this release's Caddyfile")
    return problems


def probe_target(spec: TrafficSpec, endpoint: Endpoint) -> tuple[str, str, str | None]:
    """(url to connect to, Host header, TLS server name) to reach ``endpoint`` through the local proxy."""
    parsed = urllib.parse.urlsplit(endpoint.address if "://" in endpoint.address else f"https://{endpoint.address}")
    scheme = parsed.scheme or "https"
    hostname = parsed.hostname or ""
    port = parsed.port or (443 if scheme == "https" else 80)
    connect = spec.bind if spec.bind and spec.bind not in ("0.0.0.0", "::") else "127.0.0.1"
    if ":" in connect and not connect.startswith("["):
        connect = f"[{connect}]"
    path = endpoint.health_path or "/"
    host_header = hostname if port in (80, 443) else f"{hostname}:{port}"
    return f"{scheme}://{connect}:{port}{path}", host_header, (hostname if scheme == "https" and hostname else None)


# ---------------------------------------------------------------------------------------------
# the edge: gate files, Caddy's admin API, probes


class Traffic:
    """Switches traffic by writing gate files; checks the result through Caddy.

    ``gates`` is the manifest's ``traffic.gateRoot`` (normally ``$LIFTOFF_ROOT/gates``): a symlink
    to ``<gates>.d/<set>/``, a directory with one empty file per open lane address.
    """

    def __init__(self, gates: Path, admin: str, http: Http, clock: Clock) -> None:
        self.gates = gates
        self.sets = gates.parent / f"{gates.name}.d"
        self.admin = admin if "://" in admin else f"http://{admin}"
        self.http = http
        self.clock = clock
        self.decided_at: float | None = None

    def open_gates(self) -> frozenset[str]:
        try:
            return frozenset(p.name for p in self.gates.iterdir() if p.is_file())
        except FileNotFoundError:
            return frozenset()

    def shares(self, spec: TrafficSpec) -> dict[str, int]:
        """Current percent per slot, from the gate files (what Caddy sees within one interval)."""
        return shares_of(spec, self.open_gates())

    def send(self, spec: TrafficSpec, shares: Mapping[str, int]) -> None:
        """The one explicit decision: open exactly the gates for ``shares``, atomically, no reload."""
        wanted = gate_plan(spec, shares)
        self.sets.mkdir(mode=0o755, parents=True, exist_ok=True)
        new_set = self.sets / uuid.uuid4().hex
        new_set.mkdir(mode=0o755)
        for address in sorted(wanted):
            (new_set / address).write_bytes(b"")
            os.chmod(new_set / address, 0o644)
        link = self.gates.parent / f".{self.gates.name}.{new_set.name}"
        os.symlink(os.path.relpath(new_set, self.gates.parent), link)
        if self.gates.is_dir() and not self.gates.is_symlink():
            # A plain directory (created by hand or an older agent): replaced once, not atomically.
            shutil.rmtree(self.gates)
        os.replace(link, self.gates)
        self.decided_at = self.clock.now()
        for old in self.sets.iterdir():
            if old != new_set:
                shutil.rmtree(old, ignore_errors=True)

    def wait_seen(self, spec: TrafficSpec) -> None:
        """Until Caddy has run a gate check since the last :meth:`send`: one interval plus margin.

        Caddy 2.6.2 does not expose an upstream's health (the admin API shows address, requests in
        flight and fails; the ``caddy_reverse_proxy_upstreams_healthy`` gauge lags up to 10 s), so
        this waits the bound: the checks of all upstreams start on one ticker every
        ``healthInterval`` and a gate answers in well under ``_SEEN_MARGIN``.
        """
        if self.decided_at is None:
            return
        remaining = self.decided_at + spec.health_interval + _SEEN_MARGIN - self.clock.now()
        if remaining > 0:
            self.clock.sleep(remaining)

    def verify(self, spec: TrafficSpec, slot: str, attempts: int = 3) -> list[str]:
        """After a full switch to ``slot``: Caddy proxies to this release's upstreams, and each
        public address answers 2xx through the proxy (only ``slot``'s gates are open, so an answer
        can only come from it). Problems name the service; empty means verified."""
        problems: list[str] = []
        try:
            status, body = self.http.get(f"{self.admin}/reverse_proxy/upstreams", timeout=5.0)
            listed: object = json.loads(body) if status == 200 else None
            problems += upstreams_problems(spec, listed) if status == 200 else [f"Caddy admin API {self.admin}: /reverse_proxy/upstreams answered {status}"]
        except (OSError, ValueError) as err:
            problems.append(f"Caddy admin API {self.admin} did not answer: {err}")
        if shares_of(spec, self.open_gates()).get(slot) != 100:
            problems.append(f"the gates do not send all traffic to slot {slot}: {self.shares(spec)}")
        for e in spec.endpoints:
            url, host, server_name = probe_target(spec, e)
            last = ""
            for attempt in range(attempts):
                try:
                    status, _ = self.http.get(url, host=host, server_name=server_name, timeout=5.0)
                    if 200 <= status < 300 or (e.health_path is None and status < 500):
                        last = ""
                        break
                    last = f"answered {status}"
                except OSError as err:
                    last = f"did not answer ({err})"
                if attempt + 1 < attempts:
                    self.clock.sleep(spec.health_interval)
            if last:
                problems.append(f"service {e.service}: {e.address}{e.health_path or '/'} through the proxy {last}")
        return problems


_SEEN_MARGIN = 0.15


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class StdlibHttp:
    """``Http`` over http.client. TLS is not verified: the probe checks the path to the release,
    not Caddy's certificate (which may still be on its way from the ACME CA at a first deploy)."""

    def get(self, url: str, *, host: str | None = None, server_name: str | None = None, timeout: float = 5.0) -> tuple[int, bytes]:
        parts = urllib.parse.urlsplit(url)
        target = parts.path + (f"?{parts.query}" if parts.query else "") or "/"
        hostname = parts.hostname or "127.0.0.1"
        if parts.scheme == "https":
            port = parts.port or 443
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            raw = socket.create_connection((hostname, port), timeout=timeout)
            sock = ctx.wrap_socket(raw, server_hostname=server_name or hostname)
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(hostname, port, timeout=timeout, context=ctx)
            conn.sock = sock
        else:
            conn = http.client.HTTPConnection(hostname, parts.port or 80, timeout=timeout)
        try:
            conn.request("GET", target, headers={"Host": host or parts.netloc, "User-Agent": "liftoff-release"})
            resp = conn.getresponse()
            return resp.status, resp.read()
        except http.client.HTTPException as err:
            raise OSError(str(err)) from err
        finally:
            conn.close()


def endpoints_summary(spec: TrafficSpec) -> Sequence[str]:
    """One line per endpoint for logs: service, address, lanes per slot."""
    return [f"{e.service} {e.address} ({spec.lanes} lane(s) per slot)" for e in spec.endpoints]
