import { describe, expect, it } from "vitest";
import { readSeedTime } from "../../src/adopt/vertex-ar/naive-time.js";

/** Vertex AR's times are naive UTC text in two spellings; anything else is named, not guessed. */
describe("reading Vertex AR's times", () => {
  const iso = (value: unknown) => {
    const read = readSeedTime(value, "created_at");
    return read instanceof Date ? read.toISOString() : read;
  };

  it("reads SQLite's CURRENT_TIMESTAMP and Python's isoformat() as UTC", () => {
    expect(iso("2026-11-30 12:00:00")).toBe("2026-11-30T12:00:00.000Z");
    expect(iso("2026-11-30T12:00:00")).toBe("2026-11-30T12:00:00.000Z");
    expect(iso("2026-11-30T12:00:00.123456")).toBe("2026-11-30T12:00:00.123Z");
    expect(iso("2026-11-30 12:00")).toBe("2026-11-30T12:00:00.000Z");
    expect(iso("2026-11-30")).toBe("2026-11-30T00:00:00.000Z");
  });

  it("reads a time that names its offset with it", () => {
    expect(iso("2026-11-30T14:00:00+02:00")).toBe("2026-11-30T12:00:00.000Z");
    expect(iso("2026-11-30 12:00:00Z")).toBe("2026-11-30T12:00:00.000Z");
  });

  it("has no time for an empty value, and names the column and value of one it cannot read", () => {
    expect(iso(null)).toBeNull();
    expect(iso("")).toBeNull();
    expect(iso("yesterday")).toEqual({ problem: 'created_at "yesterday" is not a time' });
    expect(iso("2027-02-30 10:00:00")).toEqual({
      problem: 'created_at "2027-02-30 10:00:00" is not a real date and time',
    });
    expect(iso("2026-11-30 24:00:00")).toEqual({
      problem: 'created_at "2026-11-30 24:00:00" is not a real date and time',
    });
  });
});
