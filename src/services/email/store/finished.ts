/**
 * Finished jobs: the statuses a job does not leave by itself (only an operator's retry re-queues
 * a failed or cancelled one). email_jobs_updated_idx holds only these, by (status, updated_at).
 * SQLite uses a partial index only for a query whose WHERE repeats the index's condition as it
 * is written, and PostgreSQL's generic plan for `status = $1` cannot prove it, so every query
 * that reads finished jobs by age names FINISHED_WHERE besides its own status.
 */
export const FINISHED = ["sent", "failed", "cancelled"] as const;
export type FinishedStatus = (typeof FINISHED)[number];

export function isFinished(status: string | undefined): status is FinishedStatus {
  return (FINISHED as readonly (string | undefined)[]).includes(status);
}

/**
 * "(status = 'sent' or status = 'failed' or status = 'cancelled')", as sqlite 0016 spells the
 * index's condition (an IN list of three would cost SQLite a temporary b-tree on every write).
 * PostgreSQL's index still says `status in (...)`, which its planner proves from this OR.
 */
export const FINISHED_WHERE = `(${FINISHED.map((s) => `status = '${s}'`).join(" or ")})`;

/**
 * The jobs of one finished status, for a read in the index's order (by updated_at). The status
 * comes first: with statistics, SQLite otherwise takes the IN list for the index's first column,
 * reads the three statuses' ranges and sorts them all (USE TEMP B-TREE FOR ORDER BY) for a page.
 */
export function finishedOf(status: FinishedStatus): string {
  return `status = '${status}' and ${FINISHED_WHERE}`;
}
