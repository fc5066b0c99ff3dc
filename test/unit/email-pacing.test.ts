import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../src/services/email/send/rate-limiter.js";
import { FakeClock } from "../fakes/fake-clock.js";

/** Asks `limiter` for `count` slots at once; `passed` fills with when each went, in ms after `from`. */
function takeMany(limiter: RateLimiter, clock: FakeClock, count: number, from = clock.now().getTime()) {
  const signal = new AbortController().signal;
  const passed: number[] = [];
  const done = Promise.all(
    Array.from({ length: count }, () => limiter.take(signal).then(() => passed.push(clock.now().getTime() - from))),
  );
  return { passed, done };
}

describe("EMAIL_RATE_LIMIT pacing", () => {
  it("lets a second's worth through at once after idling, and never more than the rate in any second", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(4, clock);
    const start = clock.now().getTime();
    const burst = takeMany(limiter, clock, 10, start);
    await clock.advance(0);
    expect(burst.passed).toEqual([0, 0, 0, 0]);
    await clock.advance(2000);
    await burst.done;
    expect(burst.passed).toEqual([0, 0, 0, 0, 1000, 1000, 1000, 1000, 2000, 2000]);
    // Later sends, spaced out, go at once while the last second holds fewer than four.
    await clock.advance(5000);
    const spaced: ReturnType<typeof takeMany>[] = [];
    for (let i = 0; i < 6; i += 1) {
      spaced.push(takeMany(limiter, clock, 1, start));
      await clock.advance(100);
    }
    await clock.advance(1000);
    await Promise.all(spaced.map((s) => s.done));
    expect(spaced.flatMap((s) => s.passed)).toEqual([7000, 7100, 7200, 7300, 8000, 8100]);
  });

  it("keeps a fractional rate's average", async () => {
    const clock = new FakeClock();
    const half = takeMany(new RateLimiter(0.5, clock), clock, 3);
    await clock.advance(4000);
    await half.done;
    expect(half.passed).toEqual([0, 2000, 4000]);
    // 2.5 a second: one every 400 ms, never two bursts of two inside one second.
    const faster = takeMany(new RateLimiter(2.5, clock), clock, 5);
    await clock.advance(2000);
    await faster.done;
    expect(faster.passed).toEqual([0, 400, 800, 1200, 1600]);
  });

  it("does not wait at all with no limit, and a stop ends a wait", async () => {
    const clock = new FakeClock();
    expect(await new RateLimiter(0, clock).take(new AbortController().signal)).toBe(true);
    const limiter = new RateLimiter(1, clock);
    const stop = new AbortController();
    await limiter.take(stop.signal);
    const waiting = limiter.take(stop.signal);
    stop.abort();
    expect(await waiting).toBe(false);
  });
});
