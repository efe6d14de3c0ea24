/**
 * What a rendered release is (its files and id) and how it travels to the host (a deterministic
 * gzipped tar): the renderer (release.ts) produces it, the component (index.ts) ships it.
 */
import { createHash } from "node:crypto";
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
    archive.entry(
      { name: file.path, mode: file.mode, mtime: new Date(0), uid: 0, gid: 0, uname: "", gname: "" },
      fileBytes(file),
    );
  }
  archive.finalize();
  await done;
  return gzipSync(Buffer.concat(chunks), { level: 9 }).toString("base64");
}

export function sha256(data: string | Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}
