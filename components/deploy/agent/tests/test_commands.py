"""Golden token lists: every docker / compose / caddy call the agent makes, exactly."""

from __future__ import annotations

from liftoff_release import commands as c


def test_compose_calls() -> None:
    f = "/srv/liftoff/releases/" + "a" * 64 + "/compose.yaml"
    assert c.compose_create("liftoff-blue", f) == ["docker", "compose", "-p", "liftoff-blue", "-f", f, "up", "--no-start", "--remove-orphans"]
    assert c.compose_up("liftoff-green", f) == ["docker", "compose", "-p", "liftoff-green", "-f", f, "up", "-d", "--remove-orphans"]
    assert c.compose_up_services("liftoff-accessories", "/r/accessories.yaml", ["broker"]) == [
        "docker", "compose", "-p", "liftoff-accessories", "-f", "/r/accessories.yaml", "up", "-d", "--no-deps", "broker"]
    assert c.compose_up_services("liftoff-blue", f, ["orders", "api"], recreate=True) == [
        "docker", "compose", "-p", "liftoff-blue", "-f", f, "up", "-d", "--no-deps", "--force-recreate", "orders", "api"]
    assert c.compose_run_job("liftoff-blue", f, "migrate") == ["docker", "compose", "-p", "liftoff-blue", "-f", f, "run", "-d", "--no-deps", "migrate"]
    assert c.compose_version() == ["docker", "compose", "version", "--short"]


def test_registry_calls_carry_no_secret() -> None:
    assert c.docker_login("/srv/liftoff/tmp/docker-config.x", "ghcr.io", "octo") == [
        "docker", "--config", "/srv/liftoff/tmp/docker-config.x", "login", "--username", "octo", "--password-stdin", "ghcr.io"]
    assert c.docker_pull("/t/d", "ghcr.io/o/a@sha256:" + "1" * 64) == ["docker", "--config", "/t/d", "pull", "--quiet", "ghcr.io/o/a@sha256:" + "1" * 64]


def test_container_calls() -> None:
    assert c.ps_ids("liftoff-blue") == ["docker", "ps", "-a", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project=liftoff-blue"]
    assert c.ps_ids() == ["docker", "ps", "-a", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project"]
    assert c.ps_ids("liftoff-accessories", service="broker", running=True) == [
        "docker", "ps", "-q", "--no-trunc", "--filter", "label=com.docker.compose.project=liftoff-accessories", "--filter", "label=com.docker.compose.service=broker"]
    assert c.stop(["a", "b"]) == ["docker", "stop", "a", "b"]
    assert c.stop(["a"], 5) == ["docker", "stop", "--time", "5", "a"]
    assert c.start(["a", "b"]) == ["docker", "start", "a", "b"]
    assert c.rm(["a"]) == ["docker", "rm", "--force", "a"]
    assert c.logs_tail("abc") == ["docker", "logs", "--tail", "20", "abc"]


def test_network_calls() -> None:
    assert c.network_connect("liftoff-blue_back", "cid", ["broker", "queue"]) == [
        "docker", "network", "connect", "--alias", "broker", "--alias", "queue", "liftoff-blue_back", "cid"]
    assert c.network_create_internal("liftoff-accessories") == [
        "docker", "network", "create", "--internal", "--label", "io.liftoff.network=accessories", "liftoff-accessories"]
    assert c.network_disconnect("n", "cid") == ["docker", "network", "disconnect", "--force", "n", "cid"]


def test_caddy_calls() -> None:
    assert c.caddy_validate("/etc/caddy/Caddyfile") == ["caddy", "validate", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile"]
    assert c.caddy_reload("/etc/caddy/Caddyfile", "127.0.0.1:2019") == [
        "caddy", "reload", "--config", "/etc/caddy/Caddyfile", "--adapter", "caddyfile", "--address", "127.0.0.1:2019"]
    assert c.caddy_reload("/e", None) == ["caddy", "reload", "--config", "/e", "--adapter", "caddyfile"]


def test_slot_env() -> None:
    assert c.slot_env({"LIFTOFF_PORT_B": 2, "LIFTOFF_PORT_A": 1}) == {"LIFTOFF_PORT_A": "1", "LIFTOFF_PORT_B": "2"}
