"""State on the host: live/previous release, accessory hashes, the journal of a run, the audit log
and the lock. Every write is atomic (write a temporary file, fsync, rename), so a `kill -9` leaves
either the old or the new content, never half of it."""

from __future__ import annotations

import fcntl
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from collections.abc import Callable
from typing import Any, cast


@dataclass(frozen=True)
class Live:
    release: str
    slot: str
    since: int


@dataclass(frozen=True)
class Journal:
    """What a run that changes the host is doing; removed when it is done. Found by a later run
    whose owner is gone (`kill -9`, reboot), it says how to converge (plan.recovery)."""

    run: str
    pid: int
    action: str
    release: str
    phase: str  # prepare | start | switched | finishing
    target: str  # the slot the run starts
    old_slot: str | None
    old_release: str | None
    before_current: Live | None  # state/current and state/previous when the run began
    before_previous: Live | None
    started: float
    client: str | None = None


def atomic_write(path: Path, text: str, mode: int = 0o600) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    try:
        os.write(fd, text.encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.chmod(tmp, mode)
    os.replace(tmp, path)


class Paths:
    def __init__(self, root: Path, proxy_file: Path | None = None) -> None:
        self.root = root
        self.releases = root / "releases"
        self.state = root / "state"
        self.tmp = root / "tmp"
        self.runs = root / "runs"
        self.proxy_file = proxy_file or root / "proxy" / "Caddyfile"
        self.audit = self.state / "audit.log"
        self.journal = self.state / "journal.json"
        self.lock = self.state / "lock"
        self.holder = self.state / "lock.holder"

    def ensure(self) -> None:
        for d in (self.root, self.releases, self.state, self.tmp, self.runs, self.proxy_file.parent):
            d.mkdir(parents=True, exist_ok=True)
        for d in (self.releases, self.state, self.tmp, self.runs):
            os.chmod(d, 0o700)

    def release_dir(self, release: str) -> Path:
        return self.releases / release


def _read_live(path: Path) -> Live | None:
    try:
        parts = path.read_text().split()
    except OSError:
        return None
    if len(parts) < 2:
        return None
    return Live(parts[0], parts[1], int(parts[2]) if len(parts) > 2 and parts[2].isdigit() else 0)


def _write_live(path: Path, live: Live | None) -> None:
    if live is None:
        path.unlink(missing_ok=True)
    else:
        atomic_write(path, f"{live.release} {live.slot} {live.since}\n", 0o644)


class State:
    def __init__(self, paths: Paths) -> None:
        self.paths = paths

    def current(self) -> Live | None:
        return _read_live(self.paths.state / "current")

    def previous(self) -> Live | None:
        return _read_live(self.paths.state / "previous")

    def set_live(self, current: Live | None, previous: Live | None) -> None:
        # previous first: a kill between the two writes leaves a previous that rollback can use.
        _write_live(self.paths.state / "previous", previous)
        _write_live(self.paths.state / "current", current)

    def accessory_hash(self, name: str) -> str | None:
        try:
            return (self.paths.state / "accessories" / name).read_text().strip() or None
        except OSError:
            return None

    def accessory_names(self) -> list[str]:
        d = self.paths.state / "accessories"
        return sorted(p.name for p in d.iterdir()) if d.is_dir() else []

    def set_accessory(self, name: str, definition_hash: str, release: str) -> None:
        for sub, value in (("accessories", definition_hash), ("accessory-releases", release)):
            d = self.paths.state / sub
            d.mkdir(exist_ok=True)
            atomic_write(d / name, value + "\n", 0o644)

    def accessory_releases(self) -> set[str]:
        d = self.paths.state / "accessory-releases"
        return {p.read_text().strip() for p in d.iterdir()} if d.is_dir() else set()

    # journal

    def journal(self) -> Journal | None:
        try:
            doc = cast(dict[str, Any], json.loads(self.paths.journal.read_text()))
        except (OSError, ValueError):
            return None
        for key in ("before_current", "before_previous"):
            v = doc.get(key)
            doc[key] = Live(**cast(dict[str, Any], v)) if isinstance(v, dict) else None
        return Journal(**doc)

    def write_journal(self, journal: Journal) -> None:
        atomic_write(self.paths.journal, json.dumps(asdict(journal)) + "\n")

    def clear_journal(self) -> None:
        self.paths.journal.unlink(missing_ok=True)

    # audit

    def audit(self, entry: dict[str, Any]) -> None:
        line = json.dumps(entry, separators=(",", ":")) + "\n"
        fd = os.open(self.paths.audit, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode())
        finally:
            os.close(fd)

    def history(self) -> list[dict[str, Any]]:
        entries: list[dict[str, Any]] = []
        try:
            text = self.paths.audit.read_text()
        except OSError:
            return entries
        for line in text.splitlines():
            if line.strip():
                try:
                    entries.append(cast(dict[str, Any], json.loads(line)))
                except ValueError:
                    entries.append({"result": "unreadable", "message": line})
        return entries


class Lock:
    """flock on state/lock; who holds it is written to state/lock.holder for the one waiting."""

    def __init__(self, paths: Paths) -> None:
        self.paths = paths
        self.fd: int | None = None

    def try_acquire(self) -> bool:
        fd = os.open(self.paths.lock, os.O_WRONLY | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return False
        self.fd = fd
        return True

    def acquire(self, timeout: float, on_wait: Callable[[str], None] | None = None) -> bool:
        if self.try_acquire():
            return True
        if on_wait is not None:
            on_wait(self.holder())
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            time.sleep(0.2)
            if self.try_acquire():
                return True
        return False

    def mark(self, description: str) -> None:
        atomic_write(self.paths.holder, description + "\n", 0o600)

    def holder(self) -> str:
        try:
            text = self.paths.holder.read_text().strip()
        except OSError:
            return "an unknown process"
        pid = text.split()[0].removeprefix("pid=") if text else ""
        if pid.isdigit() and not pid_alive(int(pid)):
            text += " (that process has exited; a child of it still holds the lock)"
        return text or "an unknown process"

    def release(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
