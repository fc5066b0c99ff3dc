import type { Clock } from "../../../core/clock.js";

/**
 * EMAIL_RATE_LIMIT: messages per second over all of this process's workers; 0 disables it.
 * A sliding window: with an integer rate R, no second ever holds more than R sends, and an
 * idle queue may still send its first R at once. (The earlier token bucket let a second of
 * saved-up rate go out on top of the current second's, nearly twice R in one second, which is
 * what a provider's per-second limit refuses.) A fractional rate keeps the same average, in
 * windows of one send at a time.
 */
export class RateLimiter {
  /** The slots given out most recently, ascending; at most `burst` of them are kept. */
  private readonly slots: number[] = [];
  private readonly burst: number;
  private readonly windowMs: number;

  constructor(
    private readonly perSecond: number,
    private readonly clock: Clock,
  ) {
    // Only a whole rate fits whole sends into one second; a fractional one goes one at a time.
    this.burst = Number.isInteger(perSecond) && perSecond >= 1 ? perSecond : 1;
    this.windowMs = perSecond > 0 ? (this.burst * 1000) / perSecond : 0;
  }

  /** Resolves when this send may go; false when `signal` aborted the wait. */
  async take(signal: AbortSignal): Promise<boolean> {
    if (this.perSecond <= 0) return !signal.aborted;
    const now = this.clock.now().getTime();
    // The slot `burst` sends back bounds this one: never `burst + 1` sends inside one window.
    const bound = this.slots.length < this.burst ? now : (this.slots[0] as number) + this.windowMs;
    const slot = Math.max(now, bound);
    this.slots.push(slot);
    if (this.slots.length > this.burst) this.slots.shift();
    const wait = slot - now;
    if (wait > 0) await this.clock.sleep(wait, signal);
    return !signal.aborted;
  }
}
