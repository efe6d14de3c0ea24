"""Exit codes (README.md, "Exit codes") and the one exception that carries them."""

from __future__ import annotations

OK = 0
FAIL = 1
USAGE = 2
RELEASE = 3
LOCK = 4
REGISTRY = 5
HEALTH = 6
PROXY = 7
NO_PREVIOUS = 8
POST_SWITCH = 9
JOB = 10
AFTER_JOB = 11
ROLLED_BACK = 12


class AgentError(Exception):
    """A failure with its exit code; the message names what failed and never holds a secret."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
