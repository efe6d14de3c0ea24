#!/usr/bin/env bash
# Installs Docker Engine 26.1 and Compose v2.26 (the CLI plugin) from Debian 13 (trixie) packages
# into a prefix, on Debian 12, without changing the system's apt sources: apt reads a private
# sources list and keeps its lists and cache in a private state directory; the packages are
# fetched with `apt-get download` and unpacked with `dpkg-deb -x` (no dpkg database, no
# maintainer scripts). Hosts run Compose v2 only; Debian 12 itself ships Compose v1 and Docker 20.10.
#
# Idempotent: when the prefix already holds the pinned versions, nothing is downloaded.
#
#   tools/testbed/install-docker.sh
#
# Environment (defaults in brackets):
#   LIFTOFF_DOCKER_PREFIX      where the packages are unpacked [/opt/liftoff/docker]
#   LIFTOFF_DOCKER_APT_STATE   apt's private lists, cache and downloaded .debs [/var/cache/liftoff/docker-apt]
#   LIFTOFF_DOCKER_PLUGIN_DIR  a directory the docker CLI searches for plugins, where a link to the
#                              prefix's docker-compose is made, so that `docker compose` works for
#                              every user and every DOCKER_CONFIG; empty: make no link
#                              [/usr/local/lib/docker/cli-plugins]
#   LIFTOFF_DEBIAN_MIRROR      [http://deb.debian.org/debian]
#   LIFTOFF_DOCKER_REINSTALL   1: download and unpack even when the prefix is current
set -euo pipefail

