-- Hand-written: a host app's own INSERT into email_jobs wakes the workers of every Steward on this
-- database at its commit, as an enqueue through the API does (issue 11, aim 1). One NOTIFY per
-- statement, with the table's schema as payload (each listener ignores other schemas'), so a
-- multi-row insert is one notification. Notifications with the same channel and payload within
-- one transaction are delivered once, so the API's own NOTIFY adds nothing to this one.
CREATE FUNCTION "steward_email_jobs_notify"() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $body$
BEGIN
  PERFORM pg_notify('steward_email', TG_TABLE_SCHEMA);
  RETURN NULL;
END
$body$;
--> statement-breakpoint
CREATE TRIGGER "email_jobs_notify" AFTER INSERT ON "email_jobs" FOR EACH STATEMENT EXECUTE FUNCTION "steward_email_jobs_notify"();
