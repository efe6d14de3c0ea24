import { crc32 } from "node:zlib";
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

/** One file of the agent's zipapp: its path inside the archive and its bytes. */
export interface AgentFile {
  readonly path: string;
  readonly bytes: Buffer;
}

/**
 * The zipapp's entry point. Python cannot cache bytecode inside a zip, so every run would compile
 * the whole package (about 0.4 s on the test host); the first run unpacks the archive into
 * $LIFTOFF_ROOT/lib/<its hash>/ (atomically, older unpacked versions removed), where Python keeps
 * its __pycache__, and every run imports from there. Any problem: import from the zip itself.
 */
export const AGENT_ENTRY = `import hashlib
import os
import shutil
import sys
import tempfile
import zipfile


def _unpacked(archive):
    with open(archive, "rb") as f:
        digest = hashlib.sha256(f.read()).hexdigest()[:16]
    lib = os.path.join(os.environ.get("LIFTOFF_ROOT") or "/srv/liftoff", "lib")
    target = os.path.join(lib, digest)
    if not os.path.isdir(target):
        os.makedirs(lib, mode=0o700, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".unpack.", dir=lib)
        with zipfile.ZipFile(archive) as z:
            z.extractall(tmp)
        try:
            os.rename(tmp, target)
        except OSError:
            shutil.rmtree(tmp, ignore_errors=True)
        for old in os.listdir(lib):
            if old != digest:
                shutil.rmtree(os.path.join(lib, old), ignore_errors=True)
    return target


try:
    sys.path.insert(0, _unpacked(sys.path[0]))
except Exception:
    pass

from liftoff_release.cli import main

sys.exit(main())
`;

/**
 * The agent as ONE deterministic file: `#!/usr/bin/env python3` and a zip (stored, fixed 1980
 * timestamps, sorted paths) of `__main__.py` and the package, which python3 runs as a zipapp.
 * The same modules give the same bytes, so its hash is the install trigger.
 */
export function agentZipapp(files: readonly AgentFile[]): Buffer {
  const shebang = Buffer.from("#!/usr/bin/env python3\n");
  const entries = [{ path: "__main__.py", bytes: Buffer.from(AGENT_ENTRY) }, ...files].sort((a, b) =>
    a.path < b.path ? -1 : a.path > b.path ? 1 : 0,
  );
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = shebang.length;
  const DOS_DATE = (0 << 9) | (1 << 5) | 1; // 1980-01-01
  for (const { path, bytes } of entries) {
    const name = Buffer.from(path, "utf8");
    const crc = crc32(bytes) >>> 0;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(0, 8); // stored
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(DOS_DATE, 12);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(bytes.length, 18);
    local.writeUInt32LE(bytes.length, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix, so the mode below is read
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(0, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(DOS_DATE, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(bytes.length, 20);
    central.writeUInt32LE(bytes.length, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((0o100644 << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, bytes);
    centrals.push(central, name);
    offset += 30 + name.length + bytes.length;
  }
  const centralDir = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralDir.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([shebang, ...locals, centralDir, end]);
}

/**
 * The user crontab line that repairs the site after a reboot. The deploy user has no sudo, so no
 * systemd unit (a user unit would need lingering, which root enables): cron runs @reboot entries
 * of every user, and the agent waits for dockerd before it looks.
 */
export function bootRepairLine(releaseRoot: string): string {
  const { agent } = hostPaths(releaseRoot);
  return `@reboot LIFTOFF_ROOT=${quote(releaseRoot)} ${quote(agent)} repair --wait-for-docker 600 >> ${quote(`${releaseRoot}/boot-repair.log`)} 2>&1`;
}

/**
 * Installs the agent from stdin (the zipapp in base64), atomically, so a half-copied agent is never
 * run, and the @reboot repair in the deploy user's crontab (replacing an earlier liftoff line).
 */
export function installAgentCommand(releaseRoot: string): string {
  const { agent } = hostPaths(releaseRoot);
  const line = bootRepairLine(releaseRoot);
  return [
    "set -eu",
    "umask 022",
    `base64 -d > ${quote(`${agent}.new`)}`,
    `chmod 0755 ${quote(`${agent}.new`)}`,
    `mv -f ${quote(`${agent}.new`)} ${quote(agent)}`,
    `if command -v crontab >/dev/null 2>&1; then { crontab -l 2>/dev/null | grep -v -F ' repair --wait-for-docker ' || true; printf '%s\\n' ${quote(line)}; } | crontab -; else echo 'liftoff: no crontab on this host: the site is not repaired at boot (run liftoff-release repair)' >&2; fi`,
  ].join("; ");
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
