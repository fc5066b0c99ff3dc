import { type CounterSet, CounterStore } from "../../../db/coordination/counters.js";
import { type Sql, toNumber } from "../../../db/sql.js";
import { EMAIL_STATUSES, type EmailStatus, emptyCounts } from "./job.js";

/**
 * The queue's counts, read from the `counters` rows that the triggers of migration
 * sqlite 0008 / pg 0005 keep as email_jobs changes: `email.<status>` per status, and
 * `email.sent@<minute>` / `email.failed@<minute>` (the minute's start in epoch seconds) for the
 * jobs that became sent or failed in that minute. Reading them costs the same at ten million
 * jobs as at ten; only `recountEmailCounters` counts the table.
 *
 * On SQLite an insert writes no counter and fires no trigger (sqlite 0015, 0019): the counters
 * hold the jobs up to a watermark id, and nothing that happens to a job above it is counted as
 * it happens. A read adds the jobs above it by the status they have now (and the sent and failed
 * ones by their minute), and `foldUncounted` adds them to the counters and moves the watermark
 * every 2 s (the queue's status refresh, maintenance.ts), so the range a read counts stays a few
 * seconds of enqueues.
 */
const PREFIX = "email.";
const MINUTE_MS = 60_000;
/** Minutes of sent/failed counters kept: the chart's hour, and one more for the minute under way. */
export const MINUTES_KEPT = 61;
/** The counters row holding the watermark: outside PREFIX, so a recount leaves it as it is. */
const WATERMARK = "email_jobs.counted_through";
/** The watermark as SQL; with no row (PostgreSQL, or a row deleted by hand) every job counts as below it. */
export const WATERMARK_SQL = `coalesce((select n from counters where name = '${WATERMARK}' and shard = 0), 9223372036854775807)`;
/**
 * Jobs a fold moves into the counters per transaction, which holds the write lock while it
 * counts them: 5,000 take some 5 ms. At 20,000 a fold of a bulk enqueue held a sender's claims
 * back 20 ms at a time (counted in a scratch loop, 20,000 jobs enqueued by another connection).
 */
export const FOLD_ROWS = 5_000;
/** Minute counters pruned at once past which PostgreSQL's statistics of `counters` are refreshed. */
const ANALYZE_AFTER_PRUNED = 1_000;

/**
 * The jobs above the watermark as counter rows (name, n): one a status, and with `minutes` one a
 * minute of the sent and failed ones, named as the counters are. On PostgreSQL none.
 */
function uncounted(dialect: Sql["dialect"], minutes: boolean): string {
  if (dialect !== "sqlite") return "";
  // The one parameter, after the names: the first minute read, as the names list them.
  return ` union all ${countsOfRange(`id > ${WATERMARK_SQL}`, minutes ? "?" : undefined)}`;
}

/**
 * SQLite: counter rows (name, n) of the jobs in a range of ids, by the status they have now, and
 * with `minutesSince` (SQL for an instant in ms) the sent and failed ones of each minute from it on.
 */
function countsOfRange(range: string, minutesSince: string | undefined): string {
  const statuses = `select '${PREFIX}' || status as name, count(*) as n from ${ABOVE} where ${range} group by status`;
  if (minutesSince === undefined) return statuses;
  return `${statuses} union all select ${MINUTE_NAME_SQL} as name, count(*) as n from ${ABOVE}
    where ${range} and (status = 'sent' or status = 'failed') and updated_at >= ${minutesSince}
    group by status, updated_at / 60000`;
}

/**
 * email_jobs read by a range of ids alone: given `status` and `updated_at`, the planner took the
 * finished-by-age index for the sent and failed minutes, which is every job finished in the
 * hour, not the few seconds of jobs above the watermark.
 */
const ABOVE = "email_jobs not indexed";

/** A sent or failed job's minute counter name on SQLite: `email.sent@<the minute's start in epoch seconds>`. */
const MINUTE_NAME_SQL = `'${PREFIX}' || status || '@' || (updated_at / 60000 * 60)`;

