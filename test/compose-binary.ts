/**
 * The Compose v2 binary the tests compare with and check rendered files against: the Debian 13
 * package's CLI plugin (Compose 2.26.1), which runs standalone and needs no Docker daemon for
 * `config`. tools/testbed's install script puts it here; LIFTOFF_COMPOSE_BINARY overrides.
 */
export const COMPOSE_BINARY = process.env["LIFTOFF_COMPOSE_BINARY"] ?? "/opt/liftoff/docker/usr/libexec/docker/cli-plugins/docker-compose";
