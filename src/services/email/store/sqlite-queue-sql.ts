/**
 * The queue's two hot SQLite statements, claim and settle, as procedures on a better-sqlite3
 * handle: the store runs them on its own connection, and the claim thread (sqlite-claim-thread.ts)
 * on the thread's. One text of each, so the two paths cannot drift. Both must run inside a
 * BEGIN IMMEDIATE the caller holds: the write lock is taken before the due rows are read, so
 * two connections can never select the same job. This module imports no more than the thread
 * needs.
 */
import type BetterSqlite3 from "better-sqlite3";
import { jsonParam } from "../../../db/sql.js";
import type { Outcome } from "../store.js";
import { DUE } from "./due.js";
import { MESSAGE_COLUMNS } from "./job.js";

/**
 * What a send needs, read as arrays (better-sqlite3's raw mode): building an object per row
 * with named keys costs more in the driver than the row does in SQLite. The claim's own values
 * (status, lease, updated_at) are filled in from what it wrote rather than read back.
 */
export const CLAIMED_COLUMNS = [
  ...MESSAGE_COLUMNS,
  "attempts",
  "max_attempts",
  "transport_failures",
  "recipients",
  "run_at",
  "message_id",
  "created_at",
] as const;

/** The due jobs of one priority, longest due first: one range of email_jobs_pending_idx. */
export const SQLITE_DUE_OF_PRIORITY = `select rowid from email_jobs
  where status = 'pending' and priority = ? and run_at <= ? order by run_at limit ?`;

/** Every priority some pending job has, lowest first (store/due.ts). */
export const SQLITE_PRIORITIES = `${DUE.sqlite.priorities} select p from prio where p is not null`;

/**
 * Claims the rows the loose scan chose, by rowid (a JSON array). `+status` keeps the planner
 * off any index of the status: without statistics (a new database, before the first PRAGMA
 * optimize) it once walked the whole pending range of the (status, id) index (gone since sqlite
 * 0013) against a Bloom filter of the chosen rowids, so a claim from a 20,000-job backlog read
 * 20,000 entries to take a few hundred.
 */
export const SQLITE_CLAIM = `update email_jobs set status = 'sending', lease_holder = ?, lease_expires_at = ?,
    attempts = attempts + 1, updated_at = ?, message_id = coalesce(message_id, '<' || id || '.' || lower(hex(randomblob(8))) || '@' || ? || '>')
  where rowid in (select value from json_each(?)) and +status = 'pending'
  returning ${CLAIMED_COLUMNS.join(", ")}`;

/**
 * Every outcome of a batch in one UPDATE, PostgreSQL's SETTLE_MANY (store/pg.ts) in SQLite's
 * words: the outcomes arrive as one JSON array of rows, [id, kind, at, run_at, rejected, error,
 * code, recipients, transport_failure], and each row is found by primary key. One statement
 * instead of one per outcome spares a bind and a step per job on the thread that also drives
 * the SMTP sockets. `+status` keeps the planner from walking the jobs in flight once per
 * outcome (through the (status, id) index before sqlite 0013 that plan cost 400 µs a job, and
 * email_jobs_sending_idx would offer it again); with it the JSON rows lead and each job is one
 * lookup of the primary key.
 */
export const SQLITE_SETTLE_MANY = `update email_jobs set
    status = case v.value ->> 1 when 'sent' then 'sent' when 'failed' then 'failed' else 'pending' end,
    run_at = coalesce(v.value ->> 3, run_at),
    sent_at = case when v.value ->> 1 = 'sent' then v.value ->> 2 else sent_at end,
    updated_at = v.value ->> 2,
    rejected = case when v.value ->> 1 = 'sent' then v.value ->> 4 else rejected end,
    recipients = coalesce(v.value ->> 7, recipients),
    last_error = case when v.value ->> 1 in ('sent', 'requeue') then coalesce(v.value ->> 5, last_error)
                      else v.value ->> 5 end,
    last_smtp_code = case when v.value ->> 1 in ('sent', 'requeue') then coalesce(v.value ->> 6, last_smtp_code)
                          else v.value ->> 6 end,
    attempts = case when v.value ->> 1 = 'requeue' then max(attempts - 1, 0) else attempts end,
    transport_failures = transport_failures + (v.value ->> 8),
    lease_holder = null, lease_expires_at = null
  from json_each(?) as v
  where email_jobs.id = v.value ->> 0 and lease_holder = ? and +status = 'sending'`;

/** One outcome as a row of SQLITE_SETTLE_MANY's JSON; JSON columns travel as their text. */
function settleRow(o: Outcome): unknown[] {
  const at = o.at.getTime();
  // The key as the integer it is, so that the join to email_jobs is a rowid lookup.
  const id = Number(o.id);
  switch (o.kind) {
    case "sent":
      return [
        id,
        o.kind,
        at,
        null,
        jsonParam(o.rejected.length > 0 ? o.rejected : null),
        o.note,
        o.code,
        jsonParam(o.recipients),
        0,
      ];
    case "retry":
      return [id, o.kind, at, o.runAt.getTime(), null, o.error, o.code, jsonParam(o.recipients), 0];
    case "failed":
      return [id, o.kind, at, null, null, o.error, o.code, jsonParam(o.recipients), 0];
    case "requeue":
      return [id, o.kind, at, null, null, o.error, o.code, null, o.transportFailure ? 1 : 0];
  }
}

/** One claim, in the values the statements bind: instants as epoch milliseconds. */
export interface ClaimOrder {
  holder: string;
  at: number;
  expires: number;
  limit: number;
  messageIdDomain: string;
}

const statements = new WeakMap<BetterSqlite3.Database, Map<string, BetterSqlite3.Statement>>();

/** `text` prepared once per connection (the store's other statements use it too). */
export function prepared(db: BetterSqlite3.Database, text: string): BetterSqlite3.Statement {
  let cache = statements.get(db);
  if (!cache) {
    cache = new Map();
    statements.set(db, cache);
  }
  let statement = cache.get(text);
  if (!statement) {
    statement = db.prepare(text);
    cache.set(text, statement);
  }
  return statement;
}

/**
 * SQLite has no LATERAL, and one statement over all priorities would sort every due job to
 * find the first few: so the loose scan runs here, priority by priority, until `limit` rowids
 * are found; then one UPDATE claims them. Returns the claimed rows as arrays of CLAIMED_COLUMNS.
 */
export function claimOn(db: BetterSqlite3.Database, order: ClaimOrder): unknown[][] {
  const { holder, at, expires, limit, messageIdDomain } = order;
  const chosen: unknown[] = [];
  for (const [priority] of prepared(db, SQLITE_PRIORITIES).raw(true).all() as unknown[][]) {
    if (chosen.length >= limit) break;
    chosen.push(
      ...prepared(db, SQLITE_DUE_OF_PRIORITY)
        .pluck(true)
        .all(priority, at, limit - chosen.length),
    );
  }
  if (chosen.length === 0) return [];
  return prepared(db, SQLITE_CLAIM)
    .raw(true)
    .all(holder, expires, at, messageIdDomain, JSON.stringify(chosen)) as unknown[][];
}

/** Writes a batch of outcomes (settleRows' JSON); returns the rows changed. */
export function settleOn(db: BetterSqlite3.Database, rows: string, holder: string): number {
  return prepared(db, SQLITE_SETTLE_MANY).run(rows, holder).changes;
}

/** A batch of outcomes as SQLITE_SETTLE_MANY's one JSON parameter. */
export function settleRows(outcomes: readonly Outcome[]): string {
  return JSON.stringify(outcomes.map(settleRow));
}
