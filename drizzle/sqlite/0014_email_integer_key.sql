-- Generated, then edited (issue 11): a job's key becomes the rowid, an integer. The text UUID key
-- had a b-tree of its own beside the table's, which every enqueue wrote: an enqueue committed
-- alone cost 0.69 of the text key's, a claim 0.91 and a settle 0.85 (`npm run bench -- row-layout`,
-- median of 3, 2026-12-02). Every job is kept: its id is the rowid it had, so the jobs keep their
-- order, and its old id stays in legacy_id, which the API and CLI still find. A lifecycle notice's
-- email_job_id follows its job to the new id. No AUTOINCREMENT: see src/db/schema/sqlite/email.ts.
-- DROP TABLE drops the table's triggers without firing them, so the counters stay as they were
-- and the triggers are made again below as sqlite 0005 and 0012 left them.
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
	CONSTRAINT "email_jobs_status_check" CHECK("status" in ('pending','sending','sent','failed','cancelled'))
);
--> statement-breakpoint
INSERT INTO `__new_email_jobs`("id", "legacy_id", "to_addrs", "cc_addrs", "bcc_addrs", "from_addr", "reply_to", "subject", "text_body", "html_body", "template_id", "variables", "headers", "priority", "status", "attempts", "max_attempts", "lease_expiries", "transport_failures", "run_at", "lease_holder", "lease_expires_at", "last_error", "last_smtp_code", "recipients", "rejected", "idempotency_key", "batch_id", "message_id", "created_at", "updated_at", "sent_at") SELECT rowid, "id", "to_addrs", "cc_addrs", "bcc_addrs", "from_addr", "reply_to", "subject", "text_body", "html_body", "template_id", "variables", "headers", "priority", "status", "attempts", "max_attempts", "lease_expiries", "transport_failures", "run_at", "lease_holder", "lease_expires_at", "last_error", "last_smtp_code", "recipients", "rejected", "idempotency_key", "batch_id", "message_id", "created_at", "updated_at", "sent_at" FROM `email_jobs` ORDER BY rowid;--> statement-breakpoint
DROP TABLE `email_jobs`;--> statement-breakpoint
-- A view over email_jobs (the Vertex AR email_queue, docs/vertex-ar.md) would make the RENAME fail
-- while the table is gone ("error in view"); in legacy mode the RENAME leaves views alone, and the
-- view finds the new table by its name.
PRAGMA legacy_alter_table=ON;--> statement-breakpoint
ALTER TABLE `__new_email_jobs` RENAME TO `email_jobs`;--> statement-breakpoint
PRAGMA legacy_alter_table=OFF;--> statement-breakpoint
CREATE UNIQUE INDEX `email_jobs_legacy_id_unique` ON `email_jobs` (`legacy_id`) WHERE legacy_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `email_jobs_idempotency_key_unique` ON `email_jobs` (`idempotency_key`) WHERE idempotency_key is not null;--> statement-breakpoint
CREATE INDEX `email_jobs_pending_idx` ON `email_jobs` (`priority`,`run_at`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `email_jobs_batch_idx` ON `email_jobs` (`batch_id`) WHERE batch_id is not null;--> statement-breakpoint
CREATE INDEX `email_jobs_updated_idx` ON `email_jobs` (`status`,`updated_at`) WHERE status in ('sent', 'failed', 'cancelled');--> statement-breakpoint
CREATE INDEX `email_jobs_sending_idx` ON `email_jobs` (`id`) WHERE status = 'sending';--> statement-breakpoint
UPDATE `lifecycle_notices` SET `email_job_id` = (
  SELECT CAST(j.`id` AS TEXT) FROM `email_jobs` j WHERE j.`legacy_id` = `lifecycle_notices`.`email_job_id`
) WHERE `email_job_id` IN (SELECT `legacy_id` FROM `email_jobs` WHERE `legacy_id` IS NOT NULL);--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_delete` AFTER DELETE ON `email_jobs`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || OLD.status, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
END;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_insert` AFTER INSERT ON `email_jobs`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_insert_minute` AFTER INSERT ON `email_jobs`
WHEN NEW.status IN ('sent', 'failed')
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status || '@' || (NEW.updated_at / 60000 * 60), 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_update` AFTER UPDATE OF `status` ON `email_jobs`
WHEN OLD.status IS NOT NEW.status
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || OLD.status, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_update_minute` AFTER UPDATE OF `status` ON `email_jobs`
WHEN OLD.status IS NOT NEW.status AND NEW.status IN ('sent', 'failed')
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status || '@' || (NEW.updated_at / 60000 * 60), 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;--> statement-breakpoint
CREATE TRIGGER `email_jobs_run_at_in_range_insert` BEFORE INSERT ON `email_jobs`
WHEN typeof(NEW.`run_at`) IN ('integer', 'real') AND (NEW.`run_at` > 8640000000000000 OR NEW.`run_at` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'email_jobs.run_at is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;--> statement-breakpoint
CREATE TRIGGER `email_jobs_run_at_in_range_update` BEFORE UPDATE OF `run_at` ON `email_jobs`
WHEN typeof(NEW.`run_at`) IN ('integer', 'real') AND (NEW.`run_at` > 8640000000000000 OR NEW.`run_at` < -8640000000000000)
BEGIN
  SELECT RAISE(ABORT, 'email_jobs.run_at is out of range: an instant must lie within 8640000000000000 ms of the epoch (what a JavaScript Date holds)');
END;
