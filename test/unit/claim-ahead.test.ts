import { describe, expect, it } from "vitest";
import { ClaimAhead } from "../../src/services/email/send/claim-ahead.js";

describe("ClaimAhead", () => {
  it("claims ahead about 250 ms of sending, between max(workers, 10) and the store's most", () => {
    const sizing = new ClaimAhead(10, 500);
    expect(sizing.ahead).toBe(50); // 10 slots x 250 ms / the 50 ms first guess
    for (let i = 0; i < 50; i += 1) sizing.recordSend(0.01);
    expect(sizing.ahead).toBe(500);
    for (let i = 0; i < 50; i += 1) sizing.recordSend(10_000);
    expect(sizing.ahead).toBe(10);
    expect(new ClaimAhead(40, 500).ahead).toBe(200);
    const pg = new ClaimAhead(10, 1_000);
    for (let i = 0; i < 50; i += 1) pg.recordSend(0.01);
    expect(pg.ahead).toBe(1_000);
    expect(pg.hold).toBe(1_010);
  });

  it("waits until half the claim-ahead is free, unless what is left under max fits", () => {
    const sizing = new ClaimAhead(10, 500); // hold 60: 10 slots and 50 ahead
    expect(sizing.room(0, 0, Number.POSITIVE_INFINITY)).toBe(60);
    expect(sizing.room(40, 0, Number.POSITIVE_INFINITY)).toBe(0); // 20 free, under half of 50
    expect(sizing.roomFor(40)).toBe(false);
    expect(sizing.room(35, 0, Number.POSITIVE_INFINITY)).toBe(25);
    expect(sizing.roomFor(35)).toBe(true);
    expect(sizing.room(40, 95, 100)).toBe(5); // the last 5 under max fit in the 20 free
    expect(sizing.room(0, 100, 100)).toBe(0);
  });
});
