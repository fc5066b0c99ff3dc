-- Hand-written (issue 11, aim 5): the claim and the settle count the moves they make, once a
-- statement, and the status triggers no longer count those two moves once a job. Two counter
-- upserts a claimed job and three a sent one were a fifth to a third of the claim thread's work,
-- the thread that bounds a SQLite drain. Claims and settles of 260 from 40,000 jobs, the median
-- transaction, three rounds each way (a scratch loop, 2026-12-02): a claim 4.8-7.7 µs a job
-- before and 4.3-5.3 after, a settle 6.5-10.2 before and 5.5-6.8 after.
-- The two moves are told apart by the lease: a move from pending to sending that sets a lease
-- holder is a claim (sqlite-queue-sql.ts, claimOn), and one from sending to sent that clears the
-- holder is a settle (settleOn); each adds what it moved to the counters in the same
-- transaction. Every other change of status (a retry, a failure, a release, the reaper, a
-- cancel, a host app's or an operator's UPDATE of the status alone) is counted by the triggers
-- as before. A statement of someone else's that moved jobs as a sender does, lease and all,
-- would go uncounted until `steward doctor recount`.
DROP TRIGGER `email_jobs_counted_update`;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_update` AFTER UPDATE OF `status` ON `email_jobs`
WHEN OLD.status IS NOT NEW.status
  AND NOT (OLD.status = 'pending' AND NEW.status = 'sending' AND NEW.lease_holder IS NOT NULL)
  AND NOT (OLD.status = 'sending' AND NEW.status = 'sent' AND OLD.lease_holder IS NOT NULL AND NEW.lease_holder IS NULL)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || OLD.status, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;--> statement-breakpoint
DROP TRIGGER `email_jobs_counted_update_minute`;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_update_minute` AFTER UPDATE OF `status` ON `email_jobs`
WHEN OLD.status IS NOT NEW.status
  AND (NEW.status = 'failed' OR (NEW.status = 'sent'
    AND NOT (OLD.status = 'sending' AND OLD.lease_holder IS NOT NULL AND NEW.lease_holder IS NULL)))
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status || '@' || (NEW.updated_at / 60000 * 60), 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;
