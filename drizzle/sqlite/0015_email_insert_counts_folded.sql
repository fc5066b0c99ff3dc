-- Hand-written (issue 11, aim 2): an enqueue no longer writes the counters. The insert trigger's
-- upsert put a third page (the counters') into every one-job commit, which was a fifth of the
-- commit's cost: 22.0 µs a job with it and 18.2 without, 20,000 one-by-one INSERTs of the API's
-- statement (a scratch loop, median of 5, 2026-12-02).
-- A job above the watermark id `email_jobs.counted_through` (a row of the counters table, under
-- a name outside the `email.` prefix so a recount leaves it alone) is one the counters do not
-- yet hold as pending: a read adds the number of such jobs to `email.pending`, and a fold
-- (src/services/email/store/counts.ts) adds it to the counter and moves the watermark, every
-- 2 s where the email service runs. So only a job inserted pending above the watermark, an
-- enqueue, is left to the fold; everything else is counted as it happens:
--  - an insert in another status, or at or below the watermark, counts at once (above the
--    watermark also taking back the pending the fold will add);
--  - a change of status counts as it did (0012's trigger, unchanged), whichever side it is on;
--  - a delete above the watermark gives back the pending the fold will not add;
--  - a job given another id across the watermark (nothing in Steward does it) moves that pending.
-- A missing watermark row means the old behaviour: every insert is counted at once.
-- The minute triggers of 0012 count events, not rows, and stay as they are.
INSERT INTO counters (name, shard, n)
  SELECT 'email_jobs.counted_through', 0, coalesce(max(id), 0) FROM email_jobs WHERE true
  ON CONFLICT (name, shard) DO UPDATE SET n = excluded.n;
--> statement-breakpoint
DROP TRIGGER `email_jobs_counted_insert`;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_insert` AFTER INSERT ON `email_jobs`
WHEN NEW.status <> 'pending'
  OR NEW.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
  INSERT INTO counters (name, shard, n)
    SELECT 'email.pending', 0, -1
    WHERE NEW.id > coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
END;
--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_delete_uncounted` AFTER DELETE ON `email_jobs`
WHEN OLD.id > coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.pending', 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;
--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_rekey` AFTER UPDATE OF `id` ON `email_jobs`
WHEN OLD.id IS NOT NEW.id
BEGIN
  INSERT INTO counters (name, shard, n)
    SELECT 'email.pending', 0, (NEW.id <= w.n) - (OLD.id <= w.n)
    FROM (SELECT coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807) AS n) w
    WHERE (NEW.id <= w.n) <> (OLD.id <= w.n)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
