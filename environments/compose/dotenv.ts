/**
 * Env files as Compose reads them (compose-go's dotenv): `KEY=value`, `export KEY=value`, comments,
 * single quotes (literal), double quotes (escapes, interpolation, several lines), unquoted values
 * (trimmed, ` #` starts a comment, interpolated), and a bare `KEY` that takes its value from the
 * variables around it (left out when there is none).
 */
import { InterpolationError, interpolate, type Lookup, type Variable } from "./interpolate";

export interface DotenvEntry {
  readonly name: string;
  /** Undefined for a bare `KEY` whose variable is not set. */
  readonly value: string | undefined;
  readonly line: number;
}

export class DotenvError extends Error {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

const KEY = /^[A-Za-z0-9_.\-[\]]+$/;

/**
 * Parses an env file. `lookup` resolves `${VAR}` in values and bare keys; earlier entries of the
 * same file are seen first, as in Compose.
 */
export function parseDotenv(text: string, lookup: Lookup): DotenvEntry[] {
  const own = new Map<string, Variable>();
  const resolve: Lookup = (name) => own.get(name) ?? lookup(name);
  const out: DotenvEntry[] = [];
  const src = text.replace(/^\uFEFF/, "").replace(/\r\n?/g, "\n");
  const marker = /[\uE000-\uE003]/.exec(src);
  if (marker)
    throw new DotenvError(
      "holds a private-use character liftoff reserves (U+E000-U+E003)",
      src.slice(0, marker.index).split("\n").length,
    );
  let i = 0;
  let line = 1;
  while (i < src.length) {
    // Skip blank space and comment lines.
    const lineEnd = src.indexOf("\n", i) < 0 ? src.length : src.indexOf("\n", i);
    const raw = src.slice(i, lineEnd);
    const trimmed = raw.trim();
    if (trimmed === "" || trimmed.startsWith("#")) {
      i = lineEnd + 1;
      line++;
      continue;
    }
    const startLine = line;
    let rest = raw.replace(/^\s+/, "");
    let offset = i + (raw.length - rest.length);
    if (/^export\s+/.test(rest)) {
      const m = /^export\s+/.exec(rest)![0];
      rest = rest.slice(m.length);
      offset += m.length;
    }
    const eq = rest.search(/[=:]/);
    if (eq < 0) {
      const name = rest.replace(/\s+#.*$/, "").trim();
      if (!KEY.test(name)) throw new DotenvError(`"${name}" is not a variable name`, startLine);
      const v = resolve(name);
      out.push({ name, value: v?.value, line: startLine });
      i = lineEnd + 1;
      line++;
      continue;
    }
    const name = rest.slice(0, eq).trim();
    if (!KEY.test(name)) throw new DotenvError(`"${name}" is not a variable name`, startLine);
    let j = offset + eq + 1;
    while (j < src.length && (src[j] === " " || src[j] === "\t")) j++;
    let value: string;
    const quote = src[j];
    if (quote === "'" || quote === '"') {
      let k = j + 1;
      let body = "";
      while (k < src.length && src[k] !== quote) {
        if (quote === '"' && src[k] === "\\" && k + 1 < src.length) {
          body += src[k]! + src[k + 1]!;
          k += 2;
          continue;
        }
        body += src[k];
        k++;
      }
      if (k >= src.length)
        throw new DotenvError(`the value of ${name} opens a ${quote} quote it never closes`, startLine);
      line += (src.slice(j, k).match(/\n/g) ?? []).length;
      value = quote === "'" ? body : expand(unescape(body), resolve, startLine);
      const after = src.indexOf("\n", k) < 0 ? src.length : src.indexOf("\n", k);
      i = after + 1;
      line++;
    } else {
      let text = src.slice(j, lineEnd);
      const comment = text.search(/\s#/);
      if (comment >= 0) text = text.slice(0, comment);
      value = expand(text.trim(), resolve, startLine);
      i = lineEnd + 1;
      line++;
    }
    own.set(name, { value, secret: false });
    out.push({ name, value, line: startLine });
  }
  return out;
}

function unescape(body: string): string {
  return body.replace(
    /\\(.)/g,
    (_, c: string) =>
      (({ n: "\n", r: "\r", t: "\t" }) as Record<string, string>)[c] ?? (c === '"' || c === "\\" ? c : `\\${c}`),
  );
}

function expand(text: string, lookup: Lookup, line: number): string {
  try {
    return interpolate(text, lookup);
  } catch (e) {
    if (e instanceof InterpolationError) throw new DotenvError(e.message, line);
    throw e;
  }
}
