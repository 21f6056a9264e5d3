CREATE TABLE `alias_changes` (
	`alias_key` text NOT NULL,
	`version` integer NOT NULL,
	`action` text NOT NULL,
	`from_service_id` text NOT NULL,
	`to_service_id` text,
	`at` integer NOT NULL,
	PRIMARY KEY(`alias_key`, `version`)
);
