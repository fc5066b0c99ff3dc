import { UserError } from "./errors.js";

/**
 * The one reader of instants that arrive as text (HTTP bodies, CLI options), and the bounds of
 * what a JavaScript Date can hold. The seed dropped time zones and let `Date` roll 30 February
 * over to 2 March; here a time must name its offset and its calendar date must exist.
 */

/** A Date holds at most this many milliseconds either side of the epoch (years -271821 to 275760). */
export const MAX_INSTANT_MS = 8.64e15;

export const INSTANT_FORM = "an ISO 8601 time with an offset, e.g. 2026-03-01T12:00:00Z or 2026-03-01T14:00:00+02:00";

// Date, "T", time with optional seconds and fraction, then the offset: Z, +hh:mm or +hhmm.
const ISO = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))?$/;

/**
 * `value` as an instant; otherwise throws what `toError` makes of a one-line reason that
 * starts with `field`. A time without an offset is refused, not read in the server's zone:
 * New York and Tokyo would store it 14 hours apart.
 */
export function parseInstant(
  value: unknown,
  field: string,
  toError: (message: string) => Error = (message) => new UserError(message),
): Date {
  if (typeof value !== "string") throw toError(`${field} must be ${INSTANT_FORM}`);
  const m = ISO.exec(value);
  if (!m) throw toError(`${field} "${value}" is not ${INSTANT_FORM}`);
  if (!m[8] && !m[9]) {
    throw toError(`${field} "${value}" has no offset: add Z (UTC) or +hh:mm, e.g. ${value}Z; it is not guessed`);
  }
  const found = instantOfMatch(m);
  // Offsets run from -18:00 to +18:00; a larger one is a typing slip, not a place.
  if (!found || Math.abs(found.offsetMinutes) > 18 * 60)
    throw toError(`${field} "${value}" is not a real date and time`);
  return found.at;
}

/**
 * The instant an ISO-shaped match names, for every reader of text times (this file's and the
 * Vertex AR seed's, whose patterns differ only in what may be left out). Groups: date 1-3,
 * time 4-6 and fraction 7 (absent parts read as zero), then Z at 8 or sign, hours and
 * minutes at 9-11 (none reads as UTC). Null where the date or time of day does not exist:
 * Date.UTC rolls 2027-02-30 over to 2 March, so the parts are checked against what it made.
 */
export function instantOfMatch(m: RegExpExecArray): { at: Date; offsetMinutes: number } | null {
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  const offsetMinutes = m[9] ? (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11])) : 0;
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  const real =
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60;
  return real ? { at: new Date(local - offsetMinutes * 60_000), offsetMinutes } : null;
}

/**
 * A stored instant as a Date that never throws on use. PostgreSQL's `infinity` and `-infinity`
 * (and its times past year 275760, which a Date cannot hold), and SQLite integers beyond
 * MAX_INSTANT_MS, become the latest or earliest Date there is: they still compare as later or
 * earlier than every real time, so an `end_at` of infinity is open-ended.
 */
export function clampInstant(ms: number): Date {
  if (Number.isNaN(ms)) return new Date(MAX_INSTANT_MS);
  return new Date(Math.max(-MAX_INSTANT_MS, Math.min(MAX_INSTANT_MS, ms)));
}

/**
 * An instant for a JSON body: ISO 8601 in UTC, or "infinity" / "-infinity" (as PostgreSQL
 * writes them) for the clamped ends, where an ISO string would claim a date nobody chose.
 */
export function instantJson(at: Date | null): string | null {
  if (at === null) return null;
  const ms = at.getTime();
  if (Number.isNaN(ms) || ms >= MAX_INSTANT_MS) return "infinity";
  if (ms <= -MAX_INSTANT_MS) return "-infinity";
  return at.toISOString();
}
