/**
 * Windows time zone ids, which Azure's auto-shutdown schedule (DevTest Labs `timeZoneId`) takes.
 * The list is CLDR's windowsZones mapping as the `windows-iana` package ships it: every id Windows
 * knows, with the IANA names each covers, so an IANA name (Europe/Berlin) can be translated.
 */
import { WINDOWS_TO_IANA_MAP, findWindows } from "windows-iana";

export const WINDOWS_TIME_ZONES: readonly string[] = [
  ...new Set(WINDOWS_TO_IANA_MAP.map((z) => z.windowsName as string)),
].sort();

const BY_LOWERCASE = new Map(WINDOWS_TIME_ZONES.map((id) => [id.toLowerCase(), id]));

/** The id as Windows spells it when `value` names one (case aside), else undefined. */
export function findWindowsTimeZone(value: string): string | undefined {
  return BY_LOWERCASE.get(value.trim().toLowerCase());
}

/** The Windows id for an IANA name such as Europe/Berlin, when it is one. */
export function windowsTimeZoneForIana(value: string): string | undefined {
  if (!value.includes("/")) return undefined;
  try {
    return findWindows(value.trim())[0];
  } catch {
    return undefined;
  }
}
