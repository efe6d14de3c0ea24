"""The release directory: its id (a content hash) and manifest.json, validated into frozen data.

Pure apart from reading the directory. The release id algorithm and every rule here are the
contract in README.md ("Release directory format"); the TypeScript renderer writes to it.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from .errors import RELEASE, AgentError
from .traffic import TrafficSpec, caddyfile_problems, parse_traffic

# Format 2 (no `release` object) is read as format 3 with no bake and one canary step of 100 %,
# until the renderer writes format 3 (contract-deploy-v2.md); any other format is refused.
FORMATS = (2, 3)

NAME = re.compile(r"^[a-z][a-z0-9-]{0,62}$")
IMAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/:@-]*$")
HEX64 = re.compile(r"^[0-9a-f]{64}$")
# The renderer's rule (components/deploy/rules.ts HEALTH_PATH_PATTERN), character for character.
HPATH = re.compile(r"^/(?:[A-Za-z0-9._~/?=&+-]|%[0-9A-Fa-f]{2}){0,255}$")
ADDR = re.compile(r"^[^\s|]+$")
NETNAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
SLOTS = ("blue", "green")


@dataclass(frozen=True)
class Public:
    address: str
    container_port: int
    slot_ports: dict[str, int]
    extra: dict[str, Any] = field(default_factory=lambda: cast(dict[str, Any], {}))


@dataclass(frozen=True)
class Service:
    name: str
    image: str
    health_path: str | None
    public: Public | None

    def port_var(self) -> str:
        return "LIFTOFF_PORT_" + self.name.upper().replace("-", "_")


@dataclass(frozen=True)
class Job:
    name: str
    image: str
    phase: str
    timeout_seconds: int


@dataclass(frozen=True)
class Accessory:
    name: str
    image: str
    definition_hash: str
    networks: dict[str, tuple[str, ...]]


@dataclass(frozen=True)
class Asset:
    path: str
    mode: int
    secret: bool


@dataclass(frozen=True)
class Registry:
    server: str
    username: str


@dataclass(frozen=True)
class Canary:
    steps: tuple[int, ...]
    step_seconds: int


@dataclass(frozen=True)
class ReleaseSettings:
    bake_seconds: int
    canary: Canary
    max_error_rate: float
    min_requests: int


DEFAULT_SETTINGS = ReleaseSettings(bake_seconds=0, canary=Canary(steps=(100,), step_seconds=0), max_error_rate=0.0, min_requests=0)


@dataclass(frozen=True)
class Manifest:
    format: int
    id: str
    project: str
    environment: str
    registry: Registry | None
    services: tuple[Service, ...]
    jobs: tuple[Job, ...]
    accessories: tuple[Accessory, ...]
    assets: tuple[Asset, ...]
    health_timeout_seconds: int
    keep_releases: int
    release: ReleaseSettings
    traffic: TrafficSpec | None = None
    """Format 3: the lanes and gates the switch uses (traffic.py); None for format 2."""

    def images(self) -> dict[str, list[str]]:
        """Every image the release runs, in manifest order, with the names that use it."""
        users: dict[str, list[str]] = {}
        for name, image in [(s.name, s.image) for s in self.services] + [(j.name, j.image) for j in self.jobs] + [(a.name, a.image) for a in self.accessories]:
            users.setdefault(image, []).append(name)
        return users

    def public_services(self) -> tuple[Service, ...]:
        return tuple(s for s in self.services if s.public is not None)


def release_id(directory: Path, claimed: str) -> str:
    """sha256 over `<sha256 of file>  <relpath>\\n` for each regular file sorted by path bytes, the
    claimed id inside manifest.json replaced by 64 zeros. Raises for anything but regular files."""
    files: list[str] = []
    for root, dirs, names in os.walk(directory):
        dirs.sort()
        for n in names + [d for d in dirs if os.path.islink(os.path.join(root, d))]:
            p = os.path.join(root, n)
            rel = os.path.relpath(p, directory)
            if os.path.islink(p) or not os.path.isfile(p):
                raise AgentError(RELEASE, f"{rel} is not a regular file")
            files.append(rel)
    files.sort(key=lambda s: s.encode())
    listing: list[str] = []
    for rel in files:
        data = (directory / rel).read_bytes()
        if rel == "manifest.json":
            data = data.replace(claimed.encode(), b"0" * 64)
        listing.append(f"{hashlib.sha256(data).hexdigest()}  {rel}\n")
    return hashlib.sha256("".join(listing).encode()).hexdigest()


def _bad(what: str) -> AgentError:
    return AgentError(RELEASE, what)


def _obj(v: object, what: str) -> dict[str, Any]:
    if not isinstance(v, dict):
        raise _bad(f"{what} must be an object")
    return cast(dict[str, Any], v)


def _list(v: object, what: str) -> list[Any]:
    if v is None:
        return []
    if not isinstance(v, list):
        raise _bad(f"{what} must be a list")
    return cast(list[Any], v)


def _text(v: object, what: str, pattern: re.Pattern[str]) -> str:
    if not isinstance(v, str) or not v or not pattern.match(v):
        raise _bad(f"{what} is missing or malformed (got {json.dumps(v)[:80]})")
    return v


def _int(v: object, what: str, lo: int, hi: int) -> int:
    if not isinstance(v, int) or isinstance(v, bool) or v < lo or v > hi:
        raise _bad(f"{what} must be an integer from {lo} to {hi} (got {json.dumps(v)[:40]})")
    return v


def _number(v: object, what: str, lo: float, hi: float) -> float:
    if not isinstance(v, (int, float)) or isinstance(v, bool) or v < lo or v > hi:
        raise _bad(f"{what} must be a number from {lo} to {hi} (got {json.dumps(v)[:40]})")
    return float(v)


def parse_settings(v: object) -> ReleaseSettings:
    r = _obj(v, "release")
    canary = _obj(r.get("canary", {"steps": [100], "stepSeconds": 0}), "release.canary")
    steps = tuple(_int(s, "release.canary.steps[]", 1, 100) for s in _list(canary.get("steps"), "release.canary.steps"))
    if not steps or steps[-1] != 100 or any(a >= b for a, b in zip(steps, steps[1:])):
        raise _bad(f"release.canary.steps must be ascending percentages ending with 100 (got {list(steps)})")
    return ReleaseSettings(
        bake_seconds=_int(r.get("bakeSeconds"), "release.bakeSeconds", 0, 3600),
        canary=Canary(steps=steps, step_seconds=_int(canary.get("stepSeconds", 0), "release.canary.stepSeconds", 0, 3600)),
        max_error_rate=_number(r.get("maxErrorRate", 0), "release.maxErrorRate", 0, 1),
        min_requests=_int(r.get("minRequests", 0), "release.minRequests", 0, 10**9),
    )


def parse(doc: object, directory: Path | None = None) -> Manifest:
    """Validates a manifest document; with `directory`, also that the files it names exist."""
    m = _obj(doc, "manifest.json")
    fmt = m.get("format")
    if fmt not in FORMATS:
        raise _bad(f"unsupported manifest format {json.dumps(fmt)} (this agent reads format 3)")
    rid = _text(m.get("id"), "id", HEX64)
    reg_doc = m.get("registry")
    registry = None
    if reg_doc is not None:
        reg = _obj(reg_doc, "registry")
        registry = Registry(_text(reg.get("server"), "registry.server", ADDR), _text(reg.get("username"), "registry.username", ADDR))
    names: set[str] = set()
    ports: set[int] = set()

    def unique(name: str) -> str:
        if name in names:
            raise _bad(f"the name {name} is used twice (services, jobs and accessories share one namespace)")
        names.add(name)
        return name

    services: list[Service] = []
    service_docs = _list(m.get("services"), "services")
    if not service_docs:
        raise _bad("services must be a non-empty list")
    for i, sd in enumerate(service_docs):
        s = _obj(sd, f"services[{i}]")
        name = unique(_text(s.get("name"), f"services[{i}].name", NAME))
        image = _text(s.get("image"), f"services[{name}].image", IMAGE)
        hp = s.get("healthPath")
        health = None if hp is None else _text(hp, f"services[{name}].healthPath", HPATH)
        public = None
        if s.get("public") is not None:
            p = _obj(s.get("public"), f"services[{name}].public")
            sp = _obj(p.get("slotPorts"), f"services[{name}].public.slotPorts")
            slot_ports = {slot: _int(sp.get(slot), f"services[{name}].public.slotPorts.{slot}", 1024, 65535) for slot in SLOTS}
            for port in slot_ports.values():
                if port in ports:
                    raise _bad(f"slot port {port} is used twice")
                ports.add(port)
            extra = {k: v for k, v in p.items() if k not in ("address", "containerPort", "slotPorts")}
            public = Public(
                address=_text(p.get("address"), f"services[{name}].public.address", ADDR),
                container_port=_int(p.get("containerPort"), f"services[{name}].public.containerPort", 1, 65535),
                slot_ports=slot_ports,
                extra=extra,
            )
        services.append(Service(name, image, health, public))

    jobs: list[Job] = []
    for i, jd in enumerate(_list(m.get("jobs"), "jobs")):
        j = _obj(jd, f"jobs[{i}]")
        name = unique(_text(j.get("name"), f"jobs[{i}].name", NAME))
        phase = j.get("phase")
        if phase not in ("before-release", "after-release"):
            raise _bad(f"jobs[{name}].phase must be before-release or after-release")
        jobs.append(Job(name, _text(j.get("image"), f"jobs[{name}].image", IMAGE), cast(str, phase), _int(j.get("timeoutSeconds"), f"jobs[{name}].timeoutSeconds", 1, 86400)))

    accessories: list[Accessory] = []
    for i, ad in enumerate(_list(m.get("accessories"), "accessories")):
        a = _obj(ad, f"accessories[{i}]")
        name = unique(_text(a.get("name"), f"accessories[{i}].name", NAME))
        nets_doc = _obj(a.get("networks", {"default": []}), f"accessories[{name}].networks")
        nets: dict[str, tuple[str, ...]] = {}
        for net, aliases in sorted(nets_doc.items()):
            alias_list = _list(aliases, f"accessories[{name}].networks.{net}")
            if not NETNAME.match(net) or not all(isinstance(x, str) and NETNAME.match(x) for x in alias_list):
                raise _bad(f"accessories[{name}].networks: {net!r} must map a network name to a list of aliases ([A-Za-z0-9][A-Za-z0-9_.-]*)")
            nets[net] = tuple(cast(list[str], alias_list))
        accessories.append(Accessory(name, _text(a.get("image"), f"accessories[{name}].image", IMAGE), _text(a.get("definitionHash"), f"accessories[{name}].definitionHash", HEX64), nets))

    assets: list[Asset] = []
    for i, xd in enumerate(_list(m.get("assets"), "assets")):
        x = _obj(xd, f"assets[{i}]")
        p = x.get("path")
        if not isinstance(p, str) or os.path.normpath(p) != p or p.startswith("/") or "/" not in p or p.split("/")[0] not in ("app", "secrets", "configs"):
            raise _bad(f"assets[{i}].path {p!r} must be a normalized path under app/, secrets/ or configs/")
        mode = _int(x.get("mode"), f"assets[{i}].mode", 0, 0o777)
        secret = x.get("secret") is True
        if secret and mode != 0o600:
            raise _bad(f"assets[{i}] is secret but not mode 0600")
        assets.append(Asset(p, mode, secret))

    settings = DEFAULT_SETTINGS if "release" not in m else parse_settings(m.get("release"))
    spec = None
    if fmt == 3:
        # The switch's fields (traffic, public upstreams, access logs) are traffic.py's to read.
        spec, problems = parse_traffic(m)
        if problems:
            raise _bad("; ".join(problems))
    manifest = Manifest(
        format=cast(int, fmt),
        id=rid,
        project=_text(m.get("project"), "project", NAME),
        environment=_text(m.get("environment"), "environment", NAME),
        registry=registry,
        services=tuple(services),
        jobs=tuple(jobs),
        accessories=tuple(accessories),
        assets=tuple(assets),
        health_timeout_seconds=_int(m.get("healthTimeoutSeconds"), "healthTimeoutSeconds", 1, 3600),
        keep_releases=_int(m.get("keepReleases"), "keepReleases", 2, 100),
        release=settings,
        traffic=spec,
    )
    if directory is not None:
        _check_files(manifest, directory)
        if spec is not None:
            problems = caddyfile_problems(spec, (directory / "Caddyfile").read_text())
            if problems:
                raise _bad("the Caddyfile does not match the manifest: " + "; ".join(problems))
    return manifest


def _check_files(m: Manifest, d: Path) -> None:
    for name in [s.name for s in m.services] + [j.name for j in m.jobs]:
        if not (d / "env" / f"{name}.env").is_file():
            raise _bad(f"env/{name}.env is missing")
    for a in m.assets:
        if (d / a.path).is_symlink() or not (d / a.path).is_file():
            raise _bad(f"asset {a.path} is missing")
    if m.accessories and not (d / "accessories.yaml").is_file():
        raise _bad("the manifest lists accessories but accessories.yaml is missing")
    for f in ("compose.yaml", "Caddyfile"):
        if not (d / f).is_file():
            raise _bad(f"{f} is missing")


def load(directory: Path) -> Manifest:
    """Reads, validates and id-checks a release directory (exit 3 on any problem)."""
    path = directory / "manifest.json"
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise _bad("manifest.json is missing") from None
    try:
        doc: object = json.loads(raw)
    except ValueError as e:
        raise _bad(f"manifest.json is not valid JSON: {e}") from None
    claimed = _text(_obj(doc, "manifest.json").get("id"), "id", HEX64)
    computed = release_id(directory, claimed)
    if computed != claimed:
        raise _bad(f"release id mismatch: manifest says {claimed}, content hashes to {computed} (incomplete copy or edited release)")
    return parse(doc, directory)


def health_interval_seconds(caddyfile: str) -> float:
    """The largest `health_interval` in a Caddyfile (0 when none): how often Caddy looks at a slot."""
    units = {"ms": 0.001, "s": 1.0, "m": 60.0}
    longest = 0.0
    for m in re.finditer(r"^\s*health_interval\s+([0-9.]+)(ms|s|m)\s*$", caddyfile, re.M):
        longest = max(longest, float(m.group(1)) * units[m.group(2)])
    return longest
