-- Generated, then edited (issue 11, aim 2): the status CHECK and the finished-by-age index's
-- condition say "status = 'a' or status = 'b' ..." instead of "status in ('a', 'b', ...)". SQLite
-- evaluates an IN list of more than two constants by building a temporary b-tree of the list,
-- once per run of a statement, so every one-job INSERT built two (one for the CHECK, one for the
-- index's condition): a fifth of the INSERT's instructions (callgrind, 3,000 INSERTs of the API's
-- statement: 95,000 instructions each in the driver's run, against 23,000 for the raw queue's).
-- A CHECK cannot be changed in place, so the table is rebuilt as sqlite 0014 did: every job kept
-- under its id, and the indexes and triggers made again exactly as they were (DROP TABLE drops
-- the triggers without firing them, so the counters stay as they are).
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
	CONSTRAINT "email_jobs_status_check" CHECK("status" = 'pending' or "status" = 'sending' or "status" = 'sent' or "status" = 'failed' or "status" = 'cancelled')
);
--> statement-breakpoint
INSERT INTO `__new_email_jobs`("id", "legacy_id", "to_addrs", "cc_addrs", "bcc_addrs", "from_addr", "reply_to", "subject", "text_body", "html_body", "template_id", "variables", "headers", "priority", "status", "attempts", "max_attempts", "lease_expiries", "transport_failures", "run_at", "lease_holder", "lease_expires_at", "last_error", "last_smtp_code", "recipients", "rejected", "idempotency_key", "batch_id", "message_id", "created_at", "updated_at", "sent_at") SELECT "id", "legacy_id", "to_addrs", "cc_addrs", "bcc_addrs", "from_addr", "reply_to", "subject", "text_body", "html_body", "template_id", "variables", "headers", "priority", "status", "attempts", "max_attempts", "lease_expiries", "transport_failures", "run_at", "lease_holder", "lease_expires_at", "last_error", "last_smtp_code", "recipients", "rejected", "idempotency_key", "batch_id", "message_id", "created_at", "updated_at", "sent_at" FROM `email_jobs`;--> statement-breakpoint
DROP TABLE `email_jobs`;--> statement-breakpoint
-- As in sqlite 0014: a view over email_jobs (the Vertex AR email_queue) would make the RENAME fail
-- while the table is gone; in legacy mode the RENAME leaves views alone.
PRAGMA legacy_alter_table=ON;--> statement-breakpoint
ALTER TABLE `__new_email_jobs` RENAME TO `email_jobs`;--> statement-breakpoint
PRAGMA legacy_alter_table=OFF;--> statement-breakpoint
CREATE UNIQUE INDEX `email_jobs_legacy_id_unique` ON `email_jobs` (`legacy_id`) WHERE legacy_id is not null;--> statement-breakpoint
CREATE UNIQUE INDEX `email_jobs_idempotency_key_unique` ON `email_jobs` (`idempotency_key`) WHERE idempotency_key is not null;--> statement-breakpoint
CREATE INDEX `email_jobs_pending_idx` ON `email_jobs` (`priority`,`run_at`) WHERE status = 'pending';--> statement-breakpoint
CREATE INDEX `email_jobs_batch_idx` ON `email_jobs` (`batch_id`) WHERE batch_id is not null;--> statement-breakpoint
CREATE INDEX `email_jobs_updated_idx` ON `email_jobs` (`status`,`updated_at`) WHERE status = 'sent' or status = 'failed' or status = 'cancelled';--> statement-breakpoint
CREATE INDEX `email_jobs_sending_idx` ON `email_jobs` (`id`) WHERE status = 'sending';--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_delete` AFTER DELETE ON `email_jobs`
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || OLD.status, 0, -1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
END;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_delete_uncounted` AFTER DELETE ON `email_jobs`
WHEN OLD.id > coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.pending', 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_insert` AFTER INSERT ON `email_jobs`
WHEN NEW.status <> 'pending'
  OR NEW.id <= coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status, 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
  INSERT INTO counters (name, shard, n)
    SELECT 'email.pending', 0, -1
    WHERE NEW.id > coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807)
    ON CONFLICT (name, shard) DO UPDATE SET n = n - 1;
END;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_insert_minute` AFTER INSERT ON `email_jobs`
WHEN NEW.status IN ('sent', 'failed')
BEGIN
  INSERT INTO counters (name, shard, n) VALUES ('email.' || NEW.status || '@' || (NEW.updated_at / 60000 * 60), 0, 1)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + 1;
END;--> statement-breakpoint
CREATE TRIGGER `email_jobs_counted_rekey` AFTER UPDATE OF `id` ON `email_jobs`
WHEN OLD.id IS NOT NEW.id
BEGIN
  INSERT INTO counters (name, shard, n)
    SELECT 'email.pending', 0, (NEW.id <= w.n) - (OLD.id <= w.n)
    FROM (SELECT coalesce((SELECT n FROM counters WHERE name = 'email_jobs.counted_through' AND shard = 0), 9223372036854775807) AS n) w
    WHERE (NEW.id <= w.n) <> (OLD.id <= w.n)
    ON CONFLICT (name, shard) DO UPDATE SET n = n + excluded.n;
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
