import type { Clock } from "./clock.js";
import { EventHub } from "./events.js";

/**
 * The one wake path: a loop that sleeps until its next poll is woken early when new work may
 * be there. A source of work announces it on the host's WakeHub (an enqueue in this process,
 * a PostgreSQL NOTIFY from another); each loop that wants it subscribes a Wakeup of its own.
 */

/** A fixed abort reason: aborting without one builds a DOMException, which is costly at thousands a second. */
const WOKEN = Object.freeze(new Error("woken"));

/**
 * Wakes one waiting loop early; a notify that arrives while the loop is busy is remembered, so
 * the next wait returns at once instead of sleeping through new work. It creates no signal per
 * notify and combines none, which matters on the send path, where it is notified for every
 * finished send.
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

/**
 * Announcements of new work, by topic ("email"), owned by one host: two apps in one process
 * each have their own, so one's enqueue never wakes the other's workers. Listeners are told a
 * turn of the event loop later, so that a caller's transaction has usually committed by the
 * time a worker looks (when it has not, the NOTIFY sent at commit or the poll picks it up);
 * announcements within that turn are told once.
 */
export class WakeHub {
  private readonly topics = new EventHub<Record<string, undefined>>();
  private readonly scheduled = new Set<string>();

  /** Calls `listener` after each announcement of `topic`; returns the unsubscribe. */
  on(topic: string, listener: () => void): () => void {
    return this.topics.on(topic, listener);
  }

  announce(topic: string): void {
    if (this.scheduled.has(topic) || !this.topics.listening(topic)) return;
    this.scheduled.add(topic);
    setImmediate(() => {
      this.scheduled.delete(topic);
      this.topics.emit(topic, undefined);
    });
  }
}
