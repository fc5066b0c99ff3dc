-- Hand-written (issue 11), as sqlite 0011: email_jobs' indexes become partial where they can, so that a new
-- job writes only the indexes it belongs in (a new job has no idempotency key or batch mostly, is not in
-- flight and not finished). The planner proves a query's conditions imply an index's; the queries stay.
-- The indexes are rebuilt inside the migration's transaction: on a table of a million jobs that holds
-- writes for a few seconds, once.
DROP INDEX "email_jobs_idempotency_key_unique";--> statement-breakpoint
CREATE UNIQUE INDEX "email_jobs_idempotency_key_unique" ON "email_jobs" ("idempotency_key") WHERE idempotency_key is not null;--> statement-breakpoint
DROP INDEX "email_jobs_lease_idx";--> statement-breakpoint
DROP INDEX "email_jobs_batch_idx";--> statement-breakpoint
CREATE INDEX "email_jobs_batch_idx" ON "email_jobs" ("batch_id") WHERE batch_id is not null;--> statement-breakpoint
DROP INDEX "email_jobs_updated_idx";--> statement-breakpoint
CREATE INDEX "email_jobs_updated_idx" ON "email_jobs" ("status","updated_at") WHERE status in ('sent', 'failed', 'cancelled');
