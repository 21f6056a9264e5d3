CREATE TABLE `service_changes` (
	`service_id` text NOT NULL,
	`version` integer NOT NULL,
	`action` text NOT NULL,
	`other_service_id` text,
	`at` integer NOT NULL,
	PRIMARY KEY(`service_id`, `version`)
);
--> statement-breakpoint
ALTER TABLE `services` ADD `archived_at` integer;--> statement-breakpoint
ALTER TABLE `services` ADD `merged_into` text;--> statement-breakpoint
CREATE INDEX `services_merged_into_idx` ON `services` (`merged_into`);