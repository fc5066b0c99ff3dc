import type { Sql } from "../../../db/sql.js";
import {
  anyKeyed,
  chunked,
  createdResult,
  type EnqueueResult,
  type ExistingRow,
  existingResults,
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
 * holds a transaction around several chunks. Only rows whose key may be taken come back: a
 * chunk without keys is checked by its row count, as a single job is.
 */
async function writePg(sql: Sql, rows: readonly PreparedRow[]): Promise<EnqueueResult[]> {
  const keyed = anyKeyed(rows);
  const inserted = new Set<string>();
  if (rows.length === 1) {
    const row = rows[0] as PreparedRow;
    const stored = await sql.run(pgInsertOneText(keyed), pgOneParams(row));
    if (!keyed) {
      if (stored !== 1) throw new Error("the email job was not stored");
      return [createdResult(row)];
    }
    if (stored === 1) inserted.add(row.id);
  } else {
    for (const chunk of chunked(rows, PG_ROWS_PER_STATEMENT)) {
      if (!keyed) {
        const stored = await sql.run(pgInsertManyText(false), pgManyParams(chunk));
        if (stored !== chunk.length) throw new Error(`stored ${stored} of ${chunk.length} email jobs`);
        continue;
      }
      for (const r of await sql.all(pgInsertManyText(true), pgManyParams(chunk))) inserted.add(String(r.id));
    }
    if (!keyed) return rows.map(createdResult);
  }
  const lookups = existingResults(rows, inserted);
  let lookup = lookups.next();
  while (!lookup.done) {
    lookup = lookups.next((await sql.all(PG_EXISTING, [lookup.value])) as unknown as ExistingRow[]);
  }
  return lookup.value;
}
