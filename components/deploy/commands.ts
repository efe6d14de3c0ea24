import { gzipSync } from "node:zlib";
import { pack } from "tar-stream";

/** One file of a release directory. */
export interface ReleaseFile {
  /** Path inside the release directory, e.g. `env/orders.env`. */
  readonly path: string;
  /** The file's text, or with `encoding: "base64"` its bytes in base64 (binary shipped files). */
  readonly content: string;
  readonly encoding?: "base64";
  readonly mode: number;
  /** Secret material (env files, secret files): written 0600, never shown to a reviewer. */
  readonly secret?: boolean;
}

/** The bytes of a release file as written on the host. */
export function fileBytes(file: Pick<ReleaseFile, "content" | "encoding">): Buffer {
  return file.encoding === "base64" ? Buffer.from(file.content, "base64") : Buffer.from(file.content, "utf8");
}

/** A rendered release: its id (a hash of its content) and its files. */
export interface RenderedRelease {
  readonly id: string;
  readonly files: readonly ReleaseFile[];
}

/** Where things live on the host, under the release root the host's bootstrap prepared. */
export function hostPaths(releaseRoot: string) {
  return {
    agent: `${releaseRoot}/bin/liftoff-release`,
    incoming: `${releaseRoot}/incoming`,
  };
}

/**
 * The release as a gzipped tar, base64-encoded for the command's stdin: deterministic (fixed
 * owner and times, sorted paths), so the same release gives the same bytes.
 */
export async function releaseArchive(release: RenderedRelease): Promise<string> {
  const archive = pack();
  const chunks: Buffer[] = [];
  archive.on("data", (chunk: unknown) => chunks.push(chunk as Buffer));
  const done = new Promise<void>((resolve, reject) => {
    archive.on("end", resolve);
    archive.on("error", reject);
  });
  for (const file of [...release.files].sort((a, b) => a.path.localeCompare(b.path))) {
    archive.entry({ name: file.path, mode: file.mode, mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "" }, fileBytes(file));
  }
  archive.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks), { level: 9 }).toString("base64");
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
