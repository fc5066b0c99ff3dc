import type { MinuteCount } from "../store/counts.js";
import type { EmailJob } from "../store/job.js";
import type { BatchProgress } from "../store/queries.js";

/**
 * The queue as the admin API and the CLI's --json show it (src/dashboard/types.ts is the
 * dashboard's reading of the same shapes). The detail is jobSummary (store/job.ts), which
 * `email show` prints too.
 */

/** One row of the job list: no bodies, no per-recipient state. */
export function emailSummary(job: EmailJob) {
  return {
    id: job.id,
    status: job.status,
    to: job.to,
    subject: job.subject,
    attempts: job.attempts,
    createdAt: job.createdAt.toISOString(),
    runAt: job.runAt.toISOString(),
    sentAt: job.sentAt?.toISOString() ?? null,
    lastError: job.lastError,
    batchId: job.batchId,
    priority: job.priority,
  };
}

export type EmailSummaryView = ReturnType<typeof emailSummary>;

export function batchView(batch: BatchProgress) {
  return {
    batchId: batch.batchId,
    total: batch.total,
    counts: batch.counts,
    startedAt: batch.startedAt.toISOString(),
    finishedAt: batch.finishedAt?.toISOString() ?? null,
  };
}

export const minuteView = (m: MinuteCount) => ({ at: m.at.toISOString(), sent: m.sent, failed: m.failed });
