from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from helpers import GOLDEN, manifest_doc, write_release
from liftoff_release.errors import AgentError
from liftoff_release.manifest import HPATH, health_interval_seconds, load, parse

RULES_TS = Path(__file__).resolve().parents[2] / "rules.ts"


def test_the_renderers_golden_release_has_the_id_the_agent_computes() -> None:
    m = load(GOLDEN)
    assert m.id == json.loads((GOLDEN / "manifest.json").read_text())["id"]
    assert [s.name for s in m.services]


def test_health_path_pattern_is_the_renderers() -> None:
    ts = re.search(r"HEALTH_PATH_PATTERN = String\.raw`(.*)`;", RULES_TS.read_text())
    assert ts is not None
    assert HPATH.pattern == ts.group(1)


def test_a_written_release_loads_with_its_settings(tmp_path: Path) -> None:
    rid = write_release(tmp_path / "r")
    m = load(tmp_path / "r")
    assert m.id == rid
    assert m.release.bake_seconds == 30
    assert m.release.canary.steps == (50, 100)
    assert m.traffic is not None and m.traffic.lanes == 2
    assert m.services[0].port_var() == "LIFTOFF_PORT_API_GATEWAY"
    assert m.images()["ghcr.io/octo/orders@sha256:" + "b" * 64] == ["orders", "migrate"]


def test_an_edited_file_changes_the_id(tmp_path: Path) -> None:
    write_release(tmp_path / "r")
    (tmp_path / "r" / "env" / "orders.env").write_text('A="2"\n')
    with pytest.raises(AgentError, match="release id mismatch") as e:
        load(tmp_path / "r")
    assert e.value.code == 3


def test_an_extra_file_changes_the_id(tmp_path: Path) -> None:
    write_release(tmp_path / "r")
    (tmp_path / "r" / "stray").write_text("x")
    with pytest.raises(AgentError, match="release id mismatch"):
        load(tmp_path / "r")


def test_format_2_reads_as_no_bake_and_one_step() -> None:
    doc = manifest_doc(format=2)
    del doc["release"], doc["traffic"]
    m = parse(doc)
    assert (m.release.bake_seconds, m.release.canary.steps) == (0, (100,))


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ({"format": 4}, "unsupported manifest format 4"),
        ({"keepReleases": 1}, "keepReleases must be an integer from 2 to 100"),
        ({"release": {"bakeSeconds": 3601}}, "release.bakeSeconds must be an integer from 0 to 3600"),
        ({"release": {"bakeSeconds": 0, "canary": {"steps": [50, 10, 100], "stepSeconds": 1}}}, "ascending percentages ending with 100"),
        ({"release": {"bakeSeconds": 0, "canary": {"steps": [10, 50], "stepSeconds": 1}}}, "ascending percentages ending with 100"),
        ({"release": {"bakeSeconds": 0, "maxErrorRate": 2}}, "release.maxErrorRate must be a number from 0 to 1"),
        ({"registry": {"server": "gh cr.io", "username": "x"}}, "registry.server is missing or malformed"),
        ({"jobs": [{"name": "m", "image": "x:1", "phase": "during", "timeoutSeconds": 1}]}, r"jobs\[m\].phase must be"),
        ({"assets": [{"path": "../etc/passwd", "mode": 420}]}, "normalized path under app/"),
        ({"assets": [{"path": "secrets/x", "mode": 420, "secret": True}]}, "secret but not mode 0600"),
    ],
)
def test_invalid_manifests_are_refused_with_exit_3_naming_the_field(edit: dict[str, Any], message: str) -> None:
    with pytest.raises(AgentError, match=message) as e:
        parse(manifest_doc(**edit))
    assert e.value.code == 3


def test_slot_ports_and_names_are_unique() -> None:
    doc = manifest_doc()
    doc["services"][1] = {**doc["services"][0], "name": "other"}
    with pytest.raises(AgentError, match="slot port 20001 is used twice"):
        parse(doc)
    doc = manifest_doc()
    doc["jobs"][0]["name"] = "orders"
    with pytest.raises(AgentError, match="the name orders is used twice"):
        parse(doc)


def test_a_caddyfile_that_does_not_match_the_manifest_is_refused(tmp_path: Path) -> None:
    write_release(tmp_path / "r")
    caddyfile = (tmp_path / "r" / "Caddyfile").read_text().replace("127.77.2.2:20002", "127.77.2.2:29999")
    doc = json.loads((tmp_path / "r" / "manifest.json").read_text())
    (tmp_path / "r" / "Caddyfile").write_text(caddyfile)
    write_release(tmp_path / "r", doc)  # restamp the id with the edited Caddyfile kept
    (tmp_path / "r" / "Caddyfile").write_text(caddyfile)
    doc["id"] = "0" * 64
    (tmp_path / "r" / "manifest.json").write_text(json.dumps(doc))
    from liftoff_release.manifest import release_id

    doc["id"] = release_id(tmp_path / "r", "0" * 64)
    (tmp_path / "r" / "manifest.json").write_text(json.dumps(doc))
    with pytest.raises(AgentError, match="the Caddyfile does not match the manifest") as e:
        load(tmp_path / "r")
    assert e.value.code == 3


def test_format_3_without_traffic_fields_is_refused() -> None:
    doc = manifest_doc()
    del doc["traffic"]
    with pytest.raises(AgentError, match="traffic: missing"):
        parse(doc)


def test_health_interval_is_the_largest_in_the_caddyfile() -> None:
    assert health_interval_seconds("a {\n health_interval 500ms\n}\nb {\n\thealth_interval 2s\n}\n") == 2.0
    assert health_interval_seconds("a {\n}\n") == 0.0
