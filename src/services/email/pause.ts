import type { Clock } from "../../core/clock.js";
import type { SettingsStore } from "../../db/coordination/settings.js";

export const PAUSE_KEY = "email.paused";

/**
 * `steward email pause` is a row in the shared settings table, so every process sees it.
 * Workers read it through this cache instead of per claim: at most once per `maxAgeMs()`, and
 * at the next look after `invalidate()`. On PostgreSQL with LISTEN in place every change is
 * announced (SettingsStore.set NOTIFYs), so the service invalidates on that and lets the
 * cache grow old; without the announcement the age is EMAIL_POLL_INTERVAL_MS, the promise
 * `steward email pause` prints.
 */
export class PauseSwitch {
  private value = false;
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settings: SettingsStore,
    private readonly clock: Clock,
    private readonly maxAgeMs: () => number,
  ) {}

  get paused(): boolean {
    return this.value;
  }

  /** The switch may have changed: read it at the next look. */
  invalidate(): void {
    this.readAt = Number.NEGATIVE_INFINITY;
  }

  async isPaused(): Promise<boolean> {
    const now = this.clock.now().getTime();
    if (now - this.readAt >= this.maxAgeMs()) {
      // Marked read before the query: an invalidate() while it runs must cause another read.
      this.readAt = now;
      try {
        this.value = await this.settings.get<boolean>(PAUSE_KEY, false);
      } catch (error) {
        this.readAt = Number.NEGATIVE_INFINITY;
        throw error;
      }
    }
    return this.value;
  }
}

export async function setPaused(settings: SettingsStore, paused: boolean, now: Date): Promise<void> {
  await settings.set(PAUSE_KEY, paused, now);
}
