CREATE TABLE `counters` (
	`name` text NOT NULL,
	`shard` integer DEFAULT 0 NOT NULL,
	`n` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`name`, `shard`)
);
