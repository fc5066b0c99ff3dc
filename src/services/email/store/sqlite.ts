import { performance } from "node:perf_hooks";
import { setImmediate as yieldToEventLoop } from "node:timers/promises";
import type BetterSqlite3 from "better-sqlite3";
import type { WalControl } from "../../../db/sqlite-checkpointer.js";
import type { SqliteSql } from "../../../db/sqlite-sql.js";
import { SHRINK_PATIENCE, SHRINK_STEP_BYTES, shrinkWalStep, walBytes } from "../../../db/sqlite-wal.js";
import { BaseEmailStore, type ClaimRequest, type Outcome } from "../store.js";
import { byPriority, claimedRow, type EmailJob, jobFromRow } from "./job.js";
import { ClaimThread, type ClaimThreadState } from "./sqlite-claim-thread.js";
import { claimedRowsOn, claimOn, prepared, settleOn, settleRows } from "./sqlite-queue-sql.js";

export interface SqliteStoreOptions {
  /**
   * Claims and outcome batches on a worker thread's own connection (sqlite-claim-thread.ts):
   * for the long-running sender, whose event loop also drives the SMTP sockets.
   */
  claimThread?: boolean;
}

/**
 * SQLite has one writer at a time: claims and outcome batches run as BEGIN IMMEDIATE
 * transactions, so the write lock is taken before the due rows are read and two processes
 * can never select the same job. They run synchronously from BEGIN to COMMIT: a transaction
 * that awaited in the middle would hold the lock across turns of the event loop, and another
 * connection in the same process waiting on that lock would block the very thread that has
 * to release it.
 */
export class SqliteEmailStore extends BaseEmailStore {
  private readonly raw: BetterSqlite3.Database;

  private readonly wal: WalControl | undefined;

  private thread: ClaimThread | undefined;
  /** Whether the last claim found THREAD_BATCH jobs or more. */
  private busy = false;

  constructor(
    private readonly executor: SqliteSql,
    private readonly options: SqliteStoreOptions = {},
  ) {
    super(executor);
    this.raw = executor.raw;
    this.wal = executor.wal;
  }

  /** The due jobs, lowest priority first (claimOn in sqlite-queue-sql.ts chooses and claims them). */
  async claim(request: ClaimRequest): Promise<EmailJob[]> {
    const { holder, now, leaseMs, limit, messageIdDomain } = request;
    const at = now.getTime();
    const order = { holder, at, expires: at + leaseMs, limit, messageIdDomain };
    // The thread serves a busy queue; a quiet one's claims (one a poll, finding nothing or a job
    // or two) stay here and let it stop. While it starts, the claims go on here: waiting for
    // it held the first outcomes of a burst back by as long as its boot.
    const thread = this.busy ? this.running : undefined;
    // Read in the claim's transaction here; after the thread's commit on this connection, which
    // sees it (WAL: a read begun after a commit holds it).
    const rows = thread
      ? await this.readClaimed(await thread.claim(order), holder, now)
      : await this.immediate(() => claimedRowsOn(this.raw, claimOn(this.raw, order), holder));
    // A claim here and sends that finish without I/O (a benchmark's, a test's) made a chain of
    // promises that never yielded: no timer ran, nor the thread's start-up message, until the
    // whole backlog was sent. (Yielding after every claim, the thread's too, let the next claim
    // be sized late, too large to come back before the jobs in hand were sent: 10% off a drain.)
    if (!thread) await yieldToEventLoop();
    this.busy = rows.length >= THREAD_BATCH;
    // Booted now, while this batch is sent, for the claims after it.
    if (this.busy) this.startThread();
    const jobs = rows.map((values) => jobFromRow(claimedRow(values, order)));
    return jobs.sort(byPriority);
  }

