-- Hand-written: counts kept per change, so the schedulers' status reads a few counter rows instead
-- of counting tables of millions (issue 11, aim 8). Triggers rather than the application keep
-- them, so a host app's direct writes are counted too. Names: lifecycle.<project|portrait>.<status>,
-- lifecycle.notices.<kind>, video.<shown|hidden|archived>.
-- Statement-level triggers over the transition tables: one grouped UPSERT per statement, not one
-- per row, and none when the statement leaves every counted value as it was (HAVING). Each
-- backend adds to its own shard (its pid), as addCounts does (src/db/coordination/counters.ts):
-- two writers never wait on one hot counter row nor deadlock on two; CounterStore.fold() gathers
-- the shards into shard 0 now and then, and a read sums them.
-- SET search_path FROM CURRENT: a host app's session whose search_path lacks Steward's schema
-- still finds the counters table. TRUNCATE is not counted: `steward doctor recount` repairs it.
CREATE FUNCTION "steward_count_projects"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $body$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO counters (name, shard, n)
    SELECT 'lifecycle.project.' || k, pg_backend_pid(), count(*) FROM (SELECT lifecycle_status AS k FROM new_rows) c
    GROUP BY k ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO counters (name, shard, n)
    SELECT 'lifecycle.project.' || k, pg_backend_pid(), -count(*) FROM (SELECT lifecycle_status AS k FROM old_rows) c
    GROUP BY k ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  ELSE
    INSERT INTO counters (name, shard, n)
    SELECT 'lifecycle.project.' || k, pg_backend_pid(), sum(d) FROM (
      SELECT lifecycle_status AS k, 1 AS d FROM new_rows
      UNION ALL SELECT lifecycle_status, -1 FROM old_rows) c
    GROUP BY k HAVING sum(d) <> 0 ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  END IF;
  RETURN NULL;
END
$body$;
--> statement-breakpoint
CREATE FUNCTION "steward_count_portraits"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $body$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO counters (name, shard, n)
    SELECT 'lifecycle.portrait.' || k, pg_backend_pid(), count(*) FROM (SELECT lifecycle_status AS k FROM new_rows) c
    GROUP BY k ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO counters (name, shard, n)
    SELECT 'lifecycle.portrait.' || k, pg_backend_pid(), -count(*) FROM (SELECT lifecycle_status AS k FROM old_rows) c
    GROUP BY k ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  ELSE
    INSERT INTO counters (name, shard, n)
    SELECT 'lifecycle.portrait.' || k, pg_backend_pid(), sum(d) FROM (
      SELECT lifecycle_status AS k, 1 AS d FROM new_rows
      UNION ALL SELECT lifecycle_status, -1 FROM old_rows) c
    GROUP BY k HAVING sum(d) <> 0 ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  END IF;
  RETURN NULL;
END
$body$;
--> statement-breakpoint
CREATE FUNCTION "steward_count_lifecycle_notices"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $body$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO counters (name, shard, n)
    SELECT 'lifecycle.notices.' || k, pg_backend_pid(), count(*) FROM (SELECT kind AS k FROM new_rows) c
    GROUP BY k ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO counters (name, shard, n)
    SELECT 'lifecycle.notices.' || k, pg_backend_pid(), -count(*) FROM (SELECT kind AS k FROM old_rows) c
    GROUP BY k ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  ELSE
    INSERT INTO counters (name, shard, n)
    SELECT 'lifecycle.notices.' || k, pg_backend_pid(), sum(d) FROM (
      SELECT kind AS k, 1 AS d FROM new_rows
      UNION ALL SELECT kind, -1 FROM old_rows) c
    GROUP BY k HAVING sum(d) <> 0 ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  END IF;
  RETURN NULL;
END
$body$;
--> statement-breakpoint
CREATE FUNCTION "steward_count_videos"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $body$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO counters (name, shard, n)
    SELECT 'video.' || k, pg_backend_pid(), count(*) FROM (SELECT CASE WHEN status = 'archived' THEN 'archived' WHEN is_shown THEN 'shown' ELSE 'hidden' END AS k FROM new_rows) c
    GROUP BY k ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  ELSIF TG_OP = 'DELETE' THEN
    INSERT INTO counters (name, shard, n)
    SELECT 'video.' || k, pg_backend_pid(), -count(*) FROM (SELECT CASE WHEN status = 'archived' THEN 'archived' WHEN is_shown THEN 'shown' ELSE 'hidden' END AS k FROM old_rows) c
    GROUP BY k ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  ELSE
    INSERT INTO counters (name, shard, n)
    SELECT 'video.' || k, pg_backend_pid(), sum(d) FROM (
      SELECT CASE WHEN status = 'archived' THEN 'archived' WHEN is_shown THEN 'shown' ELSE 'hidden' END AS k, 1 AS d FROM new_rows
      UNION ALL SELECT CASE WHEN status = 'archived' THEN 'archived' WHEN is_shown THEN 'shown' ELSE 'hidden' END, -1 FROM old_rows) c
    GROUP BY k HAVING sum(d) <> 0 ORDER BY k
    ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  END IF;
  RETURN NULL;
