"""status and history: what runs, and what was done (stdout carries only their data)."""

from __future__ import annotations

import json
from dataclasses import asdict
from typing import Any

from . import commands as c
from .host import Host
from .plan import Container
from .state import State


def _row(x: Container) -> dict[str, Any]:
    return {"service": x.service, "container": x.id[:12], "image": x.image, "state": x.status, "health": x.health,
            "restarts": x.restarts, "ports": [f"127.0.0.1:{p}" for p in x.host_ports]}


def status_doc(state: State, containers: list[Container]) -> dict[str, Any]:
    cur, prev = state.current(), state.previous()
    slots: dict[str, list[dict[str, Any]]] = {"blue": [], "green": []}
    accessories: list[dict[str, Any]] = []
    for x in containers:
        if x.oneoff:
            continue
        if x.project in ("liftoff-blue", "liftoff-green"):
            slots[x.project.removeprefix("liftoff-")].append(_row(x))
        elif x.project == c.ACCESSORY_PROJECT:
            accessories.append({**_row(x), "definitionHash": state.accessory_hash(x.service)})
    for rows in [*slots.values(), accessories]:
        rows.sort(key=lambda r: str(r["service"]))
    journal = state.journal()
    return {
        "live": {"release": cur.release, "slot": cur.slot} if cur else None,
        "previous": {"release": prev.release, "slot": prev.slot} if prev else None,
        "proxyFile": str(state.paths.proxy_file) if state.paths.proxy_file.is_file() else None,
        "slots": slots,
        "accessories": accessories,
        "unfinished": asdict(journal) if journal else None,
    }


def status_text(doc: dict[str, Any]) -> str:
    live, prev = doc["live"], doc["previous"]
    lines = [f"live release:   {live['release']} (slot {live['slot']})" if live else "live release:   none",
             f"previous:       {prev['release'] if prev else 'none'}"]
    if doc["unfinished"]:
        u = doc["unfinished"]
        lines.append(f"unfinished run: {u['run']} ({u['action']} of {u['release'][:12]}, phase {u['phase']})")
    for slot in ("blue", "green"):
        tag = " (live)" if live and live["slot"] == slot else ""
        rows = doc["slots"][slot]
        lines.append(f"slot {slot}{tag}: {'' if rows else 'no containers'}")
        for r in rows:
            lines.append(f"  {r['service']:<20} {r['state']:<10} {r['health']:<10} restarts={r['restarts']:<3} {' '.join(r['ports'])} {r['image']}")
    lines.append(f"accessories: {'' if doc['accessories'] else 'none'}")
    for r in doc["accessories"]:
        lines.append(f"  {r['service']:<20} {r['state']:<10} {r['health']:<10} restarts={r['restarts']:<3} definition {(r['definitionHash'] or '?')[:12]} {r['image']}")
    return "\n".join(lines)


def status(state: State, host: Host, as_json: bool) -> str:
    doc = status_doc(state, host.containers())
    return json.dumps(doc, indent=2) if as_json else status_text(doc)


def history_text(entries: list[dict[str, Any]]) -> str:
    out: list[str] = []
    for e in entries:
        who = str(e.get("user") or "?") + (f"@{e['client']}" if e.get("client") else "")
        out.append(f"{e.get('time', '?'):<25} {e.get('action', '?'):<9} {str(e.get('release') or '-')[:12]:<12} {e.get('slot') or '-':<6} "
                   f"{e.get('result', '?'):<10} {str(e.get('seconds', '?')):>6}s  {who:<24} {e.get('message', '')}")
    return "\n".join(out)
