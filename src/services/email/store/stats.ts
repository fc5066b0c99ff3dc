import { type Sql, toDate } from "../../../db/sql.js";
import { type CounterRow, type EmailCounts, emailCountsFrom, emailCountsQuery } from "./counts.js";
import { DUE } from "./due.js";

/**
 * What the status refresh reads every 2 s in every process: the counters (counts.ts) and the
 * earliest pending run_at (the backlog's age, due.ts), in one statement. On PostgreSQL the
 * round trip, not the reading, is what an idle process pays for it.
 */
export async function readStats(sql: Sql, now: Date): Promise<EmailCounts & { oldestAt: Date | null }> {
  const counters = emailCountsQuery(now, sql.dialect);
  // The aggregate without GROUP BY always gives its one row, named '' (no counter's name).
  const due = DUE[sql.dialect];
  const rows = await sql.all<CounterRow & { at: unknown }>(
    `${due.priorities}
     select name, n, null as at from (${counters.text}) c
     union all
     select '' as name, null as n, at from (${due.earliestRunAt}) earliest`,
    counters.params,
  );
  const earliest = rows.find((r) => r.name === "");
  return {
    ...emailCountsFrom(rows.filter((r) => r.name !== "")),
    oldestAt: toDate(earliest?.at),
  };
}
