"""Release directories and manifests for the tests, written to the contract (README.md)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from liftoff_release.manifest import release_id

GOLDEN = Path(__file__).resolve().parents[2] / "testdata" / "golden-release"


CADDYFILE = """https://shop.example.org:443 {
\tlog {
\t\toutput net udp/127.0.0.1:19900
\t\tformat json
\t}
\treverse_proxy 127.77.1.1:20001 127.77.1.2:20001 127.77.2.1:20002 127.77.2.2:20002 {
\t\tlb_policy round_robin
\t\thealth_uri /liftoff-gate
\t\thealth_port 19999
\t\thealth_interval 250ms
\t}
}

http://:19999 {
\tbind 127.77.1.1 127.77.1.2 127.77.2.1 127.77.2.2
\troot * /srv/liftoff/gates
\trewrite * /{http.request.host}
\tfile_server
}
"""


def manifest_doc(**over: Any) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "format": 3,
        "id": "0" * 64,
        "project": "shop",
        "environment": "dev",
        "registry": {"server": "ghcr.io", "username": "octo"},
        "services": [
            {"name": "api-gateway", "image": "ghcr.io/octo/api@sha256:" + "a" * 64, "healthPath": "/healthz",
             "public": {"address": "https://shop.example.org:443", "containerPort": 8080, "slotPorts": {"blue": 20001, "green": 20002},
                        "upstreams": {"blue": ["127.77.1.1:20001", "127.77.1.2:20001"], "green": ["127.77.2.1:20002", "127.77.2.2:20002"]},
                        "accessLog": "udp/127.0.0.1:19900"}},
            {"name": "orders", "image": "ghcr.io/octo/orders@sha256:" + "b" * 64, "healthPath": None, "public": None},
        ],
        "jobs": [{"name": "migrate", "image": "ghcr.io/octo/orders@sha256:" + "b" * 64, "phase": "before-release", "timeoutSeconds": 60}],
        "accessories": [{"name": "broker", "image": "ghcr.io/octo/broker@sha256:" + "c" * 64, "definitionHash": "d" * 64, "networks": {"default": []}}],
        "assets": [],
        "healthTimeoutSeconds": 90,
        "keepReleases": 5,
        "release": {"bakeSeconds": 30, "canary": {"steps": [50, 100], "stepSeconds": 5}, "maxErrorRate": 0.01, "minRequests": 20},
        "traffic": {"lanes": 2, "gatePort": 19999, "gateRoot": "/srv/liftoff/gates", "loopback": {"blue": "127.77.1", "green": "127.77.2"},
                    "healthInterval": 0.25, "bind": None},
    }
    doc.update(over)
    return doc


def write_release(d: Path, doc: dict[str, Any] | None = None) -> str:
    """Writes a release directory and stamps its id (manifest with 64 zeros, hash, write again)."""
    doc = dict(doc or manifest_doc())
    d.mkdir(parents=True, exist_ok=True)
    (d / "env").mkdir(exist_ok=True)
    for entry in doc["services"] + doc.get("jobs", []):
        (d / "env" / f"{entry['name']}.env").write_text('A="1"\n')
    (d / "compose.yaml").write_text("services: {}\n")
    (d / "Caddyfile").write_text(CADDYFILE)
    if doc.get("accessories"):
        (d / "accessories.yaml").write_text("services: {}\n")
    doc["id"] = "0" * 64
    (d / "manifest.json").write_text(json.dumps(doc))
    rid = release_id(d, "0" * 64)
    doc["id"] = rid
    (d / "manifest.json").write_text(json.dumps(doc))
    return rid
