"""apply, rollback and repair: each runs under the lock, first converges from an earlier run that
did not finish (agent.recover), journals its phases, and records exactly one outcome line."""

from __future__ import annotations

import os
import time
from pathlib import Path

from . import commands as c
from . import errors as ex
from . import plan
from .agent import Agent, short
from .errors import AgentError
from .host import log
from .manifest import Manifest
from .manifest import load as load_manifest
from .state import Journal, Live


def _journal(a: Agent, m: Manifest, target: str, cur: Live | None, prev: Live | None) -> Journal:
    return Journal(run=a.run_id, pid=os.getpid(), action=a.action, release=m.id, phase="prepare", target=target,
                   old_slot=cur.slot if cur else None, old_release=cur.release if cur else None,
                   before_current=cur, before_previous=prev, started=time.time(), client=a.client)


def check_live(a: Agent, m: Manifest, rel: Path, live: Live) -> plan.Drift:
    applied = {x.name: a.state.accessory_hash(x.name) for x in m.accessories}
    pf = a.paths.proxy_file
    proxy_ok = pf.is_file() and pf.read_bytes() == (rel / "Caddyfile").read_bytes()
    d = plan.drift(m, live.slot, a.host.containers(), proxy_ok, applied)
    shares = a.switch_factory(rel, m).shares()
    if shares and shares.get(live.slot) != 100:
        d.gates = True
        d.reasons.append(f"the gates do not send all traffic to the live slot {live.slot}: {shares}")
    return d


def converge_live(a: Agent, m: Manifest, rel: Path, live: Live, d: plan.Drift) -> None:
    """Brings the live release back to "serving alone, healthy" (repair; a re-apply of it)."""
    for reason in d.reasons:
        log(f"repair: {reason}")
    a.ensure_accessory_network()
    if d.accessories:
        unhealthy = [x.service for x in a.host.containers(c.ACCESSORY_PROJECT) if x.service in d.accessories and (x.health == "unhealthy" or not x.running)]
        a.converge_accessories(m, rel, [live.slot], force=unhealthy)
    if d.recreate:
        project, env = c.slot_project(live.slot), a.compose_env(m, live.slot)
        log(f"recreating {', '.join(d.recreate)} in the live slot {live.slot}")
        r = a.host.run(c.compose_up_services(project, str(rel / "compose.yaml"), d.recreate, recreate=True), env=env)
        if not r.ok:
            raise AgentError(ex.HEALTH, f"compose could not recreate {', '.join(d.recreate)} in slot {live.slot}: {r.output[-300:]}")
        a.connect_accessories(m, live.slot)
        a.gate(m, project, [s for s in plan.gate_specs(m, live.slot) if s.name in d.recreate], a.health_timeout(m))
    if d.proxy_file:
        a.install_proxy(rel)
    sw = a.switch_factory(rel, m)
    sw.send(m, {live.slot: 100, plan.other_slot(live.slot): 0})
    if d.idle_running:
        a.stop_slot(plan.other_slot(live.slot))


def require_compose(a: Agent) -> None:
    r = a.host.run(c.compose_version())
    if not r.ok:
        first = (r.output.splitlines() or [""])[0]
        raise AgentError(ex.FAIL, f"'docker compose version' does not run ({first}): this host needs Compose v2, the docker CLI plugin (Docker's package docker-compose-plugin)")
    log(f"using docker compose ({r.stdout.strip() or 'unknown version'})")


def apply(a: Agent, src: Path, token: str) -> int:
    m = load_manifest(src)
    a.release = m.id
    a.timings.mark("validate")
    a.take_lock(f"apply {short(m.id)}")
    a.cleanup_tmp()
    a.recover()
    cur, prev = a.state.current(), a.state.previous()
    a.previous = cur.release if cur else None
    log(f"apply release {short(m.id)} of {m.project}/{m.environment} ({len(m.services)} services, {len(m.accessories)} accessories)")
    rel = a.store_release(src, m)
    a.timings.mark("prepare")

    if cur is not None and cur.release == m.id:
        a.slot, a.previous = cur.slot, None
        d = check_live(a, m, rel, cur)
        if d.clean:
            msg = f"release {short(m.id)} is already live in slot {cur.slot}: nothing to do ({a.timings.elapsed():.1f} s)"
            a.outcome("unchanged", 0, f"release already live in slot {cur.slot}")
            log(msg)
            return 0
        log(f"release {short(m.id)} is live in slot {cur.slot}, but the host does not match it: repairing")
        converge_live(a, m, rel, cur, d)
        msg = f"release {short(m.id)} is live in slot {cur.slot}; repaired: {'; '.join(d.reasons)}"
        a.outcome("repaired", 0, msg)
        log(msg)
        return 0

    require_compose(a)
    target = plan.target_slot(cur)
    a.slot = target
    a.set_journal(_journal(a, m, target, cur, prev))
    a.login_and_pull(m, token)
    a.timings.mark("pull")
    a.ensure_accessory_network()
    a.converge_accessories(m, rel, [cur.slot] if cur else [])
    a.timings.mark("accessories")
    return deploy(a, m, rel, target, cur, prev, run_jobs=True)


def _published_lanes(a: Agent, live: Live | None) -> int | None:
    """The lanes the live slot's containers publish: its release's traffic.lanes (None: unknown)."""
    if live is None:
        return None
    d = a.paths.release_dir(live.release)
    try:
        old = load_manifest(d) if d.is_dir() else None
    except AgentError:
        return None
    return old.traffic.lanes if old is not None and old.traffic is not None else None


