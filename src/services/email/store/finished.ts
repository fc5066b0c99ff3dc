/**
 * Finished jobs: the statuses a job does not leave by itself (only an operator's retry re-queues
 * a failed or cancelled one). email_jobs_updated_idx holds only these, by (status, updated_at).
 * SQLite uses a partial index only for a query whose WHERE repeats the index's condition as it
 * is written, and PostgreSQL's generic plan for `status = $1` cannot prove it, so every query
 * that reads finished jobs by age names FINISHED_WHERE besides its own status.
 */
export const FINISHED = ["sent", "failed", "cancelled"] as const;

/** "status in ('sent', 'failed', 'cancelled')", as the index's migration spells it. */
export const FINISHED_WHERE = `status in (${FINISHED.map((s) => `'${s}'`).join(", ")})`;
