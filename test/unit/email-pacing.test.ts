import { describe, expect, it } from "vitest";
import { RateLimiter } from "../../src/services/email/rate-limiter.js";
import { Wakeup } from "../../src/services/email/wakeup.js";
import { FakeClock } from "../fakes/fake-clock.js";

describe("EMAIL_RATE_LIMIT pacing", () => {
  it("lets a second's worth through at once after idling, and never more than the rate in any second", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(4, clock);
    const signal = new AbortController().signal;
    const passed: number[] = [];
    const start = clock.now().getTime();
    const takes = Array.from({ length: 10 }, () =>
      limiter.take(signal).then(() => passed.push(clock.now().getTime() - start)),
    );
    await clock.advance(0);
    expect(passed).toEqual([0, 0, 0, 0]);
    await clock.advance(2000);
    await Promise.all(takes);
    expect(passed).toEqual([0, 0, 0, 0, 1000, 1000, 1000, 1000, 2000, 2000]);
    // Later sends, spaced out, go at once while the last second holds fewer than four.
    await clock.advance(5000);
    const later: number[] = [];
    const spaced: Promise<unknown>[] = [];
    for (let i = 0; i < 6; i += 1) {
      spaced.push(limiter.take(signal).then(() => later.push(clock.now().getTime() - start)));
      await clock.advance(100);
    }
    await clock.advance(1000);
    await Promise.all(spaced);
    expect(later).toEqual([7000, 7100, 7200, 7300, 8000, 8100]);
  });

  it("keeps a fractional rate's average", async () => {
    const clock = new FakeClock();
    const limiter = new RateLimiter(0.5, clock);
    const signal = new AbortController().signal;
    const passed: number[] = [];
    const start = clock.now().getTime();
    const takes = Array.from({ length: 3 }, () =>
      limiter.take(signal).then(() => passed.push(clock.now().getTime() - start)),
    );
    await clock.advance(4000);
    await Promise.all(takes);
    expect(passed).toEqual([0, 2000, 4000]);
    // 2.5 a second: one every 400 ms, never two bursts of two inside one second.
    const faster = new RateLimiter(2.5, clock);
    const at: number[] = [];
    const t0 = clock.now().getTime();
    const more = Array.from({ length: 5 }, () => faster.take(signal).then(() => at.push(clock.now().getTime() - t0)));
    await clock.advance(2000);
    await Promise.all(more);
    expect(at).toEqual([0, 400, 800, 1200, 1600]);
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

describe("wake-ups", () => {
  it("cuts a wait short, and remembers a notify that came while nobody waited", async () => {
    const clock = new FakeClock();
    const wakeup = new Wakeup();
    const stop = new AbortController().signal;
    let woke = false;
    const waiting = wakeup.wait(clock, 60_000, stop).then(() => {
      woke = true;
    });
    await clock.waitForSleepers(1);
    wakeup.notify();
    await waiting;
    expect(woke).toBe(true);
    wakeup.notify();
    await wakeup.wait(clock, 60_000, stop);
    expect(clock.pendingSleeps).toBe(0);
  });
});
