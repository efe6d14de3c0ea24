#!/usr/bin/env bash
# liftoff host bootstrap: run once by cloud-init on the VM's first boot.
#
# Installs what every release needs and nothing that changes per release: Docker Engine with the
# compose plugin from Docker's apt repository, Caddy from Ubuntu's archive, the deploy user's
# release root, and sshd hardening. Settings come from /etc/liftoff/host.env (written by cloud-init).
# Safe to re-run: every step checks before it acts.
set -euo pipefail

# shellcheck source=/dev/null
. /etc/liftoff/host.env
: "${DEPLOY_USER:?}" "${SSH_PORT:?}" "${RELEASE_ROOT:?}"

# Docker's release signing key; apt refuses packages not signed by it.
readonly DOCKER_KEY_FINGERPRINT="9DC858229FC7DD38854AE2D88D81803C0EBFCD88"
readonly DOCKER_KEY=/etc/apt/keyrings/docker.asc

log() { printf 'liftoff-bootstrap: %s\n' "$*"; }

retry() {
  local attempt
  for attempt in 1 2 3 4 5; do
    if "$@"; then return 0; fi
    log "attempt ${attempt} of: $* failed; retrying in $((attempt * 5)) s"
    sleep $((attempt * 5))
  done
  return 1
}

install_docker() {
  if command -v docker >/dev/null && docker compose version >/dev/null 2>&1; then
    log "docker and the compose plugin already installed"
    return
  fi
  install -m 0755 -d /etc/apt/keyrings
  retry curl -fsSL https://download.docker.com/linux/ubuntu/gpg -o "${DOCKER_KEY}"
  chmod a+r "${DOCKER_KEY}"
  local fingerprint
  fingerprint=$(gpg --show-keys --with-colons "${DOCKER_KEY}" | awk -F: '$1 == "fpr" { print $10; exit }')
  if [[ "${fingerprint}" != "${DOCKER_KEY_FINGERPRINT}" ]]; then
    log "Docker's apt key has fingerprint '${fingerprint}', expected ${DOCKER_KEY_FINGERPRINT}; refusing to trust it"
    exit 1
  fi
  local codename arch
  codename=$(awk -F= '$1 == "VERSION_CODENAME" { print $2 }' /etc/os-release)
  arch=$(dpkg --print-architecture)
  echo "deb [arch=${arch} signed-by=${DOCKER_KEY}] https://download.docker.com/linux/ubuntu ${codename} stable" \
    > /etc/apt/sources.list.d/docker.list
  retry apt-get update -q
  DEBIAN_FRONTEND=noninteractive retry apt-get install -y -q \
    docker-ce docker-ce-cli containerd.io docker-compose-plugin
  systemctl enable --now docker
}

prepare_release_root() {
  install -d -m 0755 -o "${DEPLOY_USER}" -g "${DEPLOY_USER}" \
    "${RELEASE_ROOT}" "${RELEASE_ROOT}/proxy" "${RELEASE_ROOT}/releases" "${RELEASE_ROOT}/state" "${RELEASE_ROOT}/bin"
  # Until the first release, the proxy answers plainly that nothing is deployed yet.
  if [[ ! -s "${RELEASE_ROOT}/proxy/Caddyfile" ]]; then
    printf ':80 {\n\trespond "liftoff: no release deployed yet" 503\n}\n' > "${RELEASE_ROOT}/proxy/Caddyfile"
    chown "${DEPLOY_USER}:${DEPLOY_USER}" "${RELEASE_ROOT}/proxy/Caddyfile"
  fi
  # Caddy's own entry point only imports the file the deploy user owns, so releases never need root.
  printf '# Managed by liftoff: the release agent writes the imported file.\nimport %s/proxy/Caddyfile\n' \
    "${RELEASE_ROOT}" > /etc/caddy/Caddyfile
  systemctl enable caddy
  systemctl restart caddy
}

apply_ssh_port() {
  # Ubuntu 24.04 starts sshd through ssh.socket; its generator reads Port from sshd_config.
  if [[ "${SSH_PORT}" != "22" ]]; then
    systemctl daemon-reload
    systemctl restart ssh.socket
  fi
  systemctl reload ssh.service 2>/dev/null || true
}

install_docker
prepare_release_root
apply_ssh_port
install -d -m 0755 /var/lib/liftoff
date -u +%Y-%m-%dT%H:%M:%SZ > /var/lib/liftoff/bootstrap-done
log "host ready"
