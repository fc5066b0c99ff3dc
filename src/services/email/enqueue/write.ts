import { PgSql } from "../../../db/pg-sql.js";
import type { Sql } from "../../../db/sql.js";
import {
  anyKeyed,
  chunked,
  type EnqueueResult,
  type ExistingRow,
  KEYS_PER_LOOKUP,
  type PreparedRow,
  storedResults,
} from "./insert.js";
import { PG_ROWS_PER_STATEMENT, pgIdsText, pgInsertMany, pgInsertOneText, pgOneParams } from "./pg-insert.js";
import { type Inserted, rowsPerStatement, type SqliteStep, sqliteWrite } from "./sqlite-insert.js";

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
  // Always a transaction: it keeps the connection's other callers from inserting between an
  // INSERT and its last_insert_rowid() (a caller's own transaction already does).
  return sql.tx((tx) => writeSqlite(tx, rows));
}

/** sqliteWrite (sqlite-insert.ts) driven through the Sql executor, awaiting each statement. */
function writeSqlite(sql: Sql, rows: readonly PreparedRow[]): Promise<EnqueueResult[]> {
  return drive(sqliteWrite(rows, SQLITE_ROWS), (step) => runStep(sql, step));
}

async function runStep(sql: Sql, step: SqliteStep): Promise<Inserted | ExistingRow[]> {
  if (step.want === "inserted") {
    const changes = await sql.run(step.text, step.params);
    const last = changes > 0 ? await sql.get<{ id: number }>("select last_insert_rowid() as id") : undefined;
    return { changes, lastId: last?.id ?? 0 };
  }
  return sql.all<ExistingRow>(step.text, step.params);
}

/**
 * PostgreSQL: a chunk's ids first, from the table's sequence, then the chunk in one INSERT (a
 * single job a plain one, more an `unnest`). The caller holds a transaction around several
 * chunks. The INSERT returns nothing but its row count: a chunk that stored every row needs no
 * more; one that stored fewer (some keys were taken, before or earlier in the batch) has its
 * keys looked up, and a key that holds the id we gave says its row went in.
 */
async function writePg(sql: Sql, rows: readonly PreparedRow[]): Promise<EnqueueResult[]> {
  const keyed = anyKeyed(rows);
  const ids: string[] = [];
  const unsure: number[] = [];
  for (const chunk of chunked(rows, PG_ROWS_PER_STATEMENT)) {
    const first = ids.length;
    const given = await takeIds(sql, chunk.length);
    ids.push(...given);
    const many = chunk.length === 1 ? undefined : pgInsertMany(chunk, given, keyed);
    const stored = many
      ? await sql.run(many.text, many.params)
      : await sql.run(pgInsertOneText(keyed), pgOneParams(chunk[0] as PreparedRow, given[0] as string));
    if (stored === chunk.length) continue;
    if (!keyed) throw new Error(`stored ${stored} of ${chunk.length} email jobs`);
    for (let i = 0; i < chunk.length; i += 1) unsure.push(first + i);
  }
  const found = new Map<string, ExistingRow>();
  if (unsure.length > 0) {
    const keys = [...new Set(unsure.flatMap((i) => (rows[i]?.idempotencyKey ? [rows[i].idempotencyKey] : [])))];
    for (const slice of chunked(keys, KEYS_PER_LOOKUP)) {
      for (const r of await sql.all<ExistingRow>(PG_EXISTING, [slice])) found.set(r.idempotency_key, r);
    }
  }
  // Held back: a keyed row of a short chunk whose key holds another id. A row without a key
  // cannot have been (its id is new); every other row went in.
  const stored: (string | undefined)[] = [...ids];
  for (const i of unsure) {
    const key = rows[i]?.idempotencyKey;
    if (key && String(found.get(key)?.id) !== ids[i]) stored[i] = undefined;
  }
  return drive(storedResults(rows, stored), async (keys) => keys.flatMap((k) => found.get(k) ?? []));
}

/**
 * Ids a one-by-one enqueue took from the sequence ahead, per pool or connection (not per
 * executor: a transaction's is new each time, and would waste the rest of its block). With a
 * round trip for each job's id, one by one ran at 1,480-1,530 jobs/s against 1,412-1,814 before
 * the integer key (`npm run bench -- enqueue --only pg`). The price: ids from two processes
 * interleave out of time order, and a process that stops leaves a gap.
 */
const idBlocks = new WeakMap<object, string[]>();
const ID_BLOCK = 32;

async function takeIds(sql: Sql, n: number): Promise<string[]> {
  if (n > 1) return (await sql.all<{ id: string }>(pgIdsText(n), [])).map((r) => r.id);
  const owner = sql instanceof PgSql ? sql.target : sql;
  let block = idBlocks.get(owner);
  if (!block || block.length === 0) {
    block = (await sql.all<{ id: string }>(pgIdsText(ID_BLOCK), [])).map((r) => r.id).reverse();
    idBlocks.set(owner, block);
  }
  return [block.pop() as string];
}

/** Runs a writer's steps (statements, or storedResults' key lookups), awaiting each with `run`. */
async function drive<Step, Answer>(
  steps: Generator<Step, EnqueueResult[], Answer>,
  run: (step: Step) => Promise<Answer>,
): Promise<EnqueueResult[]> {
  let step = steps.next();
  while (!step.done) step = steps.next(await run(step.value));
  return step.value;
}
