import { describe, expect, it } from "vitest";
import {
  dayOf,
  formatBytes,
  formatDuration,
  formatInstant,
  formatRelative,
  isoToLocalInput,
  localInputToIso,
} from "../../../src/dashboard/format.js";

describe("dashboard time formatting", () => {
  it("shows an instant in the reader's zone and keeps the UTC value for the hover title", () => {
    const iso = "2026-12-01T12:00:00.000Z";
    const ny = formatInstant(iso, { locale: "en-US", timeZone: "America/New_York" });
    expect(ny).toEqual({ text: "Dec 1, 2026, 07:00:00 AM", iso });
    const tokyo = formatInstant(iso, { locale: "en-US", timeZone: "Asia/Tokyo" });
    expect(tokyo.text).toBe("Dec 1, 2026, 09:00:00 PM");
    expect(tokyo.iso).toBe(iso);
  });

  it("reads open-ended and missing instants as words, with no title", () => {
    expect(formatInstant("infinity")).toEqual({ text: "never", iso: null });
    expect(formatInstant("-infinity")).toEqual({ text: "always", iso: null });
    expect(formatInstant(null)).toEqual({ text: "—", iso: null });
    expect(formatInstant("not a time")).toEqual({ text: "not a time", iso: null });
  });

  it("groups by the reader's calendar day, not UTC's", () => {
    const late = "2026-12-02T03:30:00.000Z"; // still Dec 1 in New York
    expect(dayOf(late, { locale: "en-US", timeZone: "America/New_York" })).toEqual({
      key: "2026-12-01",
      text: "Tue, Dec 1",
    });
    expect(dayOf(late, { locale: "en-US", timeZone: "UTC" }).key).toBe("2026-12-02");
  });

  it("says durations in their two largest units", () => {
    expect(formatDuration(450)).toBe("450 ms");
    expect(formatDuration(12_345)).toBe("12.3 s");
    expect(formatDuration(95_000)).toBe("1 min 35 s");
    expect(formatDuration(3 * 3600_000 + 5 * 60_000 + 9_000)).toBe("3 h 5 min");
    expect(formatDuration(2 * 86_400_000 + 30_000)).toBe("2 d");
    expect(formatDuration(3600_000)).toBe("1 h");
    expect(formatDuration(null)).toBe("—");
  });

  it("says how far a time is from now, either way", () => {
    const now = new Date("2026-12-01T12:00:00.000Z");
    expect(formatRelative("2026-12-01T12:05:00.000Z", now)).toBe("in 5 min");
    expect(formatRelative("2026-12-01T09:58:00.000Z", now)).toBe("2 h 2 min ago");
    expect(formatRelative("2026-12-01T12:00:00.400Z", now)).toBe("now");
    expect(formatRelative("infinity", now)).toBe("");
  });

  it("says sizes in binary units with three significant digits", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.50 KiB");
    expect(formatBytes(48 * 1024 * 1024 + 12_345)).toBe("48.0 MiB");
    expect(formatBytes(512 * 1024 * 1024)).toBe("512 MiB");
    expect(formatBytes(3 * 1024 ** 4)).toBe("3.00 TiB");
    expect(formatBytes(null)).toBe("—");
  });

  it("turns a datetime-local value into UTC and back", () => {
    expect(localInputToIso("")).toBe("");
    expect(localInputToIso("garbage")).toBe("");
    const iso = localInputToIso("2026-12-01T08:30");
    expect(iso).toMatch(/^2026-12-0[12]T\d\d:30:00\.000Z$/);
    expect(isoToLocalInput(iso)).toBe("2026-12-01T08:30");
  });
});
