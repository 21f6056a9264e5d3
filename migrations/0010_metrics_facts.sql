ALTER TABLE `deploys` ADD `is_rollback` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `deploys` ADD `restored_at` integer;--> statement-breakpoint
-- Each stored deploy's facts, as src/db/facts.ts keeps them from now on (and as the metrics computed them at read time
-- before): a rollback returns its stream to a superseded sha; a failure is restored by the next success in its stream.
-- A deploy with neither a sha nor a failure keeps the defaults, which are its facts.
UPDATE `deploys` SET
	`is_rollback` = coalesce(`deploys`.`commit_sha` IS NOT NULL AND (CASE WHEN `deploys`.`service_id` IS NOT NULL
		THEN (SELECT s.`commit_sha` FROM `deploys` s WHERE s.`service_id` = `deploys`.`service_id`
			AND s.`environment_key` IS `deploys`.`environment_key` AND s.`commit_sha` IS NOT NULL
			AND (s.`deployed_at`, s.`id`) < (`deploys`.`deployed_at`, `deploys`.`id`)
			ORDER BY s.`deployed_at` DESC, s.`id` DESC LIMIT 1)
		ELSE (SELECT s.`commit_sha` FROM `deploys` s WHERE s.`alias_key` = `deploys`.`alias_key` AND +s.`service_id` IS NULL
			AND +s.`environment_key` IS `deploys`.`environment_key` AND s.`commit_sha` IS NOT NULL
			AND (s.`deployed_at`, s.`id`) < (`deploys`.`deployed_at`, `deploys`.`id`)
			ORDER BY s.`deployed_at` DESC, s.`id` DESC LIMIT 1)
	END) <> `deploys`.`commit_sha` AND EXISTS (
		SELECT 1 FROM `deploys` s INDEXED BY `deploys_commit_sha_idx`
		WHERE s.`commit_sha` = `deploys`.`commit_sha` AND s.`service_id` IS `deploys`.`service_id`
			AND (`deploys`.`service_id` IS NOT NULL OR s.`alias_key` = `deploys`.`alias_key`)
			AND s.`environment_key` IS `deploys`.`environment_key`
			AND (s.`deployed_at`, s.`id`) < (`deploys`.`deployed_at`, `deploys`.`id`)
	), 0),
	`restored_at` = CASE WHEN `deploys`.`status` = 'failure' THEN (CASE WHEN `deploys`.`service_id` IS NOT NULL
		THEN (SELECT s.`deployed_at` FROM `deploys` s WHERE s.`service_id` = `deploys`.`service_id`
			AND s.`environment_key` IS `deploys`.`environment_key` AND +s.`status` = 'success'
			AND (s.`deployed_at`, s.`id`) > (`deploys`.`deployed_at`, `deploys`.`id`)
			ORDER BY s.`deployed_at`, s.`id` LIMIT 1)
		ELSE (SELECT s.`deployed_at` FROM `deploys` s WHERE s.`alias_key` = `deploys`.`alias_key` AND +s.`service_id` IS NULL
			AND +s.`environment_key` IS `deploys`.`environment_key` AND +s.`status` = 'success'
			AND (s.`deployed_at`, s.`id`) > (`deploys`.`deployed_at`, `deploys`.`id`)
			ORDER BY s.`deployed_at`, s.`id` LIMIT 1)
	END) END
WHERE `commit_sha` IS NOT NULL OR `status` = 'failure';
