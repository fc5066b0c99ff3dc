import type { Clock } from "../../src/core/clock.js";
import { waitFor } from "../helpers/wait.js";

interface Sleeper {
  at: number;
  resolve: () => void;
}

/**
 * A clock that moves only when a test says so. `advance` fires due sleepers in time order,
 * letting each one's continuation run before the next, so a loop observes every tick.
 */
export class FakeClock implements Clock {
  private current: number;
  private sleepers: Sleeper[] = [];

  constructor(start: Date | string = "2026-01-05T00:00:00.000Z") {
    this.current = new Date(start).getTime();
  }

  now(): Date {
    return new Date(this.current);
  }

  set(to: Date | string): void {
    this.current = new Date(to).getTime();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const sleeper: Sleeper = {
        at: this.current + Math.max(0, ms),
        resolve: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      const onAbort = () => {
        this.sleepers = this.sleepers.filter((s) => s !== sleeper);
        sleeper.resolve();
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.sleepers.push(sleeper);
    });
  }

  get pendingSleeps(): number {
    return this.sleepers.length;
  }

  /** Moves time forward by `ms`, waking every sleeper due on the way, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      const next = this.sleepers.filter((s) => s.at <= target).sort((a, b) => a.at - b.at)[0];
      if (!next) break;
      this.current = Math.max(this.current, next.at);
      this.sleepers = this.sleepers.filter((s) => s !== next);
      next.resolve();
    }
    this.current = target;
    await settle();
  }

  /** Resolves once at least `n` sleeps are pending: the loop under test has gone idle. */
  async waitForSleepers(n = 1, timeoutMs = 10_000): Promise<void> {
    await waitFor(() => this.sleepers.length >= n, { what: `${n} sleeper(s)`, timeoutMs, everyMs: 1 });
  }
}

/** Lets queued promise continuations and I/O callbacks run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i += 1) await new Promise((r) => setImmediate(r));
}
