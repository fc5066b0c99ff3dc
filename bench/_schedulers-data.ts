/**
 * Data for bench/schedulers.ts, generated inside the database (a recursive CTE on SQLite,
 * generate_series on PostgreSQL) so that setting up a million rows costs the benchmark
 * process no memory.
 */
import type { Database } from "../src/db/open.js";

const H = 3_600_000;
const D = 24 * H;

/** `n` from 1 to `count`, as a row source, and an instant `ms` milliseconds from epoch. */
function dialectParts(db: Database): {
  series: string;
  instant: (ms: string) => string;
  id: (prefix: string) => string;
} {
  if (db.dialect === "sqlite") {
    return {
      series:
        "with recursive seq(n) as (select 1 union all select n + 1 from seq where n < ?) select * from (select n from seq)",
      instant: (ms) => `(${ms})`,
      id: (prefix) => `'${prefix}' || substr('0000000' || n, -7)`,
    };
  }
  return {
    series: "select n::bigint as n from generate_series(1, ?::int) as n",
    instant: (ms) => `to_timestamp((${ms})::float8 / 1000)`,
    id: (prefix) => `'${prefix}' || lpad(n::text, 7, '0')`,
  };
}

/**
 * `count` portraits around `now`. One in a hundred is due for a notice: a third each newly
 * inside the 7-day window, inside the 24-hour window, and ended within the last hour; their
 * stored status is the one of an hour ago, so the pass also changes it. The rest are far from
 * any boundary: 59% end in one to ten months, 30% ended long ago, 10% have no end.
 */
export async function insertPortraits(db: Database, count: number, now: Date): Promise<void> {
  const { series, instant, id } = dialectParts(db);
  const t = now.getTime();
  const end = `case
      when n % 100 = 0 and (n / 100) % 3 = 0 then ${t + 7 * D - H + 1} + (n * 7919) % ${H - 1}
      when n % 100 = 0 and (n / 100) % 3 = 1 then ${t + H} + (n * 7919) % ${20 * H}
      when n % 100 = 0 then ${t} - (n * 7919) % ${H - 1}
      when n % 100 < 60 then ${t + 30 * D} + (n * 7919) % ${270 * D}
      when n % 100 < 90 then ${t - 40 * D} - (n * 7919) % ${400 * D}
      else null end`;
  const hourAgo = t - H;
  await db.sql.run(
    `insert into portraits (id, title, owner_email, subscription_end, lifecycle_status, created_at, updated_at)
     select ${id("p")}, 'Portrait ' || n, 'owner' || n || '@example.com', ${instantOrNull(instant, "e")},
       case when e is null then 'active' when e <= ${hourAgo} then 'archived'
            when e <= ${hourAgo + 7 * D} then 'expiring' else 'active' end,
       ${instant(String(t))}, ${instant(String(t))}
     from (select n, ${end} as e from (${series}) s) g`,
    [count],
  );
}

function instantOrNull(instant: (ms: string) => string, column: string): string {
  return `case when ${column} is null then null else ${instant(column)} end`;
}

/**
 * Three videos for each of the first `count` portraits, a quarter of them per rotation type:
 * a window that opened two days ago and closes in two, one opened a day ago, one three hours
 * ago. All overlap, so every portrait has three eligible videos to choose and rotate among;
 * the latest start (shown first) comes first in rotation order, so sequential ones rotate too.
 */
export async function insertVideos(db: Database, count: number, now: Date): Promise<void> {
  const { series, instant, id } = dialectParts(db);
  const t = now.getTime();
  const windows: Array<[number, number | null]> = [
    [t - 2 * D, t + 2 * D],
    [t - D, null],
    [t - 3 * H, null],
  ];
  for (const [k, [start, end]] of windows.entries()) {
    await db.sql.run(
      `insert into videos (id, portrait_id, title, media_url, start_at, end_at, rotation_type, rotation_order,
         status, is_shown, created_at, updated_at)
       select ${id(`v${k + 1}-`)}, ${id("p")}, 'Video ${k + 1} of ' || n, 'https://media.example.com/' || n || '/${k + 1}.mp4',
         ${instant(String(start))}, ${end === null ? "null" : instant(String(end))},
         case n % 4 when 0 then 'none' when 1 then 'sequential' when 2 then 'cyclic' else 'random' end,
         ${3 - k}, 'active', ?, ${instant(String(t))}, ${instant(String(t))}
       from (${series}) s`,
      [false, count],
    );
  }
}

/** Statuses as they were an hour before `now`, as the data began (untimed; restores after the ceiling). */
export async function restoreHourAgoStatuses(db: Database, now: Date): Promise<void> {
  const hourAgo = new Date(now.getTime() - H);
  await db.sql.run(
    `update portraits set lifecycle_status = case when subscription_end is null then 'active'
       when subscription_end <= ? then 'archived' when subscription_end <= ? then 'expiring' else 'active' end`,
    [hourAgo, new Date(hourAgo.getTime() + 7 * D)],
  );
}

/** The ceiling: one plain UPDATE that classifies every row at `now`. */
export async function classifyAllInOneUpdate(db: Database, now: Date): Promise<number> {
  return db.sql.run(
    `update portraits set lifecycle_status = case when subscription_end is null then 'active'
       when subscription_end <= ? then 'archived' when subscription_end <= ? then 'expiring' else 'active' end`,
    [now, new Date(now.getTime() + 7 * D)],
  );
}
