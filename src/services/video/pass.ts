import { performance } from "node:perf_hooks";
import type { VideoConfig } from "../../config/schedulers.js";
import type { Clock } from "../../core/clock.js";
import { toError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Sql } from "../../db/sql.js";
import type { enqueueEmail } from "../email/enqueue.js";
import { videoChangeEmail } from "./notice-email.js";
import { type ChangeReason, type PlannedChange, planPortrait } from "./rules.js";
import { factsKey, type VideoRecord, VideoStore } from "./store.js";

export type Enqueue = typeof enqueueEmail;

export interface VideoPassDeps {
  sql: Sql;
  clock: Clock;
  logger: Logger;
  config: VideoConfig;
  enqueue: Enqueue;
  /** Picks among videos for `random` rotation; injected so tests are repeatable. */
  random: () => number;
  /** Written to each history row's actor column: which process made the change. */
  actor: string;
  /** Portraits per batch. */
  batchSize?: number;
}

export interface VideoSummary extends Record<string, unknown> {
  at: string;
  durationMs: number;
  portraits: number;
  changes: Record<ChangeReason, number>;
  notices: number;
  /** Notices the email queue refused: the change stands, the notice is logged and dropped. */
  noticeFailures: number;
  /** Portraits whose changes failed to write; tried again next pass. */
  failedPortraits: number;
  aborted: boolean;
}

interface Planned {
  portraitId: string;
  videos: VideoRecord[];
  changes: PlannedChange[];
}

/**
 * One video pass: portraits in key order, a batch at a time. Each batch is read and planned
 * without locks; only portraits with changes are re-read (locked on PostgreSQL) and written,
 * in one transaction with their history rows and notices.
 */
export class VideoPass {
  readonly store: VideoStore;

  constructor(private readonly deps: VideoPassDeps) {
    this.store = new VideoStore(deps.sql);
  }

  async run(signal: AbortSignal): Promise<VideoSummary> {
    const now = this.deps.clock.now();
    const started = performance.now();
    const summary: VideoSummary = {
      at: now.toISOString(),
      durationMs: 0,
      portraits: 0,
      changes: { schedule_activation: 0, schedule_deactivation: 0, rotation: 0, archive: 0 },
      notices: 0,
      noticeFailures: 0,
      failedPortraits: 0,
      aborted: false,
    };
    const size = this.deps.batchSize ?? 500;
    let after = "";
    for (;;) {
      if (signal.aborted) break;
      const upTo = await this.store.batchEnd(after, size);
      const groups = await this.store.loadRange(after, upTo);
      summary.portraits += groups.size;
      const planned: Planned[] = [];
      for (const [portraitId, videos] of groups) {
        const changes = planPortrait(videos, now, this.deps.config, this.deps.random);
        if (changes.length > 0) planned.push({ portraitId, videos, changes });
      }
      await this.writeBatch(planned, now, summary);
      if (upTo === null) break;
      after = upTo;
    }
    summary.aborted = signal.aborted;
    summary.durationMs = Math.round(performance.now() - started);
    return summary;
  }

  /** The batch in one transaction; if that fails, each portrait in its own, so one cannot block the rest. */
  private async writeBatch(planned: Planned[], now: Date, summary: VideoSummary): Promise<void> {
    if (planned.length === 0) return;
    const tally = newTally();
    try {
      await this.deps.sql.tx(async (tx) => {
        const fresh = await VideoStore.lockPortraits(
          tx,
          planned.map((p) => p.portraitId),
        );
        for (const p of planned) await this.writePortrait(tx, p, fresh.get(p.portraitId) ?? [], now, tally);
      });
      addTally(summary, tally);
      return;
    } catch (error) {
      this.deps.logger.warn({ err: toError(error) }, "video batch failed; writing its portraits one by one");
    }
    for (const p of planned) {
      const one = newTally();
      try {
        await this.deps.sql.tx(async (tx) => {
          const fresh = await VideoStore.lockPortraits(tx, [p.portraitId]);
          await this.writePortrait(tx, p, fresh.get(p.portraitId) ?? [], now, one);
        });
        addTally(summary, one);
      } catch (error) {
        summary.failedPortraits += 1;
        this.deps.logger.warn({ err: toError(error), portrait: p.portraitId }, "video changes not written");
      }
    }
  }

  private async writePortrait(tx: Sql, p: Planned, fresh: VideoRecord[], now: Date, tally: Tally): Promise<void> {
    // Someone changed the portrait's videos since the unlocked read: plan again from what is there now.
    const changes =
      factsKey(fresh) === factsKey(p.videos) ? p.changes : planPortrait(fresh, now, this.deps.config, this.deps.random);
    if (changes.length === 0) return;
    let firstHistoryId: number | undefined;
    for (const c of changes) {
      const id = await VideoStore.apply(tx, p.portraitId, c, now, this.deps.actor);
      firstHistoryId ??= id;
      tally.changes.push(c.reason);
    }
    if (this.deps.config.notificationsEnabled && firstHistoryId !== undefined) {
      await this.notify(tx, p.portraitId, fresh, changes, firstHistoryId, now, tally);
    }
  }

  /**
   * The notice commits with the change. A refused email (a bad owner address, say) must not
   * undo or block the schedule, so it is fenced by a savepoint and logged.
   */
  private async notify(
    tx: Sql,
    portraitId: string,
    videos: VideoRecord[],
    changes: PlannedChange[],
    firstHistoryId: number,
    now: Date,
    tally: Tally,
  ): Promise<void> {
    const info = await VideoStore.portraitInfo(tx, portraitId);
    if (!info?.recipient) return;
    await tx.run("savepoint video_notice");
    try {
      await this.deps.enqueue(tx, videoChangeEmail(portraitId, info, videos, changes, firstHistoryId, now), { now });
      await tx.run("release savepoint video_notice");
      tally.notices += 1;
    } catch (error) {
      await tx.run("rollback to savepoint video_notice");
      await tx.run("release savepoint video_notice");
      tally.noticeFailures += 1;
      this.deps.logger.warn({ err: toError(error), portrait: portraitId }, "video change notice not enqueued");
    }
  }
}

interface Tally {
  changes: ChangeReason[];
  notices: number;
  noticeFailures: number;
}

const newTally = (): Tally => ({ changes: [], notices: 0, noticeFailures: 0 });

/** Counted only once their transaction commits, so a rolled-back batch is not counted twice. */
function addTally(summary: VideoSummary, tally: Tally): void {
  for (const reason of tally.changes) summary.changes[reason] += 1;
  summary.notices += tally.notices;
  summary.noticeFailures += tally.noticeFailures;
}
