import type { Clock } from "../../core/clock.js";
import type { SettingsStore } from "../../db/coordination/settings.js";

export const PAUSE_KEY = "email.paused";

/**
 * `steward email pause` is a row in the shared settings table, so every process sees it.
 * Workers read it through this cache, at most once per `maxAgeMs`, instead of per claim.
 */
export class PauseSwitch {
  private value = false;
  private readAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly settings: SettingsStore,
    private readonly clock: Clock,
    private readonly maxAgeMs: number,
  ) {}

  get paused(): boolean {
    return this.value;
  }

  async isPaused(): Promise<boolean> {
    const now = this.clock.now().getTime();
    if (now - this.readAt >= this.maxAgeMs) {
      this.value = await this.settings.get<boolean>(PAUSE_KEY, false);
      this.readAt = now;
    }
    return this.value;
  }
}

export async function setPaused(settings: SettingsStore, paused: boolean, now: Date): Promise<void> {
  await settings.set(PAUSE_KEY, paused, now);
}