export interface MinuteCount {
  /** The minute's start. */
  at: Date;
  sent: number;
  failed: number;
}

export interface EmailCounts {
  counts: Record<EmailStatus, number>;
  /** Minutes of the last hour with a job sent or failed, oldest first. */
  perMinute: MinuteCount[];
}

/**
 * The counts per status and the last hour's minutes, in one read of at most a few hundred rows
 * by primary key: the names are listed, so minutes not yet pruned cost nothing.
 */
export async function readEmailCounts(sql: Sql, now: Date): Promise<EmailCounts> {
  const query = emailCountsQuery(now, sql.dialect);
  return emailCountsFrom(await sql.all<CounterRow>(query.text, query.params));
}

export interface CounterRow {
  name: string;
  n: unknown;
}

/** The statement readEmailCounts runs, for a caller that reads more in the same round trip. */
export function emailCountsQuery(now: Date, dialect: Sql["dialect"]): { text: string; params: Array<string | number> } {
  const since = firstMinuteKept(now);
  const names = EMAIL_STATUSES.map((s) => PREFIX + s);
  for (let at = since; at <= now.getTime(); at += MINUTE_MS) {
    names.push(`${PREFIX}sent@${at / 1000}`, `${PREFIX}failed@${at / 1000}`);
  }
  const params = dialect === "sqlite" ? [...names, since] : names;
  return { text: countersText(names.length, dialect, true), params };
}

/** The sum per name of `names` counter rows (bound in order), with the uncounted jobs added. */
function countersText(names: number, dialect: Sql["dialect"], minutes: boolean): string {
  const rows = `select name, n from counters where name in (${Array(names).fill("?").join(", ")})`;
  return `select name, sum(n) as n from (${rows}${uncounted(dialect, minutes)}) c group by name`;
}

export function emailCountsFrom(rows: readonly CounterRow[]): EmailCounts {
  const counts = emptyCounts();
  const minutes = new Map<number, MinuteCount>();
  for (const row of rows) {
    const key = row.name.slice(PREFIX.length);
    const n = toNumber(row.n);
    const minute = minuteKey(key);
    if (!minute) {
      counts[key as EmailStatus] = n;
      continue;
    }
    if (n === 0) continue;
    const entry = minutes.get(minute.at) ?? { at: new Date(minute.at), sent: 0, failed: 0 };
    entry[minute.status] += n;
    minutes.set(minute.at, entry);
  }
  const perMinute = [...minutes.values()].sort((a, b) => a.at.getTime() - b.at.getTime());
  return { counts, perMinute };
}

/** The last `minutes` minutes, the current one last, with the minutes nothing happened in as zeros (the chart's hour). */
export function hourOfMinutes(perMinute: readonly MinuteCount[], now: Date, minutes = 60): MinuteCount[] {
  const first = minuteOf(now) - (minutes - 1) * MINUTE_MS;
  const byStart = new Map(perMinute.map((m) => [m.at.getTime(), m]));
  return Array.from({ length: minutes }, (_, i) => {
    const at = first + i * MINUTE_MS;
    const m = byStart.get(at);
    return { at: new Date(at), sent: m?.sent ?? 0, failed: m?.failed ?? 0 };
  });
}

/** The counts per status alone (no minutes): the list's and the CLI's totals. */
export async function readStatusCounts(sql: Sql): Promise<Record<EmailStatus, number>> {
  const rows = await sql.all<{ name: string; n: unknown }>(
    countersText(EMAIL_STATUSES.length, sql.dialect, false),
    EMAIL_STATUSES.map((s) => PREFIX + s),
  );
  const counts = emptyCounts();
  for (const row of rows) counts[row.name.slice(PREFIX.length) as EmailStatus] = toNumber(row.n);
  return counts;
}

/**
 * Jobs sent and failed "in the last minute": the minute under way and the one before it, so
 * between 60 and 120 seconds back (the counters keep whole minutes, not instants).
 */
