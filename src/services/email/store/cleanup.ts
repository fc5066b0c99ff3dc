import { performance } from "node:perf_hooks";
import type { Sql } from "../../../db/sql.js";
import { toDate } from "../../../db/sql.js";
import { FINISHED, FINISHED_WHERE } from "./finished.js";

/**
 * The retention cleanup, in small transactions. One DELETE of a million rows held SQLite's
 * only write lock for 11.5 s (claims and the heartbeat timed out, POST /emails waited as long);
 * here each DELETE takes at most a few thousand rows, sized to take about `budgetMs`, and the
 * cleanup pauses between them at least as long as the batch took, so every other writer (this
 * process's claims and enqueues, another process's) gets the database at least half the time.
 * On SQLite the DELETE runs on the event loop's thread, so a batch's time is also how long the
 * whole process stops: the budget is what the process may stall for, with room for a loaded
 * machine to make it three or four times longer.
 *
 * On PostgreSQL a batch's time is not what it costs the others: a DELETE of 5,000 rows takes some
 * milliseconds and leaves 2-3 MB of WAL (a full image of each page it first touches after a
 * checkpoint), which every other commit's fsync then queues behind. Paced by time alone, a
 * 10-million-job cleanup wrote 50 MB of WAL a second and an enqueue beside it waited 127-147 ms
 * for its fsync; paced to 8 MB a second it waited at most 41-72 ms. So there the pauses also keep
 * the server's WAL under `walBytesPerSecond`.
 */
export interface CleanupOptions {
  /**
   * Rows in the first DELETE of each status; later ones grow or shrink to fit `budgetMs`,
   * within 100-5,000. Each status starts again from here: a row costs what the pages it sits on
   * cost, and failed and cancelled jobs, scattered among the sent, cost up to 7 times a sent one.
   */
  batchSize?: number;
  /** The time one DELETE should take. */
  budgetMs?: number;
  /**
   * PostgreSQL: the WAL the server may write a second while the cleanup runs, its own and the
   * other writers' (a busy server slows the cleanup down): the pauses stretch so that the WAL
   * written since the first batch fits this rate, each at most MAX_WAL_PAUSE_MS (see WalPacer).
   */
  walBytesPerSecond?: number;
  /** Waits between batches; real time by default. */
  pause?: (ms: number) => Promise<void>;
  /** Stops between batches (the service stopping); what was deleted stays deleted. */
  signal?: AbortSignal;
  /** After each DELETE: the rows it took and how long it held the database. */
  onBatch?: (deleted: number, ms: number) => void;
  /**
   * After the deletes, each step of the upkeep (statistics, space, the WAL) and how long it
   * took: on the event loop, unless its name says it ran in the checkpoint thread.
   */
  onUpkeep?: (step: string, ms: number) => void;
}

export const MIN_BATCH = 100;
export const MAX_BATCH = 5_000;
const DEFAULT_BATCH = 500;
/**
 * A row costs its table row, its index entries and the counters trigger's upsert (on SQLite
 * since 0019 also a lookup of the watermark): 4-10 µs for a sent job and up to 28 µs for a failed one, scattered among the sent, with the seven indexes
 * before sqlite 0011 (a finished job is in three now): 10 ms is some hundreds to a few thousand rows.
 */
const DEFAULT_BUDGET_MS = 10;
/**
 * 8 MB of WAL a second: some 16,000 deleted jobs a second (a job leaves about 490 bytes), so a
 * day of a million sends goes in a minute, and the 3.3 million jobs of the 10-million-job bench
 * in under four minutes (about 30 s unpaced).
 */
const DEFAULT_WAL_RATE = 8_000_000;
/** However much others write, a batch follows the last one within this: the cleanup finishes. */
export const MAX_WAL_PAUSE_MS = 5_000;

/**
 * SQLite removes index entries as it deletes, so each batch just takes the first rows still there.
 * The newest job stays, however old: SQLite gives a new row the largest id plus one, so once the
 * table were empty it would hand out ids that host apps may still hold (src/db/schema/sqlite/email.ts).
 */
export const SQLITE_BATCH = `delete from email_jobs where rowid in (
  select rowid from email_jobs where ${FINISHED_WHERE} and status = ? and updated_at < ?
    and rowid < (select max(rowid) from email_jobs) limit ?)`;

