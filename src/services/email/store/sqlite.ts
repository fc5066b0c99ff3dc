import { performance } from "node:perf_hooks";
import type BetterSqlite3 from "better-sqlite3";
import { jsonParam, type Row } from "../../../db/sql.js";
import type { WalControl } from "../../../db/sqlite-checkpointer.js";
import type { SqliteSql } from "../../../db/sqlite-sql.js";
import { SHRINK_PATIENCE, SHRINK_STEP_BYTES, shrinkWalStep, walBytes } from "../../../db/sqlite-wal.js";
import { BaseEmailStore, type ClaimRequest, type Outcome } from "../store.js";
import { PENDING_PRIORITIES } from "./due.js";
import { byPriority, type EmailJob, jobFromRow, MESSAGE_COLUMNS } from "./job.js";

/**
 * What a send needs, read as arrays (better-sqlite3's raw mode): building an object per row
 * with named keys costs more in the driver than the row does in SQLite. The claim's own values
 * (status, lease, updated_at) are filled in from what it wrote rather than read back.
 */
const CLAIMED_COLUMNS = [
  ...MESSAGE_COLUMNS,
  "attempts",
  "max_attempts",
  "transport_failures",
  "recipients",
  "run_at",
  "message_id",
  "created_at",
] as const;

/** The due jobs of one priority, longest due first: one range of email_jobs_pending_idx. */
export const SQLITE_DUE_OF_PRIORITY = `select rowid from email_jobs
  where status = 'pending' and priority = ? and run_at <= ? order by run_at limit ?`;

/** Every priority some pending job has, lowest first (store/due.ts). */
export const SQLITE_PRIORITIES = `${PENDING_PRIORITIES} select p from prio where p is not null`;

/**
 * Claims the rows the loose scan chose, by rowid (a JSON array). `+status` keeps the planner
 * off email_jobs_status_id_idx: without statistics (a new database, before the first PRAGMA
 * optimize) it walked the whole pending range of that index against a Bloom filter of the
 * chosen rowids, so a claim from a 20,000-job backlog read 20,000 entries to take a few hundred.
 */
export const SQLITE_CLAIM = `update email_jobs set status = 'sending', lease_holder = ?, lease_expires_at = ?,
    attempts = attempts + 1, updated_at = ?, message_id = coalesce(message_id, '<' || id || '@' || ? || '>')
  where rowid in (select value from json_each(?)) and +status = 'pending'
  returning ${CLAIMED_COLUMNS.join(", ")}`;

/**
 * SQLite has one writer at a time: claims and outcome batches run as BEGIN IMMEDIATE
 * transactions, so the write lock is taken before the due rows are read and two processes
 * can never select the same job. They run synchronously from BEGIN to COMMIT: a transaction
 * that awaited in the middle would hold the lock across turns of the event loop, and another
 * connection in the same process waiting on that lock would block the very thread that has
 * to release it.
 */
/**
 * Every outcome of a batch in one UPDATE, PostgreSQL's SETTLE_MANY (store/pg.ts) in SQLite's
 * words: the outcomes arrive as one JSON array of rows, [id, kind, at, run_at, rejected, error,
 * code, recipients, transport_failure], and each row is found by primary key. One statement
 * instead of one per outcome spares a bind and a step per job on the thread that also drives
 * the SMTP sockets. `+status` keeps the planner from walking email_jobs_status_id_idx's
 * `sending` range once per outcome (that plan cost 400 µs a job); with it the JSON rows lead
 * and each job is one lookup of the primary key.
 */
export const SQLITE_SETTLE_MANY = `update email_jobs set
    status = case v.value ->> 1 when 'sent' then 'sent' when 'failed' then 'failed' else 'pending' end,
    run_at = coalesce(v.value ->> 3, run_at),
    sent_at = case when v.value ->> 1 = 'sent' then v.value ->> 2 else sent_at end,
    updated_at = v.value ->> 2,
    rejected = case when v.value ->> 1 = 'sent' then v.value ->> 4 else rejected end,
    recipients = coalesce(v.value ->> 7, recipients),
    last_error = case when v.value ->> 1 in ('sent', 'requeue') then coalesce(v.value ->> 5, last_error)
                      else v.value ->> 5 end,
    last_smtp_code = case when v.value ->> 1 in ('sent', 'requeue') then coalesce(v.value ->> 6, last_smtp_code)
                          else v.value ->> 6 end,
    attempts = case when v.value ->> 1 = 'requeue' then max(attempts - 1, 0) else attempts end,
    transport_failures = transport_failures + (v.value ->> 8),
    lease_holder = null, lease_expires_at = null
  from json_each(?) as v
  where email_jobs.id = v.value ->> 0 and lease_holder = ? and +status = 'sending'`;

