import { releaseArchive, type RenderedRelease } from "./release-files";

/** Where things live on the host, under the release root the host's bootstrap prepared. */
export function hostPaths(releaseRoot: string) {
  return {
    agent: `${releaseRoot}/bin/liftoff-release`,
    incoming: `${releaseRoot}/incoming`,
  };
}

/** Shell-quotes one word for a remote command line. */
export function quote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * Waits on a new VM until cloud-init has finished the bootstrap (Docker, Caddy, release root).
 * `cloud-init status --wait` exits non-zero when cloud-init reported errors: the marker file the
 * bootstrap writes last is what proves the host is ready.
 */
export function waitForHostCommand(): string {
  return "cloud-init status --wait >/dev/null 2>&1 || true; test -f /var/lib/liftoff/bootstrap-done || { echo 'liftoff: host bootstrap did not finish; see /var/log/cloud-init-output.log' >&2; exit 1; }";
}

/** Installs the agent from stdin, atomically, so a half-copied agent is never run. */
export function installAgentCommand(releaseRoot: string): string {
  const { agent } = hostPaths(releaseRoot);
  return `set -eu; umask 022; cat > ${quote(`${agent}.new`)}; chmod 0755 ${quote(`${agent}.new`)}; mv -f ${quote(`${agent}.new`)} ${quote(agent)}`;
}

/**
 * Unpacks the release from stdin into the host's incoming directory (readable by the deploy user
 * only: the env files carry secrets) and runs the agent on it, in one command so a release is never
 * left shipped but not applied. Stdin is the registry token on its first line, then the release
 * archive in base64; the token reaches the agent through a pipe from a shell builtin, so it is in
 * no command line, no file and no environment. Nothing secret is on this command line.
 */
export function applyReleaseCommand(releaseRoot: string, releaseId: string): string {
  const { agent, incoming } = hostPaths(releaseRoot);
  const dir = quote(`${incoming}/${releaseId}`);
  return [
    "set -u",
    "umask 077",
    `rm -rf ${dir}`,
    `mkdir -p ${dir}`,
    "IFS= read -r token",
    `base64 -d | tar -xzf - -C ${dir} || { echo 'liftoff: the release archive did not unpack' >&2; rm -rf ${dir}; exit 1; }`,
    `printf '%s\\n' "$token" | ${quote(agent)} apply ${dir}`,
    "status=$?",
    `rm -rf ${dir}`,
    "exit $status",
  ].join("; ");
}

/** The apply command's stdin: the registry token line, then the release archive. */
export async function applyReleaseStdin(release: RenderedRelease, registryToken: string | undefined): Promise<string> {
  if (registryToken?.includes("\n")) throw new Error("the registry token must be one line");
  return `${registryToken ?? ""}\n${await releaseArchive(release)}\n`;
}
