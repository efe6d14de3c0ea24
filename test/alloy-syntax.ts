/**
 * A parser for the subset of Alloy's configuration syntax liftoff renders, following the syntax
 * reference (https://grafana.com/docs/alloy/latest/get-started/configuration-syntax/): blocks with
 * dotted names and an optional string label, attributes ended by a newline, expressions of literals,
 * arrays, objects, references and function calls. No Alloy binary can be installed here (it ships
 * neither in Debian nor on npm), so this stands in for `alloy fmt`; it is strict where Alloy is and
 * also resolves every component reference to a component declared in the file, with an export that
 * component kind really has.
 */

export interface AlloyBlock {
  readonly name: string;
  readonly label?: string;
  readonly attributes: Readonly<Record<string, AlloyExpr>>;
  readonly blocks: readonly AlloyBlock[];
}

export type AlloyExpr =
  | { readonly kind: "string"; readonly value: string }
  | { readonly kind: "number"; readonly value: number }
  | { readonly kind: "bool"; readonly value: boolean }
  | { readonly kind: "null" }
  | { readonly kind: "array"; readonly items: readonly AlloyExpr[] }
  | { readonly kind: "object"; readonly fields: Readonly<Record<string, AlloyExpr>> }
  | { readonly kind: "ref"; readonly path: readonly string[] }
  | { readonly kind: "call"; readonly path: readonly string[]; readonly args: readonly AlloyExpr[] };

