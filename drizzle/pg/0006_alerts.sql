CREATE TABLE "alerts" (
	"id" text PRIMARY KEY NOT NULL,
	"key" text NOT NULL,
	"severity" text NOT NULL,
	"message" text NOT NULL,
	"context" jsonb,
	"instance" text,
	"at" timestamp with time zone NOT NULL,
	CONSTRAINT "alerts_severity_check" CHECK ("alerts"."severity" in ('info','warning','error','critical'))
);
--> statement-breakpoint
CREATE INDEX "alerts_at_idx" ON "alerts" USING btree ("at","id");