/**
 * The only source of time for services. Tests substitute a fake that drives days of
 * schedule in milliseconds (test/fakes/fake-clock.ts).
 */
export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or at once when `signal` aborts. Never rejects. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep(ms, signal) {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const timer = setTimeout(done, Math.max(0, ms));
      function done() {
        clearTimeout(timer);
        signal?.removeEventListener("abort", done);
        resolve();
      }
      signal?.addEventListener("abort", done, { once: true });
    });
  },
};

/**
 * Wakes a sleeping loop early. A wake that arrives while the loop is busy is remembered,
 * so the loop runs again at once instead of sleeping through new work.
 */
export class Waker {
  private controller = new AbortController();
  private pending = false;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  wake(): void {
    this.pending = true;
    this.controller.abort();
    this.controller = new AbortController();
  }

  /** True when a wake arrived since the last call. */
  consume(): boolean {
    const was = this.pending;
    this.pending = false;
    return was;
  }
}

/** Sleep that a Waker or a stop signal can cut short. */
export async function interruptibleSleep(clock: Clock, ms: number, waker: Waker, stop: AbortSignal): Promise<void> {
  if (stop.aborted || waker.consume()) return;
  const both = AbortSignal.any([waker.signal, stop]);
  await clock.sleep(ms, both);
  waker.consume();
}
