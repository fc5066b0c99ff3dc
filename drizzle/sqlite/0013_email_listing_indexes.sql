-- Generated, then commented (issue 11): the (status, id) index over every job goes. A claim moved
-- each claimed job's entry from 'pending' to 'sending' in it and a settle from 'sending' to
-- 'sent' (two b-tree changes per job each, keyed by the 36-character id), and every one-by-one
-- enqueue's commit wrote a page of it. Claims of 256 from a 20,000-job backlog went from about
-- 11.3 to 9.9 µs a job, their settles from 12.0 to 10.4 (interleaved runs, 2026-12-01).
-- What it served is kept: the jobs in flight (reaper, heartbeat, the 'sending' list) have the
-- small index below, the pending list pages through email_jobs_pending_idx in the order jobs go
-- out, and a finished status's list through email_jobs_updated_idx, most recently finished
-- first (store/queries.ts).
DROP INDEX `email_jobs_status_id_idx`;--> statement-breakpoint
CREATE INDEX `email_jobs_sending_idx` ON `email_jobs` (`id`) WHERE status = 'sending';
