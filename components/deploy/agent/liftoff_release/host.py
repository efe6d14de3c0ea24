"""The edge: runs token lists (commands.py), reads docker's view, logs progress. Nothing here decides."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, cast

from . import commands as c
from .plan import Container, parse_inspect


def log(message: str) -> None:
    line = f"{time.strftime('%Y-%m-%dT%H:%M:%S%z')} liftoff-release: {message}\n"
    try:
        sys.stderr.write(line)
        sys.stderr.flush()
    except (BrokenPipeError, OSError):
        pass  # a dropped session must never stop the work


def log_block(text: str) -> None:
    for line in text.rstrip("\n").splitlines():
        log_raw(f"    | {line}\n")


def log_raw(text: str) -> None:
    try:
        sys.stderr.write(text)
        sys.stderr.flush()
    except (BrokenPipeError, OSError):
        pass


@dataclass(frozen=True)
class Result:
    code: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.code == 0

    @property
    def output(self) -> str:
        return (self.stdout + self.stderr).strip()


class Runner(Protocol):
    def __call__(self, cmd: Sequence[str], *, input: str | None = None, env: Mapping[str, str] | None = None, timeout: float | None = None) -> Result: ...


def run(cmd: Sequence[str], *, input: str | None = None, env: Mapping[str, str] | None = None, timeout: float | None = None) -> Result:
    full_env = {**os.environ, **env} if env else None
    try:
        p = subprocess.run(list(cmd), input=input, capture_output=True, text=True, env=full_env, timeout=timeout,
                           stdin=None if input is not None else subprocess.DEVNULL)
    except FileNotFoundError:
        return Result(127, "", f"{cmd[0]}: not found on PATH")
    except subprocess.TimeoutExpired:
        return Result(124, "", f"{' '.join(cmd[:3])} did not finish within {timeout} s")
    return Result(p.returncode, p.stdout, p.stderr)


class Host:
    """docker as the agent sees it; `runner` is injectable so tests can record the calls."""

    def __init__(self, runner: Runner = run) -> None:
        self.run = runner

    def containers(self, project: str | None = None) -> list[Container]:
        ids = self.run(c.ps_ids(project)).stdout.split()
        if not ids:
            return []
        r = self.run(c.inspect(ids))
        try:
            doc = cast(list[Mapping[str, Any]], json.loads(r.stdout or "[]"))
        except ValueError:
            return []
        return parse_inspect(doc)

    def slot_containers(self, slot: str) -> list[Container]:
        return self.containers(c.slot_project(slot))

    def logs(self, container: str, label: str, lines: int = 20) -> None:
        out = self.run(c.logs_tail(container, lines)).output
        if out:
            log(f"last log lines of {label}:")
            log_block(out)
        else:
            log(f"{label} wrote no log lines")

    def last_exit_code(self, container: Container) -> str:
        r = self.run(["docker", "inspect", "--format", "{{.Created}}", container.id])
        if not r.ok:
            return str(container.exit_code)
        codes = self.run(c.die_events(container.id, r.stdout.strip(), f"{time.time():.3f}"), timeout=5).stdout.split()
        return codes[-1] if codes else str(container.exit_code)

    def project_networks(self, project: str) -> list[str]:
        nets = self.run(c.network_ids(project)).stdout.split()
        if self.run(["docker", "network", "inspect", f"{project}_default"]).ok:
            nets.append(f"{project}_default")
        return list(dict.fromkeys(nets))

    def network_members(self, network: str) -> list[str] | None:
        r = self.run(c.network_members(network))
        return r.stdout.split() if r.ok else None

    def local_digest_refs(self) -> set[str]:
        return {line for line in self.run(c.images_by_digest()).stdout.split() if not line.endswith("@<none>")}


def probe(port: int, path: str, ip: str = "127.0.0.1", timeout: float = 2.0) -> int | None:
    """The HTTP status of http://<ip>:<port><path>, None when nothing answers."""
    import urllib.error  # only the gate needs HTTP: keeps every other run's start-up short
    import urllib.request

    try:
        with urllib.request.urlopen(f"http://{ip}:{port}{path}", timeout=timeout) as resp:
            return int(resp.status)
    except urllib.error.HTTPError as e:
        return int(e.code)
    except (urllib.error.URLError, OSError, ValueError):
        return None


class Timings:
    def __init__(self) -> None:
        self.started = time.monotonic()
        self.at = self.started
        self.phases: list[tuple[str, float]] = []

    def mark(self, phase: str) -> None:
        now = time.monotonic()
        self.phases.append((phase, now - self.at))
        self.at = now

    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def line(self) -> str:
        return "timings (s): " + ", ".join(f"{p} {s:.2f}" for p, s in self.phases)
