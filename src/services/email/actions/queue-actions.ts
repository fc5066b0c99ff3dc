import type { EmailConfig } from "../../../config/email.js";
import type { Clock } from "../../../core/clock.js";
import { uuidv7 } from "../../../core/ids.js";
import type { WakeHub } from "../../../core/wake.js";
import type { SettingsStore } from "../../../db/coordination/settings.js";
import type { Sql } from "../../../db/sql.js";
import { enqueueEmails } from "../enqueue/enqueue.js";
import { EMAIL_WAKE, type EnqueueOptions, prepareRows } from "../enqueue/insert.js";
import { enqueueOptionsFor } from "../enqueue/options.js";
import { TemplateRenderer } from "../enqueue/templates.js";
import type { EmailInput } from "../enqueue/validate.js";
import { EmailValidationError } from "../enqueue/validation-error.js";
import { PAUSE_KEY, setPaused } from "../pause.js";
import { buildMessage } from "../send/message.js";
import { hourOfMinutes } from "../store/counts.js";
import type { EmailJob, EmailStatus } from "../store/job.js";
import { batchProgress, type JobFilter, type ListPosition, listJobs } from "../store/queries.js";
import type { EmailStore } from "../store.js";
import { noSuchJob, QueueActionError } from "./errors.js";
import { checkCursorFits, encodeCursor } from "./inputs.js";
import { batchView, emailSummary, minuteView } from "./views.js";

export interface QueueActionDeps {
  sql: Sql;
  store: EmailStore;
  settings: SettingsStore;
  clock: Clock;
  email: EmailConfig;
  /** The host's wake hub, so a batch enqueued here is claimed at once; the CLI has none. */
  wake?: WakeHub;
}

const DAY_MS = 86_400_000;
/** `retry-failed` without a max: enough for any backlog an operator means, bounded per call. */
export const DEFAULT_RETRY_MAX = 10_000;

/**
 * Every operator action on the queue, once: the admin API (routes.ts) and `steward email ...`
 * (commands.ts) both call these, and differ only in how they read the input and show the result.
 */
export class QueueActions {
  constructor(private readonly deps: QueueActionDeps) {}

  private now(): Date {
    return this.deps.clock.now();
  }

  /** A page of summaries in the list's order (listOrderOf), and the cursor of the next page (null on the last). */
  async list(filter: JobFilter, page: { limit: number; after: ListPosition | null }) {
    checkCursorFits(filter, page.after);
    const { jobs, more, last } = await listJobs(this.deps.sql, filter, page);
    return { items: jobs.map(emailSummary), nextCursor: more && last ? encodeCursor(last) : null };
  }

  /** Counts per status, oldest pending age, the last minute and the last hour per minute, paused. */
  async stats() {
    const now = this.now();
    const [stats, paused] = await Promise.all([this.deps.store.stats(now), this.paused()]);
    return { ...stats, perMinute: hourOfMinutes(stats.perMinute, now).map(minuteView), paused };
  }

  paused(): Promise<boolean> {
    return this.deps.settings.get<boolean>(PAUSE_KEY, false);
  }

  async job(id: string): Promise<EmailJob> {
    const job = await this.deps.store.get(id);
    if (!job) throw noSuchJob(id);
    return job;
  }

  /**
   * The message as it would be sent now: a template named without bodies (a host app's row) is
   * rendered, the default sender filled in. A row that cannot be sent says why (422).
   */
  async preview(id: string) {
    const job = await this.job(id);
    const { email } = this.deps;
    try {
      const { mail } = buildMessage(
        // A host app's row gets its Message-ID at its first claim; the preview needs none.
        { ...job, messageId: job.messageId ?? "<preview@steward.local>" },
        { from: email.from, templates: new TemplateRenderer(email.templatesDir), maxBytes: email.maxBytes },
      );
      const list = (v: unknown) => (Array.isArray(v) ? v.map(String) : v === undefined ? [] : [String(v)]);
      return {
        subject: String(mail.subject ?? ""),
        from: String(mail.from ?? ""),
        to: list(mail.to),
        cc: list(mail.cc),
        text: typeof mail.text === "string" ? mail.text : null,
        html: typeof mail.html === "string" ? mail.html : null,
      };
    } catch (error) {
      if (error instanceof EmailValidationError) {
        throw new QueueActionError(422, `job ${id} cannot be sent as stored: ${error.message}`);
      }
      throw error;
    }
  }