  /**
   * The rows of the jobs the thread claimed and committed. Should the read fail, the jobs are
   * given back at once, their attempt refunded, as an outcome that never began: left as they
   * were, they stayed `sending` under a lease this process goes on renewing, unsent until it
   * stopped.
   */
  private async readClaimed(ids: number[], holder: string, now: Date): Promise<unknown[][]> {
    try {
      return claimedRowsOn(this.raw, ids, holder);
    } catch (error) {
      const back = (id: number): Outcome => ({
        kind: "requeue",
        id: String(id),
        at: now,
        error: null,
        code: null,
        transportFailure: false,
      });
      // Where that fails too, the jobs go back when this process stops, or at the reaper.
      await this.settle(holder, ids.map(back)).catch(() => {});
      throw error;
    }
  }

  settle(holder: string, outcomes: readonly Outcome[]): Promise<number> {
    if (outcomes.length === 0) return Promise.resolve(0);
    const rows = settleRows(outcomes);
    const thread = outcomes.length >= THREAD_BATCH ? this.running : undefined;
    return thread ? thread.settle(rows, holder) : this.immediate(() => settleOn(this.raw, rows, holder));
  }

  /** The claim thread once its connection is open; undefined before, and once it stopped. */
  private get running(): ClaimThread | undefined {
    return this.thread?.state === "running" ? this.thread : undefined;
  }

  /**
   * Starts the claim thread, where the store was asked for one and the database is a file:
   * again after it stopped for being idle, but not after it was lost (the queue carries on,
   * on this connection).
   */
  private startThread(): void {
    if (!this.options.claimThread || this.raw.memory) return;
    if (this.thread !== undefined && this.thread.state !== "stopped") return;
    this.thread = new ClaimThread({
      file: this.raw.name,
      busyTimeoutMs: Number(this.raw.pragma("busy_timeout", { simple: true })),
      walAutocheckpoint: Number(this.raw.pragma("wal_autocheckpoint", { simple: true })),
    });
  }

  /** The claim thread's state, or undefined before a busy claim first started it. */
  get claimThreadState(): ClaimThreadState | undefined {
    return this.thread?.state;
  }

  override async close(): Promise<void> {
    await this.thread?.stop();
  }

  override release(holder: string, now: Date, refund: readonly string[]): Promise<number> {
    return this.immediate(() => {
      const refundOne = prepared(
        this.raw,
        `update email_jobs set attempts = case when attempts > 0 then attempts - 1 else 0 end
         where id = ? and lease_holder = ? and status = 'sending'`,
      );
      for (const id of refund) refundOne.run(id, holder);
      return prepared(
        this.raw,
        `update email_jobs set status = 'pending', lease_holder = null, lease_expires_at = null, updated_at = ?
           where lease_holder = ? and status = 'sending'`,
      ).run(now.getTime(), holder).changes;
    });
  }

  /**
   * Between cleanup batches, the checkpoint thread copies the batch's WAL back, and every 4 MB
   * (32 MB while the disk is slow) has the next write start the WAL again from its beginning.
   * Without the wait it grew until this connection's fallback automatic checkpoint (10,000
   * pages) copied 40 MB on the event loop, and what the WAL grew to the truncate had to free.
   */
  protected override betweenCleanupBatches(): Promise<unknown> {
    return this.wal?.catchUp() ?? Promise.resolve();
  }

