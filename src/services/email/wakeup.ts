import type { Clock } from "../../core/clock.js";

/** A fixed abort reason: aborting without one builds a DOMException, which is costly at thousands a second. */
const WOKEN = Object.freeze(new Error("woken"));

/**
 * Wakes a waiting loop early; a notify that arrives while the loop is busy is remembered,
 * so the next wait returns at once instead of sleeping through new work. Unlike
 * interruptibleSleep it creates no signal per notify and combines none, which matters on
 * the send path, where it is notified for every finished send.
 */
export class Wakeup {
  private pending = false;
  private current: AbortController | undefined;

  notify(): void {
    if (this.current) this.current.abort(WOKEN);
    else this.pending = true;
  }

  /** Waits up to `ms` on `clock`, or until notified or `stop` aborts. */
  async wait(clock: Clock, ms: number, stop: AbortSignal): Promise<void> {
    if (this.pending || stop.aborted) {
      this.pending = false;
      return;
    }
    const controller = new AbortController();
    this.current = controller;
    const onStop = () => controller.abort(WOKEN);
    stop.addEventListener("abort", onStop, { once: true });
    try {
      await clock.sleep(ms, controller.signal);
    } finally {
      stop.removeEventListener("abort", onStop);
      this.current = undefined;
      this.pending = false;
    }
  }
}
