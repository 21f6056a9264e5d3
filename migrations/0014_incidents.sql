CREATE TABLE `incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`service_id` text NOT NULL,
	`environment` text NOT NULL,
	`environment_key` text NOT NULL,
	`title` text NOT NULL,
	`link` text,
	`deploy_id` text,
	`started_at` integer NOT NULL,
	`resolved_at` integer,
	`integration_id` text,
	`external_id` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`service_id`) REFERENCES `services`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`deploy_id`) REFERENCES `deploys`(`id`) ON UPDATE no action ON DELETE set null,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `incidents_service_started_idx` ON `incidents` (`service_id`,`started_at`);--> statement-breakpoint
CREATE INDEX `incidents_service_resolved_idx` ON `incidents` (`service_id`,`resolved_at`);--> statement-breakpoint
CREATE INDEX `incidents_started_idx` ON `incidents` (`started_at`);--> statement-breakpoint
CREATE INDEX `incidents_resolved_idx` ON `incidents` (`resolved_at`);--> statement-breakpoint
CREATE INDEX `incidents_deploy_idx` ON `incidents` (`deploy_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `incidents_external_unique` ON `incidents` (`integration_id`,`external_id`,`started_at`);