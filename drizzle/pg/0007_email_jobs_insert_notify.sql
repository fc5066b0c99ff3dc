-- A host app's own INSERT into email_jobs wakes the workers of every Steward on this database
-- at its commit, as an enqueue through the API does: one NOTIFY per statement, with the
-- schema as payload (each listener ignores other schemas'). Notifications with the same
-- payload within one transaction are delivered once, so the API's own NOTIFY adds nothing.
CREATE OR REPLACE FUNCTION steward_email_jobs_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM pg_notify('steward_email', TG_TABLE_SCHEMA);
  RETURN NULL;
END
$$;
--> statement-breakpoint
CREATE TRIGGER email_jobs_notify AFTER INSERT ON email_jobs FOR EACH STATEMENT EXECUTE FUNCTION steward_email_jobs_notify();
