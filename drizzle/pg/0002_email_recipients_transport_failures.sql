ALTER TABLE "email_jobs" ADD COLUMN "transport_failures" integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE "email_jobs" ADD COLUMN "recipients" jsonb;