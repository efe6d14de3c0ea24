/**
 * Compose's variable interpolation (`$VAR`, `${VAR}`, `${VAR:-d}`, `${VAR-d}`, `${VAR:?e}`,
 * `${VAR?e}`, `${VAR:+a}`, `${VAR+a}`, nested defaults, `$$`), as compose-go's template package
 * reads it: a `$` that starts none of these stays a literal `$`.
 *
 * Two kinds of value must not become plain text: liftoff's bindings (`${LIFTOFF_...}`, known only
 * at `pulumi up`) and variables set from a secret config value. Both are wrapped in private-use
 * markers that survive merging and `extends`; the loader later turns them into binding parts or a
 * secret flag in `environment`, and refuses them anywhere else.
 */
import { isBindingName } from "./bindings";

export const BINDING_OPEN = "\uE000";
export const BINDING_CLOSE = "\uE001";
export const SECRET_OPEN = "\uE002";
export const SECRET_CLOSE = "\uE003";
export const MARKERS = /[\uE000-\uE003]/;

/** A variable's value and whether it came from a secret config value. */
export interface Variable {
  readonly value: string;
  readonly secret: boolean;
}
export type Lookup = (name: string) => Variable | undefined;

const NAME_START = /[_a-zA-Z]/;
const NAME = /^[_a-zA-Z][_a-zA-Z0-9]*/;

export class InterpolationError extends Error {}

/**
 * Interpolates one string. Throws {@link InterpolationError} for a malformed template, a required
 * variable (`:?`/`?`) that is unset, or a variable without default that is unset (Compose would
 * substitute an empty string with a warning; liftoff refuses, since an empty value is rarely meant).
 */
export function interpolate(text: string, lookup: Lookup): string {
  let out = "";
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c !== "$") {
      out += c;
      i++;
      continue;
    }
    const next = text[i + 1];
    if (next === "$") {
      out += "$";
      i += 2;
    } else if (next !== undefined && NAME_START.test(next)) {
      const name = NAME.exec(text.slice(i + 1))![0];
      out += substitute(name, undefined, "", lookup);
      i += 1 + name.length;
    } else if (next === "{") {
      const end = closingBrace(text, i + 2);
      if (end < 0) throw new InterpolationError(`invalid template "${text}": \${ without its closing }`);
      const body = text.slice(i + 2, end);
      const m = /^([_a-zA-Z][_a-zA-Z0-9]*)(?:(:?[-?+])([\s\S]*))?$/.exec(body);
      if (!m)
        throw new InterpolationError(`invalid template "${text}": "\${${body}}" does not start with a variable name`);
      out += substitute(m[1]!, m[2], m[3] ?? "", lookup);
      i = end + 1;
    } else {
      out += "$";
      i++;
    }
  }
  return out;
}

function closingBrace(text: string, from: number): number {
  let depth = 1;
  for (let j = from; j < text.length; j++) {
    if (text[j] === "$" && text[j + 1] === "$") {
      j++;
    } else if (text[j] === "$" && text[j + 1] === "{") {
      depth++;
      j++;
    } else if (text[j] === "}") {
      depth--;
      if (depth === 0) return j;
    }
  }
  return -1;
}

function substitute(name: string, modifier: string | undefined, rest: string, lookup: Lookup): string {
  if (isBindingName(name)) {
    // A binding is always set and never empty at `pulumi up`.
    if (modifier === ":+" || modifier === "+") return interpolate(rest, lookup);
    return `${BINDING_OPEN}${name}${BINDING_CLOSE}`;
  }
  const variable = lookup(name);
  const set = variable !== undefined;
  const nonEmpty = set && variable.value !== "";
  const value = () => (variable!.secret ? `${SECRET_OPEN}${variable!.value}${SECRET_CLOSE}` : variable!.value);
  switch (modifier) {
    case undefined:
      if (!set) throw new InterpolationError(`variable ${name} is not set`);
      return value();
    case ":-":
      return nonEmpty ? value() : interpolate(rest, lookup);
    case "-":
      return set ? value() : interpolate(rest, lookup);
    case ":?":
      if (!nonEmpty)
        throw new InterpolationError(
          `variable ${name} is required: ${interpolate(rest, lookup) || "it is not set or empty"}`,
        );
      return value();
    case "?":
      if (!set)
        throw new InterpolationError(`variable ${name} is required: ${interpolate(rest, lookup) || "it is not set"}`);
      return value();
    case ":+":
      return nonEmpty ? interpolate(rest, lookup) : "";
    case "+":
      return set ? interpolate(rest, lookup) : "";
    default:
      throw new InterpolationError(`unknown modifier ${modifier}`);
  }
}

/** Removes the secret markers, keeping the value; returns whether there were any. */
export function stripSecret(text: string): { text: string; secret: boolean } {
  const secret = text.includes(SECRET_OPEN);
  return { text: secret ? text.replace(/[\uE002\uE003]/g, "") : text, secret };
}

/** The binding names referenced in a string. */
export function bindingsIn(text: string): string[] {
  return [...text.matchAll(/\uE000([^\uE001]*)\uE001/g)].map((m) => m[1]!);
}

/** A string with markers, as the operator would read it: `${LIFTOFF_X}` for bindings, secrets hidden. */
export function displayText(text: string): string {
  return text.replace(/\uE000([^\uE001]*)\uE001/g, "${$1}").replace(/\uE002[^\uE003]*\uE003/g, "[secret]");
}
