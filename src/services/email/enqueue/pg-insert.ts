import { INSERT_COLUMNS, type PreparedRow } from "./insert.js";

/**
 * PostgreSQL's writer: a chunk of jobs is one INSERT ... SELECT FROM unnest(column arrays),
 * whatever its size: 17 parameters instead of 20 a row, one plan, and no limit of 65,535
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

/** Many jobs from column arrays; its row count is short of the rows by the keys that were taken. */
export function pgInsertManyText(keyed: boolean): string {
  const arrays = COLUMNS.map((_, i) => `$${i + 1}::${COLUMN_TYPES[i]}[]`).join(", ");
  return `insert into email_jobs (${COLUMNS.join(", ")}, updated_at, status, attempts)
    select *, v.created_at, 'pending', 0 from unnest(${arrays}) as v(${COLUMNS.join(", ")})${conflict(keyed)}`;
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

/** The rows' columns as arrays, in COLUMNS order; `ids` in the rows' order. */
export function pgManyParams(rows: readonly PreparedRow[], ids: readonly string[]): unknown[][] {
  const columns: unknown[][] = COLUMNS.map(() => new Array<unknown>(rows.length));
  for (let i = 0; i < rows.length; i += 1) {
    const values = pgOneParams(rows[i] as PreparedRow, ids[i] as string);
    for (let c = 0; c < values.length; c += 1) (columns[c] as unknown[])[i] = values[c];
  }
  return columns;
}