END
$body$;
--> statement-breakpoint
CREATE TRIGGER "projects_count_insert" AFTER INSERT ON "projects" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_projects"();
--> statement-breakpoint
CREATE TRIGGER "projects_count_update" AFTER UPDATE ON "projects" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_projects"();
--> statement-breakpoint
CREATE TRIGGER "projects_count_delete" AFTER DELETE ON "projects" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_projects"();
--> statement-breakpoint
CREATE TRIGGER "portraits_count_insert" AFTER INSERT ON "portraits" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_portraits"();
--> statement-breakpoint
CREATE TRIGGER "portraits_count_update" AFTER UPDATE ON "portraits" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_portraits"();
--> statement-breakpoint
CREATE TRIGGER "portraits_count_delete" AFTER DELETE ON "portraits" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_portraits"();
--> statement-breakpoint
CREATE TRIGGER "lifecycle_notices_count_insert" AFTER INSERT ON "lifecycle_notices" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_lifecycle_notices"();
--> statement-breakpoint
CREATE TRIGGER "lifecycle_notices_count_update" AFTER UPDATE ON "lifecycle_notices" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_lifecycle_notices"();
--> statement-breakpoint
CREATE TRIGGER "lifecycle_notices_count_delete" AFTER DELETE ON "lifecycle_notices" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_lifecycle_notices"();
--> statement-breakpoint
CREATE TRIGGER "videos_count_insert" AFTER INSERT ON "videos" REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_videos"();
--> statement-breakpoint
CREATE TRIGGER "videos_count_update" AFTER UPDATE ON "videos" REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_videos"();
--> statement-breakpoint
CREATE TRIGGER "videos_count_delete" AFTER DELETE ON "videos" REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION "steward_count_videos"();
--> statement-breakpoint
-- Start from the rows there now (CREATE TRIGGER has locked each table against writers until this
-- migration commits, so nothing is counted twice or missed); every key gets a row, zero or not.
DELETE FROM counters WHERE name LIKE 'lifecycle.%' OR name LIKE 'video.%';
--> statement-breakpoint
INSERT INTO counters (name, shard, n) VALUES
  ('lifecycle.project.active', 0, (SELECT count(*) FROM "projects" WHERE lifecycle_status = 'active')),
  ('lifecycle.project.expiring', 0, (SELECT count(*) FROM "projects" WHERE lifecycle_status = 'expiring')),
  ('lifecycle.project.archived', 0, (SELECT count(*) FROM "projects" WHERE lifecycle_status = 'archived')),
  ('lifecycle.portrait.active', 0, (SELECT count(*) FROM "portraits" WHERE lifecycle_status = 'active')),
  ('lifecycle.portrait.expiring', 0, (SELECT count(*) FROM "portraits" WHERE lifecycle_status = 'expiring')),
  ('lifecycle.portrait.archived', 0, (SELECT count(*) FROM "portraits" WHERE lifecycle_status = 'archived')),
  ('lifecycle.notices.7day', 0, (SELECT count(*) FROM "lifecycle_notices" WHERE kind = '7day')),
  ('lifecycle.notices.24hour', 0, (SELECT count(*) FROM "lifecycle_notices" WHERE kind = '24hour')),
  ('lifecycle.notices.expired', 0, (SELECT count(*) FROM "lifecycle_notices" WHERE kind = 'expired')),
  ('video.shown', 0, (SELECT count(*) FROM "videos" WHERE (CASE WHEN status = 'archived' THEN 'archived' WHEN is_shown THEN 'shown' ELSE 'hidden' END) = 'shown')),
  ('video.hidden', 0, (SELECT count(*) FROM "videos" WHERE (CASE WHEN status = 'archived' THEN 'archived' WHEN is_shown THEN 'shown' ELSE 'hidden' END) = 'hidden')),
  ('video.archived', 0, (SELECT count(*) FROM "videos" WHERE (CASE WHEN status = 'archived' THEN 'archived' WHEN is_shown THEN 'shown' ELSE 'hidden' END) = 'archived'));
