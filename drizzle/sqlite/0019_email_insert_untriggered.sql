-- Generated, then edited (issue 11, aims 2 and 3): email_jobs has no insert trigger left. Any
-- INSERT trigger on a table makes SQLite enter a subprogram for every row, and copy the rows of a
-- multi-row INSERT into a temporary table before writing them; sqlite 0018's small trigger, whose
-- WHEN is false for every enqueue, still cost 4.5 µs of a one-job enqueue's 40-47 and a third of a
-- bulk row (6.7-8.1 µs a job against 4.5-4.8 without it; one table per variant, interleaved
-- rounds, 2026-12-03). What it did is done another way:
--  - run_at out of range is a CHECK, named for its message ("CHECK constraint failed: run_at is
--    out of range"); a CHECK is evaluated inside the INSERT. A CHECK cannot be added in place, so
--    the table is rebuilt as sqlite 0016 did, every job kept under its id;
--  - the jobs above the watermark `email_jobs.counted_through` are counted by the status they have
--    now, not taken for pending: a read adds them per status (and the sent and failed ones per
--    minute), and the fold (store/counts.ts) adds them to the counters as it moves the watermark.
--    So an insert in any status needs no trigger, and nothing that happens to a job above the
--    watermark is counted as it happens: the status triggers, the delete trigger, the claim and
--    the settle (sqlite-queue-sql.ts) pass those jobs over;
--  - an insert at or below the watermark would go uncounted, so the watermark never stands above
--    the newest job: a delete of the job at the watermark brings it down to the next job below
--    (the fold always sets it to a job's id), and SQLite gives a new row the newest id plus one.
--    A host app that names an id at or below the watermark is not counted until a recount; one
--    that changes a job's id is refused (nothing in Steward does either);
--  - with the watermark row missing (deleted by hand), every job counts as below it and an
--    insert goes uncounted: a recount puts the row back (store/counts.ts).
-- First, every job above the old watermark goes into the counters as 0015's fold did (as
-- pending; changes since were counted), and the watermark moves to the newest job (made again
-- where it was missing, when every insert was counted at once).
INSERT INTO counters (name, shard, n)
  SELECT 'email.pending', 0, count(*) FROM email_jobs
  WHERE id > (SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0)
  HAVING count(*) > 0
  ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;--> statement-breakpoint
INSERT INTO counters (name, shard, n)
  SELECT 'email_jobs.counted_through', 0, coalesce(max(id), 0) FROM email_jobs WHERE true
  ON CONFLICT (name, shard) DO UPDATE SET n = excluded.n;--> statement-breakpoint
DROP VIEW `email_jobs_inserts_to_count`;--> statement-breakpoint
CREATE TABLE `__new_email_jobs` (
	`id` integer PRIMARY KEY NOT NULL,
	`legacy_id` text,
	`to_addrs` text NOT NULL,
	`cc_addrs` text DEFAULT '[]' NOT NULL,
	`bcc_addrs` text DEFAULT '[]' NOT NULL,
	`from_addr` text,
	`reply_to` text,
	`subject` text DEFAULT '' NOT NULL,
	`text_body` text,
	`html_body` text,
	`template_id` text,
	`variables` text,
	`headers` text,
	`priority` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`max_attempts` integer,
	`lease_expiries` integer DEFAULT 0 NOT NULL,
	`transport_failures` integer DEFAULT 0 NOT NULL,
	`run_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`lease_holder` text,
	`lease_expires_at` integer,
	`last_error` text,
	`last_smtp_code` integer,
	`recipients` text,
	`rejected` text,
	`idempotency_key` text,
	`batch_id` text,
	`message_id` text,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`sent_at` integer,
	CONSTRAINT "email_jobs_status_check" CHECK("status" = 'pending' or "status" = 'sending' or "status" = 'sent' or "status" = 'failed' or "status" = 'cancelled'),
	CONSTRAINT "run_at is out of range" CHECK("run_at" between -8640000000000000 and 8640000000000000 or (typeof("run_at") <> 'integer' and typeof("run_at") <> 'real'))
);
--> statement-breakpoint
INSERT INTO `__new_email_jobs`("id", "legacy_id", "to_addrs", "cc_addrs", "bcc_addrs", "from_addr", "reply_to", "subject", "text_body", "html_body", "template_id", "variables", "headers", "priority", "status", "attempts", "max_attempts", "lease_expiries", "transport_failures", "run_at", "lease_holder", "lease_expires_at", "last_error", "last_smtp_code", "recipients", "rejected", "idempotency_key", "batch_id", "message_id", "created_at", "updated_at", "sent_at") SELECT "id", "legacy_id", "to_addrs", "cc_addrs", "bcc_addrs", "from_addr", "reply_to", "subject", "text_body", "html_body", "template_id", "variables", "headers", "priority", "status", "attempts", "max_attempts", "lease_expiries", "transport_failures", "run_at", "lease_holder", "lease_expires_at", "last_error", "last_smtp_code", "recipients", "rejected", "idempotency_key", "batch_id", "message_id", "created_at", "updated_at", "sent_at" FROM `email_jobs`;--> statement-breakpoint
DROP TABLE `email_jobs`;--> statement-breakpoint
-- As in sqlite 0014 and 0016: in legacy mode the RENAME leaves views over email_jobs alone.
PRAGMA legacy_alter_table=ON;--> statement-breakpoint
ALTER TABLE `__new_email_jobs` RENAME TO `email_jobs`;--> statement-breakpoint
PRAGMA legacy_alter_table=OFF;--> statement-breakpoint
CREATE UNIQUE INDEX `email_jobs_legacy_id_unique` ON `email_jobs` (`legacy_id`) WHERE legacy_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `email_jobs_idempotency_key_unique` ON `email_jobs` (`idempotency_key`) WHERE idempotency_key is not null;--> statement-breakpoint
CREATE INDEX `email_jobs_pending_idx` ON `email_jobs` (`priority`,`run_at`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `email_jobs_batch_idx` ON `email_jobs` (`batch_id`) WHERE batch_id is not null;--> statement-breakpoint
CREATE INDEX `email_jobs_updated_idx` ON `email_jobs` (`status`,`updated_at`) WHERE status = 'sent' or status = 'failed' or status = 'cancelled';--> statement-breakpoint
CREATE INDEX `email_jobs_sending_idx` ON `email_jobs` (`id`) WHERE status = 'sending';--> statement-breakpoint
-- A job at or below the watermark is in the counters: its delete takes it out. The one at the
-- watermark takes the watermark down to the next job below it, so that the next id SQLite hands
-- out (the newest plus one) is above it again.
CREATE TRIGGER `email_jobs_counted_delete` AFTER DELETE ON `email_jobs`
WHEN OLD.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || OLD.status, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
  UPDATE counters SET n = coalesce((SELECT max(id) FROM email_jobs WHERE id < OLD.id), 0)
    WHERE name = 'email_jobs.counted_through' AND shard = 0 AND n = OLD.id;
END;--> statement-breakpoint
-- 0017's, for the jobs at or below the watermark only.
CREATE TRIGGER `email_jobs_counted_update` AFTER UPDATE OF `status` ON `email_jobs`
WHEN OLD.status IS NOT NEW.status
  AND NOT (OLD.status = 'pending' AND NEW.status = 'sending' AND NEW.lease_holder IS NOT NULL)
  AND NOT (OLD.status = 'sending' AND NEW.status = 'sent' AND OLD.lease_holder IS NOT NULL AND NEW.lease_holder IS NULL)
  AND OLD.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || OLD.status, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_update_minute` AFTER UPDATE OF `status` ON `email_jobs`
WHEN OLD.status IS NOT NEW.status
  AND (NEW.status = 'failed' OR (NEW.status = 'sent'
    AND NOT (OLD.status = 'sending' AND OLD.lease_holder IS NOT NULL AND NEW.lease_holder IS NULL)))
  AND OLD.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status || '@' || (NEW.updated_at / 60000 * 60), 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;--> statement-breakpoint
-- A job's id is its handle in the API, the CLI and the host app's own rows; moving one across the
-- watermark would also move it in or out of the counters unseen.
CREATE TRIGGER `email_jobs_id_fixed` BEFORE UPDATE OF `id` ON `email_jobs`
WHEN OLD.id IS NOT NEW.id
BEGIN
  SELECT RAISE(ABORT, 'email_jobs.id cannot change: it is the job''s handle');
END;
