import { instantOfMatch } from "../../core/instant.js";

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
  // No offset reads as UTC here (the seed's convention); an offset's size is not bounded, as before.
  const found = instantOfMatch(m);
  if (!found) return { problem: `${column} "${text}" is not a real date and time` };
  return found.at;
}
