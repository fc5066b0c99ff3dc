/**
 * Email jobs for bench/volume.ts, generated inside the database (a recursive CTE on SQLite,
 * generate_series on PostgreSQL) in chunks, one transaction each, with the counting triggers
 * firing as they would for any insert.
 *
 * Half the jobs are pending and scheduled ahead (over the next `count / 2` seconds, three
 * priorities): what a claim must not read. The other half are finished: 90% sent, 6% failed,
 * 4% cancelled; 60% of them last changed 31-90 days ago (past a 30-day retention, the
 * cleanup's work), the rest within the last 29 days.
 */
import type { Database } from "../src/db/open.js";

const DAY = 86_400_000;
const BODY = "Hello reader, this is a message of the volume benchmark. ".repeat(4);

function chunkSql(db: Database, kind: "future" | "finished"): string {
  const sqlite = db.dialect === "sqlite";
  const series = sqlite
    ? "with recursive seq(n) as (select ? union all select n + 1 from seq where n < ?)"
    : "with seq(n) as (select generate_series(?::bigint, ?::bigint))";
  const t = (ms: string) => (sqlite ? `(${ms})` : `to_timestamp((${ms})::float8 / 1000)`);
  const now = sqlite ? "?" : "?::bigint";
  const addrs = sqlite ? `'["reader@example.com"]'` : `'["reader@example.com"]'::jsonb`;
  if (kind === "future") {
    return `${series}
      insert into email_jobs (to_addrs, subject, text_body, priority, status, run_at, created_at, updated_at)
      select ${addrs}, 'Volume ' || n, '${BODY}', n % 3, 'pending',
        ${t(`${now} + 60000 + n * 1000`)}, ${t(now)}, ${t(now)}
      from seq`;
  }
  const status = "case when n % 50 < 3 then 'failed' when n % 50 < 5 then 'cancelled' else 'sent' end";
  const updated = `case when n % 10 < 6 then ${now} - ${31 * DAY} - (n % 60) * ${DAY} - n % ${DAY}
                        else ${now} - n % ${29 * DAY} end`;
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
    const sql = chunkSql(db, kind);
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