def deploy(a: Agent, m: Manifest, rel: Path, target: str, cur: Live | None, prev: Live | None, run_jobs: bool, fast_start: bool = False) -> int:
    """Shared by apply and rollback: start the target slot, gate, switch, bake, record, finish."""
    a.phase("start")
    try:
        if fast_start:
            a.start_stopped_or_fresh(m, rel, target)
        else:
            if a.host.slot_containers(target):
                log(f"slot {target} holds containers of another release: removing them")
            a.remove_slot(target)
            a.timings.mark("clean-slot")
            a.start_slot(m, rel, target, run_jobs)
        a.install_proxy(rel)
    except AgentError:
        a.timings.mark("failing")
        log(f"removing the new slot {target}; the live release keeps serving")
        a.remove_slot(target)
        a.timings.mark("remove-new")
        a.set_journal(None)
        raise

    # The switch: state first (journal "switched": a kill from here on switches back).
    a.phase("switched")
    a.state.set_live(Live(m.id, target, int(time.time())), cur)
    os.utime(rel)
    result = a.go_live(m, rel, target, cur.slot if cur else None, bake=True, old_lanes=_published_lanes(a, cur))
    if not result.ok:
        a.timings.mark("failing")
        old_dir = a.paths.release_dir(cur.release) if cur else None
        m_old = load_manifest(old_dir) if old_dir is not None and old_dir.is_dir() else None
        if cur is not None:
            a.switch_back(m_old, old_dir, cur.slot, target)
        a.timings.mark("switch-back")
        a.state.set_live(cur, prev)
        a.remove_slot(target)
        a.timings.mark("remove-new")
        a.set_journal(None)
        code = ex.PROXY if result.reason.startswith("verify") else ex.ROLLED_BACK
        back = "" if cur else "; no release was live before: nothing serves"
        raise AgentError(code, f"release {short(m.id)} rolled back: {result.reason}{back}")
    log(f"release {short(m.id)} is live in slot {target}")

    after_failed = None
    if run_jobs and any(j.phase == "after-release" for j in m.jobs):
        after_failed = a.run_jobs(m, rel, target, "after-release")
        a.timings.mark("after-jobs")
    a.phase("finishing")
    old = f" (previous {short(cur.release)} stops in the background)" if cur else ""
    verb = "applied" if a.action == "apply" else "rolled back to"
    if after_failed:
        msg = f"release {short(m.id)} is live in slot {target}, but {after_failed} (no rollback: the release stays live)"
        log(a.timings.line())
        a.outcome("failed", ex.AFTER_JOB, msg)
        log(f"FAILED: {msg}")
        code = ex.AFTER_JOB
    else:
        msg = f"{verb} release {short(m.id)} in slot {target} in {a.timings.elapsed():.1f} s{old}"
        log(a.timings.line())
        a.outcome("success", 0, msg)
        log(msg)
        code = 0
    a.finish_in_background(cur.slot if cur else None, m, {m.id})
    return code


def rollback(a: Agent) -> int:
    a.take_lock("rollback")
    require_compose(a)
    a.cleanup_tmp()
    a.recover()
    cur, prev = a.state.current(), a.state.previous()
    a.previous = cur.release if cur else None
    if prev is None:
        raise AgentError(ex.NO_PREVIOUS, "there is no previous release to roll back to")
    rel = a.paths.release_dir(prev.release)
    if not rel.is_dir():
        raise AgentError(ex.NO_PREVIOUS, f"the previous release {short(prev.release)} is no longer stored in {a.paths.releases}")
    m = load_manifest(rel)
    a.release = m.id
    target = plan.target_slot(cur)
    a.slot = target
    log(f"rollback from {short(cur.release if cur else None)} to release {short(m.id)} (no pull)")
    a.require_local_images(m)
    a.ensure_accessory_network()
    a.timings.mark("prepare")
    a.set_journal(_journal(a, m, target, cur, prev))
    # The previous release's accessories: converged to its definitions when they changed since.
    a.converge_accessories(m, rel, [s for s in ("blue", "green") if a.host.project_networks(c.slot_project(s))])
    a.timings.mark("accessories")
    return deploy(a, m, rel, target, cur, prev, run_jobs=False, fast_start=True)


def repair(a: Agent) -> int:
    a.take_lock("repair")
    a.cleanup_tmp()
    a.recover()
    cur = a.state.current()
    if cur is None:
        a.outcome("unchanged", 0, "no release is live: nothing to repair")
        log("no release is live: nothing to repair")
        return 0
    a.release, a.slot = cur.release, cur.slot
    rel = a.paths.release_dir(cur.release)
    m = load_manifest(rel)
    d = check_live(a, m, rel, cur)
    if d.clean:
        a.outcome("unchanged", 0, f"release {short(cur.release)} serves in slot {cur.slot}, healthy: nothing to repair")
        log(f"release {short(cur.release)} serves in slot {cur.slot}, healthy: nothing to repair ({a.timings.elapsed():.1f} s)")
        return 0
    converge_live(a, m, rel, cur, d)
    msg = f"release {short(cur.release)} in slot {cur.slot} repaired: {'; '.join(d.reasons)}"
    a.outcome("repaired", 0, msg)
    log(msg)
    return 0
