import type BetterSqlite3 from "better-sqlite3";
import {
  anyKeyed,
  chunked,
  createdResult,
  type EnqueueResult,
  type ExistingRow,
  existingByKeysStatement,
  INSERT_COLUMNS,
  type PreparedRow,
  storedResults,
} from "./insert.js";

/**
 * SQLite's writer: one multi-row INSERT per chunk, its statement prepared once per handle
 * and chunk size and reused, parameters built in one flat array. Without a key a row cannot
 * be refused, so a chunk runs without ON CONFLICT: a clash would be an error, not a silently
 * skipped job. Rows with keys go one INSERT each, ON CONFLICT DO NOTHING, so that each row's
 * own count of changes says whether it went in.
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

/**
 * One INSERT and its parameters. A chunk's columns that every row shares (an empty cc, no
 * template, the batch's one instant; in the benchmarks' chunks, all but the text and the
 * Message-ID) are bound once, in a one-row CTE the rows are joined to, instead of once a row:
 * binding was a third of the INSERT's cost, and such a 1,000-job chunk took 5-7.5 µs a row this
 * way against 6.7-10 binding everything (a scratch loop, six interleaved pairs). PostgreSQL's
 * writer does the same with its arrays (pg-insert.ts). A single row is bound as it is.
 */
export interface SqliteInsert {
  text: string;
  params: unknown[];
}

/** The INSERT of `rows`; `keyed` skips a row whose key is taken. */
export function sqliteInsert(rows: readonly PreparedRow[], keyed: boolean): SqliteInsert {
  const flat = sqliteParams(rows);
  const n = rows.length;
  if (n === 1) return singleInsert(flat, keyed);
  const shared = COLUMNS.map((_, c) => {
    const first = flat[c];
    for (let k = c + PARAMS_PER_ROW; k < flat.length; k += PARAMS_PER_ROW) if (flat[k] !== first) return false;
    return true;
  });
  const text = insertText(n, keyed, shared);
  if (!shared.includes(true)) return { text, params: flat };
  const params: unknown[] = [];
  for (let c = 0; c < PARAMS_PER_ROW; c += 1) if (shared[c]) params.push(flat[c]);
  for (let k = 0; k < flat.length; k += 1) if (!shared[k % PARAMS_PER_ROW]) params.push(flat[k]);
  return { text, params };
}

/**
 * The columns a single row may leave to the table's default (sqlite 0016's CREATE TABLE), by
 * index in COLUMNS, with that default. A one-by-one enqueue sets few of them: binding the 12 it
 * leaves empty was 4,000 of the INSERT's 50,000 instructions (callgrind, 5,000 one-job INSERTs
 * inside the statement's run, 19 parameters against 7).
 */
const DEFAULTS: ReadonlyArray<readonly [column: number, value: unknown]> = (
  [
    ["cc_addrs", "[]"],
    ["bcc_addrs", "[]"],
    ["from_addr", null],
    ["reply_to", null],
    ["text_body", null],
    ["html_body", null],
    ["template_id", null],
    ["variables", null],
    ["headers", null],
    ["priority", 0],
    ["max_attempts", null],
    ["idempotency_key", null],
    ["batch_id", null],
  ] as const
).map(([name, value]) => {
  const column = COLUMNS.indexOf(name);
  if (column < 0) throw new Error(`sqlite-insert: ${name} is not an inserted column`);
  return [column, value] as const;
});

interface SingleShape {
  text: string;
  /** The indexes in COLUMNS bound, in order. */
  bound: number[];
}

/** By a bit per entry of DEFAULTS left to its default, and one more for `keyed`. */
const singles = new Map<number, SingleShape>();

/** A single row's INSERT, naming only the columns whose value is not the table's default. */
function singleInsert(flat: readonly unknown[], keyed: boolean): SqliteInsert {
  let key = keyed ? 1 << DEFAULTS.length : 0;
  for (let d = 0; d < DEFAULTS.length; d += 1) {
    const [column, value] = DEFAULTS[d] as readonly [number, unknown];
    if (flat[column] === value) key |= 1 << d;
  }
  let shape = singles.get(key);
  if (!shape) {
    const left = new Set(DEFAULTS.filter((_, d) => key & (1 << d)).map(([column]) => column));
    const bound = COLUMNS.flatMap((_, c) => (left.has(c) ? [] : [c]));
    const names = bound.map((c) => COLUMNS[c]).join(", ");
    const conflict = keyed ? " on conflict do nothing" : "";
    const text = `insert into email_jobs (${names}, status, attempts) values (${bound.map(() => "?").join(", ")}, 'pending', 0)${conflict}`;
    shape = { text, bound };
    // Bounded, as the texts below: callers' rows come in a few shapes.
    if (singles.size > 200) singles.clear();
    singles.set(key, shape);
  }
  const params = new Array<unknown>(shape.bound.length);
  for (let k = 0; k < params.length; k += 1) params[k] = flat[shape.bound[k] as number];
  return { text: shape.text, params };
}

