import type { Clock } from "../../core/clock.js";

/**
 * EMAIL_RATE_LIMIT: messages per second over all of this process's workers. Each send
 * reserves the next free slot, one every 1/rate seconds, and waits for it; 0 disables the
 * limit. Up to one second of unused rate may be spent at once, so an idle queue is not
 * slowed down for its first messages.
 */
export class RateLimiter {
  private nextSlot = 0;

  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {}

  /** Resolves when this send may go; false when `signal` aborted the wait. */
  async take(signal: AbortSignal): Promise<boolean> {
    if (this.perSecond <= 0) return !signal.aborted;
    const interval = 1000 / this.perSecond;
    const now = this.clock.now().getTime();
    const burstFloor = now - Math.max(0, 1000 - interval);
    const slot = Math.max(this.nextSlot, burstFloor);
    this.nextSlot = slot + interval;
    const wait = slot - now;
    if (wait > 0) await this.clock.sleep(wait, signal);
    return !signal.aborted;
  }
}
