import { describe, expect, it } from "vitest";
import { intOption, parseIntOption } from "../../src/cli/int-option.js";
import { UserError } from "../../src/core/errors.js";

describe("numeric CLI options", () => {
  it("reads integers within the option's range", () => {
    expect(parseIntOption("10", "--limit", 1, 10_000)).toBe(10);
    expect(parseIntOption("-5", "--priority", -1_000_000, 1_000_000)).toBe(-5);
    expect(intOption("--days", 1, 3650)("3650")).toBe(3650);
  });

  it.each([
    ["99999999999999999999", "--limit", 1, 10_000],
    ["10001", "--limit", 1, 10_000],
    ["0", "--max", 1, 1_000_000],
    ["1e3", "--priority", -1_000_000, 1_000_000],
    ["0x10", "--days", 1, 3650],
    ["1.5", "--days", 1, 3650],
    ["", "--days", 1, 3650],
    ["ten", "--days", 1, 3650],
  ])("refuses %s for %s with one line naming the option and its range", (value, option, min, max) => {
    let caught: unknown;
    try {
      parseIntOption(value, option, min, max);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toBe(`${option} "${value}" is not an integer from ${min} to ${max}`);
  });
});
