"""liftoff-release: the host-side release agent of liftoff (see ../README.md, the contract)."""

VERSION = "2"
