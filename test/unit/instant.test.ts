import { describe, expect, it } from "vitest";
import { UserError } from "../../src/core/errors.js";
import { clampInstant, instantJson, MAX_INSTANT_MS, parseInstant } from "../../src/core/instant.js";
import { toDate } from "../../src/db/sql.js";

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserError);
    return (error as Error).message;
  }
  throw new Error("expected a refusal");
}

describe("the one parser of instants", () => {
  it("reads a time with Z or an offset as the instant it names", () => {
    expect(parseInstant("2027-03-01T12:00:00Z", "at").toISOString()).toBe("2027-03-01T12:00:00.000Z");
    expect(parseInstant("2027-03-01T21:00:00+09:00", "at").toISOString()).toBe("2027-03-01T12:00:00.000Z");
    expect(parseInstant("2027-03-01T07:00-05:00", "at").toISOString()).toBe("2027-03-01T12:00:00.000Z");
  });

  it("refuses a day the calendar does not have instead of rolling it into March", () => {
    expect(reason(() => parseInstant("2027-02-30T00:00:00Z", "sendAt"))).toBe(
      'sendAt "2027-02-30T00:00:00Z" is not a real date and time',
    );
    expect(reason(() => parseInstant("2027-02-29T00:00:00Z", "sendAt"))).toMatch(/not a real date/);
    expect(parseInstant("2028-02-29T00:00:00Z", "sendAt").toISOString()).toBe("2028-02-29T00:00:00.000Z");
  });

  it("refuses a time without an offset with one line that says so", () => {
    const text = reason(() => parseInstant("2027-03-01T12:00:00", "--send-at"));
    expect(text).toMatch(/^--send-at "2027-03-01T12:00:00" has no offset: add Z \(UTC\) or \+hh:mm/);
    expect(text).not.toContain("\n");
  });

  it("refuses other shapes and non-strings, naming the field and the accepted form", () => {
    expect(reason(() => parseInstant("2027-03-01", "endAt"))).toMatch(/^endAt "2027-03-01" is not an ISO 8601 time/);
    expect(reason(() => parseInstant(1767225600000, "endAt"))).toMatch(/^endAt must be an ISO 8601 time/);
    expect(reason(() => parseInstant("2027-03-01T12:00:00+19:00", "endAt"))).toMatch(/not a real date/);
  });

  it("makes the caller's error type", () => {
    class Custom extends Error {}
    expect(() => parseInstant("soon", "x", (m) => new Custom(m))).toThrow(Custom);
  });
});

describe("instants a Date cannot hold", () => {
  it("are clamped on reading: PostgreSQL's infinity (a number from pg), huge SQLite integers, invalid Dates", () => {
    expect(toDate(Number.POSITIVE_INFINITY)?.getTime()).toBe(MAX_INSTANT_MS);
    expect(toDate(Number.NEGATIVE_INFINITY)?.getTime()).toBe(-MAX_INSTANT_MS);
    expect(toDate(9e18)?.getTime()).toBe(MAX_INSTANT_MS);
    expect(toDate(-9e18)?.getTime()).toBe(-MAX_INSTANT_MS);
    expect(toDate(BigInt("9000000000000000000"))?.getTime()).toBe(MAX_INSTANT_MS);
    // pg builds an invalid Date for a timestamptz past year 275760.
    expect(toDate(new Date(Number.NaN))?.getTime()).toBe(MAX_INSTANT_MS);
    expect(toDate(1_767_225_600_000)?.toISOString()).toBe("2026-01-01T00:00:00.000Z");
  });

  it("render as infinity or -infinity, everything else as ISO 8601", () => {
    expect(instantJson(clampInstant(Number.POSITIVE_INFINITY))).toBe("infinity");
    expect(instantJson(clampInstant(-9e18))).toBe("-infinity");
    expect(instantJson(new Date(Number.NaN))).toBe("infinity");
    expect(instantJson(new Date("2027-03-01T12:00:00Z"))).toBe("2027-03-01T12:00:00.000Z");
    expect(instantJson(null)).toBeNull();
  });
});
