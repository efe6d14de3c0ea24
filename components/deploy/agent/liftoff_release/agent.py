"""The operations shared by apply, rollback and repair: the edge that carries out plan.py's
decisions with host.py, under the lock, with a journal a later run converges from."""

from __future__ import annotations

import os
import pwd
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from . import commands as c
from . import errors as ex
from . import plan
from .config import Config
from .errors import AgentError
from .host import Host, Timings, log, log_block, probe
from .manifest import Manifest
from .manifest import load as load_manifest
from .ports import BakeResult, BakeWatch, Switch, Watch, describe_shares, shares_for, switch_for
from .state import Journal, Lock, Paths, State
from .traffic import CANARY_TOLERANCE, planned_percent, with_published


def short(release: str | None) -> str:
    return (release or "none")[:12]


def whoami() -> str:
    try:
        return pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        return os.environ.get("USER", "unknown")


class Agent:
    def __init__(self, config: Config, action: str, run_id: str, host: Host | None = None,
                 switch_factory: Callable[[Path, Manifest], Switch] | None = None, watch: Watch | None = None) -> None:
        self.config = config
        self.action = action
        self.run_id = run_id
        self.host = host or Host()
        self.paths = Paths(config.root, config.proxy_file)
        self.state = State(self.paths)
        self.lock = Lock(self.paths)
        self.timings = Timings()
        self.switch_factory: Callable[[Path, Manifest], Switch] = switch_factory or self._switch
        self.watch = watch or BakeWatch(self.host)
        self.client = (os.environ.get("SSH_CONNECTION") or "").split(" ")[0] or os.environ.get("LIFTOFF_CLIENT") or None
        self.release: str | None = None
        self.slot: str | None = None
        self.previous: str | None = None
        self.journal: Journal | None = None
        self.outcome_recorded = False
        self.on_outcome: Callable[[int], None] | None = None

    def _switch(self, release_dir: Path, manifest: Manifest) -> Switch:
        return switch_for(release_dir, manifest, self.config.caddy_admin)

    # ------------------------------------------------------------------ audit, lock, journal

    def audit(self, result: str, code: int | None, message: str, **over: Any) -> None:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "user": whoami(), "client": self.client,
            "action": self.action, "release": self.release, "slot": self.slot, "previous": self.previous,
            "result": result, "exit": code, "seconds": round(self.timings.elapsed(), 1), "message": message, "run": self.run_id,
        }
        entry.update(over)
        try:
            self.state.audit(entry)
        except OSError as e:
            log(f"warning: could not append to {self.paths.audit}: {e}")

    def outcome(self, result: str, code: int, message: str) -> None:
        """The run's one outcome line; then the waiting client is told (runs/<run>.exit)."""
        self.audit(result, code, message)
        self.outcome_recorded = True
        if self.on_outcome is not None:
            self.on_outcome(code)

    def take_lock(self, what: str) -> None:
        self.paths.ensure()
        if not self.lock.acquire(self.config.lock_timeout, lambda holder: log(f"waiting up to {self.config.lock_timeout:g} s for the deploy lock, held by: {holder}")):
            raise AgentError(ex.LOCK, f"gave up after {self.config.lock_timeout:g} s waiting for the deploy lock ({self.paths.lock}), held by: {self.lock.holder()}")
        self.lock.mark(f"pid={os.getpid()} user={whoami()} action={what} run={self.run_id} since={time.strftime('%Y-%m-%dT%H:%M:%S%z')}" + (f" client={self.client}" if self.client else ""))
        self.audit("started", None, f"{what}: lock taken")
        self.timings.mark("lock")

    def set_journal(self, journal: Journal | None) -> None:
        self.journal = journal
        if journal is None:
            self.state.clear_journal()
        else:
            self.state.write_journal(journal)

    def phase(self, phase: str) -> None:
        if self.journal is not None:
            self.set_journal(replace(self.journal, phase=phase))

    def recover(self) -> None:
        """Converges from a run that did not finish (its journal is here, and we hold the lock, so
        its process is gone) and records it with its own audit line."""
        j = self.state.journal()
        if j is None:
            return
        r = plan.recovery(j)
        log(f"an earlier run ({j.run}, {j.action} of {short(j.release)}, phase {j.phase}) did not finish: converging")
        if r.kind in ("undo", "switch-back"):
            if r.serve_slot is not None and r.kind == "switch-back":
                old_release = j.old_release
                old_dir = self.paths.release_dir(old_release) if old_release else None
                if old_dir is not None and old_dir.is_dir():
                    m = load_manifest(old_dir)
                    sw = self.switch_factory(old_dir, m)
                    running = [x for x in self.host.slot_containers(r.serve_slot) if x.running]
                    if not running:
                        log(f"slot {r.serve_slot} is not running: starting it again")
                        self.start_stopped_or_fresh(m, old_dir, r.serve_slot)
                    sw.send(m, {r.serve_slot: 100, j.target: 0})
                    sw.wait_seen(m, {r.serve_slot: 100, j.target: 0}, 10)
            if r.remove_slot is not None and (r.serve_slot is None or r.remove_slot != r.serve_slot):
                if self.host.slot_containers(r.remove_slot):
                    log(f"slot {r.remove_slot} has leftover containers of the interrupted run: removing them")
                self.remove_slot(r.remove_slot)
            if r.restore is not None:
                self.state.set_live(r.restore[0], r.restore[1])
        elif r.stop_slot is not None:
            self.stop_slot(r.stop_slot)
        self.state.clear_journal()
        self.audit("killed", None, f"the run was killed (kill -9, reboot or lost host) in phase {j.phase}; {r.message}",
                   action=j.action, release=j.release, slot=j.target, previous=j.old_release, run=j.run, client=j.client, seconds=None)
        log(r.message)

    # ------------------------------------------------------------------ releases and images

    def store_release(self, src: Path, m: Manifest) -> Path:
        dest = self.paths.release_dir(m.id)
        if src.resolve() == dest.resolve():
            return dest
        if dest.is_dir():
            try:
                if load_manifest(dest).id == m.id:
                    secure_release(dest, m)
                    return dest
            except AgentError:
                pass
            log(f"release directory {dest} is damaged: replacing it")
            shutil.rmtree(dest)
        incoming = Path(tempfile.mkdtemp(prefix=".incoming.", dir=self.paths.releases))
        shutil.copytree(src, incoming, dirs_exist_ok=True, symlinks=True)
        secure_release(incoming, m)
        os.replace(incoming, dest)
        log(f"release stored in {dest}")
        return dest

    def login_and_pull(self, m: Manifest, token: str) -> None:
        wanted = m.images()
        present = self.host.local_digest_refs()
        pulls = [img for img in wanted if not ("@sha256:" in img and img in present)]
        have = len(wanted) - len(pulls)
        config_dir = tempfile.mkdtemp(prefix="docker-config.", dir=self.paths.tmp)
        os.chmod(config_dir, 0o700)
        try:
            if m.registry is not None:
                log(f"logging in to {m.registry.server} as {m.registry.username}")
                r = self.host.run(c.docker_login(config_dir, m.registry.server, m.registry.username), input=token)
                if not r.ok:
                    log_block(r.output)
                    raise AgentError(ex.REGISTRY, f"registry login to {m.registry.server} as {m.registry.username} failed (wrong or expired token?)")
            results: dict[str, Any] = {}

            def pull(image: str) -> None:
                log(f"pulling {image} (for {', '.join(wanted[image])})")
                results[image] = self.host.run(c.docker_pull(config_dir, image))

            threads = [threading.Thread(target=pull, args=(img,)) for img in pulls]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            for image in pulls:
                r = results[image]
                if not r.ok:
                    log_block(r.output)
                    raise AgentError(ex.REGISTRY, f"could not pull {image} for service {', '.join(wanted[image])}")
        finally:
            shutil.rmtree(config_dir, ignore_errors=True)
        log(f"images: {len(pulls)} pulled, {have} already on this host; registry credential removed")

    def require_local_images(self, m: Manifest) -> None:
        present = self.host.local_digest_refs()
        for s in m.services:
            if s.image not in present and not self.host.run(c.image_id(s.image)).ok:
                raise AgentError(ex.REGISTRY, f"image {s.image} of service {s.name} is no longer on this host; apply that release again instead of rolling back")

    # ------------------------------------------------------------------ slots

    def stop_slot(self, slot: str) -> None:
        """Stops a slot gracefully and KEEPS its containers: a rollback starts them again with
        `docker start`, no pull and no create. Public services first; internal ones after the
        public ones have exited, so an in-flight request can still reach them."""
        cs = [x for x in self.host.slot_containers(slot) if x.status in ("running", "restarting", "paused")]
        front = [x.id for x in cs if x.host_ports]
        back = [x.id for x in cs if not x.host_ports]
        for group in (front, back):
            if group:
                r = self.host.run(c.stop(group, self.config.stop_timeout))
                if not r.ok:
                    log(f"warning: could not stop every container of slot {slot}: {r.output[:300]}")
        if cs:
            log(f"slot {slot} stopped ({len(cs)} container(s) kept for a fast rollback)")

    def remove_slot(self, slot: str) -> None:
        """Stops (gracefully) and removes every container and network of a slot."""
        cs = self.host.slot_containers(slot)
        if any(x.status in ("running", "restarting", "paused") for x in cs):
            self.stop_slot(slot)
        if cs:
            r = self.host.run(c.rm([x.id for x in cs]))
            if not r.ok:
                log(f"warning: could not remove every container of slot {slot}: {r.output[:300]}")
        for net in self.host.project_networks(c.slot_project(slot)):
            for member in self.host.network_members(net) or []:
                self.host.run(c.network_disconnect(net, member))
            self.host.run(c.network_rm([net]))

    def connect_accessories(self, m: Manifest, slot: str) -> None:
        """Joins every running accessory to the slot's networks the operator put it on, under its
        name and aliases: an app service reaches it only within its own slot."""
        acc = [x for x in self.host.containers(c.ACCESSORY_PROJECT) if x.running and not x.oneoff]
        for a in m.accessories:
            ids = [x.id for x in acc if x.service == a.name]
            if not ids:
                continue
            for net, aliases in a.networks.items():
                name = f"{c.slot_project(slot)}_{net}"
                members = self.host.network_members(name)
                if members is None or ids[0] in members:
                    continue
                r = self.host.run(c.network_connect(name, ids[0], [a.name, *aliases]))
                if not r.ok:
                    raise AgentError(ex.FAIL, f"could not connect accessory {a.name} to the network {name} of slot {slot}: {r.output[:200]}")

    def health_timeout(self, m: Manifest) -> int:
        return self.config.health_timeout or m.health_timeout_seconds

    def gate(self, m: Manifest, project: str, specs: Sequence[plan.GateSpec], timeout: int) -> None:
        """Waits until every spec is ready (plan.gate); a failure names the service, shows its logs."""
        log(f"waiting up to {timeout} s for {len(specs)} service(s) in {project} to be healthy")
        deadline = time.monotonic() + timeout
        last_report = time.monotonic()
        reported: set[str] = set()
        while True:
            cs = self.host.containers(project)
            probes: dict[str, int | None] = {}
            for s in specs:
                if s.host_port is not None and s.health_path is not None and any(x.service == s.name and x.running for x in cs):
                    probes[s.name] = probe(s.host_port, s.health_path, s.host_ip)
            v = plan.gate(specs, cs, probes)
            for name in sorted(v.ready - reported):
                spec = next(s for s in specs if s.name == name)
                log(f"service {name} is ready" + (f" ({spec.host_ip}:{spec.host_port}{spec.health_path or ''} 2xx)" if spec.host_port else ""))
            reported |= v.ready
            if v.failure is not None:
                f = v.failure
                cont = next((x for x in cs if x.id == f.container), None)
                reason = f.reason
                if cont is not None:
                    if f.crashed and cont.running:
                        reason = reason.replace(f"code {cont.exit_code}", f"code {self.host.last_exit_code(cont)}")
                    if cont.health_log and not f.crashed:
                        log(f"health check output of {f.service}:")
                        log_block("\n".join(cont.health_log))
                    self.host.logs(cont.id, f.service)
                raise AgentError(ex.HEALTH, reason)
            if v.done:
                return
            now = time.monotonic()
            if now >= deadline:
                first = next(iter(v.waiting))
                cont = next((x for x in cs if x.service == first), None)
                if cont is not None:
                    self.host.logs(cont.id, first)
                waiting = ", ".join(f"{n} ({why})" for n, why in v.waiting.items())
                raise AgentError(ex.HEALTH, f"timed out after {timeout} s waiting for service {waiting}")
            if now - last_report >= 10:
                log("still waiting for: " + ", ".join(f"{n} ({why})" for n, why in v.waiting.items()))
                last_report = now
            time.sleep(0.2)

    def compose_env(self, m: Manifest, slot: str) -> dict[str, str]:
        env = c.slot_env(plan.slot_ports(m, slot))
        if m.traffic is not None:
            env["LIFTOFF_LOOPBACK"] = m.traffic.loopback[slot]
        return env

    def start_slot(self, m: Manifest, rel: Path, slot: str, run_jobs: bool) -> None:
        """Creates the slot (networks, containers), joins the accessories, runs the
        before-release jobs, starts it and waits for every service to be ready."""
        project, file, env = c.slot_project(slot), str(rel / "compose.yaml"), self.compose_env(m, slot)
        r = self.host.run(c.compose_create(project, file), env=env)
        if not r.ok:
            log_block("\n".join(r.output.splitlines()[-15:]))
            raise AgentError(ex.HEALTH, f"compose could not create the release in slot {slot}")
        self.connect_accessories(m, slot)
        if run_jobs and any(j.phase == "before-release" for j in m.jobs):
            failed = self.run_jobs(m, rel, slot, "before-release")
            if failed:
                raise AgentError(ex.JOB, f"{failed}; the release was not started")
            self.timings.mark("jobs")
        log(f"starting release {short(m.id)} in slot {slot} (project {project})")
        r = self.host.run(c.compose_up(project, file), env=env)
        if not r.ok:
            log_block("\n".join(r.output.splitlines()[-15:]))
            raise AgentError(ex.HEALTH, f"compose could not start the release in slot {slot}")
        self.timings.mark("start")
        self.gate(m, project, plan.gate_specs(m, slot), self.health_timeout(m))
        self.timings.mark("health")

    def start_stopped_or_fresh(self, m: Manifest, rel: Path, slot: str) -> bool:
        """Starts a slot's kept containers of this release with `docker start` (a rollback after
        the bake: no pull, no create); falls back to creating them. True when the kept ones served."""
        cs = [x for x in self.host.slot_containers(slot) if not x.oneoff]
        names = {s.name for s in m.services}
        kept = [x for x in cs if x.service in names and plan.release_of(x) == m.id]
        if kept and {x.service for x in kept} == names and len(kept) == len(cs):
            log(f"starting the kept containers of release {short(m.id)} in slot {slot} (docker start)")
            r = self.host.run(c.start([x.id for x in kept if not x.running]))
            if r.ok:
                self.connect_accessories(m, slot)
                try:
                    self.gate(m, c.slot_project(slot), plan.gate_specs(m, slot), self.health_timeout(m))
                    return True
                except AgentError as e:
                    log(f"the kept containers did not become ready ({e.message}): recreating the slot")
            else:
                log(f"docker start failed ({r.output[:200]}): recreating the slot")
        if cs:
            # Kept containers that failed to come back never served: no graceful stop needed.
            self.host.run(c.rm([x.id for x in cs]))
            self.remove_slot(slot)
        self.timings.mark("clean-slot")
        self.start_slot(m, rel, slot, run_jobs=False)
        return False

    def run_jobs(self, m: Manifest, rel: Path, slot: str, phase: str) -> str | None:
        """Runs the phase's jobs one after the other in the slot's project; the reason of the first
        failure, or None."""
        project, file, env = c.slot_project(slot), str(rel / "compose.yaml"), self.compose_env(m, slot)
        for j in m.jobs:
            if j.phase != phase:
                continue
            log(f"running the {phase} job {j.name} in slot {slot} (timeout {j.timeout_seconds} s)")
            r = self.host.run(c.compose_run_job(project, file, j.name), env=env)
            ids = [line for line in r.stdout.split() if len(line) >= 12 and all(ch in "0123456789abcdef" for ch in line)]
            if not r.ok or not ids:
                log_block("\n".join(r.output.splitlines()[-15:]))
                return f"the {phase} job {j.name} could not be started"
            cid = ids[-1]
            deadline = time.monotonic() + j.timeout_seconds
            status, code = "running", "-"
            while True:
                s = self.host.run(["docker", "inspect", "--format", "{{.State.Status}} {{.State.ExitCode}}", cid])
                status, code = (s.stdout.split() + ["vanished", "-"])[:2] if s.ok else ("vanished", "-")
                if status in ("exited", "dead", "vanished"):
                    break
                if time.monotonic() >= deadline:
                    self.host.run(c.stop([cid], 10))
                    self.host.logs(cid, f"job {j.name}")
                    self.host.run(c.rm([cid]))
                    return f"the {phase} job {j.name} did not finish within {j.timeout_seconds} s"
                time.sleep(0.5)
            if (status, code) != ("exited", "0"):
                self.host.logs(cid, f"job {j.name}")
                self.host.run(c.rm([cid]))
                return f"the {phase} job {j.name} failed: it exited with code {code} ({status})"
            self.host.run(c.rm([cid]))
            log(f"job {j.name} completed")
        return None

    # ------------------------------------------------------------------ accessories

    def ensure_accessory_network(self) -> None:
        r = self.host.run(c.network_internal(c.ACCESSORY_NETWORK))
        if r.ok:
            if r.stdout.strip() != "true":
                raise AgentError(ex.FAIL, f"network {c.ACCESSORY_NETWORK} exists but is not internal: service names of the two slots would resolve across slots; remove it (docker network rm {c.ACCESSORY_NETWORK}) once no container uses it, and apply again")
            return
        if not self.host.run(c.network_create_internal(c.ACCESSORY_NETWORK)).ok:
            raise AgentError(ex.FAIL, f"could not create the docker network {c.ACCESSORY_NETWORK}")

    def converge_accessories(self, m: Manifest, rel: Path, slots: Sequence[str], force: Sequence[str] = ()) -> list[str]:
        """(Re)creates the accessories whose definition differs from the last applied one, that
        are not running, or that `force` names, in place (named volumes kept); waits for them;
        joins the recreated ones to the given slots' networks again. Returns their names."""
        if not m.accessories:
            return []
        running = [x.service for x in self.host.containers(c.ACCESSORY_PROJECT) if x.running and x.health != "unhealthy"]
        applied = {a.name: self.state.accessory_hash(a.name) for a in m.accessories}
        todo = plan.accessories_to_update(m, applied, running)
        todo += [(n, "unhealthy or restarted: recreating it") for n in force if n not in {t[0] for t in todo}]
        for name in self.state.accessory_names():
            if name not in {a.name for a in m.accessories}:
                log(f"note: accessory {name} is not in release {short(m.id)}; it is left running and its volumes are kept")
        if not todo:
            log(f"accessories unchanged: {len(m.accessories)} left as they are")
            return []
        for name, why in todo:
            log(f"accessory {name}: {why}")
        names = [n for n, _ in todo]
        forced = set(force)
        for group, recreate in (([n for n in names if n not in forced], False), ([n for n in names if n in forced], True)):
            if not group:
                continue
            r = self.host.run(c.compose_up_services(c.ACCESSORY_PROJECT, str(rel / "accessories.yaml"), group, recreate=recreate))
            if not r.ok:
                log_block("\n".join(r.output.splitlines()[-15:]))
                raise AgentError(ex.HEALTH, f"could not start accessory {', '.join(group)}")
        self.gate(m, c.ACCESSORY_PROJECT, [plan.GateSpec(n, None, None) for n in names], self.health_timeout(m))
        for a in m.accessories:
            if a.name in names:
                self.state.set_accessory(a.name, a.definition_hash, m.id)
        for slot in slots:
            self.connect_accessories(m, slot)
        return names

    # ------------------------------------------------------------------ proxy

    def install_proxy(self, rel: Path) -> bool:
        """Installs the release's Caddyfile as the proxy file and reloads Caddy, only when it
        differs (a reload resets some keep-alive connections). True when it reloaded."""
        candidate = rel / "Caddyfile"
        pf = self.paths.proxy_file
        if pf.is_file() and pf.read_bytes() == candidate.read_bytes():
            log("proxy config unchanged: no reload")
            return False
        log("proxy config changed: validating")
        check = Path(tempfile.mkdtemp(prefix="caddy-check.", dir=self.paths.tmp))
        try:
            (check / "Caddyfile").write_text(f"{{\n\tadmin off\n}}\nimport {candidate}\n")
            r = self.host.run(c.caddy_validate(str(check / "Caddyfile")))
        finally:
            shutil.rmtree(check, ignore_errors=True)
        if not r.ok:
            log_block("\n".join(line for line in r.output.splitlines() if '"level":"info"' not in line)[-1500:])
            raise AgentError(ex.PROXY, "the release's proxy config (Caddyfile) was rejected by caddy validate")
        backup = pf.read_bytes() if pf.is_file() else None
        tmp = pf.with_name(pf.name + ".new")
        tmp.write_bytes(candidate.read_bytes())
        os.chmod(tmp, 0o644)
        os.replace(tmp, pf)
        r = self.host.run(c.caddy_validate(str(self.config.proxy_entry)))
        if r.ok:
            r = self.host.run(c.caddy_reload(str(self.config.proxy_entry), self.config.caddy_admin))
        if not r.ok:
            if backup is None:
                pf.unlink(missing_ok=True)
            else:
                pf.write_bytes(backup)
            log_block("\n".join(line for line in r.output.splitlines() if '"level":"info"' not in line)[-1500:])
            raise AgentError(ex.PROXY, f"Caddy rejected the new proxy config ({self.config.proxy_entry} with the release's Caddyfile); the previous one is restored")
        log(f"proxy config installed in {pf} and Caddy reloaded")
        return True

    # ------------------------------------------------------------------ switch, bake, finish

    def go_live(self, m: Manifest, rel: Path, target: str, old_slot: str | None, bake: bool, old_lanes: int | None = None) -> BakeResult:
        """Moves traffic to the target slot step by step (canary), watching after each step, then
        bakes at 100 %. The old slot keeps running throughout: switching back is one decision.
        ``old_lanes``: the lanes the old slot's release publishes (its manifest's traffic.lanes);
        only those of its gates are opened."""
        if old_slot is not None and m.traffic is not None and old_lanes is not None and old_lanes < m.traffic.lanes:
            log(f"note: slot {old_slot} publishes {old_lanes} of this release's {m.traffic.lanes} lanes (an older release): only those are opened")
            m = replace(m, traffic=with_published(m.traffic, old_slot, old_lanes))
        sw = self.switch_factory(rel, m)
        steps = plan.traffic_steps(m.release.canary.steps, m.release.canary.step_seconds, m.release.bake_seconds) if bake and old_slot else [(100, 0)]
        for pct, seconds in steps:
            shares = shares_for(target, pct) if old_slot else {target: 100}
            if m.traffic is not None and 0 < pct < 100:
                got = planned_percent(m.traffic, shares, target)
                if abs(got - pct) > CANARY_TOLERANCE:
                    log(f"note: canary step {pct} % sends {got:g} %: slot {old_slot} publishes too few lanes for it (its release predates equal lanes); the next release's canary is exact")
            sw.send(m, shares)
            if self.config.drain_seconds is not None:
                time.sleep(self.config.drain_seconds)
            else:
                sw.wait_seen(m, shares, 10)
            log(f"traffic: {describe_shares(shares)}")
            if pct == 100:
                problems = sw.verify(m, target)
                if problems:
                    return BakeResult(False, "verify through the proxy: " + "; ".join(problems))
                self.timings.mark("switch")
            if seconds > 0:
                log(f"watching slot {target} for {seconds} s" + (" (bake)" if pct == 100 else f" at {pct} %"))
                result = self.watch.watch(m, target, seconds, pct)
                if not result.ok:
                    return result
                self.timings.mark("bake" if pct == 100 else f"canary-{pct}")
        return BakeResult(True, "")

    def switch_back(self, m_old: Manifest | None, rel_old: Path | None, old_slot: str, target: str) -> None:
        if m_old is None or rel_old is None:
            return
        sw = self.switch_factory(rel_old, m_old)
        shares = {old_slot: 100, target: 0}
        sw.send(m_old, shares)
        sw.wait_seen(m_old, shares, 10)
        log(f"traffic: back to slot {old_slot}")

    def finish_in_background(self, old_slot: str | None, m: Manifest, protected: set[str]) -> None:
        """After the outcome is recorded: stop the old slot (containers kept), prune. The journal
        says "finishing" until this is done; a killed finish is completed by the next run."""
        if old_slot is not None:
            self.stop_slot(old_slot)
            self.timings.mark("stop-old")
        self.prune(m.keep_releases, protected)
        self.set_journal(None)

    def prune(self, keep: int, protected: set[str]) -> None:
        dirs = [p for p in self.paths.releases.iterdir() if p.is_dir() and len(p.name) == 64]
        dirs.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        cur, prev = self.state.current(), self.state.previous()
        protect = protected | self.state.accessory_releases() | {x.release for x in (cur, prev) if x is not None}
        remove = plan.prune_choice([p.name for p in dirs], keep, protect)
        removed_images: set[str] = set()
        for rid in remove:
            d = self.paths.release_dir(rid)
            try:
                removed_images |= set(load_manifest(d).images())
            except AgentError:
                pass
            shutil.rmtree(d, ignore_errors=True)
            log(f"pruned release {short(rid)}")
        for leftover in self.paths.releases.glob(".incoming.*"):
            shutil.rmtree(leftover, ignore_errors=True)
        if not removed_images:
            return
        kept_images: set[str] = set()
        for p in self.paths.releases.iterdir():
            try:
                kept_images |= set(load_manifest(p).images())
            except (AgentError, OSError):
                pass
        keep_ids = {self.host.run(c.image_id(ref)).stdout.strip() for ref in kept_images}
        keep_ids |= {x.image for x in self.host.containers()}
        for ref in sorted(removed_images - kept_images):
            iid = self.host.run(c.image_id(ref)).stdout.strip()
            if iid and iid not in keep_ids and self.host.run(c.image_rm(ref)).ok:
                log(f"removed image {ref}")

    def cleanup_tmp(self) -> None:
        """Leftovers of killed runs: registry credentials, proxy checks, release copies."""
        for pattern in ("docker-config.*", "caddy-check.*", "run-*"):
            for p in self.paths.tmp.glob(pattern):
                if p.name != f"run-{self.run_id}":
                    shutil.rmtree(p, ignore_errors=True)


def secure_release(d: Path, m: Manifest) -> None:
    """0700 directory, env files 0600 in 0700 env/; shipped files get the manifest's modes."""
    os.chmod(d, 0o700)
    env = d / "env"
    if env.is_dir():
        os.chmod(env, 0o700)
        for f in env.iterdir():
            os.chmod(f, 0o600)
    for a in m.assets:
        parts = a.path.split("/")
        for i in range(1, len(parts)):
            os.chmod(d.joinpath(*parts[:i]), 0o700 if parts[0] == "secrets" else 0o755)
        os.chmod(d / a.path, 0o600 if a.secret else a.mode)
