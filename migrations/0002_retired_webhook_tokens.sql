CREATE TABLE `retired_webhook_tokens` (
	`token` text PRIMARY KEY NOT NULL,
	`integration_id` text NOT NULL,
	`retired_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	FOREIGN KEY (`integration_id`) REFERENCES `integrations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `retired_webhook_tokens_integration_idx` ON `retired_webhook_tokens` (`integration_id`,`expires_at`);