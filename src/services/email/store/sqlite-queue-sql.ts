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
import { WATERMARK_SQL } from "./counts.js";
import { DUE } from "./due.js";
import { CLAIMED_COLUMNS } from "./job.js";

/** The due jobs of one priority, longest due first: one range of email_jobs_pending_idx. */
export const SQLITE_DUE_OF_PRIORITY = `select rowid from email_jobs
  where status = 'pending' and priority = ? and run_at <= ? order by run_at limit ?`;

/** Every priority some pending job has, lowest first (store/due.ts). */
export const SQLITE_PRIORITIES = `${DUE.sqlite.priorities} select p from prio where p is not null`;

/**
 * Claims the rows the loose scan chose, by rowid (a JSON array), and returns their ids.
 * `+status` keeps the planner off any index of the status: without statistics (a new database,
 * before the first PRAGMA optimize) it once walked the whole pending range of the (status, id)
 * index (gone since sqlite 0013) against a Bloom filter of the chosen rowids, so a claim from a
 * 20,000-job backlog read 20,000 entries to take a few hundred.
 */
export const SQLITE_CLAIM = `update email_jobs set status = 'sending', lease_holder = ?, lease_expires_at = ?,
    attempts = attempts + 1, updated_at = ?, message_id = coalesce(message_id, '<' || id || '.' || lower(hex(randomblob(8))) || '@' || ? || '>')
  where rowid in (select value from json_each(?)) and +status = 'pending'
  returning id`;

/**
 * What a send needs of the jobs a claim took (CLAIMED_COLUMNS, job.ts), read after the claim
 * and not returned by it: the claim thread writes, and the main thread, which has time to spare
 * in a drain, reads the rows on its own connection. Returning the 20 columns cost the claim
 * thread, the one that bounds a SQLite drain, a third of its claim (9.2 against 6.4 µs a job,
 * claims of 260 in a scratch loop), and the copy of every row from thread to thread besides.
 * Only the jobs still under the claim's lease: none other changes a job it holds.
 */
export const SQLITE_CLAIMED_ROWS = `select ${CLAIMED_COLUMNS.join(", ")} from email_jobs
  where rowid in (select value from json_each(?)) and lease_holder = ?`;

/** The values of one outcome in a settle: [id, kind, at, run_at, rejected, error, code, recipients, transport_failure]. */
const SETTLE_VALUES = 9;

/**
 * Every outcome of a batch in one UPDATE, PostgreSQL's SETTLE_MANY (store/pg.ts) in SQLite's
 * words: the outcomes arrive as `rows` rows of bound VALUES, and each row is found by primary
 * key. One statement instead of one per outcome spares a bind and a step per job on the thread
 * that also drives the SMTP sockets. The rows were once one JSON array read with json_each: each
 * `v.value ->> n` turned the row back into text and parsed it again, twenty times a job. Bound,
 * a claim and its settle cost SQLite 104,000 instructions a job instead of 137,000, and the
 * whole loop 160,000 instead of 175,000 (callgrind, node --jitless, 5,000 jobs in claims of 260).
 * `+status` keeps the planner from walking the jobs in flight once per outcome (through the
 * (status, id) index before sqlite 0013 that plan cost 400 µs a job, and
 * email_jobs_sending_idx would offer it again); with it the rows lead and each job is one lookup
 * of the primary key. A padding row is all nulls, and a null id matches no job.
 */
export function sqliteSettleText(rows: number): string {
  const row = `(${Array(SETTLE_VALUES).fill("?").join(", ")})`;
  return `with v(id, kind, at, run_at, rejected, error, code, recipients, transport_failure) as (
    values ${Array(rows).fill(row).join(", ")})
  update email_jobs set
    status = case v.kind when 'sent' then 'sent' when 'failed' then 'failed' else 'pending' end,
    run_at = coalesce(v.run_at, email_jobs.run_at),
    sent_at = case when v.kind = 'sent' then v.at else sent_at end,
    updated_at = v.at,
    rejected = case when v.kind = 'sent' then v.rejected else email_jobs.rejected end,
    recipients = coalesce(v.recipients, email_jobs.recipients),
    last_error = case when v.kind in ('sent', 'requeue') then coalesce(v.error, last_error) else v.error end,
    last_smtp_code = case when v.kind in ('sent', 'requeue') then coalesce(v.code, last_smtp_code) else v.code end,
    attempts = case when v.kind = 'requeue' then max(attempts - 1, 0) else attempts end,
    transport_failures = transport_failures + v.transport_failure,
    lease_holder = null, lease_expires_at = null
  from v
  where email_jobs.id = v.id and lease_holder = ? and +status = 'sending'`;
}

