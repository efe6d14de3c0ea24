"""Command line and process model.

`apply`, `rollback` and `repair` run detached: the process the SSH session started validates the
request, starts a worker in its own session (setsid) with its own log file under runs/, and
follows that log to stderr until the worker has recorded the outcome. A dropped session (SIGHUP,
SIGPIPE on stderr) ends only the follower; the worker carries on and records the outcome, and the
next run prints it. The worker holds the lock and journals its phases (state.Journal): after a
`kill -9` or a reboot the next apply, rollback or repair converges from the journal.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path
from types import FrameType

from . import VERSION
from . import errors as ex
from .config import Config
from .errors import AgentError
from .host import Host, log, log_raw
from .manifest import Manifest
from .manifest import load as load_manifest
from .state import Paths, State, atomic_write

USAGE = """usage: liftoff-release apply <release-dir>   (registry token on stdin when the release names a registry)
       liftoff-release rollback
       liftoff-release repair [--wait-for-docker SECONDS]
       liftoff-release status [--json]
       liftoff-release history [--json]
       liftoff-release verify <release-dir>
       liftoff-release version"""

KEEP_RUN_LOGS = 50


def usage() -> int:
    sys.stderr.write(USAGE + "\n")
    return ex.USAGE


def _self_command() -> list[str]:
    """How this program was started (a zipapp, `python3 -m liftoff_release`), to start the worker."""
    extra = len(sys.argv) - 1
    orig = list(sys.orig_argv)
    prefix = orig[: len(orig) - extra] if extra else orig
    return [sys.executable, *prefix[1:]]


def _new_run_id() -> str:
    return f"{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}-{os.getpid()}"


def _follow(proc: subprocess.Popen[bytes], logfile: Path, exitfile: Path) -> int:
    """Copies the worker's log to stderr until it has recorded its outcome (or died)."""
    pos = 0
    code: int | None = None
    while True:
        try:
            with open(logfile, "rb") as f:
                f.seek(pos)
                chunk = f.read()
        except OSError:
            chunk = b""
        if chunk:
            pos += len(chunk)
            log_raw(chunk.decode(errors="replace"))
        if code is not None:
            return code
        if exitfile.exists():
            try:
                code = int(exitfile.read_text().strip() or "1")
            except ValueError:
                code = ex.FAIL
            time.sleep(0.05)  # the lines the worker wrote with the outcome
            continue
        if proc.poll() is not None and not exitfile.exists():
            time.sleep(0.05)
            if exitfile.exists():
                continue
            log(f"the run ended without recording an outcome (exit status {proc.returncode}); see {logfile}")
            return ex.FAIL
        time.sleep(0.05)


