CREATE TABLE "backups" (
	"id" text PRIMARY KEY NOT NULL,
	"kind" text NOT NULL,
	"status" text NOT NULL,
	"trigger" text DEFAULT 'manual' NOT NULL,
	"scheduled_for" timestamp with time zone,
	"started_at" timestamp with time zone NOT NULL,
	"finished_at" timestamp with time zone,
	"bytes" bigint,
	"files" jsonb,
	"location" text,
	"verified" boolean DEFAULT false NOT NULL,
	"verified_at" timestamp with time zone,
	"error" text,
	"instance" text,
	CONSTRAINT "backups_kind_check" CHECK ("backups"."kind" in ('database','storage','full')),
	CONSTRAINT "backups_status_check" CHECK ("backups"."status" in ('running','succeeded','failed'))
);
--> statement-breakpoint
CREATE TABLE "email_jobs" (
	"id" text PRIMARY KEY DEFAULT substr(lpad(to_hex((extract(epoch from clock_timestamp()) * 1000)::bigint), 12, '0'), 1, 8) || '-' || substr(lpad(to_hex((extract(epoch from clock_timestamp()) * 1000)::bigint), 12, '0'), 9, 4) || '-7' || substr(gen_random_uuid()::text, 16) NOT NULL,
	"to_addrs" jsonb NOT NULL,
	"cc_addrs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"bcc_addrs" jsonb DEFAULT '[]'::jsonb NOT NULL,
	"from_addr" text,
	"reply_to" text,
	"subject" text DEFAULT '' NOT NULL,
	"text_body" text,
	"html_body" text,
	"template_id" text,
	"variables" jsonb,
	"headers" jsonb,
	"priority" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'pending' NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"max_attempts" integer,
	"run_at" timestamp with time zone DEFAULT now() NOT NULL,
	"lease_holder" text,
	"lease_expires_at" timestamp with time zone,
	"last_error" text,
	"last_smtp_code" integer,
	"rejected" jsonb,
	"idempotency_key" text,
	"batch_id" text,
	"message_id" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	"sent_at" timestamp with time zone,
	CONSTRAINT "email_jobs_status_check" CHECK ("email_jobs"."status" in ('pending','sending','sent','failed','cancelled'))
);
--> statement-breakpoint
CREATE TABLE "instances" (
	"id" text PRIMARY KEY NOT NULL,
	"hostname" text NOT NULL,
	"pid" integer NOT NULL,
	"version" text NOT NULL,
	"started_at" timestamp with time zone NOT NULL,
	"heartbeat_at" timestamp with time zone NOT NULL,
	"stopped_at" timestamp with time zone
);
--> statement-breakpoint
CREATE TABLE "leases" (
	"name" text PRIMARY KEY NOT NULL,
	"holder" text NOT NULL,
	"expires_at" timestamp with time zone NOT NULL,
	"acquired_at" timestamp with time zone NOT NULL,
	"renewed_at" timestamp with time zone NOT NULL
);
--> statement-breakpoint
CREATE TABLE "service_instance_state" (
	"service" text NOT NULL,
	"instance" text NOT NULL,
	"state" text NOT NULL,
	"updated_at" timestamp with time zone NOT NULL,
	CONSTRAINT "service_instance_state_service_instance_pk" PRIMARY KEY("service","instance"),
	CONSTRAINT "service_instance_state_state_check" CHECK ("service_instance_state"."state" in ('disabled','starting','running','stopping','stopped','failed'))
);
--> statement-breakpoint
CREATE TABLE "service_state" (
	"service" text PRIMARY KEY NOT NULL,
	"state" text NOT NULL,
	"last_instance" text,
	"last_run_at" timestamp with time zone,
	"last_success_at" timestamp with time zone,
	"last_error" text,
	"last_error_at" timestamp with time zone,
	"next_run_at" timestamp with time zone,
	"runs" integer DEFAULT 0 NOT NULL,
	"failures" integer DEFAULT 0 NOT NULL,
	"consecutive_failures" integer DEFAULT 0 NOT NULL,
	"details" jsonb,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "service_state_state_check" CHECK ("service_state"."state" in ('disabled','starting','running','stopping','stopped','failed'))
);
--> statement-breakpoint
CREATE TABLE "settings" (
	"key" text PRIMARY KEY NOT NULL,
	"value" jsonb NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
CREATE TABLE "tick_claims" (
	"job" text NOT NULL,
	"scheduled_at" timestamp with time zone NOT NULL,
	"claimed_by" text NOT NULL,
	"claimed_at" timestamp with time zone NOT NULL,
	CONSTRAINT "tick_claims_job_scheduled_at_pk" PRIMARY KEY("job","scheduled_at")
);
--> statement-breakpoint
CREATE TABLE "lifecycle_notices" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"subject_type" text NOT NULL,
	"subject_id" text NOT NULL,
	"kind" text NOT NULL,
	"subscription_end" timestamp with time zone NOT NULL,
	"email_job_id" text,
	"recipient" text,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "lifecycle_notices_subject_type_check" CHECK ("lifecycle_notices"."subject_type" in ('project','portrait')),
	CONSTRAINT "lifecycle_notices_kind_check" CHECK ("lifecycle_notices"."kind" in ('7day','24hour','expired'))
);
--> statement-breakpoint
CREATE TABLE "portraits" (
	"id" text PRIMARY KEY NOT NULL,
	"project_id" text,
	"title" text DEFAULT '' NOT NULL,
	"owner_email" text,
	"subscription_end" timestamp with time zone,
	"lifecycle_status" text DEFAULT 'active' NOT NULL,
	"lifecycle_changed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "portraits_lifecycle_status_check" CHECK ("portraits"."lifecycle_status" in ('active','expiring','archived'))
);
--> statement-breakpoint
CREATE TABLE "projects" (
	"id" text PRIMARY KEY NOT NULL,
	"name" text NOT NULL,
	"owner_email" text,
	"subscription_end" timestamp with time zone,
	"lifecycle_status" text DEFAULT 'active' NOT NULL,
	"lifecycle_changed_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "projects_lifecycle_status_check" CHECK ("projects"."lifecycle_status" in ('active','expiring','archived'))
);
--> statement-breakpoint
CREATE TABLE "video_schedule_history" (
	"id" bigserial PRIMARY KEY NOT NULL,
	"video_id" text NOT NULL,
	"portrait_id" text NOT NULL,
	"old_state" text NOT NULL,
	"new_state" text NOT NULL,
	"reason" text NOT NULL,
	"at" timestamp with time zone NOT NULL,
	"actor" text NOT NULL,
	CONSTRAINT "video_schedule_history_reason_check" CHECK ("video_schedule_history"."reason" in ('schedule_activation','schedule_deactivation','rotation','archive'))
);
--> statement-breakpoint
CREATE TABLE "videos" (
	"id" text PRIMARY KEY NOT NULL,
	"portrait_id" text NOT NULL,
	"title" text DEFAULT '' NOT NULL,
	"media_url" text,
	"start_at" timestamp with time zone,
	"end_at" timestamp with time zone,
	"rotation_type" text DEFAULT 'none' NOT NULL,
	"rotation_order" integer DEFAULT 0 NOT NULL,
	"status" text DEFAULT 'active' NOT NULL,
	"is_shown" boolean DEFAULT false NOT NULL,
	"last_activated_at" timestamp with time zone,
	"last_deactivated_at" timestamp with time zone,
	"archived_at" timestamp with time zone,
	"created_at" timestamp with time zone DEFAULT now() NOT NULL,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "videos_rotation_type_check" CHECK ("videos"."rotation_type" in ('none','sequential','cyclic','random')),
	CONSTRAINT "videos_status_check" CHECK ("videos"."status" in ('active','inactive','archived')),
	CONSTRAINT "videos_window_check" CHECK ("videos"."start_at" is null or "videos"."end_at" is null or "videos"."end_at" > "videos"."start_at")
);
--> statement-breakpoint
ALTER TABLE "portraits" ADD CONSTRAINT "portraits_project_id_projects_id_fk" FOREIGN KEY ("project_id") REFERENCES "public"."projects"("id") ON DELETE set null ON UPDATE no action;--> statement-breakpoint
ALTER TABLE "videos" ADD CONSTRAINT "videos_portrait_id_portraits_id_fk" FOREIGN KEY ("portrait_id") REFERENCES "public"."portraits"("id") ON DELETE cascade ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "backups_kind_idx" ON "backups" USING btree ("kind","status","started_at");--> statement-breakpoint
CREATE UNIQUE INDEX "email_jobs_idempotency_key_unique" ON "email_jobs" USING btree ("idempotency_key");--> statement-breakpoint
CREATE INDEX "email_jobs_due_idx" ON "email_jobs" USING btree ("status","priority","run_at");--> statement-breakpoint
CREATE INDEX "email_jobs_lease_idx" ON "email_jobs" USING btree ("status","lease_expires_at");--> statement-breakpoint
CREATE INDEX "email_jobs_batch_idx" ON "email_jobs" USING btree ("batch_id");--> statement-breakpoint
CREATE INDEX "email_jobs_updated_idx" ON "email_jobs" USING btree ("status","updated_at");--> statement-breakpoint
CREATE UNIQUE INDEX "lifecycle_notices_once" ON "lifecycle_notices" USING btree ("subject_type","subject_id","kind","subscription_end");--> statement-breakpoint
CREATE INDEX "portraits_status_end_idx" ON "portraits" USING btree ("lifecycle_status","subscription_end");--> statement-breakpoint
CREATE INDEX "portraits_end_idx" ON "portraits" USING btree ("subscription_end");--> statement-breakpoint
CREATE INDEX "portraits_project_idx" ON "portraits" USING btree ("project_id");--> statement-breakpoint
CREATE INDEX "projects_status_end_idx" ON "projects" USING btree ("lifecycle_status","subscription_end");--> statement-breakpoint
CREATE INDEX "projects_end_idx" ON "projects" USING btree ("subscription_end");--> statement-breakpoint
CREATE INDEX "video_schedule_history_video_idx" ON "video_schedule_history" USING btree ("video_id","at");--> statement-breakpoint
CREATE INDEX "videos_portrait_idx" ON "videos" USING btree ("portrait_id","status");--> statement-breakpoint
CREATE INDEX "videos_end_idx" ON "videos" USING btree ("status","end_at");--> statement-breakpoint
CREATE UNIQUE INDEX "videos_one_shown_idx" ON "videos" USING btree ("portrait_id") WHERE "videos"."is_shown";