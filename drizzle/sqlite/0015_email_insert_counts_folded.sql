-- Hand-written (issue 11, aim 2): an enqueue no longer writes the counters. The insert trigger's
-- upsert put a third page (the counters') into every one-job commit, which was a fifth of the
-- commit's cost: 22.0 µs a job with it and 18.2 without, 20,000 one-by-one INSERTs of the API's
-- statement (a scratch loop, median of 5, 2026-12-02).
-- The counters now hold the jobs up to one id, the watermark `email_jobs.counted_through`, kept
-- in the counters table under a name outside the `email.` prefix so a recount leaves it alone.
-- A newer job is counted by whoever reads the counts (the rows above the watermark, a range of
-- the rowid) until a fold (src/services/email/store/counts.ts) adds them to the counters and
-- moves the watermark, every few seconds where the email service runs. So each trigger below
-- acts only for a row at or below the watermark; one above it is counted as it is when folded.
-- A missing watermark row means the old behaviour: everything is counted at once.
-- The minute triggers of 0012 count events, not rows, and stay as they are.
INSERT INTO counters (name, shard, n)
  SELECT 'email_jobs.counted_through', 0, coalesce(max(id), 0) FROM email_jobs WHERE true
  ON CONFLICT (name, shard) DO UPDATE SET n = excluded.n;
--> statement-breakpoint
DROP TRIGGER `email_jobs_counted_insert`;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_insert` AFTER INSERT ON `email_jobs`
WHEN NEW.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
DROP TRIGGER `email_jobs_counted_update`;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_update` AFTER UPDATE OF `status` ON `email_jobs`
WHEN OLD.status IS NOT NEW.status AND OLD.id = NEW.id
  AND OLD.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || OLD.status, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
-- A job given another id (nothing in Steward does it) may cross the watermark either way.
CREATE TRIGGER `email_jobs_counted_rekey` AFTER UPDATE OF `id` ON `email_jobs`
WHEN OLD.id IS NOT NEW.id
BEGIN
  INSERT INTO counters (name, shard, n)
    SELECT 'email.' || OLD.status, 0, -1
    WHERE OLD.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
  INSERT INTO counters (name, shard, n)
    SELECT 'email.' || NEW.status, 0, 1
    WHERE NEW.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
DROP TRIGGER `email_jobs_counted_delete`;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_delete` AFTER DELETE ON `email_jobs`
WHEN OLD.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || OLD.status, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
END;