type Token = { type: "ident" | "string" | "number" | "punct" | "newline" | "eof"; text: string; line: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  while (i < source.length) {
    const c = source[i]!;
    if (c === "\n") {
      tokens.push({ type: "newline", text: "\n", line });
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") {
      i++;
    } else if (source.startsWith("//", i)) {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (source.startsWith("/*", i)) {
      const end = source.indexOf("*/", i + 2);
      if (end < 0) throw new Error(`line ${line}: unterminated block comment`);
      line += source.slice(i, end).split("\n").length - 1;
      i = end + 2;
    } else if (c === '"') {
      let j = i + 1;
      while (j < source.length && source[j] !== '"') {
        if (source[j] === "\n") throw new Error(`line ${line}: newline in string`);
        j += source[j] === "\\" ? 2 : 1;
      }
      if (j >= source.length) throw new Error(`line ${line}: unterminated string`);
      const raw = source.slice(i, j + 1);
      // Alloy strings take Go's escapes; JSON's are a subset, and anything else is an error here.
      if (/\\[^"\\/bfnrtu]/.test(raw)) throw new Error(`line ${line}: unsupported escape in ${raw}`);
      tokens.push({ type: "string", text: JSON.parse(raw) as string, line });
      i = j + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^[0-9]+(\.[0-9]+)?/.exec(source.slice(i))!;
      tokens.push({ type: "number", text: m[0], line });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i))!;
      tokens.push({ type: "ident", text: m[0], line });
      i += m[0].length;
    } else if ("{}[](),=.".includes(c)) {
      tokens.push({ type: "punct", text: c, line });
      i++;
    } else {
      throw new Error(`line ${line}: unexpected character ${JSON.stringify(c)}`);
    }
  }
  tokens.push({ type: "eof", text: "", line });
  return tokens;
}

/** Parses a whole file into its top-level blocks; throws with a line number on any syntax error. */
export function parseAlloy(source: string): AlloyBlock[] {
  const tokens = tokenize(source);
  let p = 0;
  const peek = () => tokens[p]!;
  const next = () => tokens[p++]!;
  const fail = (message: string): never => {
    throw new Error(`line ${peek().line}: ${message} (at ${JSON.stringify(peek().text)})`);
  };
  const expect = (text: string) =>
    peek().text === text && peek().type !== "string" ? next() : fail(`expected ${text}`);
  const skipNewlines = () => {
    while (peek().type === "newline") next();
  };

  const dotted = (): string[] => {
    const parts = [peek().type === "ident" ? next().text : fail("expected an identifier")];
    while (peek().text === "." && peek().type === "punct") {
      next();
      parts.push(peek().type === "ident" ? next().text : fail("expected an identifier after ."));
    }
    return parts;
  };

  const expression = (): AlloyExpr => {
    const t = peek();
    if (t.type === "string") return (next(), { kind: "string", value: t.text });
    if (t.type === "number") return (next(), { kind: "number", value: Number(t.text) });
    if (t.type === "punct" && t.text === "[") {
      next();
      const items: AlloyExpr[] = [];
      skipNewlines();
      while (peek().text !== "]" || peek().type === "string") {
        items.push(expression());
        skipNewlines();
        if (peek().text === "," && peek().type === "punct") next();
        else if (peek().text !== "]") fail("expected , or ] in array");
        skipNewlines();
      }
      next();
      return { kind: "array", items };
    }
    if (t.type === "punct" && t.text === "{") {
      next();
      const fields: Record<string, AlloyExpr> = {};
      skipNewlines();
      while (peek().text !== "}" || peek().type === "string") {
        const key = peek().type === "ident" || peek().type === "string" ? next().text : fail("expected an object key");
        expect("=");
        fields[key] = expression();
        skipNewlines();
        if (peek().text === "," && peek().type === "punct") next();
        else if (peek().text !== "}") fail("expected , or } in object");
        skipNewlines();
      }
      next();
      return { kind: "object", fields };
    }
    if (t.type === "ident") {
      if (t.text === "true" || t.text === "false") return (next(), { kind: "bool", value: t.text === "true" });
      if (t.text === "null") return (next(), { kind: "null" });
      const path = dotted();
      if (peek().text === "(" && peek().type === "punct") {
        next();
        const args: AlloyExpr[] = [];
        while (peek().text !== ")") {
          args.push(expression());
          if (peek().text === ",") next();
          else if (peek().text !== ")") fail("expected , or ) in call");
        }
        next();
        return { kind: "call", path, args };
      }
      return { kind: "ref", path };
    }
    return fail("expected an expression");
  };

  const body = (closing: string): { attributes: Record<string, AlloyExpr>; blocks: AlloyBlock[] } => {
    const attributes: Record<string, AlloyExpr> = {};
    const blocks: AlloyBlock[] = [];
    for (;;) {
      skipNewlines();
      if (closing === "eof" ? peek().type === "eof" : peek().text === closing && peek().type === "punct")
        return { attributes, blocks };
      const name = dotted();
      if (peek().text === "=" && peek().type === "punct") {
        if (name.length !== 1) fail(`attribute names are plain identifiers, not ${name.join(".")}`);
        next();
        if (attributes[name[0]!] !== undefined) fail(`attribute ${name[0]} set twice`);
        attributes[name[0]!] = expression();
        if (peek().type !== "newline" && !(peek().text === closing && peek().type === "punct") && peek().type !== "eof")
          fail("an attribute must end its line");
      } else {
        const label = peek().type === "string" ? next().text : undefined;
        expect("{");
        const inner = body("}");
        next();
        blocks.push({ name: name.join("."), ...(label !== undefined ? { label } : {}), ...inner });
        if (peek().type !== "newline" && peek().type !== "eof" && !(peek().text === closing && peek().type === "punct"))
          fail("a block must end its line");
      }
    }
  };

  return body("eof").blocks;
}

/** What each component kind exports, per the Alloy component reference (the ones liftoff uses). */
const EXPORTS: Readonly<Record<string, readonly string[]>> = {
  "prometheus.exporter.unix": ["targets"],
  "prometheus.exporter.cadvisor": ["targets"],
  "prometheus.scrape": [],
  "prometheus.remote_write": ["receiver"],
  "discovery.relabel": ["output", "rules"],
  "discovery.docker": ["targets"],
  "loki.source.docker": [],
  "loki.write": ["receiver"],
};
/** Standard-library functions liftoff's config may call. */
const FUNCTIONS = new Set(["sys.env"]);

/**
 * Checks what Alloy would check before running: each top-level component is a known kind with a
 * unique label, and every reference names a declared component and one of its exports.
 */
export function checkAlloyReferences(blocks: readonly AlloyBlock[]): string[] {
  const problems: string[] = [];
  const declared = new Map<string, string>();
  for (const b of blocks) {
    if (b.label === undefined) {
      if (b.name !== "logging") problems.push(`${b.name}: a component needs a label`);
      continue;
    }
    if (!(b.name in EXPORTS)) problems.push(`${b.name}: not a component kind liftoff expects`);
    const id = `${b.name}.${b.label}`;
    if (declared.has(id)) problems.push(`${id}: declared twice`);
    declared.set(id, b.name);
  }
  const visit = (e: AlloyExpr, where: string) => {
    switch (e.kind) {
      case "array":
        e.items.forEach((item) => visit(item, where));
        return;
      case "object":
        Object.values(e.fields).forEach((f) => visit(f, where));
        return;
      case "call":
        if (!FUNCTIONS.has(e.path.join("."))) problems.push(`${where}: unknown function ${e.path.join(".")}`);
        e.args.forEach((a) => visit(a, where));
        return;
      case "ref": {
        const full = e.path.join(".");
        const component = [...declared.keys()].find((id) => full.startsWith(`${id}.`));
        if (!component) {
          problems.push(`${where}: ${full} names no declared component`);
          return;
        }
        const exported = full.slice(component.length + 1);
        if (!EXPORTS[declared.get(component)!]?.includes(exported))
          problems.push(`${where}: ${declared.get(component)} exports no ${exported}`);
        return;
      }
      default:
        return;
    }
  };
  const walk = (b: AlloyBlock, where: string) => {
    for (const [name, value] of Object.entries(b.attributes)) visit(value, `${where}.${name}`);
    b.blocks.forEach((inner) => walk(inner, `${where}.${inner.name}`));
  };
  blocks.forEach((b) => walk(b, b.label ? `${b.name}.${b.label}` : b.name));
  return problems;
}
