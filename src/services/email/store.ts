import { prepared } from "../../db/pg-sql.js";
import type { Dialect, Sql } from "../../db/sql.js";
import { toDate } from "../../db/sql.js";
import { notifyStatement } from "./notify.js";
import { type CleanupOptions, deleteFinishedJobs, realPause } from "./store/cleanup.js";
import { lastMinute, type MinuteCount, readStatusCounts } from "./store/counts.js";
import { DUE } from "./store/due.js";
import { finishedOf } from "./store/finished.js";
import { type EmailJob, type EmailStatus, idWhere, jobFromRow, type StatusCounts } from "./store/job.js";
import { filterClauses, type JobFilter } from "./store/queries.js";
import type { RecipientState } from "./store/recipients.js";
import { readStats } from "./store/stats.js";

/**
 * The queue's storage: the EmailStore contract and the SQL both dialects share. Claiming is
 * the one place where the dialects need different SQL (PostgreSQL's FOR UPDATE SKIP LOCKED;
 * SQLite's single writer in an immediate transaction), so each dialect implements `claim` and
 * `settle` (store/pg.ts, store/sqlite.ts; createEmailStore in store/create.ts picks one). The
 * rows they read are store/job.ts. One contract test suite runs against both.
 */

export interface ClaimRequest {
  holder: string;
  now: Date;
  leaseMs: number;
  limit: number;
  /** For rows a host app inserted without a Message-ID: one is fixed at their first claim. */
  messageIdDomain: string;
}

/**
 * What became of one claimed job. `recipients`, where given, replaces the job's per-recipient
 * state (null keeps it). `requeue` gives a job back untouched by its attempt: the transport
 * failed (transportFailure true, counted on the job) or the attempt never began.
 */
export type Outcome =
  | {
      kind: "sent";
      id: string;
      at: Date;
      rejected: string[];
      note: string | null;
      code: number | null;
      recipients: RecipientState | null;
    }
  | {
      kind: "retry";
      id: string;
      at: Date;
      runAt: Date;
      error: string;
      code: number | null;
      recipients: RecipientState | null;
    }
  | { kind: "failed"; id: string; at: Date; error: string; code: number | null; recipients: RecipientState | null }
  | { kind: "requeue"; id: string; at: Date; error: string | null; code: number | null; transportFailure: boolean };

export interface QueueStats {
  counts: Record<EmailStatus, number>;
  /** Seconds the longest-waiting due job has waited; null with none due. */
  oldestPendingAgeSeconds: number | null;
  /** Sent and failed in the minute under way and the one before (see lastMinute in store/counts.ts). */
  sentLastMinute: number;
  failedLastMinute: number;
  /** The last hour's minutes with a job sent or failed, oldest first: the dashboard's chart. */
  perMinute: MinuteCount[];
}

export interface EmailStore {
  readonly sql: Sql;
  /**
   * The most jobs a pool claims ahead of its free send slots (send/claim-ahead.ts), for a
   * transport fast enough to want more: what a claim costs apart from its rows sets how large a
   * batch pays.
   */
  readonly maxClaimAhead: number;
  /** Moves up to `limit` due jobs to `sending` under our lease, attempts + 1; lowest priority first. */
  claim(request: ClaimRequest): Promise<EmailJob[]>;
  /** Records outcomes in one transaction; only rows we still hold are changed. Returns the rows changed. */
  settle(holder: string, outcomes: readonly Outcome[]): Promise<number>;
  /** Extends the lease on every job we hold. */
  renew(holder: string, until: Date, now: Date): Promise<number>;
  /** Gives held jobs back to `pending`; `refund` lists jobs whose attempt never began. */
  release(holder: string, now: Date, refund: readonly string[]): Promise<number>;
  /**
   * `changed` jobs became pending by an update, which no insert trigger announces: on
   * PostgreSQL, NOTIFY the processes LISTENing, which otherwise find them only at their slow
   * safety poll (send/idle-cadence.ts). On SQLite their commit watch sees the write.
   */
  announceDue(changed: number): Promise<void>;
  /**
   * The earliest `run_at` of any pending job (due or not), null with none: an idle pool that
   * hears of every enqueue sleeps until then instead of polling.
   */
  nextRunAt(): Promise<Date | null>;
  /** Takes back jobs whose lease expired: back to `pending`, or `failed` once their senders died too often. */
  reapExpired(now: Date): Promise<{ requeued: number; failed: number }>;
  get(id: string): Promise<EmailJob | undefined>;
  /** Jobs per status: the one place they are counted (see BaseEmailStore.countByStatus). */
  countByStatus(): Promise<StatusCounts>;
  stats(now: Date): Promise<QueueStats>;
  listFailed(limit: number): Promise<EmailJob[]>;
  /**
   * Failed (and cancelled, when named by id) jobs back to `pending` with attempts reset; without
   * an id, the oldest failed first, narrowed by `filter`'s recipient and batch.
   */
  retryFailed(options: RetryOptions, now: Date): Promise<string[]>;
  cancel(id: string, now: Date): Promise<boolean>;
  /** Deletes sent, failed and cancelled jobs last updated before `before`, a few thousand per transaction. */
  cleanup(before: Date, options?: CleanupOptions): Promise<number>;
  /** Lets go of what the store holds besides the database (SQLite's claim thread); the database stays open. */
  close(): Promise<void>;
}

