import type BetterSqlite3 from "better-sqlite3";
import {
  anyKeyed,
  chunked,
  type EnqueueResult,
  type ExistingRow,
  existingByKeysStatement,
  INSERT_COLUMNS,
  type PreparedRow,
  storedResults,
} from "./insert.js";

/**
 * SQLite's writer: one multi-row INSERT per chunk, its statement prepared once per handle
 * and chunk size and reused, parameters bound from one flat array, RETURNING the rowids SQLite
 * gave. Without a key a row cannot be refused, so a chunk runs without ON CONFLICT: a clash
 * would be an error, not a silently skipped job. Rows with keys go one INSERT each, ON CONFLICT
 * DO NOTHING, so that each row's own RETURNING says whether it went in.
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

/** The INSERT for `rows` rows, returning their ids; `keyed` skips a row whose key is taken. */
export function sqliteInsertText(rows: number, keyed: boolean): string {
  const cacheKey = `${rows}:${keyed}`;
  let text = texts.get(cacheKey);
  if (!text) {
    const one = `(${COLUMNS.map(() => "?").join(", ")}, 'pending', 0)`;
    const conflict = keyed ? " on conflict do nothing" : "";
    text = `insert into email_jobs (${COLUMNS.join(", ")}, status, attempts) values ${Array(rows).fill(one).join(", ")}${conflict} returning id`;
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
 * One statement the SQLite write asks to run, and what it wants back: the ids its RETURNING
 * gave, or the rows a key lookup read.
 */
export type SqliteStep =
  | { want: "ids"; text: string; params: unknown[] }
  | { want: "existing"; text: string; params: string[] };

type StepResult = number[] | ExistingRow[];

/**
 * The INSERTs and any key lookups, written once for both callers: a host app's better-sqlite3
 * handle, which cannot await inside its transaction, and Steward's async Sql. The procedure
 * does no I/O itself; it yields each statement and is handed its result, so a synchronous
 * and an awaiting driver run the same steps in the same order.
 *
 * A multi-row INSERT's ids come back in no promised order, but SQLite gives each new row the
 * largest rowid plus one as it inserts the rows in turn, so in ascending order they are the
 * rows' ids in the statement's order.
 */
export function* sqliteWrite(
  rows: readonly PreparedRow[],
  rowsPerChunk: number,
): Generator<SqliteStep, EnqueueResult[], StepResult> {
  const stored = new Array<string | undefined>(rows.length);
  let at = 0;
  for (const chunk of statementsOf(rows, rowsPerChunk)) {
    const keyed = anyKeyed(chunk);
    const params = sqliteParams(chunk);
    const ids = (yield { want: "ids", text: sqliteInsertText(chunk.length, keyed), params }) as number[];
    if (ids.length === chunk.length) {
      if (ids.length > 1) ids.sort((a, b) => a - b);
      for (const id of ids) stored[at++] = String(id);
    } else if (keyed && ids.length === 0) {
      at += 1;
    } else {
      throw new Error(`stored ${ids.length} of ${chunk.length} email jobs`);
    }
  }
  const lookups = storedResults(rows, stored);
  let lookup = lookups.next();
  while (!lookup.done) {
    const keys = lookup.value;
    const found = yield { want: "existing", text: existingByKeysStatement(keys.length), params: keys };
    lookup = lookups.next(found as ExistingRow[]);
  }
  return lookup.value;
}

/** The rows in statement order: each keyed row alone, the unkeyed between them in chunks. */
function statementsOf(rows: readonly PreparedRow[], rowsPerChunk: number): PreparedRow[][] {
  if (!anyKeyed(rows)) return chunked(rows, rowsPerChunk);
  const out: PreparedRow[][] = [];
  let run: PreparedRow[] = [];
  for (const row of rows) {
    if (row.idempotencyKey === null && run.length < rowsPerChunk) {
      run.push(row);
      continue;
    }
    if (run.length > 0) out.push(run);
    run = [];
    if (row.idempotencyKey === null) run.push(row);
    else out.push([row]);
  }
  if (run.length > 0) out.push(run);
  return out;
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
  if (step.want === "ids") return prepared.pluck(true).all(step.params) as number[];
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
