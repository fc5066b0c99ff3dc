-- Hand-written: counts kept per change, so the schedulers' status reads a few counter rows instead
-- of counting tables of millions (issue 11, aim 8). Triggers rather than the application keep
-- them, so a host app's direct writes are counted too. Names: lifecycle.<project|portrait>.<status>,
-- lifecycle.notices.<kind>, video.<shown|hidden|archived>. SQLite has one writer: shard 0. One
-- UPSERT per changed row; an UPDATE that leaves the counted value alone fires nothing (the WHEN).
-- A REPLACE that deletes a row fires the delete trigger only with PRAGMA recursive_triggers on;
-- `steward doctor recount` repairs such drift.
CREATE TRIGGER `projects_count_insert` AFTER INSERT ON `projects`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.project.' || NEW.`lifecycle_status`, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
CREATE TRIGGER `projects_count_update` AFTER UPDATE OF `lifecycle_status` ON `projects`
WHEN OLD.`lifecycle_status` IS NOT NEW.`lifecycle_status`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.project.' || OLD.`lifecycle_status`, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.project.' || NEW.`lifecycle_status`, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
CREATE TRIGGER `projects_count_delete` AFTER DELETE ON `projects`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.project.' || OLD.`lifecycle_status`, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
CREATE TRIGGER `portraits_count_insert` AFTER INSERT ON `portraits`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.portrait.' || NEW.`lifecycle_status`, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
CREATE TRIGGER `portraits_count_update` AFTER UPDATE OF `lifecycle_status` ON `portraits`
WHEN OLD.`lifecycle_status` IS NOT NEW.`lifecycle_status`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.portrait.' || OLD.`lifecycle_status`, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.portrait.' || NEW.`lifecycle_status`, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
CREATE TRIGGER `portraits_count_delete` AFTER DELETE ON `portraits`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.portrait.' || OLD.`lifecycle_status`, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
CREATE TRIGGER `lifecycle_notices_count_insert` AFTER INSERT ON `lifecycle_notices`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.notices.' || NEW.`kind`, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
CREATE TRIGGER `lifecycle_notices_count_update` AFTER UPDATE OF `kind` ON `lifecycle_notices`
WHEN OLD.`kind` IS NOT NEW.`kind`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.notices.' || OLD.`kind`, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.notices.' || NEW.`kind`, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
CREATE TRIGGER `lifecycle_notices_count_delete` AFTER DELETE ON `lifecycle_notices`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('lifecycle.notices.' || OLD.`kind`, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
CREATE TRIGGER `videos_count_insert` AFTER INSERT ON `videos`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('video.' || (CASE WHEN NEW.`status` = 'archived' THEN 'archived' WHEN NEW.`is_shown` THEN 'shown' ELSE 'hidden' END), 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
CREATE TRIGGER `videos_count_update` AFTER UPDATE OF `status`, `is_shown` ON `videos`
WHEN (CASE WHEN OLD.`status` = 'archived' THEN 'archived' WHEN OLD.`is_shown` THEN 'shown' ELSE 'hidden' END) IS NOT (CASE WHEN NEW.`status` = 'archived' THEN 'archived' WHEN NEW.`is_shown` THEN 'shown' ELSE 'hidden' END)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('video.' || (CASE WHEN OLD.`status` = 'archived' THEN 'archived' WHEN OLD.`is_shown` THEN 'shown' ELSE 'hidden' END), 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
  INSERT INTO counters (name, shard, n) VALUES ('video.' || (CASE WHEN NEW.`status` = 'archived' THEN 'archived' WHEN NEW.`is_shown` THEN 'shown' ELSE 'hidden' END), 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
CREATE TRIGGER `videos_count_delete` AFTER DELETE ON `videos`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('video.' || (CASE WHEN OLD.`status` = 'archived' THEN 'archived' WHEN OLD.`is_shown` THEN 'shown' ELSE 'hidden' END), 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
END;
--> statement-breakpoint
-- Start from the rows there now; every key gets a row, zero or not.
DELETE FROM counters WHERE name LIKE 'lifecycle.%' OR name LIKE 'video.%';
--> statement-breakpoint
INSERT INTO counters (name, shard, n) VALUES
  ('lifecycle.project.active', 0, (SELECT count(*) FROM `projects` WHERE `lifecycle_status` = 'active')),
  ('lifecycle.project.expiring', 0, (SELECT count(*) FROM `projects` WHERE `lifecycle_status` = 'expiring')),
  ('lifecycle.project.archived', 0, (SELECT count(*) FROM `projects` WHERE `lifecycle_status` = 'archived')),
  ('lifecycle.portrait.active', 0, (SELECT count(*) FROM `portraits` WHERE `lifecycle_status` = 'active')),
  ('lifecycle.portrait.expiring', 0, (SELECT count(*) FROM `portraits` WHERE `lifecycle_status` = 'expiring')),
  ('lifecycle.portrait.archived', 0, (SELECT count(*) FROM `portraits` WHERE `lifecycle_status` = 'archived')),
  ('lifecycle.notices.7day', 0, (SELECT count(*) FROM `lifecycle_notices` WHERE `kind` = '7day')),
  ('lifecycle.notices.24hour', 0, (SELECT count(*) FROM `lifecycle_notices` WHERE `kind` = '24hour')),
  ('lifecycle.notices.expired', 0, (SELECT count(*) FROM `lifecycle_notices` WHERE `kind` = 'expired')),
  ('video.shown', 0, (SELECT count(*) FROM `videos` WHERE (CASE WHEN `videos`.`status` = 'archived' THEN 'archived' WHEN `videos`.`is_shown` THEN 'shown' ELSE 'hidden' END) = 'shown')),
  ('video.hidden', 0, (SELECT count(*) FROM `videos` WHERE (CASE WHEN `videos`.`status` = 'archived' THEN 'archived' WHEN `videos`.`is_shown` THEN 'shown' ELSE 'hidden' END) = 'hidden')),
  ('video.archived', 0, (SELECT count(*) FROM `videos` WHERE (CASE WHEN `videos`.`status` = 'archived' THEN 'archived' WHEN `videos`.`is_shown` THEN 'shown' ELSE 'hidden' END) = 'archived'));