export interface RetryOptions {
  max: number;
  id?: string;
  filter?: Pick<JobFilter, "recipient" | "batchId">;
}

/** Looked up by an idle pool after each claim that found the queue empty: prepared on PostgreSQL, as the claim is. */
const NEXT_RUN_AT: Record<Dialect, string> = { sqlite: DUE.sqlite.oldestPending, pg: prepared(DUE.pg.oldestPending) };

/** Sender deaths while holding one job before it is failed as the likely cause (see reapExpired). */
export const LEASE_EXPIRY_LIMIT = 10;

/** The SQL both dialects share. */
export abstract class BaseEmailStore implements EmailStore {
  /** SQLite's: its claims run on the claim thread, and larger ones measured no faster (store/pg.ts). */
  readonly maxClaimAhead: number = 500;

  constructor(readonly sql: Sql) {}

  async close(): Promise<void> {}

  abstract claim(request: ClaimRequest): Promise<EmailJob[]>;
  abstract settle(holder: string, outcomes: readonly Outcome[]): Promise<number>;

  renew(holder: string, until: Date, now: Date): Promise<number> {
    return this.sql.run(
      "update email_jobs set lease_expires_at = ?, updated_at = ? where lease_holder = ? and status = 'sending'",
      [until, now, holder],
    );
  }

  async release(holder: string, now: Date, refund: readonly string[]): Promise<number> {
    const released = await this.sql.tx(async (tx) => {
      for (const id of refund) {
        await tx.run(
          `update email_jobs set attempts = case when attempts > 0 then attempts - 1 else 0 end
           where id = ? and lease_holder = ? and status = 'sending'`,
          [id, holder],
        );
      }
      return tx.run(
        `update email_jobs set status = 'pending', lease_holder = null, lease_expires_at = null, updated_at = ?
         where lease_holder = ? and status = 'sending'`,
        [now, holder],
      );
    });
    await this.announceDue(released);
    return released;
  }

  async announceDue(changed: number): Promise<void> {
    if (changed > 0 && this.sql.dialect === "pg") await this.sql.run(notifyStatement);
  }

  async nextRunAt(): Promise<Date | null> {
    return toDate((await this.sql.get<{ at: unknown }>(NEXT_RUN_AT[this.sql.dialect]))?.at);
  }

  /**
   * Jobs whose sender stopped renewing (its process died) go back to `pending`, due now, to be
   * sent again with the same Message-ID. The cut-short claim is not counted as an attempt: most
   * such jobs were claimed ahead and never reached SMTP, and a crash of ours must not spend a
   * job's retry budget. The crash itself is counted, apart: a job whose senders die holding it
   * LEASE_EXPIRY_LIMIT times is `failed`, so a message that kills the process sending it cannot
   * crash every process forever. The limit is not the job's max attempts, since the store
   * cannot tell the job being sent from those merely claimed ahead of it: a crash or two must
   * not fail a backlog that never reached SMTP.
   */
  async reapExpired(now: Date): Promise<{ requeued: number; failed: number }> {
    const rows = await this.sql.all<{ status: string }>(
      `update email_jobs set
         status = case when lease_expiries + 1 >= ${LEASE_EXPIRY_LIMIT} then 'failed' else 'pending' end,
         lease_expiries = lease_expiries + 1,
         attempts = case when attempts > 0 then attempts - 1 else 0 end,
         last_error = case when lease_expiries + 1 >= ${LEASE_EXPIRY_LIMIT}
           then 'its sender stopped ${LEASE_EXPIRY_LIMIT} times while holding it (the message may be what stops it)'
           else 'lease expired: the process sending it stopped before recording the outcome' end,
         lease_holder = null, lease_expires_at = null, run_at = ?, updated_at = ?
       where status = 'sending' and (lease_expires_at is null or lease_expires_at <= ?)
       returning status`,
      [now, now, now],
    );
    const failed = rows.filter((r) => r.status === "failed").length;
    await this.announceDue(rows.length - failed);
    return { requeued: rows.length - failed, failed };
  }