  /**
   * After a cleanup. `PRAGMA optimize` refreshes the planner's statistics where they are off
   * (a table ten times larger or smaller than when last analysed), reading at most 2,000 rows
   * of each index (its default analysis_limit), so it stays short at any size. The deleted
   * rows' pages stay in the file, on SQLite's free list, and new jobs reuse them: giving them
   * back to the file system needs auto_vacuum, which an existing database gets only from a full
   * VACUUM (minutes, and twice the disk, at ten million rows), so Steward does not switch it
   * on; where an operator has set auto_vacuum = INCREMENTAL, the free pages are released in
   * transactions sized like the cleanup's batches. Last the WAL, which the deletes may have
   * grown, gives its disk space back: the checkpoint thread's PASSIVE checkpoints copy it into
   * the database but never shrink the file (it stayed at 1.14 GB after one big delete).
   */
  protected async afterCleanup(
    _deleted: number,
    pause: (ms: number) => Promise<void>,
    onStep: (step: string, ms: number) => void,
  ): Promise<void> {
    // Statistics and vacuum write pages too: the WAL comes last.
    onStep("optimize", await this.outsideTransaction(() => timed(() => this.raw.pragma("optimize"))));
    if (this.raw.pragma("auto_vacuum", { simple: true }) === INCREMENTAL) {
      let pages = VACUUM_PAGES;
      while (Number(this.raw.pragma("freelist_count", { simple: true })) > 0) {
        const ms = await this.immediate(() => timed(() => this.raw.pragma(`incremental_vacuum(${pages})`)));
        onStep("incremental vacuum", ms);
        pages = Math.max(100, Math.min(VACUUM_PAGES * 4, Math.round(pages * Math.min(2, VACUUM_BUDGET_MS / ms))));
        await pause(Math.max(ms, 10));
      }
    }
    if (this.wal) {
      // In the thread, a step at a time: one TRUNCATE of a large WAL held every writer, the
      // event loop's included, for as long as the file system took to free it.
      const started = performance.now();
      const done = await this.wal.shrink();
      onStep("WAL shrink, in the checkpoint thread", performance.now() - started);
      if (done) return;
    }
    // A process without the thread (a CLI command) takes the same steps on this connection.
    let fruitless = 0;
    for (let last = walBytes(this.raw.name); fruitless < SHRINK_PATIENCE; ) {
      const started = performance.now();
      const step = await this.outsideTransaction(() =>
        this.withoutWaiting(() => shrinkWalStep(this.raw, SHRINK_STEP_BYTES)),
      );
      onStep("WAL shrink", performance.now() - started);
      if (step === "done") return;
      const size = walBytes(this.raw.name);
      fruitless = size < last ? 0 : fruitless + 1;
      last = size;
      await pause(10);
    }
  }

  /**
   * Checkpoints and the shrink's write wait for other connections through the busy handler,
   * which here would block the event loop for up to busy_timeout: they run without waiting
   * instead, and are tried again later.
   */
  private withoutWaiting<T>(fn: () => T): T {
    const timeout = this.raw.pragma("busy_timeout", { simple: true });
    this.raw.pragma("busy_timeout = 0");
    try {
      return fn();
    } finally {
      this.raw.pragma(`busy_timeout = ${timeout}`);
    }
  }

  /** Runs `fn` once no transaction is open on this connection (checkpoints cannot run inside one). */
  private async outsideTransaction<T>(fn: () => T): Promise<T> {
    for (;;) {
      await this.executor.turn();
      if (!this.raw.inTransaction) return fn();
    }
  }

  /**
   * Runs `fn` in BEGIN IMMEDIATE ... COMMIT with no await inside. It first waits for any
   * transaction the shared executor has open on this connection (a host app's enqueue).
   */
  private async immediate<T>(fn: () => T): Promise<T> {
    for (;;) {
      await this.executor.turn();
      if (!this.raw.inTransaction) return this.raw.transaction(fn).immediate();
    }
  }
}

/**
 * The smallest claim or outcome batch worth the claim thread. A small one costs the event loop
 * little here, and its commit on this connection wakes no commit watch: the thread's commits are
 * another connection's to this process's watch, so each would wake the pool for a look.
 */
const THREAD_BATCH = 16;

/** PRAGMA auto_vacuum's value for INCREMENTAL. */
const INCREMENTAL = 2;
/** Free pages released by the first incremental vacuum (8 MB of 4 KiB pages); later ones fit VACUUM_BUDGET_MS. */
const VACUUM_PAGES = 2_000;
const VACUUM_BUDGET_MS = 10;

/** How long `fn` took, in milliseconds. */
function timed(fn: () => unknown): number {
  const started = performance.now();
  fn();
  return performance.now() - started;
}
