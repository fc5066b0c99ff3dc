CREATE TABLE `backups` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`trigger` text DEFAULT 'manual' NOT NULL,
	`scheduled_for` integer,
	`started_at` integer NOT NULL,
	`finished_at` integer,
	`bytes` integer,
	`files` text,
	`location` text,
	`verified` integer DEFAULT false NOT NULL,
	`verified_at` integer,
	`error` text,
	`instance` text,
	CONSTRAINT "backups_kind_check" CHECK("backups"."kind" in ('database','storage','full')),
	CONSTRAINT "backups_status_check" CHECK("backups"."status" in ('running','succeeded','failed'))
);
--> statement-breakpoint
CREATE INDEX `backups_kind_idx` ON `backups` (`kind`,`status`,`started_at`);--> statement-breakpoint
CREATE TABLE `email_jobs` (
	`id` text PRIMARY KEY DEFAULT (substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 1, 8) || '-' || substr(printf('%012x', CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)), 9, 4) || '-7' || substr(lower(hex(randomblob(2))), 2, 3) || '-' || printf('%x', 8 + abs(random()) % 4) || substr(lower(hex(randomblob(2))), 2, 3) || '-' || lower(hex(randomblob(6)))) NOT NULL,
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
	`run_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`lease_holder` text,
	`lease_expires_at` integer,
	`last_error` text,
	`last_smtp_code` integer,
	`rejected` text,
	`idempotency_key` text,
	`batch_id` text,
	`message_id` text,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`sent_at` integer,
	CONSTRAINT "email_jobs_status_check" CHECK("email_jobs"."status" in ('pending','sending','sent','failed','cancelled'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `email_jobs_idempotency_key_unique` ON `email_jobs` (`idempotency_key`);--> statement-breakpoint
CREATE INDEX `email_jobs_due_idx` ON `email_jobs` (`status`,`priority`,`run_at`);--> statement-breakpoint
CREATE INDEX `email_jobs_lease_idx` ON `email_jobs` (`status`,`lease_expires_at`);--> statement-breakpoint
CREATE INDEX `email_jobs_batch_idx` ON `email_jobs` (`batch_id`);--> statement-breakpoint
CREATE INDEX `email_jobs_updated_idx` ON `email_jobs` (`status`,`updated_at`);--> statement-breakpoint
CREATE TABLE `instances` (
	`id` text PRIMARY KEY NOT NULL,
	`hostname` text NOT NULL,
	`pid` integer NOT NULL,
	`version` text NOT NULL,
	`started_at` integer NOT NULL,
	`heartbeat_at` integer NOT NULL,
	`stopped_at` integer
);
--> statement-breakpoint
CREATE TABLE `leases` (
	`name` text PRIMARY KEY NOT NULL,
	`holder` text NOT NULL,
	`expires_at` integer NOT NULL,
	`acquired_at` integer NOT NULL,
	`renewed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `service_instance_state` (
	`service` text NOT NULL,
	`instance` text NOT NULL,
	`state` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`service`, `instance`),
	CONSTRAINT "service_instance_state_state_check" CHECK("service_instance_state"."state" in ('disabled','starting','running','stopping','stopped','failed'))
);
--> statement-breakpoint
CREATE TABLE `service_state` (
	`service` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`last_instance` text,
	`last_run_at` integer,
	`last_success_at` integer,
	`last_error` text,
	`last_error_at` integer,
	`next_run_at` integer,
	`runs` integer DEFAULT 0 NOT NULL,
	`failures` integer DEFAULT 0 NOT NULL,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`details` text,
	`updated_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	CONSTRAINT "service_state_state_check" CHECK("service_state"."state" in ('disabled','starting','running','stopping','stopped','failed'))
);
--> statement-breakpoint
CREATE TABLE `settings` (
	`key` text PRIMARY KEY NOT NULL,
	`value` text NOT NULL,
	`updated_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tick_claims` (
	`job` text NOT NULL,
	`scheduled_at` integer NOT NULL,
	`claimed_by` text NOT NULL,
	`claimed_at` integer NOT NULL,
	PRIMARY KEY(`job`, `scheduled_at`)
);
--> statement-breakpoint
CREATE TABLE `lifecycle_notices` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`subject_type` text NOT NULL,
	`subject_id` text NOT NULL,
	`kind` text NOT NULL,
	`subscription_end` integer NOT NULL,
	`email_job_id` text,
	`recipient` text,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	CONSTRAINT "lifecycle_notices_subject_type_check" CHECK("lifecycle_notices"."subject_type" in ('project','portrait')),
	CONSTRAINT "lifecycle_notices_kind_check" CHECK("lifecycle_notices"."kind" in ('7day','24hour','expired'))
);
--> statement-breakpoint
CREATE UNIQUE INDEX `lifecycle_notices_once` ON `lifecycle_notices` (`subject_type`,`subject_id`,`kind`,`subscription_end`);--> statement-breakpoint
CREATE TABLE `portraits` (
	`id` text PRIMARY KEY NOT NULL,
	`project_id` text,
	`title` text DEFAULT '' NOT NULL,
	`owner_email` text,
	`subscription_end` integer,
	`lifecycle_status` text DEFAULT 'active' NOT NULL,
	`lifecycle_changed_at` integer,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`project_id`) REFERENCES `projects`(`id`) ON UPDATE no action ON DELETE set null,
	CONSTRAINT "portraits_lifecycle_status_check" CHECK("portraits"."lifecycle_status" in ('active','expiring','archived'))
);
--> statement-breakpoint
CREATE INDEX `portraits_status_end_idx` ON `portraits` (`lifecycle_status`,`subscription_end`);--> statement-breakpoint
CREATE INDEX `portraits_end_idx` ON `portraits` (`subscription_end`);--> statement-breakpoint
CREATE INDEX `portraits_project_idx` ON `portraits` (`project_id`);--> statement-breakpoint
CREATE TABLE `projects` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`owner_email` text,
	`subscription_end` integer,
	`lifecycle_status` text DEFAULT 'active' NOT NULL,
	`lifecycle_changed_at` integer,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	CONSTRAINT "projects_lifecycle_status_check" CHECK("projects"."lifecycle_status" in ('active','expiring','archived'))
);
--> statement-breakpoint
CREATE INDEX `projects_status_end_idx` ON `projects` (`lifecycle_status`,`subscription_end`);--> statement-breakpoint
CREATE INDEX `projects_end_idx` ON `projects` (`subscription_end`);--> statement-breakpoint
CREATE TABLE `video_schedule_history` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`video_id` text NOT NULL,
	`portrait_id` text NOT NULL,
	`old_state` text NOT NULL,
	`new_state` text NOT NULL,
	`reason` text NOT NULL,
	`at` integer NOT NULL,
	`actor` text NOT NULL,
	CONSTRAINT "video_schedule_history_reason_check" CHECK("video_schedule_history"."reason" in ('schedule_activation','schedule_deactivation','rotation','archive'))
);
--> statement-breakpoint
CREATE INDEX `video_schedule_history_video_idx` ON `video_schedule_history` (`video_id`,`at`);--> statement-breakpoint
CREATE TABLE `videos` (
	`id` text PRIMARY KEY NOT NULL,
	`portrait_id` text NOT NULL,
	`title` text DEFAULT '' NOT NULL,
	`media_url` text,
	`start_at` integer,
	`end_at` integer,
	`rotation_type` text DEFAULT 'none' NOT NULL,
	`rotation_order` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`is_shown` integer DEFAULT false NOT NULL,
	`last_activated_at` integer,
	`last_deactivated_at` integer,
	`archived_at` integer,
	`created_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	`updated_at` integer DEFAULT (CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)) NOT NULL,
	FOREIGN KEY (`portrait_id`) REFERENCES `portraits`(`id`) ON UPDATE no action ON DELETE cascade,
	CONSTRAINT "videos_rotation_type_check" CHECK("videos"."rotation_type" in ('none','sequential','cyclic','random')),
	CONSTRAINT "videos_status_check" CHECK("videos"."status" in ('active','inactive','archived')),
	CONSTRAINT "videos_window_check" CHECK("videos"."start_at" is null or "videos"."end_at" is null or "videos"."end_at" > "videos"."start_at")
);
--> statement-breakpoint
CREATE INDEX `videos_portrait_idx` ON `videos` (`portrait_id`,`status`);--> statement-breakpoint
CREATE INDEX `videos_end_idx` ON `videos` (`status`,`end_at`);--> statement-breakpoint
CREATE UNIQUE INDEX `videos_one_shown_idx` ON `videos` (`portrait_id`) WHERE "videos"."is_shown";