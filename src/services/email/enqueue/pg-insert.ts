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
  "text",
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

/** One job; its row count is 0 when its key was taken. */
export function pgInsertOneText(keyed: boolean): string {
  const values = INSERT_COLUMNS.map((_, i) => `$${i + 1}::${TYPES[i]}`).join(", ");
  return `insert into email_jobs (${INSERT_COLUMNS.join(", ")}, updated_at, status, attempts)
    values (${values}, $${INSERT_COLUMNS.length}::timestamptz, 'pending', 0)${conflict(keyed)}`;
}

/** Many jobs from column arrays; its row count is short of the rows by the keys that were taken. */
export function pgInsertManyText(keyed: boolean): string {
  const arrays = INSERT_COLUMNS.map((_, i) => `$${i + 1}::${TYPES[i]}[]`).join(", ");
  return `insert into email_jobs (${INSERT_COLUMNS.join(", ")}, updated_at, status, attempts)
    select *, v.created_at, 'pending', 0 from unnest(${arrays}) as v(${INSERT_COLUMNS.join(", ")})${conflict(keyed)}`;
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

export function pgOneParams(r: PreparedRow): unknown[] {
  return [
    r.id,
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

/** The rows' columns as arrays, in INSERT_COLUMNS order. */
export function pgManyParams(rows: readonly PreparedRow[]): unknown[][] {
  const columns: unknown[][] = INSERT_COLUMNS.map(() => new Array<unknown>(rows.length));
  for (let i = 0; i < rows.length; i += 1) {
    const values = pgOneParams(rows[i] as PreparedRow);
    for (let c = 0; c < values.length; c += 1) (columns[c] as unknown[])[i] = values[c];
  }
  return columns;
}
