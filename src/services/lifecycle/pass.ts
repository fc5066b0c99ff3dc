import { performance } from "node:perf_hooks";
import type { LifecycleConfig } from "../../config/schedulers.js";
import type { Clock } from "../../core/clock.js";
import { toError } from "../../core/errors.js";
import type { Logger } from "../../core/logger.js";
import type { Sql } from "../../db/sql.js";
import type { LifecycleStatus, SubjectType } from "../../subjects/index.js";
import type { Enqueue } from "../email/index.js";
import { type NoticeCandidate, noticeEmail } from "./notice-email.js";
import { type NoticeKind, type NoticeWindow, noticeWindows } from "./rules.js";
import { LifecycleStore, type StatusCounts } from "./store.js";

export interface LifecyclePassDeps {
  sql: Sql;
  clock: Clock;
  logger: Logger;
  config: LifecycleConfig;
  /** The email queue's public enqueue function; tests wrap it to make it fail. */
  enqueue: Enqueue;
  /** Rows per status UPDATE, and notices per transaction. */
  statusBatch?: number;
  noticeBatch?: number;
  onNotices?: (kind: NoticeKind, n: number) => void;
}

export interface LifecycleSummary extends Record<string, unknown> {
  at: string;
  durationMs: number;
  /** Rows moved to each status, per table. */
  statusChanges: Record<SubjectType, Record<LifecycleStatus, number>>;
  notices: Record<NoticeKind, number>;
  /** Due notices held back because neither the subject nor its project has an owner email. */
  withoutRecipient: number;
  /** Notices whose email could not be enqueued: not recorded, so the next pass tries again. */
  failed: number;
  aborted: boolean;
}

const SUBJECTS: SubjectType[] = ["project", "portrait"];

/**
 * One lifecycle pass: statuses in SQL over index ranges, then each notice window as an
 * index range of subscription ends, in bounded pages. Memory holds one page at a time, never
 * the table.
 */
export class LifecyclePass {
  private readonly store: LifecycleStore;

  constructor(private readonly deps: LifecyclePassDeps) {
    this.store = new LifecycleStore(deps.sql);
  }

  async run(signal: AbortSignal): Promise<LifecycleSummary> {
    const { clock, config } = this.deps;
    const now = clock.now();
    const started = performance.now();
    const summary: LifecycleSummary = {
      at: now.toISOString(),
      durationMs: 0,
      statusChanges: { project: zeroStatuses(), portrait: zeroStatuses() },
      notices: { "7day": 0, "24hour": 0, expired: 0 },
      withoutRecipient: 0,
      failed: 0,
      aborted: false,
    };
    for (const subject of SUBJECTS) {
      summary.statusChanges[subject] = await this.store.applyStatuses(
        subject,
        now,
        this.deps.statusBatch ?? 5_000,
        signal,
      );
    }
    if (config.notificationsEnabled) {
      for (const window of noticeWindows(now, config.expiredNoticeDays)) {
        for (const subject of SUBJECTS) await this.sendWindow(subject, window, now, signal, summary);
      }
    }
    summary.aborted = signal.aborted;
    summary.durationMs = Math.round(performance.now() - started);
    return summary;
  }

  async statusCounts(): Promise<Record<SubjectType, StatusCounts>> {
    return { project: await this.store.statusCounts("project"), portrait: await this.store.statusCounts("portrait") };
  }

  noticeTotals(): Promise<Record<NoticeKind, number>> {
    return this.store.noticeTotals();
  }

  foldCounters(): Promise<void> {
    return this.store.foldCounters();
  }

  private async sendWindow(
    subject: SubjectType,
    window: NoticeWindow,
    now: Date,
    signal: AbortSignal,
    summary: LifecycleSummary,
  ): Promise<void> {
    let cursor = { end: window.after, id: "" };
    for (;;) {
      if (signal.aborted) return;
      const page = await this.store.dueCandidates(subject, window.kind, window, cursor, this.deps.noticeBatch ?? 250);
      const sendable = page.candidates.filter((c) => c.recipient);
      summary.withoutRecipient += page.candidates.length - sendable.length;
      const sent = await this.sendBatch(sendable, window.kind, now, summary);
      summary.notices[window.kind] += sent;
      this.deps.onNotices?.(window.kind, sent);
      if (!page.next) return;
      cursor = page.next;
    }
  }

  /**
   * The page in one transaction. If it fails, each notice is retried in its own, so one
   * email the queue refuses does not hold back the others; a refused one is not recorded
   * (the seed marked notices sent even when their email failed) and is tried next pass.
   */
  private async sendBatch(
    batch: NoticeCandidate[],
    kind: NoticeKind,
    now: Date,
    summary: LifecycleSummary,
  ): Promise<number> {
    if (batch.length === 0) return 0;
    try {
      return await this.deps.sql.tx(async (tx) => {
        let sent = 0;
        for (const c of batch) if (await this.sendOne(tx, c, kind, now)) sent += 1;
        return sent;
      });
    } catch {
      let sent = 0;
      for (const c of batch) {
        try {
          if (await this.deps.sql.tx((tx) => this.sendOne(tx, c, kind, now))) sent += 1;
        } catch (error) {
          summary.failed += 1;
          this.deps.logger.warn(
            { err: toError(error), subject: `${c.subjectType}:${c.subjectId}`, kind },
            "lifecycle notice not sent; it is retried next pass",
          );
        }
      }
      return sent;
    }
  }

  /** The notice row and its email job commit together or not at all. */
  private async sendOne(tx: Sql, c: NoticeCandidate, kind: NoticeKind, now: Date): Promise<boolean> {
    const noticeId = await LifecycleStore.insertNotice(tx, c, kind, now);
    if (noticeId === undefined) return false;
    const job = await this.deps.enqueue(tx, noticeEmail(c, kind), { now });
    await LifecycleStore.linkEmail(tx, noticeId, job.id);
    return true;
  }
}

function zeroStatuses(): Record<LifecycleStatus, number> {
  return { active: 0, expiring: 0, archived: 0 };
}
