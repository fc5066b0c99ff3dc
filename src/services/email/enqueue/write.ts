import type { Sql } from "../../../db/sql.js";
import {
  anyKeyed,
  assembleResults,
  chunked,
  createdResult,
  type EnqueueResult,
  type ExistingRow,
  KEYS_PER_LOOKUP,
  type PreparedRow,
} from "./insert.js";
import { PG_ROWS_PER_STATEMENT, pgInsertManyText, pgInsertOneText, pgManyParams, pgOneParams } from "./pg-insert.js";
import { rowsPerStatement, type SqliteStep, sqliteWrite } from "./sqlite-insert.js";

const PG_EXISTING = "select id, status, idempotency_key from email_jobs where idempotency_key = any($1::text[])";

/** Steward's own SQLite is a recent better-sqlite3, with SQLite's 32,766-parameter limit. */
const SQLITE_ROWS = rowsPerStatement("3.32");

/**
 * Stores prepared rows through a Sql executor (Steward's own, or a pg handle wrapped in one),
 * in one transaction when it takes more than one statement (joining the caller's when `sql`
 * is already one). On PostgreSQL the insert trigger's NOTIFY goes with the rows, delivered at
 * their commit.
 */
export async function writeRows(sql: Sql, rows: readonly PreparedRow[]): Promise<EnqueueResult[]> {
  if (rows.length === 0) return [];
  if (sql.dialect === "pg") {
    if (rows.length <= PG_ROWS_PER_STATEMENT) return writePg(sql, rows);
    return sql.tx((tx) => writePg(tx, rows));
  }
  if (rows.length <= SQLITE_ROWS && !anyKeyed(rows)) return writeSqlite(sql, rows);
  return sql.tx((tx) => writeSqlite(tx, rows));
}

/** sqliteWrite (sqlite-insert.ts) driven through the Sql executor, awaiting each statement. */
async function writeSqlite(sql: Sql, rows: readonly PreparedRow[]): Promise<EnqueueResult[]> {
  const steps = sqliteWrite(rows, SQLITE_ROWS);
  let step = steps.next();
  while (!step.done) step = steps.next(await runStep(sql, step.value));
  return step.value;
}

async function runStep(sql: Sql, step: SqliteStep): Promise<number | string[] | ExistingRow[]> {
  if (step.want === "changes") return sql.run(step.text, step.params);
  if (step.want === "ids") return (await sql.all<{ id: string }>(step.text, step.params)).map((r) => r.id);
  return sql.all<ExistingRow>(step.text, step.params);
}

/**
 * PostgreSQL: a single job in one round trip; more in one `unnest` INSERT a chunk. The caller
 * holds a transaction around several chunks. Nothing comes back but row counts: a chunk that
 * stored every row needs no more; one that stored fewer (some keys were taken, before or
 * earlier in the batch) has its keys looked up, which tells both which of its rows went in (the
 * key holds our id) and the jobs that held the others.
 */
async function writePg(sql: Sql, rows: readonly PreparedRow[]): Promise<EnqueueResult[]> {
  const keyed = anyKeyed(rows);
  const unsure: PreparedRow[] = [];
  for (const chunk of chunked(rows, PG_ROWS_PER_STATEMENT)) {
    const stored =
      chunk.length === 1
        ? await sql.run(pgInsertOneText(keyed), pgOneParams(chunk[0] as PreparedRow))
        : await sql.run(pgInsertManyText(keyed), pgManyParams(chunk));
    if (stored === chunk.length) continue;
    if (!keyed) throw new Error(`stored ${stored} of ${chunk.length} email jobs`);
    unsure.push(...chunk);
  }
  if (unsure.length === 0) return rows.map(createdResult);
  const found: ExistingRow[] = [];
  const keys = [...new Set(unsure.flatMap((row) => (row.idempotencyKey === null ? [] : [row.idempotencyKey])))];
  for (const slice of chunked(keys, KEYS_PER_LOOKUP)) found.push(...(await sql.all<ExistingRow>(PG_EXISTING, [slice])));
  const holders = new Set(found.map((r) => String(r.id)));
  // Held back: a keyed row of a short chunk whose key holds another id. A row without a key
  // cannot have been (its id is new); every other row went in.
  const heldBack = new Set(unsure.filter((r) => r.idempotencyKey !== null && !holders.has(r.id)).map((r) => r.id));
  const inserted = new Set(rows.filter((r) => !heldBack.has(r.id)).map((r) => r.id));
  return assembleResults(rows, inserted, found);
}