PREFIX=${LIFTOFF_DOCKER_PREFIX:-/opt/liftoff/docker}
STATE=${LIFTOFF_DOCKER_APT_STATE:-/var/cache/liftoff/docker-apt}
PLUGIN_DIR=${LIFTOFF_DOCKER_PLUGIN_DIR-/usr/local/lib/docker/cli-plugins}
MIRROR=${LIFTOFF_DEBIAN_MIRROR:-http://deb.debian.org/debian}
REINSTALL=${LIFTOFF_DOCKER_REINSTALL:-0}
SUITE=trixie
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
# docker.io is the engine (dockerd, docker-proxy), docker-cli the client, docker-compose the v2 CLI
# plugin; tini provides docker-init (`init: true`); containerd and runc are the engine's runtime.
PACKAGES=(docker.io docker-cli containerd runc tini docker-compose)
# The pins: a Debian point release may move the patch version, never these.
WANT_ENGINE=26.1
WANT_COMPOSE=2.26

step() { printf '\n==> %s\n' "$*"; }
note() { printf '    %s\n' "$*"; }
die() {
  printf 'install-docker: %s\n' "$*" >&2
  exit 1
}

BIN=$PREFIX/usr/bin
SBIN=$PREFIX/usr/sbin
COMPOSE_PLUGIN=$PREFIX/usr/libexec/docker/cli-plugins/docker-compose

# "26.1.5" from "Docker version 26.1.5+dfsg1, build a72d7cd"; "2.26.1" from "2.26.1-4".
version_of() { { "$@" 2>/dev/null || true; } | grep -oE '[0-9]+\.[0-9]+\.[0-9]+' | head -n 1 || true; }
matches() { [[ "$1" == "$2" || "$1" == "$2".* ]]; }

engine_version() { version_of "$SBIN/dockerd" --version; }
cli_version() { version_of "$BIN/docker" --version; }
compose_version() { version_of "$COMPOSE_PLUGIN" version --short; }

prefix_is_current() {
  [[ -x "$SBIN/dockerd" && -x "$BIN/docker" && -x "$COMPOSE_PLUGIN" && -x "$BIN/containerd" ]] || return 1
  matches "$(engine_version)" "$WANT_ENGINE" && matches "$(cli_version)" "$WANT_ENGINE" &&
    matches "$(compose_version)" "$WANT_COMPOSE" && "$SBIN/runc" --version >/dev/null 2>&1 &&
    "$BIN/docker-init" --version >/dev/null 2>&1
}

for tool in apt-get dpkg-deb; do
  command -v "$tool" >/dev/null || die "$tool is missing: this script needs a Debian system"
done
[[ -r $KEYRING ]] || die "$KEYRING is missing: apt-get install debian-archive-keyring"

step "Docker Engine $WANT_ENGINE + Compose v$WANT_COMPOSE from Debian $SUITE into $PREFIX"
if [[ $REINSTALL != 1 ]] && prefix_is_current; then
  note "already installed: dockerd $(engine_version), docker $(cli_version), compose $(compose_version); nothing to download"
  downloaded=no
else
  mkdir -p "$STATE/lists/partial" "$STATE/cache/archives/partial" "$STATE/debs" "$STATE/empty.d" "$PREFIX"
  sources=$STATE/sources.list
  printf 'deb [signed-by=%s] %s %s main\n' "$KEYRING" "$MIRROR" "$SUITE" >"$sources"
  # Everything apt reads or writes beside the system's configuration: the private sources list
  # (and no sources.list.d, no pins), lists and caches under $STATE. As root apt downloads as the
  # _apt user, which cannot write $STATE, hence the sandbox user.
  apt_opts=(
    -o "Dir::Etc::sourcelist=$sources"
    -o "Dir::Etc::sourceparts=$STATE/empty.d"
    -o "Dir::Etc::preferencesparts=$STATE/empty.d"
    -o "Dir::State::Lists=$STATE/lists"
    -o "Dir::Cache=$STATE/cache"
    -o "APT::Sandbox::User=$(id -un)"
  )
  step "apt-get update ($SUITE only, private lists in $STATE/lists)"
  apt-get "${apt_opts[@]}" update

  step "apt-get download ${PACKAGES[*]}"
  rm -f "$STATE"/debs/*.deb
  (cd "$STATE/debs" && apt-get "${apt_opts[@]}" download "${PACKAGES[@]}")

  step "dpkg-deb -x into $PREFIX"
  for deb in "$STATE"/debs/*.deb; do
    note "$(dpkg-deb -f "$deb" Package) $(dpkg-deb -f "$deb" Version)"
    dpkg-deb -x "$deb" "$PREFIX"
  done
  downloaded=yes
fi

# trixie's runc is linked against glibc 2.38; Debian 12 has 2.36. Then the prefix's runc becomes a
# link to the system's own (Debian 12's runc package, 1.1.x, which Docker 26.1 supports), so that
# dockerd and containerd started with the prefix first on PATH run containers.
if ! "$SBIN/runc" --version >/dev/null 2>&1; then
  if ! /usr/sbin/runc --version >/dev/null 2>&1; then
    die "$SUITE's runc does not run here ($("$SBIN/runc" --version 2>&1 | head -n 1)) and the system has no working /usr/sbin/runc: apt-get install runc"
  fi
  ln -sfn /usr/sbin/runc "$SBIN/runc"
  note "runc: $SUITE's does not run here (it needs glibc 2.38), linked to the system's /usr/sbin/runc"
fi
runc_note="runc from $SUITE"
if [[ $(readlink "$SBIN/runc" || true) == /usr/sbin/runc ]]; then
  runc_note="the system's /usr/sbin/runc ($SUITE's needs a newer glibc)"
fi
[[ -e $BIN/runc ]] || ln -sfn ../sbin/runc "$BIN/runc"

if [[ -n $PLUGIN_DIR ]]; then
  step "docker CLI plugin link: $PLUGIN_DIR/docker-compose -> $COMPOSE_PLUGIN"
  mkdir -p "$PLUGIN_DIR"
  ln -sfn "$COMPOSE_PLUGIN" "$PLUGIN_DIR/docker-compose"
fi

step "verify the pinned versions"
engine=$(engine_version)
cli=$(cli_version)
compose=$(compose_version)
"$SBIN/dockerd" --version
"$BIN/docker" --version
if [[ -n $PLUGIN_DIR ]]; then
  # What every user runs: the 26.1 CLI finding the plugin through the link.
  DOCKER_CONFIG=$(mktemp -d) "$BIN/docker" compose version
else
  "$COMPOSE_PLUGIN" version
fi
"$BIN/containerd" --version
"$SBIN/runc" --version | head -n 1
"$BIN/docker-init" --version
matches "$engine" "$WANT_ENGINE" || die "dockerd is $engine, expected $WANT_ENGINE.x"
matches "$cli" "$WANT_ENGINE" || die "the docker CLI is $cli, expected $WANT_ENGINE.x"
matches "$compose" "$WANT_COMPOSE" || die "compose is $compose, expected $WANT_COMPOSE.x"

step "summary"
note "prefix:     $PREFIX ($([[ $downloaded == yes ]] && echo "downloaded and unpacked now" || echo "already current"))"
note "engine:     $BIN/docker $cli, $SBIN/dockerd $engine, containerd $(version_of "$BIN/containerd" --version)"
note "runc:       $runc_note, $("$SBIN/runc" --version | head -n 1)"
note "compose:    v$compose, $COMPOSE_PLUGIN"
if [[ -n $PLUGIN_DIR ]]; then
  note "plugin:     $PLUGIN_DIR/docker-compose (found by any docker CLI, any user)"
fi
note "apt state:  $STATE (the system's sources are untouched)"
note "use:        PATH=$BIN:$SBIN:\$PATH (the testbed starts dockerd so, and gives the deploy user that PATH)"
