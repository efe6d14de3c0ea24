/**
 * How one setting is declared: its key, type, default (fixed, the profile's, or derived from other
 * settings), allowed values, description and, for a secret, its purpose and how to obtain it. The
 * declarations themselves are the tables in settings.ts; the known keys, the checks a setting's
 * type implies, the secrets list and docs/configuration.md all come from them.
 */
import type { z } from "zod";
import { closest, type ConfigReader, type SecretDefinition, type SecretRequirement } from "./reader";
import type { Profile } from "./profiles";

/** How the value is written in the stack file, as the doc names it. */
export type SettingType =
  "text" | "whole number" | "true/false" | "one of" | "list" | "map" | "list or map" | "secret" | "secret map";

/** What the setting is when the stack does not set it. */
export type SettingDefault<T> =
  /** The stack must set it (`when`: only in that case). */
  | { readonly kind: "required"; readonly when?: string }
  /** Unset means absent; `meaning` says what that does. */
  | { readonly kind: "none"; readonly meaning?: string }
  | { readonly kind: "fixed"; readonly value: T }
  /** The profile's value (environments/profiles.ts). */
  | { readonly kind: "profile"; readonly of: (profile: Profile) => T }
  /** Computed from other settings, as `text` says. */
  | { readonly kind: "derived"; readonly text: string };

export interface Setting<T = unknown> {
  /** Key without namespace: `liftoff:<key>`. */
  readonly key: string;
  readonly type: SettingType;
  /** What it is for, one sentence fragment for the reference. */
  readonly description: string;
  /** The values allowed, as problems and the reference say it. */
  readonly allowed: string;
  /** A valid value, used in suggested commands (structured settings: a YAML line). */
  readonly example: string;
  readonly default: SettingDefault<T>;
  /** Set for secrets: what it does ("it ...") and how to obtain the value. */
  readonly secret?: { readonly purpose: string; readonly obtain: string };
  /**
   * The value as the table declares it: read, checked against the type (range, choices, shape),
   * defaulted; a problem is reported and undefined returned when it is invalid, or unset without a
   * default. Without a profile (the stack names none that exists) profile defaults are undefined.
   * Checks only the setting's own section knows come after, in the section's read steps.
   */
  read(reader: ConfigReader, profile?: Profile): T | undefined;
}

/** A declaration without its key, which the table supplies. */
type Declaration<T> = (key: string) => Setting<T>;

interface Common<T> {
  readonly description: string;
  readonly allowed: string;
  readonly example: string;
  readonly default: SettingDefault<T>;
}

/**
 * A section's table of settings, keyed by setting name: `settingsTable({ sshPort: integer(...) })`
 * gives `{ sshPort: Setting<number> }` with `key: "sshPort"`.
 */
export function settingsTable<D extends Record<string, Declaration<unknown>>>(
  declarations: D,
): { readonly [K in keyof D]: D[K] extends Declaration<infer T> ? Setting<T> : never } {
  return Object.fromEntries(Object.entries(declarations).map(([key, declare]) => [key, declare(key)])) as never;
}

/** The value a default gives for this profile, when it is a value (not derived or required). */
export function defaultValue<T>(setting: Pick<Setting<T>, "default">, profile: Profile | undefined): T | undefined {
  const d = setting.default;
  if (d.kind === "fixed") return d.value;
  if (d.kind === "profile") return profile && d.of(profile);
  return undefined;
}

/** Text; the section checks its form (`type` names it for the reference, e.g. "one of" a list with its own messages). */
export function text(declaration: Common<string> & { readonly type?: SettingType }): Declaration<string> {
  return (key) => ({
    key,
    type: "text",
    ...declaration,
    read: (reader, profile) => reader.text(key) ?? defaultValue(declaration, profile),
  });
}

/** A whole number in [min, max]. */
export function integer(
  declaration: Omit<Common<number>, "allowed"> & { readonly min: number; readonly max: number },
): Declaration<number> {
  const { min, max, ...rest } = declaration;
  return (key) => ({
    key,
    type: "whole number",
    allowed: `a whole number from ${min} to ${max}`,
    ...rest,
    read: (reader, profile) => reader.integer(key, defaultValue(declaration, profile), min, max, declaration.example),
  });
}

/** `true` or `false`. */
export function flag(declaration: Omit<Common<boolean>, "allowed" | "example">): Declaration<boolean> {
  return (key) => ({
    key,
    type: "true/false",
    allowed: "true or false",
    example: "true",
    ...declaration,
    read: (reader, profile) => reader.boolean(key, defaultValue(declaration, profile) ?? false),
  });
}

/** One of a fixed list of names; `noun` completes "is not ..." in the problem. */
export function oneOf<C extends string>(
  declaration: Omit<Common<C>, "allowed"> & {
    readonly choices: readonly C[];
    readonly noun: string;
    readonly allowed?: string;
  },
): Declaration<C> {
  const { choices, noun, ...rest } = declaration;
  return (key) => ({
    key,
    type: "one of",
    allowed: choices.join(", "),
    ...rest,
    read: (reader, profile) => {
      const value = reader.text(key) ?? defaultValue(declaration, profile);
      if (value === undefined || (choices as readonly string[]).includes(value)) return value as C | undefined;
      reader.error({
        key: reader.key(key),
        value,
        message: `is not ${noun}`,
        allowed: declaration.allowed ?? choices.join(", "),
        fix: reader.setCommand(key, closest(value, choices) ?? declaration.example),
      });
      return undefined;
    },
  });
}

/** A list or map in the stack file, checked against a zod schema; each shape problem names the nested key. */
export function structured<T>(
  declaration: Common<T> & {
    readonly type: "list" | "map" | "list or map" | "secret map";
    readonly schema: z.ZodType<T>;
  },
): Declaration<T> {
  const { schema, ...rest } = declaration;
  return (key) => ({
    key,
    ...rest,
    read: (reader, profile) =>
      reader.structured(key, schema, declaration.allowed, declaration.example) ?? defaultValue(declaration, profile),
  });
}

/**
 * A secret no default can stand in for: missing is an error under `pulumi up` (a warning in the
 * offline plan), plain text always an error. `obtain` says where the value comes from; the command
 * that sets it is added from the key.
 */
export function secret(declaration: {
  readonly purpose: string;
  readonly obtain: string;
  readonly required?: string;
}): Declaration<SecretRequirement> {
  return (key) => {
    const definition: SecretDefinition = { key, purpose: declaration.purpose, obtain: declaration.obtain };
    return {
      key,
      type: "secret",
      description: declaration.purpose,
      allowed: "a secret value",
      example: "<secret>",
      default: { kind: "required", ...(declaration.required ? { when: declaration.required } : {}) },
      secret: { purpose: declaration.purpose, obtain: declaration.obtain },
      read: (reader) => reader.requireSecret(definition),
    };
  };
}

/**
 * One part of the one validation step: the settings it declares (settings.ts) and how it turns them
 * into its part of the spec, given what earlier sections produced (`Input`: nothing for the core,
 * the core's draft for a layer). It always returns its part, with stand-ins where a setting is
 * invalid, so later sections are still checked; its problems go to the reader, and the spec exists
 * only when the reader holds no error.
 */
export interface Section<Name extends string, Input, T> {
  readonly name: Name;
  /** What its settings are about, as the configuration reference's heading. */
  readonly title: string;
  readonly settings: Readonly<Record<string, Setting>>;
  read(reader: ConfigReader, input: Input): T;
}