/**
 * Statements come in a few sizes, so that a connection prepares a handful of them rather than
 * one per batch length (a 512-row statement takes some 3 ms to prepare): a batch is cut into
 * slices of at most the largest, and a slice padded up to the next size. Steps of 64 above 64
 * keep the padding small; with powers of two, a batch of 260 bound 252 rows of nulls and gave
 * back a third of the gain.
 */
const SETTLE_SIZES = [8, 16, 32, 64, 128, 192, 256, 320, 384, 448, 512] as const;

/**
 * Appends one outcome's values in a settle to `into`; JSON columns travel as their text. Pushed
 * into one array rather than built as an array per outcome and flattened: half the cost on the
 * main thread of a drain.
 */
function pushSettleRow(into: unknown[], o: Outcome): void {
  const at = o.at.getTime();
  // The key as the integer it is, so that the join to email_jobs is a rowid lookup.
  const id = Number(o.id);
  switch (o.kind) {
    case "sent":
      into.push(
        id,
        o.kind,
        at,
        null,
        jsonParam(o.rejected.length > 0 ? o.rejected : null),
        o.note,
        o.code,
        jsonParam(o.recipients),
        0,
      );
      return;
    case "retry":
      into.push(id, o.kind, at, o.runAt.getTime(), null, o.error, o.code, jsonParam(o.recipients), 0);
      return;
    case "failed":
      into.push(id, o.kind, at, null, null, o.error, o.code, jsonParam(o.recipients), 0);
      return;
    case "requeue":
      into.push(id, o.kind, at, null, null, o.error, o.code, null, o.transportFailure ? 1 : 0);
      return;
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
 * are found; then one UPDATE claims them. Returns the ids claimed (claimedRowsOn reads them).
 */
export function claimOn(db: BetterSqlite3.Database, order: ClaimOrder): number[] {
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
  const ids = prepared(db, SQLITE_CLAIM)
    .pluck(true)
    .all(holder, expires, at, messageIdDomain, JSON.stringify(chosen)) as number[];
  // Every id returned moved from pending to sending (`+status = 'pending'`); those above the
  // watermark are not in the counters yet, and the fold counts them as they are then.
  if (ids.length > 0) {
    const through = watermarkOn(db);
    let counted = 0;
    for (const id of ids) if (id <= through) counted += 1;
    if (counted > 0)
      countMoves(db, [
        ["email.pending", -counted],
        ["email.sending", counted],
      ]);
  }
  return ids;
}

/**
 * The claimed jobs' rows as arrays of CLAIMED_COLUMNS, read in better-sqlite3's raw mode:
 * building an object per row with named keys costs more in the driver than the row does in
 * SQLite.
 */
export function claimedRowsOn(db: BetterSqlite3.Database, ids: readonly number[], holder: string): unknown[][] {
  if (ids.length === 0) return [];
  return prepared(db, SQLITE_CLAIMED_ROWS).raw(true).all(JSON.stringify(ids), holder) as unknown[][];
}

/**
 * Writes a batch of outcomes (settleRows' values); returns the rows changed. The sent outcomes
 * are written apart, a statement per minute they fall in (nearly always one), because the move
 * from sending to sent is counted here, as the claim's is (sqlite 0017): a statement's changes
 * are the jobs that moved. The other outcomes, rare in a busy queue, the triggers count.
 */
export function settleOn(db: BetterSqlite3.Database, rows: readonly unknown[], holder: string): number {
  let changed = 0;
  let through: number | undefined;
  for (const [minute, group] of byMinuteSent(rows)) {
    if (minute === undefined) {
      changed += settleSlices(db, group, holder);
      continue;
    }
    // The jobs above the watermark are settled uncounted: the fold counts them as they are then.
    const below = through ?? watermarkOn(db);
    through = below;
    const sides = bySettleRow(group, (i) => (group[i + ID] as number) <= below);
    changed += settleSlices(db, sides.get(false) ?? [], holder);
    const moved = settleSlices(db, sides.get(true) ?? [], holder);
    changed += moved;
    if (moved === 0) continue;
    countMoves(db, [
      ["email.sending", -moved],
      ["email.sent", moved],
      [`email.sent@${minute}`, moved],
    ]);
  }
  return changed;
}

/** The watermark id (counts.ts), read as the triggers read it. */
const SQLITE_WATERMARK = `select ${WATERMARK_SQL}`;

function watermarkOn(db: BetterSqlite3.Database): number {
  return prepared(db, SQLITE_WATERMARK).pluck(true).get() as number;
}

/** Index of an outcome's job id, kind and instant among its SETTLE_VALUES. */
const ID = 0;
const KIND = 1;
const AT = 2;

/**
 * The outcomes split into the sent ones of each minute (keyed by the minute's start in epoch
 * seconds, as the minute counters name it: SQLite's `updated_at / 60000 * 60`) and the rest
 * (keyed undefined).
 */
function byMinuteSent(rows: readonly unknown[]): Map<number | undefined, readonly unknown[]> {
  return bySettleRow(rows, (i) =>
    rows[i + KIND] === "sent" ? Math.trunc((rows[i + AT] as number) / 60_000) * 60 : undefined,
  );
}

/**
 * Settle rows grouped by `keyAt` (given each row's first index). A batch whose rows all share
 * one key, nearly every one (a drain's: all sent, in one minute, on one side of the watermark),
 * is passed on as it is.
 */
function bySettleRow<K>(rows: readonly unknown[], keyAt: (i: number) => K): Map<K, readonly unknown[]> {
  const first = keyAt(0);
  let same = true;
  for (let i = SETTLE_VALUES; i < rows.length && same; i += SETTLE_VALUES) same = keyAt(i) === first;
  if (same) return new Map([[first, rows]]);
  const groups = new Map<K, unknown[]>();
  for (let i = 0; i < rows.length; i += SETTLE_VALUES) {
    const key = keyAt(i);
    let group = groups.get(key);
    if (!group) {
      group = [];
      groups.set(key, group);
    }
    for (let k = 0; k < SETTLE_VALUES; k++) group.push(rows[i + k]);
  }
  return groups;
}

/**
 * Adds to counters in one statement. The claim and the settle count the moves they make here,
 * once a statement, which the triggers would count once a job: two counter upserts a claimed job
 * and three a sent one were a fifth of the claim thread's time (sqlite 0017).
 */
function countMoves(db: BetterSqlite3.Database, moves: ReadonlyArray<readonly [string, number]>): void {
  // Two or three rows, so a text or two per connection, which `prepared` keeps.
  const text = `insert into counters (name, shard, n) values ${Array(moves.length).fill("(?, 0, ?)").join(", ")}
    on conflict (name, shard) do update set n = n + excluded.n`;
  prepared(db, text).run(moves.flat());
}

/** The settle statement over `rows`, cut and padded into SETTLE_SIZES; returns the rows changed. */
function settleSlices(db: BetterSqlite3.Database, rows: readonly unknown[], holder: string): number {
  const largest = SETTLE_SIZES[SETTLE_SIZES.length - 1] as number;
  let changed = 0;
  for (let from = 0; from < rows.length; from += largest * SETTLE_VALUES) {
    const slice = rows.slice(from, from + largest * SETTLE_VALUES);
    const outcomes = slice.length / SETTLE_VALUES;
    const size = SETTLE_SIZES.find((n) => n >= outcomes) ?? largest;
    const params = slice.concat(new Array((size - outcomes) * SETTLE_VALUES).fill(null), holder);
    // As arguments, not an array, which better-sqlite3 reads element by element (enqueue/sqlite-insert.ts).
    changed += prepared(db, settleText(size)).run(...params).changes;
  }
  return changed;
}

const settleTexts = new Map<number, string>();

function settleText(size: number): string {
  let text = settleTexts.get(size);
  if (!text) {
    text = sqliteSettleText(size);
    settleTexts.set(size, text);
  }
  return text;
}

/** A batch of outcomes as settleOn's values, SETTLE_VALUES of them an outcome. */
export function settleRows(outcomes: readonly Outcome[]): unknown[] {
  const rows: unknown[] = [];
  for (const outcome of outcomes) pushSettleRow(rows, outcome);
  return rows;
}
