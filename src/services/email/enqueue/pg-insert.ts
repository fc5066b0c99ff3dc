import { INSERT_COLUMNS, type PreparedRow } from "./insert.js";

/**
 * PostgreSQL's writer: a chunk of jobs is one INSERT ... SELECT FROM unnest(column arrays),
 * whatever its size: a parameter per column instead of 20 a row, and no limit of 65,535
 * parameters to chunk around. A single job is a plain INSERT, one round trip. Neither sends a
 * NOTIFY of its own: the table's insert trigger does, once per statement (pg 0007), for ours as
 * for a host app's own INSERT. Nor do they return rows: the row count says what was stored, and
 * an INSERT ... RETURNING into this table left the connection's later bulk INSERTs twice as
 * slow (their parameters' input, on PostgreSQL 15) until the table's plans were invalidated.
 * The statements use `$n`, which the `?`-numbering executor passes through unchanged. They are
 * not named prepared statements: a host app's pool may sit behind a pooler (PgBouncer in
 * transaction mode) that cannot keep them.
 */

/** Rows per unnest INSERT: big enough that the round trip is amortised, small enough to stream. */
export const PG_ROWS_PER_STATEMENT = 5000;

const TYPES = [
  "jsonb",
  "jsonb",
  "jsonb",
  "text",
  "text",
  "text",
  "text",
  "text",
  "text",
  "jsonb",
  "jsonb",
  "int",
  "int",
  "timestamptz",
  "text",
  "text",
  "text",
  "timestamptz",
] as const;

const conflict = (keyed: boolean) => (keyed ? " on conflict do nothing" : "");

/** The id column first, then INSERT_COLUMNS; the id from the table's sequence. */
const COLUMNS = ["id", ...INSERT_COLUMNS] as const;
const COLUMN_TYPES = ["bigint", ...TYPES] as const;

/**
 * `n` new ids from the table's identity sequence (pg 0012). Taken before the INSERT rather than
 * read back by RETURNING, which slows the connection's later bulk INSERTs (above).
 */
export function pgIdsText(n: number): string {
  return n === 1
    ? "select nextval('email_jobs_id_seq')::text as id"
    : `select nextval('email_jobs_id_seq')::text as id from generate_series(1, ${Math.trunc(n)})`;
}

/** One job; its row count is 0 when its key was taken. */
export function pgInsertOneText(keyed: boolean): string {
  const values = COLUMNS.map((_, i) => `$${i + 1}::${COLUMN_TYPES[i]}`).join(", ");
  return `insert into email_jobs (${COLUMNS.join(", ")}, updated_at, status, attempts)
    values (${values}, $${COLUMNS.length}::timestamptz, 'pending', 0)${conflict(keyed)}`;
}

/** pgInsertManyText's texts, by `keyed` and the mask of shared columns. */
const manyTexts = new Map<string, string>();

/**
 * Many jobs from column arrays; its row count is short of the rows by the keys that were taken.
 * A column whose value every row of the chunk shares (an empty cc, no template, the batch's one
 * instant) goes as one scalar instead of an array of copies: the server parsed every element of
 * every array. In the benchmarks' chunks every column but the id, the text and the Message-ID is
 * shared, and sending those once took the bulk enqueue from 33-41k to 45-55k jobs/s (a scratch
 * loop of 20 chunks, four interleaved pairs). `shared[i]` says whether COLUMNS[i] is one value.
 */
export function pgInsertManyText(keyed: boolean, shared: readonly boolean[]): string {
  const cacheKey = `${keyed ? 1 : 0}${shared.map((s) => (s ? 1 : 0)).join("")}`;
  let text = manyTexts.get(cacheKey);
  if (!text) {
    const arrays: string[] = [];
    const names: string[] = [];
    const values = COLUMNS.map((column, i) => {
      const param = `$${i + 1}::${COLUMN_TYPES[i]}`;
      if (shared[i]) return param;
      arrays.push(`${param}[]`);
      names.push(column);
      return `v.${column}`;
    });
    const createdAt = values[COLUMNS.indexOf("created_at")];
    text = `insert into email_jobs (${COLUMNS.join(", ")}, updated_at, status, attempts)
    select ${values.join(", ")}, ${createdAt}, 'pending', 0 from unnest(${arrays.join(", ")}) as v(${names.join(", ")})${conflict(keyed)}`;
    // Bounded, though the masks plain mail makes are few.
    if (manyTexts.size > 200) manyTexts.clear();
    manyTexts.set(cacheKey, text);
  }
  return text;
}

let lastMs = Number.NaN;
let lastIso = "";

/** Instants go over as ISO text; a batch's jobs mostly share one, so the last is remembered. */
function iso(ms: number): string {
  if (ms !== lastMs) {
    lastIso = new Date(ms).toISOString();
    lastMs = ms;
  }
  return lastIso;
}

export function pgOneParams(r: PreparedRow, id: string): unknown[] {
  return [
    id,
    r.to,
    r.cc,
    r.bcc,
    r.from,
    r.replyTo,
    r.subject,
    r.text,
    r.html,
    r.templateId,
    r.variables,
    r.headers,
    r.priority,
    r.maxAttempts,
    iso(r.runAt),
    r.idempotencyKey,
    r.batchId,
    r.messageId,
    iso(r.createdAt),
  ];
}

/** A chunk's INSERT: its text and its parameters, a scalar for each shared column, else an array. */
export function pgInsertMany(
  rows: readonly PreparedRow[],
  ids: readonly string[],
  keyed: boolean,
): { text: string; params: unknown[] } {
  const columns: unknown[][] = COLUMNS.map(() => new Array<unknown>(rows.length));
  for (let i = 0; i < rows.length; i += 1) {
    const values = pgOneParams(rows[i] as PreparedRow, ids[i] as string);
    for (let c = 0; c < values.length; c += 1) (columns[c] as unknown[])[i] = values[c];
  }
  // The id is never shared; the other values are strings, numbers or null, so === is equality.
  const shared = columns.map((values, c) => c > 0 && values.every((v) => v === values[0]));
  const params = columns.map((values, c) => (shared[c] ? values[0] : values));
  return { text: pgInsertManyText(keyed, shared), params };
}
