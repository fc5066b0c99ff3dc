import type { Dialect } from "../../../db/sql.js";

/**
 * Due-first as index ranges. email_jobs_pending_idx holds pending jobs by (priority, run_at),
 * so the due jobs of one priority are one range of it, and a job scheduled ahead is never read.
 * Across priorities, a loose scan: the CTE below finds each priority value some pending job has
 * with one index seek per value (priorities are few), and the queries read a range per value.
 * Every query names `status = 'pending'` as a literal: that is what lets SQLite use the partial
 * index.
 *
 * SQLite is also told the index (INDEXED BY). Without planner statistics (a new file, until the
 * first PRAGMA optimize) it found the lowest priority through the (status, id) index instead:
 * every pending job read and sorted, on every claim and every status refresh (a 20,000-job
 * backlog: 17.5 µs a claimed job against 9). PostgreSQL keeps statistics of its own.
 */
export interface DueQueries {
  /** The CTE `prio(p)`: each priority some pending job has, lowest first, then a null. */
  priorities: string;
  /** After `priorities`: the earliest run_at of any pending job, the first entry of each priority's range. */
  earliestRunAt: string;
  /** The two together: the oldest pending job's run_at, as `at`. */
  oldestPending: string;
}

function dueQueries(dialect: Dialect): DueQueries {
  const pending = dialect === "sqlite" ? "email_jobs indexed by email_jobs_pending_idx" : "email_jobs";
  const priorities = `with recursive prio(p) as (
    select (select priority from ${pending} where status = 'pending' order by priority limit 1)
    union all
    select (select priority from ${pending} where status = 'pending' and priority > prio.p order by priority limit 1)
    from prio where prio.p is not null
  )`;
  const earliestRunAt = `select min((select run_at from ${pending} where status = 'pending' and priority = prio.p
    order by run_at limit 1)) as at from prio where prio.p is not null`;
  return { priorities, earliestRunAt, oldestPending: `${priorities} ${earliestRunAt}` };
}

export const DUE: Record<Dialect, DueQueries> = { sqlite: dueQueries("sqlite"), pg: dueQueries("pg") };
