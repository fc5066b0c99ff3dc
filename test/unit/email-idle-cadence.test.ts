import { describe, expect, it } from "vitest";
import { idleWaitMs, reapEveryMs, safetyPollMs } from "../../src/services/email/send/idle-cadence.js";

describe("the idle email pool's cadence", () => {
  const base = { now: 1_000_000, pollIntervalMs: 500, reapAt: 1_000_000 + 15_000 };

  it("polls every EMAIL_POLL_INTERVAL_MS where new work is not announced, and reaps on time with a longer poll", () => {
    expect(idleWaitMs({ ...base, announced: false })).toBe(500);
    expect(idleWaitMs({ ...base, announced: false, pollIntervalMs: 600_000 })).toBe(15_000);
  });

  it("announced, sleeps until the next run_at, the next reap or the safety poll, whichever is first", () => {
    expect(idleWaitMs({ ...base, announced: true, nextRunAt: null })).toBe(15_000);
    expect(idleWaitMs({ ...base, announced: true, nextRunAt: new Date(base.now + 4_000) })).toBe(4_000);
    expect(idleWaitMs({ ...base, announced: true, reapAt: base.now + 60_000, nextRunAt: null })).toBe(30_000);
    // Due now but not claimed: another process's claim holds it; look again at the ordinary poll.
    expect(idleWaitMs({ ...base, announced: true, nextRunAt: new Date(base.now - 1) })).toBe(500);
  });

  it("keeps a configured poll longer than the safety poll", () => {
    expect(safetyPollMs(600_000, true)).toBe(600_000);
    expect(safetyPollMs(500, true)).toBe(30_000);
    expect(safetyPollMs(500, false)).toBe(500);
  });

  it("reaps every quarter of the lease, within 1 s and 60 s", () => {
    expect(reapEveryMs(60_000)).toBe(15_000);
    expect(reapEveryMs(2_000)).toBe(1_000);
    expect(reapEveryMs(86_400_000)).toBe(60_000);
  });
});
