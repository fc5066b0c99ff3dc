/**
 * Vertex AR's times: TIMESTAMP text without an offset, written either by SQLite's
 * CURRENT_TIMESTAMP (`2026-11-30 12:00:00`) or by Python's `datetime.utcnow().isoformat()`
 * (`2026-11-30T12:00:00.123456`); both are UTC. Steward's own parser refuses a time without an
 * offset, rightly for input a person types; here the seed's convention is known, so the naive
 * form is read as UTC. A time that already names its offset is read with it.
 */

const NAIVE =
  /^(\d{4})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?)?(?:(Z)|([+-])(\d{2}):?(\d{2}))?$/;

/** The instant, null for an empty value, or a one-line reason naming `column`. */
export function readSeedTime(value: unknown, column: string): Date | null | { problem: string } {
  if (value === null || value === undefined || value === "") return null;
  const text = typeof value === "string" ? value.trim() : String(value);
  const m = NAIVE.exec(text);
  if (!m) return { problem: `${column} "${text}" is not a time` };
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Number((m[7] ?? "").padEnd(3, "0").slice(0, 3));
  const offsetMinutes = m[8] || !m[9] ? 0 : (m[9] === "-" ? -1 : 1) * (Number(m[10]) * 60 + Number(m[11]));
  const local = Date.UTC(year, month - 1, day, hour, minute, second, ms);
  const check = new Date(local);
  const real =
    check.getUTCFullYear() === year &&
    check.getUTCMonth() === month - 1 &&
    check.getUTCDate() === day &&
    hour < 24 &&
    minute < 60 &&
    second < 60;
  if (!real) return { problem: `${column} "${text}" is not a real date and time` };
  return new Date(local - offsetMinutes * 60_000);
}
