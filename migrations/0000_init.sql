CREATE TABLE `aliases` (
	`key` text PRIMARY KEY NOT NULL,
	`alias` text NOT NULL,
	`service_id` text NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `aliases_service_id_idx` ON `aliases` (`service_id`);--> statement-breakpoint
CREATE TABLE `deploy_statuses` (
	`deploy_id` text NOT NULL,
	`status` text NOT NULL,
	`raw` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`deploy_id`, `status`),
	FOREIGN KEY (`deploy_id`) REFERENCES `deploys`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `deploys` (
	`id` text PRIMARY KEY NOT NULL,
	`integration_id` text NOT NULL,
	`service_id` text,
	`service_alias` text NOT NULL,
	`alias_key` text NOT NULL,
	`environment` text,
	`description` text NOT NULL,
	`deployed_at` integer NOT NULL,
	`deploy_number` text NOT NULL,
	`deploy_url` text,
	`dedup_id` text,
	`status` text DEFAULT 'no_status' NOT NULL,
	`status_raw` text,
	`agent` text,
	`person_id` text,
	`deployer_id` text,
	`deployer_email` text,
	`deployer_name` text,
	`commit_sha` text,
	`commit_message` text,
	`commit_branch` text,
	`commit_date` integer,
	`committer_name` text,
	`committer_email` text,
	`author_name` text,
	`author_email` text,
	`authoring_date` integer,
	`received_at` integer NOT NULL,
	`search_text` text NOT NULL,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE no action,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`person_id`) REFERENCES `people`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `deploys_integration_dedup_unique` ON `deploys` (`integration_id`,`dedup_id`);--> statement-breakpoint
CREATE INDEX `deploys_deployed_at_idx` ON `deploys` (`deployed_at`,`id`);--> statement-breakpoint
CREATE INDEX `deploys_service_deployed_at_idx` ON `deploys` (`service_id`,`deployed_at`,`id`);--> statement-breakpoint
CREATE INDEX `deploys_service_environment_idx` ON `deploys` (`service_id`,`environment`,`deployed_at`,`id`);--> statement-breakpoint
CREATE INDEX `deploys_alias_deployed_at_idx` ON `deploys` (`alias_key`,`deployed_at`,`id`);--> statement-breakpoint
CREATE INDEX `deploys_integration_deployed_at_idx` ON `deploys` (`integration_id`,`deployed_at`,`id`);--> statement-breakpoint
CREATE INDEX `deploys_person_deployed_at_idx` ON `deploys` (`person_id`,`deployed_at`,`id`);--> statement-breakpoint
CREATE INDEX `deploys_status_deployed_at_idx` ON `deploys` (`status`,`deployed_at`,`id`);--> statement-breakpoint
CREATE INDEX `deploys_environment_deployed_at_idx` ON `deploys` (`environment`,`deployed_at`,`id`);--> statement-breakpoint
CREATE INDEX `deploys_commit_sha_idx` ON `deploys` (`commit_sha`,`service_id`,`environment`,`deployed_at`,`id`);--> statement-breakpoint
CREATE TABLE `integrations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`webhook_token` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `integrations_webhook_token_unique` ON `integrations` (`webhook_token`);--> statement-breakpoint
CREATE TABLE `people` (
	`id` text PRIMARY KEY NOT NULL,
	`email` text NOT NULL,
	`name` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `people_email_unique` ON `people` (`email`);--> statement-breakpoint
CREATE TABLE `services` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `services_name_unique` ON `services` (lower("name"));--> statement-breakpoint
CREATE TABLE `suggestion_events` (
	`suggestion_id` text NOT NULL,
	`version` integer NOT NULL,
	`action` text NOT NULL,
	`service_id` text,
	`at` integer NOT NULL,
	PRIMARY KEY(`suggestion_id`, `version`),
	FOREIGN KEY (`suggestion_id`) REFERENCES `suggestions`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `suggestions` (
	`id` text PRIMARY KEY NOT NULL,
	`alias_key` text NOT NULL,
	`alias` text NOT NULL,
	`state` text DEFAULT 'open' NOT NULL,
	`service_id` text,
	`version` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE set null
);
--> statement-breakpoint
CREATE UNIQUE INDEX `suggestions_alias_key_unique` ON `suggestions` (`alias_key`);