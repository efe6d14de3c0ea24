from __future__ import annotations

import json
import os
import stat
from pathlib import Path

from liftoff_release.state import Journal, Live, Lock, Paths, State


def test_live_journal_and_audit_round_trip(tmp_path: Path) -> None:
    p = Paths(tmp_path)
    p.ensure()
    s = State(p)
    s.set_live(Live("a" * 64, "green", 5), Live("b" * 64, "blue", 4))
    assert (s.current(), s.previous()) == (Live("a" * 64, "green", 5), Live("b" * 64, "blue", 4))
    j = Journal("r", 1, "apply", "a" * 64, "switched", "green", "blue", "b" * 64, Live("b" * 64, "blue", 4), None, 1.5, "203.0.113.7")
    s.write_journal(j)
    assert s.journal() == j
    assert stat.S_IMODE(os.stat(p.journal).st_mode) == 0o600
    s.clear_journal()
    assert s.journal() is None
    s.audit({"action": "apply", "result": "success"})
    s.audit({"action": "repair", "result": "unchanged"})
    assert [e["action"] for e in s.history()] == ["apply", "repair"]
    assert json.loads(p.audit.read_text().splitlines()[0]) == {"action": "apply", "result": "success"}
    assert stat.S_IMODE(os.stat(p.state).st_mode) == 0o700


def test_a_second_lock_waits_and_names_the_holder(tmp_path: Path) -> None:
    p = Paths(tmp_path)
    p.ensure()
    first, second = Lock(p), Lock(p)
    assert first.try_acquire()
    first.mark(f"pid={os.getpid()} user=deploy action=apply run=r1")
    seen: list[str] = []
    assert not second.acquire(0.3, seen.append)
    assert seen == [f"pid={os.getpid()} user=deploy action=apply run=r1"]
    first.release()
    assert second.try_acquire()


def test_accessory_hashes_and_the_releases_they_run_from(tmp_path: Path) -> None:
    p = Paths(tmp_path)
    p.ensure()
    s = State(p)
    s.set_accessory("broker", "d" * 64, "r" * 64)
    assert (s.accessory_hash("broker"), s.accessory_names(), s.accessory_releases()) == ("d" * 64, ["broker"], {"r" * 64})
