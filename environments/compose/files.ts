/**
 * Reading compose files: YAML with anchors, aliases and merge keys resolved, positions kept for
 * messages; and the injected file access that keeps the loader pure in tests.
 */
import { readFileSync, readdirSync, statSync } from "node:fs";
import { LineCounter, isMap, isPair, isScalar, isSeq, parseDocument, visit, type Document, type Node } from "yaml";

/** File access the loader is given: the real file system, or a map in tests. Paths are absolute. */
export interface FileReader {
  /** The file's bytes, or undefined when it does not exist or is a directory. */
  readFile(absPath: string): Buffer | undefined;
  /** The names in a directory, or undefined when it is not one. */
  readDir(absPath: string): string[] | undefined;
  /** Unix permission bits of a file, when the reader knows them (executable scripts stay so). */
  mode?(absPath: string): number | undefined;
}

export const fsReader: FileReader = {
  readFile(p) {
    try {
      return statSync(p).isFile() ? readFileSync(p) : undefined;
    } catch {
      return undefined;
    }
  },
  readDir(p) {
    try {
      return statSync(p).isDirectory() ? readdirSync(p).sort() : undefined;
    } catch {
      return undefined;
    }
  },
  mode(p) {
    try {
      return statSync(p).mode & 0o777;
    } catch {
      return undefined;
    }
  },
};

/** A reader over an in-memory tree: `{ "/p/compose.yaml": "..." }`; directories are implied. */
export function memoryReader(files: Readonly<Record<string, string | Buffer>>): FileReader {
  return {
    readFile: (p) => {
      const v = files[p];
      return v === undefined ? undefined : Buffer.isBuffer(v) ? v : Buffer.from(v, "utf8");
    },
    readDir: (p) => {
      const prefix = p.endsWith("/") ? p : `${p}/`;
      const names = new Set<string>();
      for (const f of Object.keys(files)) if (f.startsWith(prefix)) names.add(f.slice(prefix.length).split("/")[0]!);
      return names.size > 0 ? [...names].sort() : undefined;
    },
  };
}

/** A YAML 1.1-style octal (`0440`), as Compose's YAML reader takes file modes. */
const octal = {
  identify: (v: unknown) => typeof v === "number",
  default: true,
  tag: "tag:yaml.org,2002:int",
  test: /^0[0-7]+$/,
  resolve: (s: string) => parseInt(s, 8),
};

export interface ParsedYaml {
  readonly data?: unknown;
  readonly errors: readonly { readonly line?: number; readonly message: string }[];
  /** The line of the node at a path (keys and indexes) in this file, when it is there. */
  lineOf(path: readonly (string | number)[]): number | undefined;
}

export function parseYaml(text: string): ParsedYaml {
  const lineCounter = new LineCounter();
  // The loader marks bindings and secret values with these private-use characters; a file that
  // holds one could forge a binding.
  const marker = /[\uE000-\uE003]/.exec(text);
  if (marker) {
    const line = text.slice(0, marker.index).split("\n").length;
    return {
      errors: [
        {
          line,
          message: `holds the private-use character U+${marker[0].charCodeAt(0).toString(16).toUpperCase()}, which liftoff reserves`,
        },
      ],
      lineOf: () => undefined,
    };
  }
  const doc: Document = parseDocument(text, {
    merge: true,
    lineCounter,
    uniqueKeys: true,
    customTags: (tags) => [octal, ...tags],
  });
  const lineOf = (p: readonly (string | number)[]) => {
    let node: unknown = doc.contents;
    let last: unknown = node;
    for (const key of p) {
      if (isMap(node)) {
        const pair = node.items.find((it) => isScalar(it.key) && String(it.key.value) === String(key));
        if (!pair) break;
        last = pair.key;
        node = pair.value;
      } else if (isSeq(node) && typeof key === "number") {
        node = node.items[key];
        last = node;
      } else break;
    }
    const range = (last as Node | undefined)?.range;
    return range ? lineCounter.linePos(range[0]).line : undefined;
  };
  // YAML forbids { } [ ] and , in an unquoted value inside a flow collection; the yaml package
  // tolerates it, Compose's parser does not (`environment: { A: ${X:-1} }`), so neither do we.
  const flowErrors: { line?: number; message: string }[] = [];
  visit(doc, {
    Scalar(_key, node, path) {
      const parent = path[path.length - 1];
      const collection = isPair(parent) ? path[path.length - 2] : parent;
      if (
        (isMap(collection) || isSeq(collection)) &&
        collection.flow &&
        node.type === "PLAIN" &&
        typeof node.value === "string" &&
        /[{}[\],]/.test(node.value)
      ) {
        flowErrors.push({
          line: node.range ? lineCounter.linePos(node.range[0]).line : undefined,
          message: `the value ${node.value} holds { } [ ] or , inside a flow collection; quote it ("${node.value}")`,
        });
      }
    },
  });
  if (doc.errors.length > 0 || flowErrors.length > 0) {
    return {
      errors: [
        ...flowErrors,
        ...doc.errors.map((e) => ({ line: e.linePos?.[0]?.line, message: e.message.split("\n")[0]! })),
      ],
      lineOf,
    };
  }
  try {
    return { data: doc.toJS({ maxAliasCount: 1000 }), errors: [], lineOf };
  } catch (e) {
    return { errors: [{ message: (e as Error).message }], lineOf };
  }
}