function insertText(rows: number, keyed: boolean, shared: readonly boolean[]): string {
  const cacheKey = `${rows}:${keyed}:${shared.map((s) => (s ? 1 : 0)).join("")}`;
  let text = texts.get(cacheKey);
  if (!text) {
    const conflict = keyed ? " on conflict do nothing" : "";
    const head = `insert into email_jobs (${COLUMNS.join(", ")}, status, attempts)`;
    if (!shared.includes(true)) {
      const one = `(${COLUMNS.map(() => "?").join(", ")}, 'pending', 0)`;
      text = `${head} values ${Array(rows).fill(one).join(", ")}${conflict}`;
    } else {
      // SQLite names a VALUES list's columns column1, column2, ...
      let varying = 0;
      const values = COLUMNS.map((_, c) => (shared[c] ? `s.c${c}` : `v.column${++varying}`));
      const sharedColumns = COLUMNS.flatMap((_, c) => (shared[c] ? [`c${c}`] : []));
      const one = `(${Array(varying).fill("?").join(", ")})`;
      // The CTE is one row, so the rows go in in the VALUES' order, each taking the next rowid.
      text = `with s(${sharedColumns.join(", ")}) as (select ${sharedColumns.map(() => "?").join(", ")})
        ${head} select ${values.join(", ")}, 'pending', 0 from s, (values ${Array(rows).fill(one).join(", ")}) as v
        where true${conflict}`;
    }
    // Bounded: chunk sizes and shapes repeat (a full chunk, the remainders callers happen to send).
    if (texts.size > 200) texts.clear();
    texts.set(cacheKey, text);
  }
  return text;
}

/** The rows' parameters in column order, in one flat array. */
function sqliteParams(rows: readonly PreparedRow[]): unknown[] {
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
 * One statement the SQLite write asks to run, and what it wants back: an INSERT's count of
 * rows and the rowid of its last (last_insert_rowid, which a trigger's own inserts leave as
 * it was), or the rows a key lookup read.
 */
export type SqliteStep =
  | { want: "inserted"; text: string; params: unknown[] }
  | { want: "existing"; text: string; params: string[] };

export interface Inserted {
  changes: number;
  lastId: number;
}

type StepResult = Inserted | ExistingRow[];

/**
 * The INSERTs and any key lookups, written once for both callers: a host app's better-sqlite3
 * handle, which cannot await inside its transaction, and Steward's async Sql. The procedure
 * does no I/O itself; it yields each statement and is handed its result, so a synchronous
 * and an awaiting driver run the same steps in the same order.
 *
 * The ids are not read back: SQLite gives each new row the largest rowid plus one as it
 * inserts a statement's rows in turn, so a chunk's are the `changes` ids up to the last one.
 * RETURNING them cost 0.5-1 µs a row, a tenth of the INSERT (a scratch loop on the real schema).
 * Only a table whose largest rowid is 2^63-1 is given random ones, which no queue reaches.
 */
export function* sqliteWrite(
  rows: readonly PreparedRow[],
  rowsPerChunk: number,
): Generator<SqliteStep, EnqueueResult[], StepResult> {
  const stored = new Array<string | undefined>(rows.length);
  let at = 0;
  for (const chunk of statementsOf(rows, rowsPerChunk)) {
    const keyed = anyKeyed(chunk);
    const { text, params } = sqliteInsert(chunk, keyed);
    const { changes, lastId } = (yield { want: "inserted", text, params }) as Inserted;
    if (changes === chunk.length && Number.isSafeInteger(lastId)) {
      for (let id = lastId - changes + 1; id <= lastId; id += 1) stored[at++] = String(id);
    } else if (keyed && changes === 0) {
      at += 1;
    } else {
      throw new Error(`stored ${changes} of ${chunk.length} email jobs`);
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

/**
 * Parameters go as arguments, as Steward's own executor passes them (sqlite-sql.ts): given an
 * array, better-sqlite3 fetches each element through a V8 lookup, which was 7,000 of a one-job
 * INSERT's 57,000 instructions in the driver (callgrind), and a 1,000-row chunk took 6.7 ms a
 * run that way against 5.5 as arguments (a scratch loop, median of 7).
 */
function runStep(db: BetterSqlite3.Database, step: SqliteStep): StepResult {
  const prepared = statement(db, step.text);
  if (step.want === "inserted") {
    const { changes, lastInsertRowid } = prepared.run(...step.params);
    return { changes, lastId: Number(lastInsertRowid) };
  }
  return prepared.all(...step.params) as ExistingRow[];
}

/**
 * Stores the rows on a better-sqlite3 handle. One INSERT on its own is atomic, so a single
 * chunk without keys runs as it is (a single job without a key by insertOne); several chunks, or an INSERT followed by key lookups, run
 * in one BEGIN IMMEDIATE unless the caller's transaction already holds them together.
 */
export function insertSync(db: BetterSqlite3.Database, rows: readonly PreparedRow[]): EnqueueResult[] {
  if (rows.length === 0) return [];
  if (rows.length === 1 && (rows[0] as PreparedRow).idempotencyKey === null)
    return [insertOne(db, rows[0] as PreparedRow)];
  const state = stateOf(db);
  const alone = rows.length <= state.rowsPerChunk && !anyKeyed(rows);
  if (db.inTransaction || alone) return write(db, rows);
  return state.immediate(rows);
}

/**
 * One job without a key, as a host app enqueues one by one: one INSERT, atomic on its own, whose
 * rowid is the job's id, so it skips sqliteWrite's steps (a generator, the chunking, the key
 * lookups), which a one-job call paid for in full: 3 µs of a 45 µs enqueue in a steady loop, and
 * more while the engine had not yet compiled them (see docs/benchmarks.md). A keyed job may be
 * refused, and goes the general way.
 */
function insertOne(db: BetterSqlite3.Database, row: PreparedRow): EnqueueResult {
  const { text, params } = singleInsert(sqliteParams([row]), false);
  const { changes, lastInsertRowid } = statement(db, text).run(...params);
  if (changes !== 1) throw new Error(`stored ${changes} of 1 email jobs`);
  return createdResult(String(lastInsertRowid));
}
