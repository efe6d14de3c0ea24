"""The agent's settings, from the environment (README.md, "Configuration")."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import errors as ex
from .errors import AgentError


@dataclass(frozen=True)
class Config:
    root: Path
    proxy_file: Path
    proxy_entry: Path
    caddy_admin: str | None
    lock_timeout: float
    health_timeout: int | None
    stop_timeout: int | None
    drain_seconds: float | None

    @staticmethod
    def from_env(env: dict[str, str]) -> Config:
        root = Path(env.get("LIFTOFF_ROOT", "/srv/liftoff"))

        def num(key: str) -> float | None:
            v = env.get(key, "")
            try:
                return float(v) if v else None
            except ValueError:
                raise AgentError(ex.USAGE, f"{key} must be a number of seconds (got {v!r})") from None

        ht, st = num("LIFTOFF_HEALTH_TIMEOUT"), num("LIFTOFF_STOP_TIMEOUT")
        return Config(
            root=root,
            proxy_file=Path(env.get("LIFTOFF_PROXY_FILE") or root / "proxy" / "Caddyfile"),
            proxy_entry=Path(env.get("LIFTOFF_PROXY_ENTRY") or "/etc/caddy/Caddyfile"),
            caddy_admin=env.get("LIFTOFF_CADDY_ADMIN") or None,
            lock_timeout=num("LIFTOFF_LOCK_TIMEOUT") or 600.0,
            health_timeout=int(ht) if ht is not None else None,
            stop_timeout=int(st) if st is not None else None,
            drain_seconds=num("LIFTOFF_DRAIN_SECONDS"),
        )