  async get(id: string): Promise<EmailJob | undefined> {
    const { where, param } = idWhere(id);
    const row = await this.sql.get(`select * from email_jobs where ${where}`, [param]);
    return row ? jobFromRow(row) : undefined;
  }

  /** Jobs per status, from the counters: the same cost at ten million jobs as at ten. */
  async countByStatus(): Promise<StatusCounts> {
    return readStatusCounts(this.sql);
  }

  /** Counters and one loose index scan, in one round trip: the same cost at ten million jobs as at ten. */
  async stats(now: Date): Promise<QueueStats> {
    const { counts, perMinute, oldestAt } = await readStats(this.sql, now);
    const due = oldestAt !== null && oldestAt.getTime() <= now.getTime();
    const recent = lastMinute(perMinute, now);
    return {
      counts,
      oldestPendingAgeSeconds: due ? (now.getTime() - oldestAt.getTime()) / 1000 : null,
      sentLastMinute: recent.sent,
      failedLastMinute: recent.failed,
      perMinute,
    };
  }

  async listFailed(limit: number): Promise<EmailJob[]> {
    const rows = await this.sql.all(
      `select * from email_jobs where ${finishedOf("failed")} order by updated_at desc, id desc limit ?`,
      [limit],
    );
    return rows.map(jobFromRow);
  }

  async retryFailed(options: RetryOptions, now: Date): Promise<string[]> {
    const ids = await this.requeueFailed(options, now);
    await this.announceDue(ids.length);
    return ids;
  }

  private async requeueFailed(options: RetryOptions, now: Date): Promise<string[]> {
    // Recipients refused or given up on are tried again; those delivered are not.
    const forget =
      this.sql.dialect === "pg"
        ? "recipients - 'refused' - 'pending'"
        : "json_remove(recipients, '$.refused', '$.pending')";
    const reset = `update email_jobs set status = 'pending', attempts = 0, lease_expiries = 0, transport_failures = 0,
                     recipients = ${forget}, run_at = ?, updated_at = ?, lease_holder = null, lease_expires_at = null`;
    if (options.id !== undefined) {
      const { where, param } = idWhere(options.id);
      const rows = await this.sql.all<{ id: string | number }>(
        `${reset} where ${where} and status in ('failed', 'cancelled') returning id`,
        [now, now, param],
      );
      return rows.map((r) => String(r.id));
    }
    const { clauses, params } = filterClauses(options.filter ?? {});
    const rows = await this.sql.all<{ id: string | number }>(
      `${reset} where id in (select id from email_jobs where ${[finishedOf("failed"), ...clauses].join(" and ")} order by updated_at, id limit ?)
       and status = 'failed' returning id`,
      [now, now, ...params, options.max],
    );
    return rows.map((r) => String(r.id));
  }

  async cancel(id: string, now: Date): Promise<boolean> {
    const { where, param } = idWhere(id);
    const changed = await this.sql.run(
      `update email_jobs set status = 'cancelled', updated_at = ? where ${where} and status = 'pending'`,
      [now, param],
    );
    return changed > 0;
  }

  /** In batches (store/cleanup.ts), then what the dialect does after a large delete. */
  async cleanup(before: Date, options: CleanupOptions = {}): Promise<number> {
    const deleted = await deleteFinishedJobs(this.sql, before, options, () => this.betweenCleanupBatches());
    if (deleted > 0 && !options.signal?.aborted) {
      await this.afterCleanup(deleted, options.pause ?? realPause, options.onUpkeep ?? (() => {}));
    }
    return deleted;
  }

  /** Runs beside the pause between two cleanup batches. */
  protected betweenCleanupBatches(): Promise<unknown> {
    return Promise.resolve();
  }

  /** Gives the space back, truncates logs, refreshes planner statistics: per dialect, each step told to `onStep`. */
  protected abstract afterCleanup(
    deleted: number,
    pause: (ms: number) => Promise<void>,
    onStep: (step: string, ms: number) => void,
  ): Promise<void>;
}