def detach(config: Config, action: str, args: list[str], token: str) -> int:
    paths = Paths(config.root, config.proxy_file)
    try:
        paths.ensure()
    except OSError as e:
        log(f"FAILED: cannot create the agent's directories under {config.root}: {e}")
        return ex.FAIL
    run_id = _new_run_id()
    if action == "apply":
        # The worker reads its own private copy: the caller may remove the directory it gave
        # (the component removes incoming/<id> when the command returns, or the session drops).
        copy = paths.tmp / f"run-{run_id}"
        copy.mkdir(mode=0o700)
        shutil.copytree(Path(args[0]), copy / "release", symlinks=True)
        args = [str(copy / "release")]
    logfile, exitfile = paths.runs / f"{run_id}.log", paths.runs / f"{run_id}.exit"
    fd = os.open(logfile, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    env = {**os.environ, "LIFTOFF_CLIENT": (os.environ.get("SSH_CONNECTION") or "").split(" ")[0]}
    proc = subprocess.Popen([*_self_command(), "_worker", action, run_id, *args], stdin=subprocess.PIPE, stdout=fd, stderr=fd,
                            start_new_session=True, env=env, close_fds=True)
    os.close(fd)
    assert proc.stdin is not None
    try:
        proc.stdin.write((token + "\n").encode())
        proc.stdin.close()
    except BrokenPipeError:
        pass
    return _follow(proc, logfile, exitfile)


def noop_apply(config: Config, m: Manifest) -> int | None:
    """A redeploy of the live release, decided here without starting the worker (one process, no
    copy of the release): 0 when the host serves it as it should, None when the worker must run
    (another release, an unfinished run, the lock held, any drift to repair)."""
    paths = Paths(config.root, config.proxy_file)
    state = State(paths)
    cur = state.current()
    rel = paths.release_dir(m.id)
    if cur is None or cur.release != m.id or state.journal() is not None or not rel.is_dir():
        return None
    try:
        if load_manifest(rel).id != m.id:
            return None
    except AgentError:
        return None
    from .agent import Agent, short
    from .operations import check_live

    a = Agent(config, "apply", _new_run_id())
    if not a.lock.try_acquire():
        return None
    try:
        cur = state.current()  # again, under the lock: a run may have finished meanwhile
        if cur is None or cur.release != m.id or state.journal() is not None:
            return None
        a.release, a.slot = m.id, cur.slot
        if not check_live(a, m, rel, cur).clean:
            return None
        a.outcome("unchanged", 0, f"release already live in slot {cur.slot}")
        log(f"release {short(m.id)} is already live in slot {cur.slot}: nothing to do ({a.timings.elapsed():.1f} s)")
        return 0
    finally:
        a.lock.release()


def worker(config: Config, action: str, run_id: str, args: list[str]) -> int:
    # Imported here: the follower and the queries start faster without the whole agent.
    from . import operations
    from .agent import Agent, short

    signal.signal(signal.SIGHUP, signal.SIG_IGN)

    def interrupted(signum: int, _frame: FrameType | None) -> None:
        raise AgentError(ex.FAIL, f"interrupted by {signal.Signals(signum).name}")

    signal.signal(signal.SIGTERM, interrupted)
    signal.signal(signal.SIGINT, interrupted)
    token = sys.stdin.readline().rstrip("\n")
    sys.stdin.close()
    a = Agent(config, action, run_id)
    exitfile = a.paths.runs / f"{run_id}.exit"
    a.on_outcome = lambda code: atomic_write(exitfile, f"{code}\n", 0o600)
    code = ex.FAIL
    try:
        if action == "apply":
            code = operations.apply(a, Path(args[0]), token)
        elif action == "rollback":
            code = operations.rollback(a)
        else:
            code = operations.repair(a)
    except AgentError as e:
        code = e.code
        if a.journal is not None and a.journal.phase == "prepare":
            a.set_journal(None)  # failed before its slot was touched: nothing to converge
        if a.timings.phases:
            log(a.timings.line())
        if not a.outcome_recorded:
            a.outcome("failed", e.code, e.message)
        log(f"FAILED: {e.message}")
        cur = a.state.current()
        live = f"; release {short(cur.release)} is still live in slot {cur.slot}" if cur and cur.release != a.release else ""
        if code == ex.ROLLED_BACK and cur:
            live = f"; release {short(cur.release)} is live again in slot {cur.slot}"
        log(f"{action} failed after {a.timings.elapsed():.1f} s ({e.message}){live} (exit {code})")
    except Exception as e:  # an agent bug: recorded, and the journal (if any) lets the next run converge
        code = ex.FAIL
        log_raw(traceback.format_exc())
        if not a.outcome_recorded:
            a.outcome("failed", ex.FAIL, f"unexpected error: {type(e).__name__}: {e}; the next apply, rollback or repair converges")
        log(f"FAILED: unexpected error ({type(e).__name__}: {e}); the next apply, rollback or repair converges")
    finally:
        if not exitfile.exists():
            atomic_write(exitfile, f"{code}\n", 0o600)
        shutil.rmtree(a.paths.tmp / f"run-{run_id}", ignore_errors=True)
        _prune_runs(a.paths)
        a.lock.release()
    return code


def _prune_runs(paths: Paths) -> None:
    logs = sorted(paths.runs.glob("*.log"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in logs[KEEP_RUN_LOGS:]:
        old.unlink(missing_ok=True)
        old.with_suffix(".exit").unlink(missing_ok=True)


def read_token(server: str, username: str) -> str:
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"registry token for {username}@{server}: ")
    return sys.stdin.readline().rstrip("\n")


def wait_for_docker(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while True:
        if Host().run(["docker", "info", "--format", "{{.ServerVersion}}"], timeout=10).ok:
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(2)


def main(argv: list[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        return usage()
    cmd, rest = args[0], args[1:]
    try:
        config = Config.from_env(dict(os.environ))
        if cmd == "_worker":
            return worker(config, rest[0], rest[1], rest[2:])
        if cmd == "apply":
            if len(rest) != 1:
                return usage()
            src = Path(rest[0])
            if not src.is_dir():
                raise AgentError(ex.USAGE, f"release directory not found: {src}")
            try:
                m = load_manifest(src)
            except AgentError as e:
                raise AgentError(e.code, f"invalid release in {src}: {e.message}") from None
            token = ""
            if m.registry is not None:
                token = read_token(m.registry.server, m.registry.username)
                if not token:
                    raise AgentError(ex.REGISTRY, f"the release pulls from {m.registry.server}: pass the registry token on stdin")
            sys.stdin.close()
            fast = noop_apply(config, m)
            if fast is not None:
                return fast
            return detach(config, "apply", [str(src.resolve())], token)
        if cmd in ("rollback", "repair"):
            if cmd == "repair" and rest[:1] == ["--wait-for-docker"] and len(rest) == 2:
                if not wait_for_docker(float(rest[1])):
                    log(f"docker did not answer within {rest[1]} s: nothing repaired")
                    return ex.FAIL
            elif rest:
                return usage()
            return detach(config, cmd, [], "")
        if cmd == "status":
            if rest not in ([], ["--json"]):
                return usage()
            from .status import status

            print(status(State(Paths(config.root, config.proxy_file)), Host(), rest == ["--json"]))
            return 0
        if cmd == "history":
            if rest not in ([], ["--json"]):
                return usage()
            entries = State(Paths(config.root, config.proxy_file)).history()
            if rest == ["--json"]:
                import json

                print(json.dumps(entries, indent=2))
            elif entries:
                from .status import history_text

                print(history_text(entries))
            else:
                log(f"no operations recorded yet ({config.root / 'state' / 'audit.log'})")
            return 0
        if cmd == "verify":
            if len(rest) != 1:
                return usage()
            if not Path(rest[0]).is_dir():
                raise AgentError(ex.USAGE, f"release directory not found: {rest[0]}")
            try:
                m = load_manifest(Path(rest[0]))
            except AgentError as e:
                raise AgentError(e.code, f"invalid release in {rest[0]}: {e.message}") from None
            print(m.id)
            log(f"release {m.id[:12]} of {m.project}/{m.environment} is valid: {len(m.services)} services, {len(m.jobs)} jobs, {len(m.accessories)} accessories")
            return 0
        if cmd in ("version", "--version"):
            print(f"liftoff-release {VERSION}")
            return 0
        return usage()
    except AgentError as e:
        log(f"FAILED: {e.message}")
        return e.code
