CREATE TABLE `metrics_days` (
	`day` integer NOT NULL,
	`service_id` text NOT NULL,
	`environment_key` text NOT NULL,
	`alias_key` text NOT NULL,
	`deploys` integer NOT NULL,
	`failed` integer NOT NULL,
	`rollbacks` integer NOT NULL,
	`failed_changes` integer NOT NULL,
	`unrestored` integer NOT NULL,
	`lead_times` text NOT NULL,
	`restore_times` text NOT NULL,
	PRIMARY KEY(`day`, `service_id`, `environment_key`, `alias_key`)
) WITHOUT ROWID;
--> statement-breakpoint
CREATE INDEX `metrics_days_service_idx` ON `metrics_days` (`service_id`,`day`);--> statement-breakpoint
CREATE INDEX `metrics_days_alias_idx` ON `metrics_days` (`alias_key`,`day`);--> statement-breakpoint
-- Each deploy counted once, in its stream's row for its UTC day (floored, so a day before 1970 is one too), with its lead
-- time (if known and not negative) and, for a failure, its time to restore, by the triggers below: inserted, counted;
-- deleted (retention, cascades), uncounted; changed in anything the row reads (a move between streams, a status, a
-- fact, a time), uncounted from its old row and counted in its new one. A duration leaves its list by value, one
-- occurrence: the lists are multisets, and the metrics sort them.
CREATE TRIGGER `metrics_days_count` AFTER INSERT ON `deploys` BEGIN
	INSERT INTO `metrics_days` VALUES ((new.`deployed_at` - (new.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000,
		coalesce(new.`service_id`, ''), coalesce(new.`environment_key`, ''), new.`alias_key`,
		1, new.`status` = 'failure', new.`is_rollback`, new.`status` = 'failure' OR new.`is_rollback`,
		new.`status` = 'failure' AND new.`restored_at` IS NULL,
		CASE WHEN (CASE WHEN new.`deployed_at` >= coalesce(new.`authoring_date`, new.`commit_date`) THEN new.`deployed_at` - coalesce(new.`authoring_date`, new.`commit_date`) END) IS NULL THEN '[]' ELSE json_array(CASE WHEN new.`deployed_at` >= coalesce(new.`authoring_date`, new.`commit_date`) THEN new.`deployed_at` - coalesce(new.`authoring_date`, new.`commit_date`) END) END,
		CASE WHEN (CASE WHEN new.`status` = 'failure' THEN new.`restored_at` - new.`deployed_at` END) IS NULL THEN '[]' ELSE json_array(CASE WHEN new.`status` = 'failure' THEN new.`restored_at` - new.`deployed_at` END) END)
	ON CONFLICT DO UPDATE SET `deploys` = `deploys` + 1, `failed` = `failed` + excluded.`failed`,
		`rollbacks` = `rollbacks` + excluded.`rollbacks`, `failed_changes` = `failed_changes` + excluded.`failed_changes`,
		`unrestored` = `unrestored` + excluded.`unrestored`,
		`lead_times` = CASE WHEN (CASE WHEN new.`deployed_at` >= coalesce(new.`authoring_date`, new.`commit_date`) THEN new.`deployed_at` - coalesce(new.`authoring_date`, new.`commit_date`) END) IS NULL THEN `lead_times` ELSE json_insert(`lead_times`, '$[#]', CASE WHEN new.`deployed_at` >= coalesce(new.`authoring_date`, new.`commit_date`) THEN new.`deployed_at` - coalesce(new.`authoring_date`, new.`commit_date`) END) END,
		`restore_times` = CASE WHEN (CASE WHEN new.`status` = 'failure' THEN new.`restored_at` - new.`deployed_at` END) IS NULL THEN `restore_times` ELSE json_insert(`restore_times`, '$[#]', CASE WHEN new.`status` = 'failure' THEN new.`restored_at` - new.`deployed_at` END) END;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_days_uncount` AFTER DELETE ON `deploys` BEGIN
	UPDATE `metrics_days` SET `deploys` = `deploys` - 1, `failed` = `failed` - (old.`status` = 'failure'),
		`rollbacks` = `rollbacks` - old.`is_rollback`, `failed_changes` = `failed_changes` - (old.`status` = 'failure' OR old.`is_rollback`),
		`unrestored` = `unrestored` - (old.`status` = 'failure' AND old.`restored_at` IS NULL),
		`lead_times` = CASE WHEN (CASE WHEN old.`deployed_at` >= coalesce(old.`authoring_date`, old.`commit_date`) THEN old.`deployed_at` - coalesce(old.`authoring_date`, old.`commit_date`) END) IS NULL THEN `lead_times` ELSE json_remove(`lead_times`, (SELECT j.fullkey FROM json_each(`lead_times`) j WHERE j.value = (CASE WHEN old.`deployed_at` >= coalesce(old.`authoring_date`, old.`commit_date`) THEN old.`deployed_at` - coalesce(old.`authoring_date`, old.`commit_date`) END) LIMIT 1)) END,
		`restore_times` = CASE WHEN (CASE WHEN old.`status` = 'failure' THEN old.`restored_at` - old.`deployed_at` END) IS NULL THEN `restore_times` ELSE json_remove(`restore_times`, (SELECT j.fullkey FROM json_each(`restore_times`) j WHERE j.value = (CASE WHEN old.`status` = 'failure' THEN old.`restored_at` - old.`deployed_at` END) LIMIT 1)) END
	WHERE `day` = (old.`deployed_at` - (old.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000 AND `service_id` = coalesce(old.`service_id`, '')
		AND `environment_key` = coalesce(old.`environment_key`, '') AND `alias_key` = old.`alias_key`;
	DELETE FROM `metrics_days` WHERE `day` = (old.`deployed_at` - (old.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000 AND `service_id` = coalesce(old.`service_id`, '')
		AND `environment_key` = coalesce(old.`environment_key`, '') AND `alias_key` = old.`alias_key` AND `deploys` = 0;
END;
--> statement-breakpoint
CREATE TRIGGER `metrics_days_recount` AFTER UPDATE OF `service_id`, `alias_key`, `environment_key`, `deployed_at`, `status`, `is_rollback`, `restored_at`, `commit_date`, `authoring_date` ON `deploys`
WHEN old.`service_id` IS NOT new.`service_id` OR old.`alias_key` IS NOT new.`alias_key` OR old.`environment_key` IS NOT new.`environment_key` OR old.`deployed_at` IS NOT new.`deployed_at` OR old.`status` IS NOT new.`status` OR old.`is_rollback` IS NOT new.`is_rollback` OR old.`restored_at` IS NOT new.`restored_at` OR old.`commit_date` IS NOT new.`commit_date` OR old.`authoring_date` IS NOT new.`authoring_date` BEGIN
	UPDATE `metrics_days` SET `deploys` = `deploys` - 1, `failed` = `failed` - (old.`status` = 'failure'),
		`rollbacks` = `rollbacks` - old.`is_rollback`, `failed_changes` = `failed_changes` - (old.`status` = 'failure' OR old.`is_rollback`),
		`unrestored` = `unrestored` - (old.`status` = 'failure' AND old.`restored_at` IS NULL),
		`lead_times` = CASE WHEN (CASE WHEN old.`deployed_at` >= coalesce(old.`authoring_date`, old.`commit_date`) THEN old.`deployed_at` - coalesce(old.`authoring_date`, old.`commit_date`) END) IS NULL THEN `lead_times` ELSE json_remove(`lead_times`, (SELECT j.fullkey FROM json_each(`lead_times`) j WHERE j.value = (CASE WHEN old.`deployed_at` >= coalesce(old.`authoring_date`, old.`commit_date`) THEN old.`deployed_at` - coalesce(old.`authoring_date`, old.`commit_date`) END) LIMIT 1)) END,
		`restore_times` = CASE WHEN (CASE WHEN old.`status` = 'failure' THEN old.`restored_at` - old.`deployed_at` END) IS NULL THEN `restore_times` ELSE json_remove(`restore_times`, (SELECT j.fullkey FROM json_each(`restore_times`) j WHERE j.value = (CASE WHEN old.`status` = 'failure' THEN old.`restored_at` - old.`deployed_at` END) LIMIT 1)) END
	WHERE `day` = (old.`deployed_at` - (old.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000 AND `service_id` = coalesce(old.`service_id`, '')
		AND `environment_key` = coalesce(old.`environment_key`, '') AND `alias_key` = old.`alias_key`;
	DELETE FROM `metrics_days` WHERE `day` = (old.`deployed_at` - (old.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000 AND `service_id` = coalesce(old.`service_id`, '')
		AND `environment_key` = coalesce(old.`environment_key`, '') AND `alias_key` = old.`alias_key` AND `deploys` = 0;
	INSERT INTO `metrics_days` VALUES ((new.`deployed_at` - (new.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000,
		coalesce(new.`service_id`, ''), coalesce(new.`environment_key`, ''), new.`alias_key`,
		1, new.`status` = 'failure', new.`is_rollback`, new.`status` = 'failure' OR new.`is_rollback`,
		new.`status` = 'failure' AND new.`restored_at` IS NULL,
		CASE WHEN (CASE WHEN new.`deployed_at` >= coalesce(new.`authoring_date`, new.`commit_date`) THEN new.`deployed_at` - coalesce(new.`authoring_date`, new.`commit_date`) END) IS NULL THEN '[]' ELSE json_array(CASE WHEN new.`deployed_at` >= coalesce(new.`authoring_date`, new.`commit_date`) THEN new.`deployed_at` - coalesce(new.`authoring_date`, new.`commit_date`) END) END,
		CASE WHEN (CASE WHEN new.`status` = 'failure' THEN new.`restored_at` - new.`deployed_at` END) IS NULL THEN '[]' ELSE json_array(CASE WHEN new.`status` = 'failure' THEN new.`restored_at` - new.`deployed_at` END) END)
	ON CONFLICT DO UPDATE SET `deploys` = `deploys` + 1, `failed` = `failed` + excluded.`failed`,
		`rollbacks` = `rollbacks` + excluded.`rollbacks`, `failed_changes` = `failed_changes` + excluded.`failed_changes`,
		`unrestored` = `unrestored` + excluded.`unrestored`,
		`lead_times` = CASE WHEN (CASE WHEN new.`deployed_at` >= coalesce(new.`authoring_date`, new.`commit_date`) THEN new.`deployed_at` - coalesce(new.`authoring_date`, new.`commit_date`) END) IS NULL THEN `lead_times` ELSE json_insert(`lead_times`, '$[#]', CASE WHEN new.`deployed_at` >= coalesce(new.`authoring_date`, new.`commit_date`) THEN new.`deployed_at` - coalesce(new.`authoring_date`, new.`commit_date`) END) END,
		`restore_times` = CASE WHEN (CASE WHEN new.`status` = 'failure' THEN new.`restored_at` - new.`deployed_at` END) IS NULL THEN `restore_times` ELSE json_insert(`restore_times`, '$[#]', CASE WHEN new.`status` = 'failure' THEN new.`restored_at` - new.`deployed_at` END) END;
END;
--> statement-breakpoint
-- The deploys stored before: counted as the triggers would have.
INSERT INTO `metrics_days`
SELECT (d.`deployed_at` - (d.`deployed_at` % 86400000 + 86400000) % 86400000) / 86400000 AS `day`, coalesce(d.`service_id`, ''), coalesce(d.`environment_key`, ''), d.`alias_key`,
	count(*), sum(d.`status` = 'failure'), sum(d.`is_rollback`), sum(d.`status` = 'failure' OR d.`is_rollback`),
	sum(d.`status` = 'failure' AND d.`restored_at` IS NULL),
	coalesce(json_group_array(CASE WHEN d.`deployed_at` >= coalesce(d.`authoring_date`, d.`commit_date`) THEN d.`deployed_at` - coalesce(d.`authoring_date`, d.`commit_date`) END) FILTER (WHERE (CASE WHEN d.`deployed_at` >= coalesce(d.`authoring_date`, d.`commit_date`) THEN d.`deployed_at` - coalesce(d.`authoring_date`, d.`commit_date`) END) IS NOT NULL), '[]'),
	coalesce(json_group_array(CASE WHEN d.`status` = 'failure' THEN d.`restored_at` - d.`deployed_at` END) FILTER (WHERE (CASE WHEN d.`status` = 'failure' THEN d.`restored_at` - d.`deployed_at` END) IS NOT NULL), '[]')
FROM `deploys` d GROUP BY 1, 2, 3, 4;
