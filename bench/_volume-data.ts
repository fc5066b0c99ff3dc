/**
 * Email jobs for bench/volume.ts, generated inside the database (a recursive CTE on SQLite,
 * generate_series on PostgreSQL) in chunks, one transaction each, with the counting triggers
 * firing as they would for any insert.
 *
 * Half the jobs are pending and scheduled ahead (from a day on, one a second, three priorities):
 * what a claim must not read, and what no process of the bench must start sending. The other half are finished: 89% sent, 6% failed,
 * 4% cancelled (3 and 2 in 47), last changed over the 90 days up to an hour ago, in insertion
 * order: two thirds are past a 30-day retention (the cleanup's work).
 */
import type { Database } from "../src/db/open.js";

const DAY = 86_400_000;
const BODY = "Hello reader, this is a message of the volume benchmark. ".repeat(4);

function chunkSql(db: Database, kind: "future" | "finished", finished: number): string {
  const sqlite = db.dialect === "sqlite";
  const series = sqlite
    ? "with recursive seq(n) as (select ? union all select n + 1 from seq where n < ?)"
    : "with seq(n) as (select generate_series(?::bigint, ?::bigint))";
  const t = (ms: string) => (sqlite ? `(${ms})` : `to_timestamp((${ms})::float8 / 1000)`);
  const now = sqlite ? "?" : "?::bigint";
  // UUID-shaped ids made from n: the table's default (a UUIDv7 from random bytes) costs more
  // than the rest of the row, and the ids' order (by time, as v7) is the same.
  const addrs = sqlite ? `'["reader@example.com"]'` : `'["reader@example.com"]'::jsonb`;
  if (kind === "future") {
    return `${series}
      insert into email_jobs (to_addrs, subject, text_body, priority, status, run_at, created_at, updated_at)
      select ${addrs}, 'Volume ' || n, '${BODY}', n % 3, 'pending',
        ${t(`${now} + ${DAY} + n * 1000`)}, ${t(now)}, ${t(now)}
      from seq`;
  }
  const status = "case when n % 47 < 3 then 'failed' when n % 47 < 5 then 'cancelled' else 'sent' end";
  // Finished in insertion order over the last 90 days, the last one an hour ago, as a queue's
  // history is: two thirds past a 30-day retention.
  const updated = `${now} - ${90 * DAY} + n * ${Math.floor((90 * DAY - 3_600_000) / Math.max(1, finished))}`;
  return `${series}
    insert into email_jobs (to_addrs, subject, text_body, priority, status, run_at, created_at, updated_at, sent_at, attempts)
    select ${addrs}, 'Volume ' || n, '${BODY}', 0, s.status, ${t("s.at - 1000")}, ${t("s.at - 1000")}, ${t("s.at")},
      case when s.status = 'sent' then ${t("s.at")} end, 1
    from (select n, ${status} as status, ${updated} as at from seq) s`;
}

/** Inserts `count` jobs (half ahead, half finished) around `now`; `onChunk` hears the progress. */
export async function fillJobs(
  db: Database,
  count: number,
  now: Date,
  onChunk: (done: number) => void = () => {},
): Promise<void> {
  const chunk = db.dialect === "sqlite" ? 200_000 : 500_000;
  const half = Math.floor(count / 2);
  let done = 0;
  for (const [kind, total] of [
    ["future", half],
    ["finished", count - half],
  ] as const) {
    const sql = chunkSql(db, kind, count - half);
    for (let from = 1; from <= total; from += chunk) {
      const to = Math.min(total, from + chunk - 1);
      // `now` appears once per use in the text: bind it as many times as the SQL names it.
      const uses = sql.split("?").length - 1 - 2;
      await db.sql.run(sql, [from, to, ...Array.from({ length: uses }, () => now.getTime())]);
      done += to - from + 1;
      onChunk(done);
    }
  }
}
