import { describe, expect, it } from "vitest";
import { uuidv7 } from "../../src/core/ids.js";

describe("uuidv7", () => {
  it("is a version 7, variant 10 UUID carrying its millisecond", () => {
    const at = new Date("2026-11-23T12:00:00.123Z");
    const id = uuidv7(at);
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(Number.parseInt(id.replace(/-/g, "").slice(0, 12), 16)).toBe(at.getTime());
  });

  it("sorts in creation order, also for many made in one millisecond", () => {
    const at = new Date("2026-11-23T12:00:00.000Z");
    const ids = Array.from({ length: 5_000 }, () => uuidv7(at));
    expect([...ids].sort()).toEqual(ids);
    expect(new Set(ids).size).toBe(ids.length);
    const later = uuidv7(new Date(at.getTime() + 10));
    expect(later > (ids.at(-1) ?? "")).toBe(true);
  });
});
