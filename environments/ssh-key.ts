/**
 * OpenSSH public keys, read from their wire format (RFC 4253 section 6.6, RFC 8709): the algorithm
 * named inside the base64 blob, and for RSA the modulus size. Azure's Linux VMs take only RSA keys
 * of 2048 bits or more and Ed25519 keys; anything else is refused when the VM is created.
 */

export type SshKeyInfo =
  | { readonly ok: true; readonly type: "ssh-rsa"; readonly bits: number }
  | { readonly ok: true; readonly type: "ssh-ed25519" }
  | { readonly ok: true; readonly type: "other"; readonly algorithm: string }
  | { readonly ok: false; readonly reason: string };

/** The smallest RSA modulus Azure accepts for a Linux VM's key. */
export const MIN_RSA_BITS = 2048;

/** Reads `<algorithm> <base64> [comment]`. */
export function readSshPublicKey(line: string): SshKeyInfo {
  const parts = line.trim().split(/\s+/);
  if (parts.length < 2) return { ok: false, reason: "it is not `<algorithm> <base64 key> [comment]`" };
  const [algorithm, encoded] = parts as [string, string];
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || encoded.length % 4 !== 0)
    return { ok: false, reason: "its key is not base64" };
  const blob = Buffer.from(encoded, "base64");
  const reader = new WireReader(blob);
  const inner = reader.string()?.toString("latin1");
  if (inner === undefined) return { ok: false, reason: "its key is cut short" };
  if (inner !== algorithm) return { ok: false, reason: `it says ${algorithm} but its key is ${inner}` };
  if (algorithm === "ssh-rsa") {
    const exponent = reader.string();
    const modulus = reader.string();
    if (exponent === undefined || modulus === undefined || !reader.atEnd())
      return { ok: false, reason: "its RSA key is malformed" };
    return { ok: true, type: "ssh-rsa", bits: bitLength(modulus) };
  }
  if (algorithm === "ssh-ed25519") {
    const key = reader.string();
    if (key === undefined || key.length !== 32 || !reader.atEnd())
      return { ok: false, reason: "its Ed25519 key is not 32 bytes" };
    return { ok: true, type: "ssh-ed25519" };
  }
  return { ok: true, type: "other", algorithm };
}

/** Bits of an mpint (big-endian, a leading zero byte when the top bit is set). */
function bitLength(mpint: Buffer): number {
  let i = 0;
  while (i < mpint.length && mpint[i] === 0) i++;
  if (i === mpint.length) return 0;
  return (mpint.length - i - 1) * 8 + (32 - Math.clz32(mpint[i]!));
}

class WireReader {
  private offset = 0;
  constructor(private readonly buffer: Buffer) {}

  /** A uint32 length followed by that many bytes; undefined when the buffer ends first. */
  string(): Buffer | undefined {
    if (this.offset + 4 > this.buffer.length) return undefined;
    const length = this.buffer.readUInt32BE(this.offset);
    const start = this.offset + 4;
    if (start + length > this.buffer.length) return undefined;
    this.offset = start + length;
    return this.buffer.subarray(start, start + length);
  }

  atEnd(): boolean {
    return this.offset === this.buffer.length;
  }
}
