-- Hand-written: SQLite keeps a column's declared type only as an affinity, so a host app that
-- writes an ISO string into an instant column would have it stored as text, which SQLite sorts
-- after every integer: the row would never fall due (the seed system compared times as strings).
-- These triggers refuse such a write with the column named. PostgreSQL's timestamptz needs none.
CREATE TRIGGER `projects_subscription_end_is_instant_insert` BEFORE INSERT ON `projects`
WHEN typeof(NEW.`subscription_end`) NOT IN ('integer', 'null')
BEGIN
  SELECT RAISE(ABORT, 'projects.subscription_end must be an instant in integer milliseconds since the epoch (UTC), or null');
END;
--> statement-breakpoint
CREATE TRIGGER `projects_subscription_end_is_instant_update` BEFORE UPDATE OF `subscription_end` ON `projects`
WHEN typeof(NEW.`subscription_end`) NOT IN ('integer', 'null')
BEGIN
  SELECT RAISE(ABORT, 'projects.subscription_end must be an instant in integer milliseconds since the epoch (UTC), or null');
END;
--> statement-breakpoint
CREATE TRIGGER `portraits_subscription_end_is_instant_insert` BEFORE INSERT ON `portraits`
WHEN typeof(NEW.`subscription_end`) NOT IN ('integer', 'null')
BEGIN
  SELECT RAISE(ABORT, 'portraits.subscription_end must be an instant in integer milliseconds since the epoch (UTC), or null');
END;
--> statement-breakpoint
CREATE TRIGGER `portraits_subscription_end_is_instant_update` BEFORE UPDATE OF `subscription_end` ON `portraits`
WHEN typeof(NEW.`subscription_end`) NOT IN ('integer', 'null')
BEGIN
  SELECT RAISE(ABORT, 'portraits.subscription_end must be an instant in integer milliseconds since the epoch (UTC), or null');
END;
--> statement-breakpoint
CREATE TRIGGER `videos_start_at_is_instant_insert` BEFORE INSERT ON `videos`
WHEN typeof(NEW.`start_at`) NOT IN ('integer', 'null')
BEGIN
  SELECT RAISE(ABORT, 'videos.start_at must be an instant in integer milliseconds since the epoch (UTC), or null');
END;
--> statement-breakpoint
CREATE TRIGGER `videos_end_at_is_instant_insert` BEFORE INSERT ON `videos`
WHEN typeof(NEW.`end_at`) NOT IN ('integer', 'null')
BEGIN
  SELECT RAISE(ABORT, 'videos.end_at must be an instant in integer milliseconds since the epoch (UTC), or null');
END;
--> statement-breakpoint
CREATE TRIGGER `videos_start_at_is_instant_update` BEFORE UPDATE OF `start_at` ON `videos`
WHEN typeof(NEW.`start_at`) NOT IN ('integer', 'null')
BEGIN
  SELECT RAISE(ABORT, 'videos.start_at must be an instant in integer milliseconds since the epoch (UTC), or null');
END;
--> statement-breakpoint
CREATE TRIGGER `videos_end_at_is_instant_update` BEFORE UPDATE OF `end_at` ON `videos`
WHEN typeof(NEW.`end_at`) NOT IN ('integer', 'null')
BEGIN
  SELECT RAISE(ABORT, 'videos.end_at must be an instant in integer milliseconds since the epoch (UTC), or null');
END;
