-- Hand-written: text a host app wrote into an instant column before migration 0001 refused it
-- (0001's triggers only guard new writes) becomes the instant it names, where SQLite can read it
-- as a time (ISO 8601, with Z or an offset); text it cannot read is left for the operator to see.
-- The triggers let these updates through: the new values are integers.
UPDATE `projects` SET `subscription_end` = CAST(ROUND((julianday(`subscription_end`) - 2440587.5) * 86400000) AS INTEGER)
WHERE typeof(`subscription_end`) = 'text' AND julianday(`subscription_end`) IS NOT NULL;
--> statement-breakpoint
UPDATE `portraits` SET `subscription_end` = CAST(ROUND((julianday(`subscription_end`) - 2440587.5) * 86400000) AS INTEGER)
WHERE typeof(`subscription_end`) = 'text' AND julianday(`subscription_end`) IS NOT NULL;
--> statement-breakpoint
UPDATE `videos` SET `start_at` = CAST(ROUND((julianday(`start_at`) - 2440587.5) * 86400000) AS INTEGER)
WHERE typeof(`start_at`) = 'text' AND julianday(`start_at`) IS NOT NULL;
--> statement-breakpoint
UPDATE `videos` SET `end_at` = CAST(ROUND((julianday(`end_at`) - 2440587.5) * 86400000) AS INTEGER)
WHERE typeof(`end_at`) = 'text' AND julianday(`end_at`) IS NOT NULL;
