-- Generated, then commented (issue 11), as sqlite 0013: the (status, id) index over every job goes,
-- since a claim and a settle each moved every job's entry in it. The jobs in flight get a small
-- index of their own; the pending list pages through the pending index, which takes the id last so
-- that the jobs of one bulk enqueue (one run_at) are in index order too (SQLite has its rowid there).
-- Building the two indexes scans the table once each; each holds only the jobs of its status.
DROP INDEX "email_jobs_status_id_idx";--> statement-breakpoint
DROP INDEX "email_jobs_pending_idx";--> statement-breakpoint
CREATE INDEX "email_jobs_sending_idx" ON "email_jobs" USING btree ("id") WHERE status = 'sending';--> statement-breakpoint
CREATE INDEX "email_jobs_pending_idx" ON "email_jobs" USING btree ("priority","run_at","id") WHERE status = 'pending';
