"""PURE builders of the docker / docker compose / caddy calls the agent makes, as token lists.

Nothing here runs anything: the edge (host.py) executes the lists. Each builder is golden-tested
as an exact list (tests/test_commands.py), Kamal style. No secret is ever a token: the registry
token reaches `docker login` on stdin.
"""

from __future__ import annotations

from collections.abc import Sequence

PROJECT_LABEL = "com.docker.compose.project"
SERVICE_LABEL = "com.docker.compose.service"
ONEOFF_LABEL = "com.docker.compose.oneoff"
CONFIG_FILES_LABEL = "com.docker.compose.project.config_files"
ACCESSORY_PROJECT = "liftoff-accessories"
ACCESSORY_NETWORK = "liftoff-accessories"

Cmd = list[str]


def slot_project(slot: str) -> str:
    return f"liftoff-{slot}"


def compose(project: str, file: str, *args: str) -> Cmd:
    return ["docker", "compose", "-p", project, "-f", file, *args]


def compose_version() -> Cmd:
    return ["docker", "compose", "version", "--short"]


def compose_create(project: str, file: str) -> Cmd:
    """Creates a slot's networks and containers without starting them (accessories join first)."""
    return compose(project, file, "up", "--no-start", "--remove-orphans")


def compose_up(project: str, file: str) -> Cmd:
    return compose(project, file, "up", "-d", "--remove-orphans")


def compose_up_services(project: str, file: str, services: Sequence[str], *, recreate: bool = False) -> Cmd:
    return compose(project, file, "up", "-d", "--no-deps", *(["--force-recreate"] if recreate else []), *services)


def compose_run_job(project: str, file: str, job: str) -> Cmd:
    return compose(project, file, "run", "-d", "--no-deps", job)


def docker_login(config_dir: str, server: str, username: str) -> Cmd:
    return ["docker", "--config", config_dir, "login", "--username", username, "--password-stdin", server]


def docker_pull(config_dir: str, image: str) -> Cmd:
    return ["docker", "--config", config_dir, "pull", "--quiet", image]


def images_by_digest() -> Cmd:
    return ["docker", "images", "--digests", "--format", "{{.Repository}}@{{.Digest}}"]


def image_id(ref: str) -> Cmd:
    return ["docker", "image", "inspect", "--format", "{{.Id}}", ref]


def image_rm(ref: str) -> Cmd:
    return ["docker", "image", "rm", ref]


def ps_ids(project: str | None = None, *, service: str | None = None, running: bool = False) -> Cmd:
    cmd = ["docker", "ps", "-q", "--no-trunc"]
    if not running:
        cmd.insert(2, "-a")
    cmd += ["--filter", f"label={PROJECT_LABEL}" + (f"={project}" if project else "")]
    if service:
        cmd += ["--filter", f"label={SERVICE_LABEL}={service}"]
    return cmd


def inspect(ids: Sequence[str]) -> Cmd:
    return ["docker", "inspect", *ids]


def logs_tail(container: str, lines: int = 20) -> Cmd:
    return ["docker", "logs", "--tail", str(lines), container]


def stop(containers: Sequence[str], timeout: int | None = None) -> Cmd:
    return ["docker", "stop", *(["--time", str(timeout)] if timeout is not None else []), *containers]


def start(containers: Sequence[str]) -> Cmd:
    return ["docker", "start", *containers]


def rm(containers: Sequence[str]) -> Cmd:
    return ["docker", "rm", "--force", *containers]


def network_ids(project: str) -> Cmd:
    return ["docker", "network", "ls", "-q", "--filter", f"label={PROJECT_LABEL}={project}"]


def network_members(network: str) -> Cmd:
    return ["docker", "network", "inspect", "--format", "{{range $id, $c := .Containers}}{{$id}} {{end}}", network]


def network_internal(network: str) -> Cmd:
    return ["docker", "network", "inspect", "--format", "{{.Internal}}", network]


def network_create_internal(network: str) -> Cmd:
    return ["docker", "network", "create", "--internal", "--label", "io.liftoff.network=accessories", network]


def network_connect(network: str, container: str, aliases: Sequence[str]) -> Cmd:
    return ["docker", "network", "connect", *[t for a in aliases for t in ("--alias", a)], network, container]


def network_disconnect(network: str, container: str) -> Cmd:
    return ["docker", "network", "disconnect", "--force", network, container]


def network_rm(networks: Sequence[str]) -> Cmd:
    return ["docker", "network", "rm", *networks]


def die_events(container: str, since: str, until: str) -> Cmd:
    return ["docker", "events", "--since", since, "--until", until, "--filter", f"container={container}", "--filter", "event=die", "--format", '{{index .Actor.Attributes "exitCode"}}']


def caddy_validate(config: str) -> Cmd:
    return ["caddy", "validate", "--config", config, "--adapter", "caddyfile"]


def caddy_reload(entry: str, admin: str | None) -> Cmd:
    return ["caddy", "reload", "--config", entry, "--adapter", "caddyfile", *(["--address", admin] if admin else [])]


def slot_env(ports: dict[str, int]) -> dict[str, str]:
    """The LIFTOFF_PORT_<NAME> variables compose.yaml interpolates, for one slot."""
    return {name: str(port) for name, port in sorted(ports.items())}
