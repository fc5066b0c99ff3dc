import type BetterSqlite3 from "better-sqlite3";
import {
  anyKeyed,
  chunked,
  createdResult,
  type EnqueueResult,
  type ExistingRow,
  existingByKeysStatement,
  existingResults,
  INSERT_COLUMNS,
  type PreparedRow,
} from "./insert.js";

/**
 * SQLite's writer: one multi-row INSERT per chunk, its statement prepared once per handle
 * and chunk size and reused, parameters bound from one flat array. A chunk with no
 * idempotency key cannot conflict (ids are new), so it runs without RETURNING and without
 * ON CONFLICT: a clash would be an error, not a silently skipped job.
 */

const COLUMNS = [...INSERT_COLUMNS, "updated_at"] as const;
const PARAMS_PER_ROW = COLUMNS.length;

/**
 * SQLITE_MAX_VARIABLE_NUMBER: 32,766 since SQLite 3.32 (better-sqlite3 keeps the default);
 * a host app's older build may still have 999.
 */
export function rowsPerStatement(sqliteVersion: string): number {
  const [major = 0, minor = 0] = sqliteVersion.split(".").map(Number);
  const limit = major > 3 || (major === 3 && minor >= 32) ? 32_766 : 999;
  return Math.floor(limit / PARAMS_PER_ROW);
}

const texts = new Map<string, string>();

/** The INSERT for `rows` rows; `keyed` skips a row whose key is taken and returns the ids written. */
export function sqliteInsertText(rows: number, keyed: boolean): string {
  const cacheKey = `${rows}:${keyed}`;
  let text = texts.get(cacheKey);
  if (!text) {
    const one = `(${COLUMNS.map(() => "?").join(", ")}, 'pending', 0)`;
    const tail = keyed ? " on conflict do nothing returning id" : "";
    text = `insert into email_jobs (${COLUMNS.join(", ")}, status, attempts) values ${Array(rows).fill(one).join(", ")}${tail}`;
    // Bounded: chunk sizes repeat (a full chunk, and the remainders callers happen to send).
    if (texts.size > 200) texts.clear();
    texts.set(cacheKey, text);
  }
  return text;
}

/** The rows' parameters in column order, in one flat array (better-sqlite3 binds an array as is). */
export function sqliteParams(rows: readonly PreparedRow[]): unknown[] {
  const out = new Array<unknown>(rows.length * PARAMS_PER_ROW);
  let k = 0;
  for (const r of rows) {
    out[k++] = r.id;
    out[k++] = r.to;
    out[k++] = r.cc;
    out[k++] = r.bcc;
    out[k++] = r.from;
    out[k++] = r.replyTo;
    out[k++] = r.subject;
    out[k++] = r.text;
    out[k++] = r.html;
    out[k++] = r.templateId;
    out[k++] = r.variables;
    out[k++] = r.headers;
    out[k++] = r.priority;
    out[k++] = r.maxAttempts;
    out[k++] = r.runAt;
    out[k++] = r.idempotencyKey;
    out[k++] = r.batchId;
    out[k++] = r.messageId;
    out[k++] = r.createdAt;
    out[k++] = r.createdAt;
  }
  return out;
}

/** What a handle keeps between calls: its statements, its chunk size, its transaction wrapper. */
interface HandleState {
  rowsPerChunk: number;
  statements: Map<string, BetterSqlite3.Statement>;
  immediate: (rows: readonly PreparedRow[]) => EnqueueResult[];
}

const handles = new WeakMap<BetterSqlite3.Database, HandleState>();

function stateOf(db: BetterSqlite3.Database): HandleState {
  let state = handles.get(db);
  if (!state) {
    const version = (db.prepare("select sqlite_version() as v").get() as { v: string }).v;
    const transaction = db.transaction((rows: readonly PreparedRow[]) => write(db, rows));
    state = {
      rowsPerChunk: rowsPerStatement(version),
      statements: new Map(),
      immediate: (rows) => transaction.immediate(rows),
    };
    handles.set(db, state);
  }
  return state;
}

function statement(db: BetterSqlite3.Database, text: string): BetterSqlite3.Statement {
  const { statements } = stateOf(db);
  let prepared = statements.get(text);
  if (!prepared) {
    if (statements.size > 200) statements.clear();
    prepared = db.prepare(text);
    statements.set(text, prepared);
  }
  return prepared;
}

/**
 * One statement the SQLite write asks to run, and what it wants back: the number of rows it
 * changed, the ids its RETURNING gave, or the rows a key lookup read.
 */
export type SqliteStep =
  | { want: "changes"; text: string; params: unknown[] }
  | { want: "ids"; text: string; params: unknown[] }
  | { want: "existing"; text: string; params: string[] };

type StepResult = number | string[] | ExistingRow[];

/**
 * The INSERTs and any key lookups, written once for both callers: a host app's better-sqlite3
 * handle, which cannot await inside its transaction, and Steward's async Sql. The procedure
 * does no I/O itself; it yields each statement and is handed its result, so a synchronous
 * and an awaiting driver run the same steps in the same order.
 */
export function* sqliteWrite(
  rows: readonly PreparedRow[],
  rowsPerChunk: number,
): Generator<SqliteStep, EnqueueResult[], StepResult> {
  if (!anyKeyed(rows)) {
    for (const chunk of chunked(rows, rowsPerChunk)) {
      const params = sqliteParams(chunk);
      const changes = (yield { want: "changes", text: sqliteInsertText(chunk.length, false), params }) as number;
      if (changes !== chunk.length) throw new Error(`stored ${changes} of ${chunk.length} email jobs`);
    }
    return rows.map(createdResult);
  }
  const inserted = new Set<string>();
  for (const chunk of chunked(rows, rowsPerChunk)) {
    const params = sqliteParams(chunk);
    const ids = (yield { want: "ids", text: sqliteInsertText(chunk.length, true), params }) as string[];
    for (const id of ids) inserted.add(id);
  }
  const lookups = existingResults(rows, inserted);
  let lookup = lookups.next();
  while (!lookup.done) {
    const keys = lookup.value;
    const found = yield { want: "existing", text: existingByKeysStatement(keys.length), params: keys };
    lookup = lookups.next(found as ExistingRow[]);
  }
  return lookup.value;
}

/** sqliteWrite driven on the handle as it is (in a transaction or not). */
function write(db: BetterSqlite3.Database, rows: readonly PreparedRow[]): EnqueueResult[] {
  const steps = sqliteWrite(rows, stateOf(db).rowsPerChunk);
  let step = steps.next();
  while (!step.done) step = steps.next(runStep(db, step.value));
  return step.value;
}

function runStep(db: BetterSqlite3.Database, step: SqliteStep): StepResult {
  const prepared = statement(db, step.text);
  if (step.want === "changes") return prepared.run(step.params).changes;
  if (step.want === "ids") return (prepared.raw(true).all(step.params) as string[][]).map(([id]) => id as string);
  return prepared.all(step.params) as ExistingRow[];
}

/**
 * Stores the rows on a better-sqlite3 handle. One INSERT on its own is atomic, so a single
 * chunk without keys runs as it is; several chunks, or an INSERT followed by key lookups, run
 * in one BEGIN IMMEDIATE unless the caller's transaction already holds them together.
 */
export function insertSync(db: BetterSqlite3.Database, rows: readonly PreparedRow[]): EnqueueResult[] {
  if (rows.length === 0) return [];
  const state = stateOf(db);
  const alone = rows.length <= state.rowsPerChunk && !anyKeyed(rows);
  if (db.inTransaction || alone) return write(db, rows);
  return state.immediate(rows);
}
