import type { Sql } from "../../../db/sql.js";
import { toDate, toNumber } from "../../../db/sql.js";
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
 * JSON lists, lowercased on both sides: an index cannot serve it, so the list reads rows newest
 * first until it has a page, and a rare address costs a longer walk, never a sort.
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
 * One page of jobs, newest first: by id, which is a UUIDv7 (its time first) for every row
 * Steward or the column default makes, so the order is creation order and the key is unique.
 * Keyset paging (`id < after`) reads only the page, at any depth; OFFSET would read every row
 * before it, and a job inserted meanwhile would shift the pages. One row more than asked says
 * whether another page follows. The bodies are not read (the summary has none).
 */
export async function listJobs(
  sql: Sql,
  filter: JobFilter,
  page: { after: string | null; limit: number },
): Promise<{ jobs: EmailJob[]; more: boolean }> {
  const { clauses, params } = filterClauses(filter);
  if (page.after !== null) {
    clauses.push("id < ?");
    params.push(page.after);
  }
  const where = clauses.length > 0 ? `where ${clauses.join(" and ")}` : "";
  const rows = await sql.all(`select ${SUMMARY_COLUMNS} from email_jobs ${where} order by id desc limit ?`, [
    ...params,
    page.limit + 1,
  ]);
  return { jobs: rows.slice(0, page.limit).map(jobFromRow), more: rows.length > page.limit };
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