export function lastMinute(perMinute: readonly MinuteCount[], now: Date): { sent: number; failed: number } {
  const since = minuteOf(now) - MINUTE_MS;
  const recent = perMinute.filter((m) => m.at.getTime() >= since);
  return {
    sent: recent.reduce((sum, m) => sum + m.sent, 0),
    failed: recent.reduce((sum, m) => sum + m.failed, 0),
  };
}

/**
 * Keeps the counters few: on PostgreSQL folds every backend's shard into one row per name,
 * and drops the sent/failed minutes older than MINUTES_KEPT. Run every so often by one of the
 * queue's chores; it never waits on a row a writer holds.
 */
export async function tidyEmailCounters(sql: Sql, now: Date): Promise<void> {
  // Seconds, compared as numbers: a range over the names as text would depend on the collation.
  const cutoff = (minuteOf(now) - MINUTES_KEPT * MINUTE_MS) / 1000;
  const old = `(name like 'email.sent@%' or name like 'email.failed@%')
    and cast(substr(name, ${sql.dialect === "pg" ? "strpos" : "instr"}(name, '@') + 1) as bigint) < ?`;
  if (sql.dialect === "pg") {
    const pruned = await sql.run(
      `delete from counters where (name, shard) in (select name, shard from counters where ${old} for update skip locked)`,
      [cutoff],
    );
    // A history enqueued with its old times leaves a sent and a failed counter per past minute:
    // the benchmark's 90 days (some 130,000 minutes) made counters 16 MB. Until autovacuum's
    // next look (a minute or more), the planner sized the table by its pages, read the few
    // names left with a parallel scan, and the status refresh took 8-11 ms instead of 2 (bench
    // volume --big).
    if (pruned >= ANALYZE_AFTER_PRUNED) await sql.run("analyze counters");
  } else {
    await sql.run(`delete from counters where ${old}`, [cutoff]);
  }
  // After the pruning, so a fold moves only the hour's rows.
  await new CounterStore(sql).fold();
}

/**
 * SQLite: adds the jobs above the watermark to the counters, by the status they have now (the
 * sent and failed ones also to their minute), and moves the watermark past them, at most
 * FOLD_ROWS a transaction, up to the newest job when it began (jobs enqueued
 * meanwhile are the next call's, so a stream of enqueues cannot keep it going); returns the
 * jobs folded. A look without a transaction comes first: most calls find nothing to do and take
 * no write lock. Nothing to do on PostgreSQL, whose triggers count every change as it is made.
 * Given `now`, the minutes before the hour the counters keep are left out, as tidyEmailCounters
 * would prune them: a host app's mass insert of old sent jobs (a history brought over) would
 * otherwise make a counter of each of its minutes until the next tidy.
 */
export async function foldUncounted(sql: Sql, now?: Date): Promise<number> {
  if (sql.dialect !== "sqlite") return 0;
  const ahead = await sql.get<{ through: unknown; newest: unknown }>(
    "select (select n from counters where name = ? and shard = 0) as through, (select max(id) from email_jobs) as newest",
    [WATERMARK],
  );
  if (ahead?.through == null || ahead.newest == null) return 0;
  const newest = toNumber(ahead.newest);
  let through = toNumber(ahead.through);
  const since = now ? firstMinuteKept(now) : Number.MIN_SAFE_INTEGER;
  let folded = 0;
  while (through < newest) {
    const step = await sql.tx(async (tx) => {
      const from = toNumber(
        (await tx.get<{ n: unknown }>("select n from counters where name = ? and shard = 0", [WATERMARK]))?.n,
      );
      const next = await tx.get<{ through: unknown; rows: unknown }>(
        "select max(id) as through, count(*) as rows from (select id from email_jobs where id > ? and id <= ? order by id limit ?)",
        [from, newest, FOLD_ROWS],
      );
      const rows = toNumber(next?.rows);
      // Nothing left below `newest` (another process folded it, or those jobs were deleted).
      if (rows === 0) return { rows, through: newest };
      const to = toNumber(next?.through);
      await tx.run(
        `insert into counters (name, shard, n)
         select name, 0, n from (${countsOfRange("id > ? and id <= ?", "?")}) where true
         on conflict (name, shard) do update set n = n + excluded.n`,
        [from, to, from, to, since],
      );
      await tx.run("update counters set n = ? where name = ? and shard = 0", [to, WATERMARK]);
      return { rows, through: to };
    });
    folded += step.rows;
    through = step.through;
    // Between transactions, so a sender's claim or an enqueue is not held for the whole backlog.
    if (through < newest) await new Promise((resolve) => setImmediate(resolve));
  }
  return folded;
}

