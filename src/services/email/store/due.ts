/**
 * Due-first as index ranges. email_jobs_pending_idx holds pending jobs by (priority, run_at),
 * so the due jobs of one priority are one range of it, and a job scheduled ahead is never read.
 * Across priorities, a loose scan: the CTE below finds each priority value some pending job has
 * with one index seek per value (priorities are few), and the queries read a range per value.
 * Every query names `status = 'pending'` as a literal: that is what lets SQLite use the partial
 * index.
 */
export const PENDING_PRIORITIES = `with recursive prio(p) as (
    select (select priority from email_jobs where status = 'pending' order by priority limit 1)
    union all
    select (select priority from email_jobs where status = 'pending' and priority > prio.p order by priority limit 1)
    from prio where prio.p is not null
  )`;

/** After PENDING_PRIORITIES: the earliest run_at of any pending job, the first entry of each priority's range. */
export const EARLIEST_RUN_AT = `select min((select run_at from email_jobs where status = 'pending' and priority = prio.p
  order by run_at limit 1)) as at from prio where prio.p is not null`;

export const OLDEST_PENDING = `${PENDING_PRIORITIES} ${EARLIEST_RUN_AT}`;