/**
 * PostgreSQL leaves deleted rows' index entries until a vacuum, so a batch that started from the
 * range's beginning would walk every row earlier batches deleted: a cursor on updated_at starts
 * each batch where the last one ended. The status and age are checked again on the rows the
 * DELETE itself locks: a failed job re-queued by `retry` while the batch ran is now pending, and
 * PostgreSQL re-checks only the DELETE's own conditions on a row changed since the snapshot.
 * The WAL's insert position comes with the count, read once the DELETE is done (an aggregate's
 * result is computed after its input), for the pacing of the next pause.
 */
export const PG_BATCH = `with gone as (
    delete from email_jobs where id in (
      select id from email_jobs where ${FINISHED_WHERE} and status = ? and updated_at >= coalesce(?::timestamptz, '-infinity') and updated_at < ?
      order by updated_at limit ?)
    and status = ? and updated_at < ?
    returning updated_at)
  select count(*) as n, max(updated_at) as last, pg_current_wal_insert_lsn()::text as wal from gone`;

export function realPause(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}

/**
 * Deletes sent, failed and cancelled jobs last updated before `before`; returns how many.
 * `between` runs beside each pause (on SQLite, the checkpoint thread copying the batch's WAL).
 */
export async function deleteFinishedJobs(
  sql: Sql,
  before: Date,
  options: CleanupOptions = {},
  between: () => Promise<unknown> = () => Promise.resolve(),
): Promise<number> {
  const budget = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const pause = options.pause ?? realPause;
  const wal = new WalPacer(options.walBytesPerSecond ?? DEFAULT_WAL_RATE);
  let total = 0;
  for (const status of FINISHED) {
    let size = clamp(options.batchSize ?? DEFAULT_BATCH);
    let from: Date | null = null;
    for (;;) {
      if (options.signal?.aborted) return total;
      const started = performance.now();
      const batch = await deleteBatch(sql, status, from, before, size);
      const ended = performance.now();
      const ms = ended - started;
      total += batch.deleted;
      options.onBatch?.(batch.deleted, ms);
      // Not `< size`: a batch may delete fewer rows than it chose (one re-queued meanwhile) and
      // still have more behind it. An empty batch is the end.
      if (batch.deleted === 0) break;
      from = batch.last ?? from;
      size = nextSize(size, ms, budget);
      const owed = batch.wal === undefined ? 0 : wal.after(batch.wal, ended);
      await Promise.all([pause(Math.max(ms, 1, owed)), between()]);
    }
  }
  return total;
}

/**
 * How long the WAL written since the first batch is still to be spread over at the rate. Each
 * batch adds its WAL's time (what the server wrote since the last batch ended), and the time
 * since the last batch ended (the pause, then this batch) pays it off: a pause spent on one
 * batch's WAL is not counted again against the next one's.
 */
export class WalPacer {
  private last: { at: bigint; ms: number } | undefined;
  private owedMs = 0;

  constructor(private readonly bytesPerSecond: number) {}

  /** After a batch that ended at `ms` (a monotonic clock) with the WAL at `at`: the pause it owes. */
  after(at: bigint, ms: number): number {
    if (this.last) {
      const added = (Number(at - this.last.at) / this.bytesPerSecond) * 1000;
      this.owedMs = Math.min(MAX_WAL_PAUSE_MS, Math.max(0, this.owedMs + added - (ms - this.last.ms)));
    }
    this.last = { at, ms };
    return this.owedMs;
  }
}

/**
 * In proportion to how far the batch was from the budget, at most doubling (a quick batch may
 * have been lucky with the cache) and at least quartering (a slow one may have been preempted).
 */
function nextSize(size: number, ms: number, budget: number): number {
  return clamp(size * Math.min(2, Math.max(0.25, budget / Math.max(ms, 0.1))));
}

async function deleteBatch(
  sql: Sql,
  status: string,
  from: Date | null,
  before: Date,
  size: number,
): Promise<{ deleted: number; last: Date | null; wal?: bigint }> {
  if (sql.dialect === "sqlite") return { deleted: await sql.run(SQLITE_BATCH, [status, before, size]), last: null };
  const row = await sql.get<{ n: unknown; last: unknown; wal: unknown }>(PG_BATCH, [
    status,
    from,
    before,
    size,
    status,
    before,
  ]);
  return { deleted: Number(row?.n ?? 0), last: toDate(row?.last), wal: walPosition(String(row?.wal)) };
}

/** A pg_lsn ("16/B374D848": the high and low 32 bits in hex) as a byte position. */
export function walPosition(lsn: string): bigint {
  const [high = "0", low = "0"] = lsn.split("/");
  return (BigInt(`0x${high}`) << 32n) + BigInt(`0x${low}`);
}

function clamp(size: number): number {
  return Math.max(MIN_BATCH, Math.min(MAX_BATCH, Math.round(size)));
}
