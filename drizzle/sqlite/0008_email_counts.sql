-- Due-first as an index range: the old (status, priority, run_at) index put priority between status and
-- run_at, so a claim or the oldest-pending age walked every pending job scheduled ahead. This index holds
-- pending jobs only (sent, failed and cancelled ones, the bulk of a big table, are not in it), and the
-- queries read one range per priority value.
DROP INDEX `email_jobs_due_idx`;--> statement-breakpoint
CREATE INDEX `email_jobs_pending_idx` ON `email_jobs` (`priority`,`run_at`) WHERE status = 'pending';--> statement-breakpoint
-- Hand-written: the queue's counts kept as rows change (src/services/email/counts.ts reads them), so the
-- status refresh reads a few rows of `counters` instead of counting email_jobs. Triggers rather than the
-- store's code, so that a host app's direct INSERT or UPDATE is counted too. `email.<status>` is the
-- number of jobs in that status; `email.sent@<minute>` and `email.failed@<minute>` (the minute's start,
-- epoch seconds, from updated_at) count the jobs that became sent or failed in that minute, for the
-- last-minute figures and the chart; they are pruned after an hour. A delete takes a job out of its
-- status count but not out of the minute it was sent in.
CREATE TRIGGER `email_jobs_counted_insert` AFTER INSERT ON `email_jobs`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
  INSERT INTO counters (name, shard, n)
    SELECT 'email.' || NEW.status || '@' || (NEW.updated_at / 60000 * 60), 0, 1 WHERE NEW.status IN ('sent', 'failed')
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_update` AFTER UPDATE OF `status` ON `email_jobs`
WHEN OLD.status IS NOT NEW.status
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || OLD.status, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
  INSERT INTO counters (name, shard, n)
    SELECT 'email.' || NEW.status || '@' || (NEW.updated_at / 60000 * 60), 0, 1 WHERE NEW.status IN ('sent', 'failed')
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_delete` AFTER DELETE ON `email_jobs`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || OLD.status, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
END;
--> statement-breakpoint
-- The counts start from the rows already stored (and the last hour's outcomes).
DELETE FROM counters WHERE name LIKE 'email.%';
--> statement-breakpoint
INSERT INTO counters (name, shard, n) SELECT 'email.' || status, 0, count(*) FROM email_jobs GROUP BY status;
--> statement-breakpoint
INSERT INTO counters (name, shard, n)
SELECT 'email.' || status || '@' || (updated_at / 60000 * 60), 0, count(*) FROM email_jobs
WHERE status IN ('sent', 'failed') AND updated_at >= CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER) - 3600000
GROUP BY 1;
