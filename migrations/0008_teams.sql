CREATE TABLE `teams` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`members` text DEFAULT '[]' NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `teams_name_unique` ON `teams` (lower("name"));--> statement-breakpoint
ALTER TABLE `services` ADD `team_id` text REFERENCES teams(id);--> statement-breakpoint
CREATE INDEX `services_team_idx` ON `services` (`team_id`);