ALTER TABLE `email_jobs` ADD `transport_failures` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `email_jobs` ADD `recipients` text;