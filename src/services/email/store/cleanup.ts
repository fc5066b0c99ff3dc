import { performance } from "node:perf_hooks";
import type { Sql } from "../../../db/sql.js";
import { toDate } from "../../../db/sql.js";
import { FINISHED, FINISHED_WHERE } from "./finished.js";

/**
 * The retention cleanup, in small transactions. One DELETE of a million rows held SQLite's
 * only write lock for 11.5 s (claims and the heartbeat timed out, POST /emails waited as long);
 * here each DELETE takes at most a few thousand rows, sized to stay within `budgetMs`, and the
 * cleanup pauses between them as long as the batch took, so every other writer (this
 * process's claims and enqueues, another process's) gets the database at least half the time.
 */
export interface CleanupOptions {
  /** Rows in the first DELETE; later ones grow or shrink to fit `budgetMs`, within 100-5,000. */
  batchSize?: number;
  /** The time one DELETE should take at most. */
  budgetMs?: number;
  /** Waits between batches; real time by default. */
  pause?: (ms: number) => Promise<void>;
  /** Stops between batches (the service stopping); what was deleted stays deleted. */
  signal?: AbortSignal;
  /** After each DELETE: the rows it took and how long it held the database. */
  onBatch?: (deleted: number, ms: number) => void;
}

export const MIN_BATCH = 100;
export const MAX_BATCH = 5_000;
const DEFAULT_BATCH = 1_000;
const DEFAULT_BUDGET_MS = 25;

/** SQLite removes index entries as it deletes, so each batch just takes the first rows still there. */
export const SQLITE_BATCH = `delete from email_jobs where rowid in (
  select rowid from email_jobs where ${FINISHED_WHERE} and status = ? and updated_at < ? limit ?)`;

/**
 * PostgreSQL leaves deleted rows' index entries until a vacuum, so a batch that started from the
 * range's beginning would walk every row earlier batches deleted: a cursor on updated_at starts
 * each batch where the last one ended. The status and age are checked again on the rows the
 * DELETE itself locks: a failed job re-queued by `retry` while the batch ran is now pending, and
 * PostgreSQL re-checks only the DELETE's own conditions on a row changed since the snapshot.
 */
export const PG_BATCH = `with gone as (
    delete from email_jobs where id in (
      select id from email_jobs where ${FINISHED_WHERE} and status = ? and updated_at >= coalesce(?::timestamptz, '-infinity') and updated_at < ?
      order by updated_at limit ?)
    and status = ? and updated_at < ?
    returning updated_at)
  select count(*) as n, max(updated_at) as last from gone`;

export function realPause(ms: number): Promise<void> {
  return new Promise<void>((resolve) => setTimeout(resolve, ms));
}

/** Deletes sent, failed and cancelled jobs last updated before `before`; returns how many. */
export async function deleteFinishedJobs(sql: Sql, before: Date, options: CleanupOptions = {}): Promise<number> {
  const budget = options.budgetMs ?? DEFAULT_BUDGET_MS;
  const pause = options.pause ?? realPause;
  let size = clamp(options.batchSize ?? DEFAULT_BATCH);
  let total = 0;
  for (const status of FINISHED) {
    let from: Date | null = null;
    for (;;) {
      if (options.signal?.aborted) return total;
      const started = performance.now();
      const batch = await deleteBatch(sql, status, from, before, size);
      const ms = performance.now() - started;
      total += batch.deleted;
      options.onBatch?.(batch.deleted, ms);
      // Not `< size`: a batch may delete fewer rows than it chose (one re-queued meanwhile) and
      // still have more behind it. An empty batch is the end.
      if (batch.deleted === 0) break;
      from = batch.last ?? from;
      size = clamp(ms > budget ? size / 2 : ms < budget / 4 ? size * 2 : size);
      await pause(Math.min(Math.max(ms, 1), budget));
    }
  }
  return total;
}

async function deleteBatch(
  sql: Sql,
  status: string,
  from: Date | null,
  before: Date,
  size: number,
): Promise<{ deleted: number; last: Date | null }> {
  if (sql.dialect === "sqlite") return { deleted: await sql.run(SQLITE_BATCH, [status, before, size]), last: null };
  const row = await sql.get<{ n: unknown; last: unknown }>(PG_BATCH, [status, from, before, size, status, before]);
  return { deleted: Number(row?.n ?? 0), last: toDate(row?.last) };
}

function clamp(size: number): number {
  return Math.max(MIN_BATCH, Math.min(MAX_BATCH, Math.round(size)));
}
