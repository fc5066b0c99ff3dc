import { performance } from "node:perf_hooks";
import type { VideoConfig } from "../../config/schedulers.js";
import type { Clock } from "../../core/clock.js";
import { toError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Sql } from "../../db/sql.js";
import { EmailValidationError, type Enqueue } from "../email/index.js";
import { videoChangeEmail } from "./notice-email.js";
import { type ChangeReason, type PlannedChange, planPortrait } from "./rules.js";
import { factsKey, type VideoRecord, VideoStore } from "./store.js";

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
  /** Videos per batch (whole portraits: a batch ends with the portrait of its last video). */
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
 * in one transaction with their history rows and notices, so a crash loses or repeats none.
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
    const size = this.deps.batchSize ?? 1_500;
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

  /**
   * The batch in one transaction. If that fails, each portrait in its own; and if the queue
   * refuses a portrait's notice for good (a bad owner address, say), once more without it,
   * since that email can never be sent and must not block the schedule: the refusal is logged
   * and counted. Any other failure (the database, say) writes nothing for the portrait, so the
   * next pass plans it again and writes change and notice together.
   */
  private async writeBatch(planned: Planned[], now: Date, summary: VideoSummary): Promise<void> {
    if (planned.length === 0) return;
    try {
      addTally(summary, await this.deps.sql.tx((tx) => this.writePortraits(tx, planned, now, true)));
      return;
    } catch (error) {
      this.deps.logger.warn({ err: toError(error) }, "video batch failed; writing its portraits one by one");
    }
    for (const p of planned) {
      let refused: unknown;
      try {
        addTally(summary, await this.deps.sql.tx((tx) => this.writePortraits(tx, [p], now, true)));
        continue;
      } catch (error) {
        refused = error;
      }
      if (!(refused instanceof EmailValidationError)) {
        summary.failedPortraits += 1;
        this.deps.logger.warn({ err: toError(refused), portrait: p.portraitId }, "video changes not written");
        continue;
      }
      try {
        const tally = await this.deps.sql.tx((tx) => this.writePortraits(tx, [p], now, false));
        if (this.deps.config.notificationsEnabled) tally.noticeFailures += 1;
        addTally(summary, tally);
        this.deps.logger.warn({ err: toError(refused), portrait: p.portraitId }, "video change notice not enqueued");
      } catch (error) {
        summary.failedPortraits += 1;
        this.deps.logger.warn({ err: toError(error), portrait: p.portraitId }, "video changes not written");
      }
    }
  }

  /** Re-reads (and on PostgreSQL locks) the portraits, then writes their changes and notices. */
  private async writePortraits(tx: Sql, planned: Planned[], now: Date, notify: boolean): Promise<Tally> {
    const tally = newTally();
    const fresh = await VideoStore.lockPortraits(
      tx,
      planned.map((p) => p.portraitId),
    );
    const batch: Planned[] = [];
    for (const p of planned) {
      const videos = fresh.get(p.portraitId) ?? [];
      // Someone changed the portrait's videos since the unlocked read: plan again from what is there now.
      const changes =
        factsKey(videos) === factsKey(p.videos)
          ? p.changes
          : planPortrait(videos, now, this.deps.config, this.deps.random);
      if (changes.length > 0) batch.push({ portraitId: p.portraitId, videos, changes });
    }
    if (batch.length === 0) return tally;
    const firstHistoryIds = await VideoStore.applyBatch(tx, batch, now, this.deps.actor);
    for (const b of batch) for (const c of b.changes) tally.changes.push(c.reason);
    if (!notify || !this.deps.config.notificationsEnabled) return tally;
    const info = await VideoStore.portraitInfo(
      tx,
      batch.filter((b) => this.worthANotice(b.changes)).map((b) => b.portraitId),
    );
    for (const b of batch) {
      if (!this.worthANotice(b.changes)) continue;
      const portrait = info.get(b.portraitId);
      const firstHistoryId = firstHistoryIds.get(b.portraitId);
      if (!portrait?.recipient || firstHistoryId === undefined) continue;
      const email = videoChangeEmail(b.portraitId, portrait, b.videos, b.changes, firstHistoryId, now);
      await this.deps.enqueue(tx, email, { now });
      tally.notices += 1;
    }
    return tally;
  }

  /**
   * A portrait whose only changes are rotations gets no mail unless VIDEO_SCHEDULER_ROTATION_NOTICES
   * is on: rotation is the schedule the owner chose running as planned, and at one mail per
   * rotation per portrait it was most of the mail Steward sent. Any other change still mails,
   * listing the rotations beside it.
   */
  private worthANotice(changes: PlannedChange[]): boolean {
    return this.deps.config.rotationNotices || changes.some((c) => c.reason !== "rotation");
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
