-- Hand-written. The update trigger of 0005 joined its transition tables (old_rows to new_rows by id) inside a
-- LATERAL VALUES; the planner guesses one row for a transition table, so the plan was a nested loop and a
-- statement updating k rows compared k² pairs: a settle of 10,900 jobs spent 29.7 s in the trigger, and a
-- 20,000-job drain fell from 10,531 to 452 jobs/s. The counts per status need no join at all (an unchanged row
-- adds -1 and +1 to the same name, which cancel); only the minutes of jobs that became sent or failed do, and
-- that join is held to a hash join. No LATERAL is left, so nothing is costed as a disabled nested loop (which
-- had also made the statement expensive enough to be JIT-compiled on every call).
CREATE OR REPLACE FUNCTION email_jobs_counted_update() RETURNS trigger LANGUAGE plpgsql
  SET search_path FROM CURRENT SET enable_nestloop = off AS $$
BEGIN
  INSERT INTO counters (name, shard, n)
  SELECT d.name, pg_backend_pid(), sum(d.n) FROM (
    SELECT 'email.' || o.status AS name, -count(*) AS n FROM old_rows o GROUP BY o.status
    UNION ALL
    SELECT 'email.' || w.status, count(*) FROM new_rows w GROUP BY w.status
    UNION ALL
    SELECT 'email.' || w.status || '@' || (floor(extract(epoch FROM w.updated_at) / 60) * 60)::bigint, count(*)
    FROM new_rows w JOIN old_rows o ON o.id = w.id
    WHERE w.status IN ('sent', 'failed') AND o.status <> w.status
    GROUP BY 1
  ) d
  GROUP BY d.name HAVING sum(d.n) <> 0 ORDER BY d.name
  ON CONFLICT (name, shard) DO UPDATE SET n = counters.n + excluded.n;
  RETURN NULL;
END $$;
