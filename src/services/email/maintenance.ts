import type { Clock } from "../../core/clock.js";
import { toError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { RunTracker } from "../../core/run-tracker.js";
import type { TickClaimStore } from "../../db/coordination/tick-claims.js";
import type { PoolTotals } from "./send/worker-pool.js";
import { foldUncounted, tidyEmailCounters } from "./store/counts.js";
import type { EmailStore, QueueStats } from "./store.js";

/** How often the counts behind status() and the gauges are refreshed. */
export const STATS_EVERY_MS = 2_000;
const DAY_MS = 86_400_000;
const RECORD_EVERY_MS = 60_000;
const TIDY_EVERY_MS = 60_000;

export interface MaintenanceDeps {
  store: EmailStore;
  clock: Clock;
  logger: Logger;
  tracker: RunTracker;
  ticks: TickClaimStore;
  holder: string;
  retentionDays: number;
  /** Fresh counts: for the gauges and the backlog alert. */
  onStats(stats: QueueStats): void;
  refreshPause(): Promise<void>;
  activity(): Partial<PoolTotals>;
}

/**
 * The queue's background chores, off the send path: counts for status() (which must never
 * query) and the gauges, the pause switch, a run record per active minute in the shared
 * service state, and the retention cleanup, once a day across all processes (a tick claim).
 */
export class QueueMaintenance {
  private stats: QueueStats | undefined;
  private statsAt: Date | undefined;
  private lastCleanup: { at: string; deleted: number } | undefined;
  private cleanupDay = -1;
  private recordedAt: Date;
  private recorded: Partial<PoolTotals> = {};
  private tidiedAt = 0;
  private readonly stopping = new AbortController();
  private loop: Promise<void> | undefined;
  private cleaning: Promise<void> | undefined;

  constructor(private readonly deps: MaintenanceDeps) {
    this.recordedAt = deps.clock.now();
  }

  start(): void {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.loop;
    await this.cleaning;
    await this.recordActivity(true);
  }

  details(): Record<string, unknown> {
    const stats = this.stats;
    return {
      counts: stats?.counts ?? null,
      oldestPendingAgeSeconds: stats?.oldestPendingAgeSeconds ?? null,
      sentLastMinute: stats?.sentLastMinute ?? null,
      failedLastMinute: stats?.failedLastMinute ?? null,
      countsAt: this.statsAt?.toISOString() ?? null,
      lastCleanup: this.lastCleanup ?? null,
    };
  }

  private async run(): Promise<void> {
    const stop = this.stopping.signal;
    while (!stop.aborted) {
      await this.chore("counts", () => this.refresh());
      await this.chore("counters", () => this.tidyCounters());
      await this.chore("pause", () => this.deps.refreshPause());
      // In the background: a cleanup of millions of rows takes a while in its small batches,
      // and the counts must go on being refreshed meanwhile.
      this.cleaning ??= this.chore("cleanup", () => this.dailyCleanup()).finally(() => {
        this.cleaning = undefined;
      });
      await this.chore("record", () => this.recordActivity(false));
      await this.deps.clock.sleep(STATS_EVERY_MS, stop);
    }
  }

  private async chore(name: string, fn: () => Promise<void>): Promise<void> {
    try {
      await fn();
    } catch (error) {
      this.deps.logger.warn({ chore: name, err: toError(error) }, "email queue chore failed");
    }
  }

  private async refresh(): Promise<void> {
    const now = this.deps.clock.now();
    // SQLite: the jobs enqueued since the last refresh go into the counters here, in a chore,
    // so that reading the counts (the API's, the CLI's) never has to write or wait for a writer.
    await foldUncounted(this.deps.store.sql, now);
    this.stats = await this.deps.store.stats(now);
    this.statsAt = now;
    this.deps.onStats(this.stats);
  }

  /** Once a minute: fold PostgreSQL's per-backend counter rows, drop minutes older than the hour kept. */
  private async tidyCounters(): Promise<void> {
    const now = this.deps.clock.now();
    if (now.getTime() - this.tidiedAt < TIDY_EVERY_MS) return;
    this.tidiedAt = now.getTime();
    await tidyEmailCounters(this.deps.store.sql, now);
  }

  async dailyCleanup(): Promise<void> {
    const { clock, retentionDays, ticks, holder, store, logger } = this.deps;
    const now = clock.now();
    const day = Math.floor(now.getTime() / DAY_MS);
    if (retentionDays <= 0 || day === this.cleanupDay) return;
    this.cleanupDay = day;
    if (!(await ticks.claim("email:cleanup", new Date(day * DAY_MS), holder, now))) return;
    const deleted = await store.cleanup(new Date(now.getTime() - retentionDays * DAY_MS), {
      signal: this.stopping.signal,
    });
    this.lastCleanup = { at: now.toISOString(), deleted };
    logger.info({ deleted, retentionDays }, "deleted old sent, failed and cancelled email jobs");
  }

  /** One run record per minute with sends in it, so `steward status` shows the queue's work without a process. */
  private async recordActivity(final: boolean): Promise<void> {
    const now = this.deps.clock.now();
    if (!final && now.getTime() - this.recordedAt.getTime() < RECORD_EVERY_MS) return;
    const totals = this.deps.activity();
    const delta = (key: keyof PoolTotals) => (totals[key] ?? 0) - (this.recorded[key] ?? 0);
    const summary = { sent: delta("sent"), retried: delta("retried"), failed: delta("failed") };
    const startedAt = this.recordedAt;
    this.recordedAt = now;
    this.recorded = totals;
    if (summary.sent + summary.retried + summary.failed === 0) return;
    await this.deps.tracker.record(startedAt, null, summary);
  }
}
