-- Hand-written (issue 11, aim 2): the three insert triggers of email_jobs become one small
-- trigger that hands the rare insert it must count to a view's INSTEAD OF trigger.
-- SQLite runs a trigger as a subprogram: every INSERT enters each of its triggers, allocates a
-- frame holding the registers of the trigger's whole body, clears it, evaluates the WHEN inside
-- it and frees it again. For a one-job enqueue, which no trigger has anything to do for (a
-- pending job above the watermark, with its run_at in range), the three triggers of 0015/0016
-- were 22% of the INSERT's instructions: 58,400 a job inside the statement's run with them,
-- 45,500 without any (callgrind, 5,000 one-by-one enqueueEmailSync calls, 2026-12-03).
-- One trigger with the three bodies merged still paid for the large frame (56,200); one small
-- trigger that forwards to a view, whose INSTEAD OF trigger holds the bodies, pays 50,200: a
-- frame for a single INSERT, and the watermark's lookup.
-- What each insert does is unchanged:
--  - run_at out of range is refused with 0005's message (now after the row is written, so the
--    statement is undone; a row an ON CONFLICT skips is no longer checked, since it is not stored);
--  - a job inserted in another status than pending, or at or below the watermark, is counted at
--    once, above the watermark also taking back the pending the fold will add (0015);
--  - a job inserted sent or failed counts in its minute (0012).
DROP TRIGGER `email_jobs_counted_insert`;--> statement-breakpoint
DROP TRIGGER `email_jobs_counted_insert_minute`;--> statement-breakpoint
DROP TRIGGER `email_jobs_run_at_in_range_insert`;--> statement-breakpoint
-- Never holds a row: inserting into it runs the trigger below.
CREATE VIEW `email_jobs_inserts_to_count` (`id`, `status`, `run_at`, `updated_at`) AS
  SELECT NULL, NULL, NULL, NULL WHERE false;--> statement-breakpoint
CREATE TRIGGER `email_jobs_inserts_counted` INSTEAD OF INSERT ON `email_jobs_inserts_to_count`
BEGIN
  SELECT RAISE(ABORT, 'email_jobs.run_at is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)')
    WHERE typeof(NEW.`run_at`) IN ('integer', 'real') AND (NEW.`run_at` > 8640000000000000 OR NEW.`run_at` < -8640000000000000);
  INSERT INTO counters (name, shard, n)
    SELECT 'email.' || NEW.status, 0, 1
    WHERE NEW.status <> 'pending'
      OR NEW.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
  INSERT INTO counters (name, shard, n)
    SELECT 'email.pending', 0, -1
    WHERE NEW.status <> 'pending'
      AND NEW.id > coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
  INSERT INTO counters (name, shard, n)
    SELECT 'email.' || NEW.status || '@' || (NEW.updated_at / 60000 * 60), 0, 1
    WHERE NEW.status IN ('sent', 'failed')
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;--> statement-breakpoint
-- The cheap conditions first: the watermark's lookup runs only when they are false, which for an
-- enqueue they always are.
CREATE TRIGGER `email_jobs_insert` AFTER INSERT ON `email_jobs`
WHEN NEW.status <> 'pending'
  OR (typeof(NEW.`run_at`) IN ('integer', 'real') AND (NEW.`run_at` > 8640000000000000 OR NEW.`run_at` < -8640000000000000))
  OR NEW.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
BEGIN
  INSERT INTO `email_jobs_inserts_to_count` VALUES (NEW.id, NEW.status, NEW.run_at, NEW.updated_at);
END;
