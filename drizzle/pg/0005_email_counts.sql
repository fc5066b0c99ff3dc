-- Due-first as an index range: the old (status, priority, run_at) index put priority between status and
-- run_at, so a claim or the oldest-pending age walked every pending job scheduled ahead. This index holds
-- pending jobs only, and the queries read one range per priority value.
DROP INDEX "email_jobs_due_idx";--> statement-breakpoint
CREATE INDEX "email_jobs_pending_idx" ON "email_jobs" USING btree ("priority","run_at") WHERE status = 'pending';--> statement-breakpoint
-- Hand-written: the queue's counts kept as rows change (see drizzle/sqlite/0008 for the names). Triggers,
-- so a host app's direct writes are counted too; per statement with transition tables, so a claim or a
-- bulk insert of a thousand rows adds to each counter once. Each backend adds to its own shard
-- (pg_backend_pid(), as src/db/coordination/counters.ts does): concurrent writers never wait on one hot
-- row. search_path is fixed at creation, so a host app writing with another search_path still counts
-- into this schema's counters.
CREATE FUNCTION email_jobs_counted_insert() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO counters (name, shard, n)
  SELECT v.name, pg_backend_pid(), sum(v.n) FROM new_rows w
  CROSS JOIN LATERAL (VALUES
    ('email.' || w.status, 1),
    (CASE WHEN w.status IN ('sent', 'failed')
      THEN 'email.' || w.status || '@' || (floor(extract(epoch FROM w.updated_at) / 60) * 60)::bigint END, 1)
  ) AS v(name, n)
  WHERE v.name IS NOT NULL
  GROUP BY v.name ORDER BY v.name
  ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION email_jobs_counted_update() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO counters (name, shard, n)
  SELECT v.name, pg_backend_pid(), sum(v.n) FROM old_rows o JOIN new_rows w ON w.id = o.id
  CROSS JOIN LATERAL (VALUES
    ('email.' || o.status, -1),
    ('email.' || w.status, 1),
    (CASE WHEN w.status IN ('sent', 'failed')
      THEN 'email.' || w.status || '@' || (floor(extract(epoch FROM w.updated_at) / 60) * 60)::bigint END, 1)
  ) AS v(name, n)
  WHERE o.status <> w.status AND v.name IS NOT NULL
  GROUP BY v.name ORDER BY v.name
  ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE FUNCTION email_jobs_counted_delete() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO counters (name, shard, n)
  SELECT 'email.' || o.status, pg_backend_pid(), -count(*) FROM old_rows o GROUP BY o.status ORDER BY 1
  ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  RETURN NULL;
END $$;
--> statement-breakpoint
-- TRUNCATE fires no row or transition-table trigger: it empties the status counts itself.
CREATE FUNCTION email_jobs_counted_truncate() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  DELETE FROM counters WHERE name IN ('email.pending', 'email.sending', 'email.sent', 'email.failed', 'email.cancelled');
  RETURN NULL;
END $$;
--> statement-breakpoint
CREATE TRIGGER email_jobs_counted_insert AFTER INSERT ON email_jobs
  REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION email_jobs_counted_insert();
--> statement-breakpoint
CREATE TRIGGER email_jobs_counted_update AFTER UPDATE ON email_jobs
  REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION email_jobs_counted_update();
--> statement-breakpoint
CREATE TRIGGER email_jobs_counted_delete AFTER DELETE ON email_jobs
  REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION email_jobs_counted_delete();
--> statement-breakpoint
CREATE TRIGGER email_jobs_counted_truncate AFTER TRUNCATE ON email_jobs
  FOR EACH STATEMENT EXECUTE FUNCTION email_jobs_counted_truncate();
--> statement-breakpoint
-- The counts start from the rows already stored (and the last hour's outcomes).
DELETE FROM counters WHERE name LIKE 'email.%';
--> statement-breakpoint
INSERT INTO counters (name, shard, n) SELECT 'email.' || status, 0, count(*) FROM email_jobs GROUP BY status;
--> statement-breakpoint
INSERT INTO counters (name, shard, n)
SELECT 'email.' || status || '@' || (floor(extract(epoch FROM updated_at) / 60) * 60)::bigint, 0, count(*) FROM email_jobs
WHERE status IN ('sent', 'failed') AND updated_at >= now() - interval '1 hour'
GROUP BY 1;