/** One outcome as a row of SQLITE_SETTLE_MANY's JSON; JSON columns travel as their text. */
function settleRow(o: Outcome): unknown[] {
  const at = o.at.getTime();
  switch (o.kind) {
    case "sent":
      return [
        o.id,
        o.kind,
        at,
        null,
        jsonParam(o.rejected.length > 0 ? o.rejected : null),
        o.note,
        o.code,
        jsonParam(o.recipients),
        0,
      ];
    case "retry":
      return [o.id, o.kind, at, o.runAt.getTime(), null, o.error, o.code, jsonParam(o.recipients), 0];
    case "failed":
      return [o.id, o.kind, at, null, null, o.error, o.code, jsonParam(o.recipients), 0];
    case "requeue":
      return [o.id, o.kind, at, null, null, o.error, o.code, null, o.transportFailure ? 1 : 0];
  }
}

export class SqliteEmailStore extends BaseEmailStore {
  private readonly raw: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  private readonly wal: WalControl | undefined;

  constructor(private readonly executor: SqliteSql) {
    super(executor);
    this.raw = executor.raw;
    this.wal = executor.wal;
  }

  private prepare(text: string): BetterSqlite3.Statement {
    let statement = this.statements.get(text);
    if (!statement) {
      statement = this.raw.prepare(text);
      this.statements.set(text, statement);
    }
    return statement;
  }

  /**
   * SQLite has no LATERAL, and one statement over all priorities would sort every due job to
   * find the first few: so the loose scan runs here, priority by priority, inside the one
   * immediate transaction, until `limit` rowids are found; then one UPDATE claims them.
   */
  async claim(request: ClaimRequest): Promise<EmailJob[]> {
    const { holder, now, leaseMs, limit, messageIdDomain } = request;
    const at = now.getTime();
    const expires = at + leaseMs;
    const priorities = this.prepare(SQLITE_PRIORITIES).raw(true);
    const dueOf = this.prepare(SQLITE_DUE_OF_PRIORITY).pluck(true);
    const claim = this.prepare(SQLITE_CLAIM).raw(true);
    const rows = await this.immediate(() => {
      const chosen: number[] = [];
      for (const [priority] of priorities.all() as unknown[][]) {
        if (chosen.length >= limit) break;
        chosen.push(...(dueOf.all(priority, at, limit - chosen.length) as number[]));
      }
      if (chosen.length === 0) return [];
      return claim.all(holder, expires, at, messageIdDomain, JSON.stringify(chosen)) as unknown[][];
    });
    const jobs = rows.map((values) => {
      const row: Row = { status: "sending", lease_holder: holder, lease_expires_at: expires, updated_at: at };
      for (let i = 0; i < CLAIMED_COLUMNS.length; i += 1) row[CLAIMED_COLUMNS[i] as string] = values[i];
      return jobFromRow(row);
    });
    return jobs.sort(byPriority);
  }

  settle(holder: string, outcomes: readonly Outcome[]): Promise<number> {
    if (outcomes.length === 0) return Promise.resolve(0);
    const rows = JSON.stringify(outcomes.map(settleRow));
    return this.immediate(() => this.prepare(SQLITE_SETTLE_MANY).run(rows, holder).changes);
  }

  override release(holder: string, now: Date, refund: readonly string[]): Promise<number> {
    return this.immediate(() => {
      const refundOne = this.prepare(
        `update email_jobs set attempts = case when attempts > 0 then attempts - 1 else 0 end
         where id = ? and lease_holder = ? and status = 'sending'`,
      );
      for (const id of refund) refundOne.run(id, holder);
      return this.prepare(
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
