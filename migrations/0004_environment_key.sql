DROP INDEX `deploys_service_environment_idx`;--> statement-breakpoint
DROP INDEX `deploys_environment_deployed_at_idx`;--> statement-breakpoint
DROP INDEX `deploys_commit_sha_idx`;--> statement-breakpoint
ALTER TABLE `deploys` ADD `environment_key` text;--> statement-breakpoint
-- Existing deploys get their key before the indexes are built. SQLite's lower() folds
-- ASCII letters only; new deploys are keyed in JavaScript (toLowerCase), so an
-- environment with non-ASCII capitals recorded before this migration keeps a key of its own.
UPDATE `deploys` SET `environment_key` = lower(trim(`environment`)) WHERE `environment` IS NOT NULL;--> statement-breakpoint
CREATE INDEX `deploys_service_environment_idx` ON `deploys` (`service_id`,`environment_key`,`deployed_at`,`id`);--> statement-breakpoint
CREATE INDEX `deploys_environment_deployed_at_idx` ON `deploys` (`environment_key`,`deployed_at`,`id`);--> statement-breakpoint
CREATE INDEX `deploys_commit_sha_idx` ON `deploys` (`commit_sha`,`service_id`,`environment_key`,`deployed_at`,`id`);