import type { EventHub } from "../../src/core/events.js";
import type { FakeClock } from "../fakes/fake-clock.js";

/**
 * The one way a test waits for something the code under test will make true: a state it polls
 * (`waitFor`) or an event it is told of (`waitForEvent`). Never a sleep of a guessed length:
 * the wait ends as soon as the condition holds, and the timeout only bounds a failure.
 */

export interface WaitOptions {
  /** What is awaited, for the timeout's message ("the first pass", "2000 sent rows"). */
  what?: string;
  /** Default 30 s: far beyond any healthy wait, so only a failure reaches it. */
  timeoutMs?: number;
  /** How often to look; default 5 ms. */
  everyMs?: number;
}

/**
 * Polls `check` until it returns something truthy, and returns that value. A check may be
 * synchronous or async (a query); a check that throws ends the wait with its error.
 */
export async function waitFor<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  options: WaitOptions = {},
): Promise<T> {
  const { what = "a condition", timeoutMs = 30_000, everyMs = 5 } = options;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/**
 * Resolves with the next `name` event on `hub` for which `matches` holds. It listens from the
 * moment it is called: call it before whatever causes the event, then await it.
 */
export function waitForEvent<Events extends object, K extends keyof Events>(
  hub: EventHub<Events>,
  name: K,
  matches: (event: Events[K]) => boolean = () => true,
  options: Omit<WaitOptions, "everyMs"> = {},
): Promise<Events[K]> {
  const { what = `the ${String(name)} event`, timeoutMs = 30_000 } = options;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
    }, timeoutMs);
    const off = hub.on(name, (event) => {
      if (!matches(event)) return;
      clearTimeout(timer);
      off();
      resolve(event);
    });
  });
}

export interface StepOptions {
  /** Fake time per step; default 100 ms. */
  stepMs?: number;
  /** Real time after each step, for real I/O (a database, an SMTP exchange) to go on; default 5 ms. */
  ioMs?: number;
}

/**
 * Moves a fake clock `totalMs` forward a step at a time, letting real I/O run between steps, so
 * loops that sleep on the fake clock and talk to real servers keep pace with it.
 */
export async function advanceBy(clock: FakeClock, totalMs: number, options: StepOptions = {}): Promise<void> {
  const { stepMs = 100, ioMs = 5 } = options;
  for (let moved = 0; moved < totalMs; moved += stepMs) {
    await clock.advance(Math.min(stepMs, totalMs - moved));
    await new Promise((resolve) => setTimeout(resolve, ioMs));
  }
}

/**
 * Moves a fake clock a step at a time, letting real I/O run between steps, until `done` holds;
 * fails after `maxMs` of fake time.
 */
export async function advanceUntil(
  clock: FakeClock,
  done: () => boolean | Promise<boolean>,
  options: StepOptions & { maxMs?: number; what?: string } = {},
): Promise<void> {
  const { stepMs = 100, ioMs = 5, maxMs = 120_000, what = "a condition" } = options;
  for (let moved = 0; moved <= maxMs; moved += stepMs) {
    if (await done()) return;
    await advanceBy(clock, stepMs, { stepMs, ioMs });
  }
  throw new Error(`${what} not reached within ${maxMs} ms of fake time`);
}
