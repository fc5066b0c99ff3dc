-- Hand-written: a JavaScript Date holds instants up to 8.64e15 ms either side of the epoch
-- (years -271821 to 275760). A host app that writes more (9e18, say) made every read of the row
-- fail; these triggers refuse such a write with the column named, as 0001's refuse text. Rows
-- written before this migration are read clamped (src/db/sql.ts toDate), not rewritten.
CREATE TRIGGER `projects_subscription_end_in_range_insert` BEFORE INSERT ON `projects`
WHEN typeof(NEW.`subscription_end`) IN ('integer', 'real') AND (NEW.`subscription_end` > 8640000000000000 OR NEW.`subscription_end` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'projects.subscription_end is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;
--> statement-breakpoint
CREATE TRIGGER `projects_subscription_end_in_range_update` BEFORE UPDATE OF `subscription_end` ON `projects`
WHEN typeof(NEW.`subscription_end`) IN ('integer', 'real') AND (NEW.`subscription_end` > 8640000000000000 OR NEW.`subscription_end` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'projects.subscription_end is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;
--> statement-breakpoint
CREATE TRIGGER `portraits_subscription_end_in_range_insert` BEFORE INSERT ON `portraits`
WHEN typeof(NEW.`subscription_end`) IN ('integer', 'real') AND (NEW.`subscription_end` > 8640000000000000 OR NEW.`subscription_end` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'portraits.subscription_end is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;
--> statement-breakpoint
CREATE TRIGGER `portraits_subscription_end_in_range_update` BEFORE UPDATE OF `subscription_end` ON `portraits`
WHEN typeof(NEW.`subscription_end`) IN ('integer', 'real') AND (NEW.`subscription_end` > 8640000000000000 OR NEW.`subscription_end` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'portraits.subscription_end is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;
--> statement-breakpoint
CREATE TRIGGER `videos_start_at_in_range_insert` BEFORE INSERT ON `videos`
WHEN typeof(NEW.`start_at`) IN ('integer', 'real') AND (NEW.`start_at` > 8640000000000000 OR NEW.`start_at` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'videos.start_at is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;
--> statement-breakpoint
CREATE TRIGGER `videos_start_at_in_range_update` BEFORE UPDATE OF `start_at` ON `videos`
WHEN typeof(NEW.`start_at`) IN ('integer', 'real') AND (NEW.`start_at` > 8640000000000000 OR NEW.`start_at` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'videos.start_at is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;
--> statement-breakpoint
CREATE TRIGGER `videos_end_at_in_range_insert` BEFORE INSERT ON `videos`
WHEN typeof(NEW.`end_at`) IN ('integer', 'real') AND (NEW.`end_at` > 8640000000000000 OR NEW.`end_at` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'videos.end_at is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;
--> statement-breakpoint
CREATE TRIGGER `videos_end_at_in_range_update` BEFORE UPDATE OF `end_at` ON `videos`
WHEN typeof(NEW.`end_at`) IN ('integer', 'real') AND (NEW.`end_at` > 8640000000000000 OR NEW.`end_at` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'videos.end_at is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;
--> statement-breakpoint
CREATE TRIGGER `email_jobs_run_at_in_range_insert` BEFORE INSERT ON `email_jobs`
WHEN typeof(NEW.`run_at`) IN ('integer', 'real') AND (NEW.`run_at` > 8640000000000000 OR NEW.`run_at` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'email_jobs.run_at is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;
--> statement-breakpoint
CREATE TRIGGER `email_jobs_run_at_in_range_update` BEFORE UPDATE OF `run_at` ON `email_jobs`
WHEN typeof(NEW.`run_at`) IN ('integer', 'real') AND (NEW.`run_at` > 8640000000000000 OR NEW.`run_at` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'email_jobs.run_at is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;