/**
 * Sets the email counters to what email_jobs holds: each status, and the sent/failed minutes
 * of the last hour (by updated_at). For the operator (`steward email recount`, a doctor
 * command) after a counter was damaged, or a host app wrote around the triggers (SQLite's
 * INSERT OR REPLACE deletes without firing them). It counts the whole table with writers held
 * off, so it takes as long as the old status refresh did, once.
 */
export async function recountEmailCounters(sql: Sql, now: Date): Promise<Record<EmailStatus, number>> {
  const exact = await new CounterStore(sql).recount(EMAIL_COUNTERS, now);
  return Object.fromEntries(EMAIL_STATUSES.map((s) => [s, exact[s] ?? 0])) as Record<EmailStatus, number>;
}

/** The queue's counters as `steward doctor recount` counts them: each status, and the last hour's minutes. */
export const EMAIL_COUNTERS: CounterSet = {
  prefix: PREFIX,
  table: "email_jobs",
  countSql: ({ dialect, now }) => {
    const since = firstMinuteKept(now);
    // Inlined rather than bound: recount's count query takes no parameters; both are integers.
    const minute =
      dialect === "pg" ? "(floor(extract(epoch from updated_at) / 60) * 60)::bigint" : "(updated_at / 60000 * 60)";
    const sinceSql = dialect === "pg" ? `to_timestamp(${since / 1000})` : String(since);
    // On SQLite the counters leave out the jobs above the watermark, which a read adds.
    const counted = dialect === "sqlite" ? `id <= ${WATERMARK_SQL}` : "true";
    return `select status as key, count(*) as n from email_jobs where ${counted} group by status
            union all
            select status || '@' || ${minute} as key, count(*) as n from email_jobs
            where ${counted} and status in ('sent', 'failed') and updated_at >= ${sinceSql}
            group by status, ${minute}`;
  },
  keys: EMAIL_STATUSES,
  catchUp: async (sql, now) => {
    await restoreWatermark(sql);
    await foldUncounted(sql, now);
  },
};

/**
 * SQLite: puts back a watermark row deleted by hand, at the newest job, before a recount. Without
 * it every job counts as below the watermark and an insert goes uncounted (sqlite 0019); with it
 * the recount that follows sets the counters to the jobs below it, and inserts count again.
 */
async function restoreWatermark(sql: Sql): Promise<void> {
  if (sql.dialect !== "sqlite") return;
  await sql.run(
    "insert into counters (name, shard, n) select ?, 0, coalesce(max(id), 0) from email_jobs where true on conflict (name, shard) do nothing",
    [WATERMARK],
  );
}

/** The start of the oldest minute the counters keep at `now`, in epoch ms. */
function firstMinuteKept(now: Date): number {
  return minuteOf(now) - (MINUTES_KEPT - 1) * MINUTE_MS;
}

function minuteOf(at: Date): number {
  return Math.floor(at.getTime() / MINUTE_MS) * MINUTE_MS;
}

/** `sent@1769947140` → the minute as epoch ms and its status; anything else → undefined. */
function minuteKey(key: string): { status: "sent" | "failed"; at: number } | undefined {
  const match = /^(sent|failed)@(-?\d+)$/.exec(key);
  if (!match) return undefined;
  return { status: match[1] as "sent" | "failed", at: Number(match[2]) * 1000 };
}