  /** A failed or cancelled job back to pending, its attempts reset. */
  async retry(id: string): Promise<{ id: string; status: EmailStatus }> {
    const ids = await this.deps.store.retryFailed({ max: 1, id }, this.now());
    if (ids.length > 0) {
      this.dueNow();
      return { id, status: "pending" };
    }
    const job = await this.job(id);
    throw new QueueActionError(409, `job ${id} is ${job.status}; only failed or cancelled jobs can be retried`);
  }

  async cancel(id: string): Promise<{ id: string; status: EmailStatus }> {
    if (await this.deps.store.cancel(id, this.now())) return { id, status: "cancelled" };
    const job = await this.job(id);
    throw new QueueActionError(409, `job ${id} is ${job.status}; only pending jobs can be cancelled`);
  }

  /** Failed jobs back to pending, oldest first, at most `max`, narrowed by recipient and batch. */
  async retryFailed(options: { filter?: Pick<JobFilter, "recipient" | "batchId">; max?: number }) {
    const ids = await this.deps.store.retryFailed(
      { max: options.max ?? DEFAULT_RETRY_MAX, filter: options.filter },
      this.now(),
    );
    if (ids.length > 0) this.dueNow();
    return { retried: ids.length, ids };
  }

  /** The switch every process reads: claiming stops (or starts again) within EMAIL_POLL_INTERVAL_MS. */
  async setPaused(paused: boolean): Promise<{ paused: boolean; withinMs: number }> {
    await setPaused(this.deps.settings, paused, this.now());
    if (!paused) this.dueNow();
    return { paused, withinMs: this.deps.email.pollIntervalMs };
  }

  /** Deletes sent, failed and cancelled jobs older than `days` (default EMAIL_RETENTION_DAYS, or 30). */
  async cleanup(days?: number): Promise<{ deleted: number; days: number }> {
    const d = days ?? (this.deps.email.retentionDays || 30);
    const deleted = await this.deps.store.cleanup(new Date(this.now().getTime() - d * DAY_MS));
    return { deleted, days: d };
  }

  /**
   * Many jobs in one call, all or none (enqueueEmails: every job is checked before one row is
   * written, and the rows go in one transaction), under one batch id: the caller's, or a new one.
   */
  async enqueueBatch(batch: { batchId?: string; jobs: readonly EmailInput[] }) {
    const now = this.now();
    const batchId = batch.batchId ?? uuidv7(now);
    const inputs = batch.jobs.map((job, i) => {
      if (job.batchId !== undefined && job.batchId !== batchId) {
        throw new EmailValidationError(`jobs[${i}]: batchId "${job.batchId}" is not the batch's ("${batchId}")`);
      }
      return { ...job, batchId };
    });
    const options = enqueueOptionsFor(this.deps.email, now, this.deps.wake);
    try {
      const results = await enqueueEmails(this.deps.sql, inputs, options);
      return {
        batchId,
        total: results.length,
        created: results.filter((r) => r.created).length,
        ids: results.map((r) => r.id),
      };
    } catch (error) {
      if (error instanceof EmailValidationError) throw new EmailValidationError(whichJob(inputs, options, error));
      throw error;
    }
  }

  /**
   * Re-queued jobs are due at once: this process's workers hear it now rather than at their next
   * poll (other processes by the store's NOTIFY on PostgreSQL, or their poll).
   */
  private dueNow(): void {
    this.deps.wake?.announce(EMAIL_WAKE);
  }

  async batch(batchId: string) {
    const progress = await batchProgress(this.deps.sql, batchId);
    if (!progress) throw new QueueActionError(404, `no such batch: ${batchId}`);
    return batchView(progress);
  }
}

/**
 * enqueueEmails names the field but not the job; the batch's caller needs both. Found again
 * one job at a time, only once the batch was refused (a pure check: nothing is written).
 */
function whichJob(inputs: readonly EmailInput[], options: EnqueueOptions, error: EmailValidationError): string {
  for (const [i, input] of inputs.entries()) {
    try {
      prepareRows([input], options);
    } catch (e) {
      if (e instanceof EmailValidationError) return `jobs[${i}]: ${e.message}`;
    }
  }
  return error.message;
}
