CREATE TABLE `metrics_days` (
	`service_id` text NOT NULL,
	`alias_key` text NOT NULL,
	`environment_key` text NOT NULL,
	`day` integer NOT NULL,
	`deploys` integer NOT NULL,
	`failed` integer NOT NULL,
	`rollbacks` integer NOT NULL,
	`failed_changes` integer NOT NULL,
	PRIMARY KEY(`service_id`, `day`, `environment_key`, `alias_key`)
);
--> statement-breakpoint
CREATE INDEX `metrics_days_alias_idx` ON `metrics_days` (`alias_key`,`day`);--> statement-breakpoint
CREATE INDEX `metrics_days_day_idx` ON `metrics_days` (`day`);--> statement-breakpoint
-- Each deploy counted once, in its stream's row for its UTC day (floored, so a day before 1970 is one too), by the triggers
-- below: inserted, counted; deleted (retention, cascades), uncounted; changed in anything the counts read (a move between
-- streams, a status, a rollback flag, a time), uncounted from its old row and counted in its new one.
CREATE TRIGGER `metrics_days_count` AFTER INSERT ON `deploys` BEGIN
	INSERT INTO `metrics_days` VALUES (coalesce(new.`service_id`, ''), new.`alias_key`, coalesce(new.`environment_key`, ''),
		(new.`deployed_at` - (new.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000,
		1, new.`status` = 'failure', new.`is_rollback`, new.`status` = 'failure' OR new.`is_rollback`)
	ON CONFLICT DO UPDATE SET `deploys` = `deploys` + 1, `failed` = `failed` + excluded.`failed`,
		`rollbacks` = `rollbacks` + excluded.`rollbacks`, `failed_changes` = `failed_changes` + excluded.`failed_changes`;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_days_uncount` AFTER DELETE ON `deploys` BEGIN
	UPDATE `metrics_days` SET `deploys` = `deploys` - 1, `failed` = `failed` - (old.`status` = 'failure'),
		`rollbacks` = `rollbacks` - old.`is_rollback`, `failed_changes` = `failed_changes` - (old.`status` = 'failure' OR old.`is_rollback`)
	WHERE `service_id` = coalesce(old.`service_id`, '') AND `environment_key` = coalesce(old.`environment_key`, '')
		AND `day` = (old.`deployed_at` - (old.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000
		AND `alias_key` = old.`alias_key`;
	DELETE FROM `metrics_days` WHERE `service_id` = coalesce(old.`service_id`, '') AND `environment_key` = coalesce(old.`environment_key`, '')
		AND `day` = (old.`deployed_at` - (old.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000
		AND `alias_key` = old.`alias_key` AND `deploys` = 0;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_days_recount` AFTER UPDATE OF `service_id`, `alias_key`, `environment_key`, `deployed_at`, `status`, `is_rollback` ON `deploys`
WHEN old.`service_id` IS NOT new.`service_id` OR old.`alias_key` IS NOT new.`alias_key` OR old.`environment_key` IS NOT new.`environment_key`
	OR old.`deployed_at` IS NOT new.`deployed_at` OR old.`status` IS NOT new.`status` OR old.`is_rollback` IS NOT new.`is_rollback` BEGIN
	UPDATE `metrics_days` SET `deploys` = `deploys` - 1, `failed` = `failed` - (old.`status` = 'failure'),
		`rollbacks` = `rollbacks` - old.`is_rollback`, `failed_changes` = `failed_changes` - (old.`status` = 'failure' OR old.`is_rollback`)
	WHERE `service_id` = coalesce(old.`service_id`, '') AND `environment_key` = coalesce(old.`environment_key`, '')
		AND `day` = (old.`deployed_at` - (old.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000
		AND `alias_key` = old.`alias_key`;
	DELETE FROM `metrics_days` WHERE `service_id` = coalesce(old.`service_id`, '') AND `environment_key` = coalesce(old.`environment_key`, '')
		AND `day` = (old.`deployed_at` - (old.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000
		AND `alias_key` = old.`alias_key` AND `deploys` = 0;
	INSERT INTO `metrics_days` VALUES (coalesce(new.`service_id`, ''), new.`alias_key`, coalesce(new.`environment_key`, ''),
		(new.`deployed_at` - (new.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000,
		1, new.`status` = 'failure', new.`is_rollback`, new.`status` = 'failure' OR new.`is_rollback`)
	ON CONFLICT DO UPDATE SET `deploys` = `deploys` + 1, `failed` = `failed` + excluded.`failed`,
		`rollbacks` = `rollbacks` + excluded.`rollbacks`, `failed_changes` = `failed_changes` + excluded.`failed_changes`;
END;
--> statement-breakpoint
-- The deploys stored before: counted as the triggers would have.
INSERT INTO `metrics_days`
SELECT coalesce(`service_id`, ''), `alias_key`, coalesce(`environment_key`, ''),
	(`deployed_at` - (`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000 AS `day`,
	count(*), sum(`status` = 'failure'), sum(`is_rollback`), sum(`status` = 'failure' OR `is_rollback`)
FROM `deploys` GROUP BY 1, 2, 3, 4;
