import type { Sql } from "../../../db/sql.js";
import { toDate, toNumber } from "../../../db/sql.js";
import { finishedOf, isFinished } from "./finished.js";
import {
  EMAIL_STATUSES,
  type EmailJob,
  type EmailStatus,
  emptyCounts,
  jobFromRow,
  MESSAGE_COLUMNS,
  type StatusCounts,
} from "./job.js";

/**
 * The admin API's reads of email_jobs (the list, a batch's progress, the last hour per minute),
 * one SQL text for both dialects. They read only: what changes a job stays in store.ts.
 */

/** Which jobs a list (or a retry of failed jobs) is about; every field narrows, none is required. */
export interface JobFilter {
  status?: EmailStatus;
  /** Part of an address in to, cc or bcc, any case. */
  recipient?: string;
  batchId?: string;
  createdFrom?: Date;
  createdTo?: Date;
  sentFrom?: Date;
  sentTo?: Date;
}

/**
 * `where` clauses and their parameters for `filter`. The recipient is a substring of the stored
 * JSON lists, lowercased on both sides: an index cannot serve it, so the list reads rows in its
 * order until it has a page, and a rare address costs a longer walk, never a sort.
 */
export function filterClauses(filter: JobFilter): { clauses: string[]; params: unknown[] } {
  const clauses: string[] = [];
  const params: unknown[] = [];
  const add = (clause: string, ...values: unknown[]) => {
    clauses.push(clause);
    params.push(...values);
  };
  if (filter.status !== undefined) add("status = ?", filter.status);
  if (filter.batchId !== undefined) add("batch_id = ?", filter.batchId);
  if (filter.recipient !== undefined) {
    const pattern = `%${filter.recipient.toLowerCase().replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const like = (column: string) => `lower(cast(${column} as text)) like ? escape '\\'`;
    add(`(${like("to_addrs")} or ${like("cc_addrs")} or ${like("bcc_addrs")})`, pattern, pattern, pattern);
  }
  if (filter.createdFrom !== undefined) add("created_at >= ?", filter.createdFrom);
  if (filter.createdTo !== undefined) add("created_at <= ?", filter.createdTo);
  if (filter.sentFrom !== undefined) add("sent_at >= ?", filter.sentFrom);
  if (filter.sentTo !== undefined) add("sent_at <= ?", filter.sentTo);
  return { clauses, params };
}

/** The message's columns a summary leaves out: a page of summaries stays small. */
const BODY_COLUMNS: ReadonlySet<string> = new Set(["text_body", "html_body", "variables", "headers"]);

/** Every column but the bodies, the variables and the headers; the message's part is job.ts's list. */
const SUMMARY_COLUMNS = [
  ...MESSAGE_COLUMNS.filter((column) => !BODY_COLUMNS.has(column)),
  "status",
  "attempts",
  "max_attempts",
  "run_at",
  "last_error",
  "last_smtp_code",
  "batch_id",
  "message_id",
  "created_at",
  "updated_at",
  "sent_at",
].join(", ");

/**
 * The order of a list, which its index decides (none of them is moved by a claim or a settle
 * it has no part in; see sqlite 0013):
 * - `newest`: every status, or the jobs in flight: newest first by id, the integer key the
 *   database gives as rows are stored, so the order they were stored in;
 * - `due`: pending jobs in the order they go out (priority, then run_at), through the pending index;
 * - `finished`: sent, failed or cancelled jobs, most recently finished first, through the
 *   finished jobs' index.
 */
export type ListOrder = "newest" | "due" | "finished";

export function listOrderOf(status: EmailStatus | undefined): ListOrder {
  if (status === "pending") return "due";
  if (isFinished(status)) return "finished";
  return "newest";
}

/** Where a page ended: its order and the last row's values of that order's key. */
export interface ListPosition {
  order: ListOrder;
  key: Array<string | number>;
}

/** The number of values in each order's key. */
export const LIST_KEY_LENGTH: Record<ListOrder, number> = { newest: 1, due: 3, finished: 2 };

interface ListShape {
  where: string;
  /** The key's columns, in the order's direction. */
  key: string[];
  descending: boolean;
  /** The rows past a key, as a condition on it (`?` for each of `params(key)`). */
  past: string;
  params(key: ListPosition["key"]): unknown[];
}

function shapeOf(dialect: Sql["dialect"], status: EmailStatus | undefined): ListShape {
  // Ties (one bulk enqueue's run_at, one settle's updated_at) are told apart by what each
  // index holds last: SQLite's rowid, PostgreSQL's id (pg 0011 put it in the pending index).
  const tie = dialect === "sqlite" ? "rowid" : "id";
  // The status goes into the text (a partial index serves only a condition it can read), so it
  // must be one of the five.
  if (status !== undefined && !EMAIL_STATUSES.includes(status)) throw new Error(`no such email status: ${status}`);
  // Each condition on the key is the form both planners read as a range of the index, found by
  // their plans (test/integration/email-partial-indexes.test.ts): a row value for the pending
  // index, but spelt out for the finished one, where SQLite with statistics sorted for a row value.
  if (status === "pending") {
    return {
      where: "status = 'pending'",
      key: ["priority", "run_at", tie],
      descending: false,
      past: `(priority, run_at, ${tie}) > (?, ?, ?)`,
      params: (key) => key,
    };
  }
  if (isFinished(status)) {
    return {
      where: finishedOf(status),
      key: ["updated_at", tie],
      descending: true,
      past: `updated_at <= ? and (updated_at < ? or ${tie} < ?)`,
      params: ([at, k]) => [at, at, k],
    };
  }
  return {
    where: status === undefined ? "" : `status = '${status}'`,
    key: ["id"],
    descending: true,
    past: "id < ?",
    params: (key) => key,
  };
}

/** The statement of one page (see listJobs): its text and parameters, apart for the plan tests. */
export function listStatement(
  dialect: Sql["dialect"],
  filter: JobFilter,
  page: { after: ListPosition | null; limit: number },
): { text: string; params: unknown[] } {
  const { status, ...rest } = filter;
  const shape = shapeOf(dialect, status);
  const { clauses, params } = filterClauses(rest);
  if (shape.where !== "") clauses.unshift(shape.where);
  if (page.after !== null) {
    clauses.push(shape.past);
    params.push(...shape.params(page.after.key));
  }
  const where = clauses.length > 0 ? `where ${clauses.join(" and ")}` : "";
  const direction = shape.descending ? " desc" : "";
  // The key as the database spells it, so that an instant goes back exactly (PostgreSQL's are
  // finer than a Date's millisecond).
  const keyText =
    dialect === "sqlite" ? `json_array(${shape.key.join(", ")})` : `json_build_array(${shape.key.join(", ")})::text`;
  return {
    text: `select ${SUMMARY_COLUMNS}, ${keyText} as list_key from email_jobs ${where}
     order by ${shape.key.map((k) => `${k}${direction}`).join(", ")} limit ?`,
    params: [...params, page.limit + 1],
  };
}

/**
 * One page of jobs in the order of `listOrderOf(filter.status)`. Keyset paging (the key past
 * `after`) reads only the page, at any depth; OFFSET would read every row before it, and a job
 * inserted meanwhile would shift the pages. One row more than asked says whether another page
 * follows. The bodies are not read (the summary has none).
 */
export async function listJobs(
  sql: Sql,
  filter: JobFilter,
  page: { after: ListPosition | null; limit: number },
): Promise<{ jobs: EmailJob[]; more: boolean; last: ListPosition | null }> {
  const { text, params } = listStatement(sql.dialect, filter, page);
  const rows = await sql.all<Record<string, unknown> & { list_key: string }>(text, params);
  const shown = rows.slice(0, page.limit);
  const lastRow = shown[shown.length - 1];
  return {
    jobs: shown.map(jobFromRow),
    more: rows.length > page.limit,
    last: lastRow ? { order: listOrderOf(filter.status), key: JSON.parse(lastRow.list_key) } : null,
  };
}

export interface BatchProgress {
  batchId: string;
  total: number;
  counts: StatusCounts;
  startedAt: Date;
  /** When its last job settled, once none is pending or sending; null before. */
  finishedAt: Date | null;
}

/** A batch's counts per status, through the batch_id index; undefined when no job has the id. */
export async function batchProgress(sql: Sql, batchId: string): Promise<BatchProgress | undefined> {
  const rows = await sql.all<{ status: EmailStatus; n: unknown; started: unknown; settled: unknown }>(
    `select status, count(*) as n, min(created_at) as started, max(coalesce(sent_at, updated_at)) as settled
     from email_jobs where batch_id = ? group by status`,
    [batchId],
  );
  if (rows.length === 0) return undefined;
  const counts = emptyCounts();
  let started = Number.POSITIVE_INFINITY;
  let settled = Number.NEGATIVE_INFINITY;
  for (const row of rows) {
    counts[row.status] = toNumber(row.n);
    started = Math.min(started, toDate(row.started)?.getTime() ?? started);
    settled = Math.max(settled, toDate(row.settled)?.getTime() ?? settled);
  }
  const open = counts.pending + counts.sending > 0;
  return {
    batchId,
    total: EMAIL_STATUSES.reduce((sum, s) => sum + counts[s], 0),
    counts,
    startedAt: new Date(started),
    finishedAt: open ? null : new Date(settled),
  };
}
