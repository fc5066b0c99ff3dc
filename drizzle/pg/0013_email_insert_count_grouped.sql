-- Hand-written (issue 11): the insert trigger's count (pg 0005) groups the new rows by status
-- straight away. It used to pair every row with two candidate counter names, drop the empty one
-- and group the names, which took 2.8-4.0 ms of a 1,000-job bulk INSERT's 13-16 ms (EXPLAIN
-- ANALYZE); this takes 0.6-0.8. The counts it writes are the same: one per status, and for jobs
-- stored as sent or failed one per minute of updated_at.
CREATE OR REPLACE FUNCTION email_jobs_counted_insert() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  INSERT INTO counters (name, shard, n)
  SELECT 'email.' || status, pg_backend_pid(), count(*) FROM new_rows GROUP BY status
  UNION ALL
  SELECT 'email.' || status || '@' || (floor(extract(epoch FROM updated_at) / 60) * 60)::bigint, pg_backend_pid(), count(*)
    FROM new_rows WHERE status IN ('sent', 'failed') GROUP BY 1
  ORDER BY 1
  ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  RETURN NULL;
END $$;
