import { sql } from "drizzle-orm";
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { NOTIFICATION_EVENTS } from "../model/notification";
import { services } from "./schema";
import { teams } from "./teams-schema";

/** Where a subscription sends: a Slack incoming webhook, or any HTTPS endpoint signed per Standard Webhooks. */
export const DESTINATION_KINDS = ["webhook", "slack"] as const;
export type DestinationKind = (typeof DESTINATION_KINDS)[number];

/**
 * Who is told about which deploys. Each filter narrows (null: any); a deleted
 * service or team takes its subscriptions with it rather than widening them
 * to every deploy. `secret` signs webhook deliveries (null for Slack, whose
 * URL is the secret); after a rotation `previous_secret` still signs beside
 * it until `previous_secret_expires_at`.
 */
export const subscriptions = sqliteTable("subscriptions", {
	id: text().primaryKey(),
	name: text().notNull(),
	kind: text({ enum: DESTINATION_KINDS }).notNull(),
	url: text().notNull(),
	secret: text(),
	previousSecret: text("previous_secret"),
	previousSecretExpiresAt: integer("previous_secret_expires_at"),
	serviceId: text("service_id").references(() => services.id, { onDelete: "cascade" }),
	teamId: text("team_id").references(() => teams.id, { onDelete: "cascade" }),
	/** An environment key (see model/environment.ts). */
	environment: text(),
	/** A JSON array of event types (model/notification.ts). */
	events: text().notNull(),
	/** The tracker's origin when it was made: the links in its payloads. */
	origin: text().notNull(),
	createdAt: integer("created_at").notNull(),
});
export type SubscriptionRow = typeof subscriptions.$inferSelect;

export const DELIVERY_STATES = ["pending", "retrying", "delivered", "dead"] as const;
export type DeliveryState = (typeof DELIVERY_STATES)[number];

/**
 * One event for one subscription. Its id is the `webhook-id`, the same on every
 * attempt and redelivery, and derived from (subscription, event) so a repeated
 * event makes no second row. `body` is fixed when the row is made: a receiver
 * deduplicating on the id sees the same payload each time.
 */
export const deliveries = sqliteTable(
	"deliveries",
	{
		id: text().primaryKey(),
		subscriptionId: text("subscription_id")
			.notNull()
			.references(() => subscriptions.id, { onDelete: "cascade" }),
		deployId: text("deploy_id").notNull(),
		event: text({ enum: NOTIFICATION_EVENTS }).notNull(),
		body: text().notNull(),
		state: text({ enum: DELIVERY_STATES }).notNull().default("pending"),
		attempts: integer().notNull().default(0),
		/** The receiver's HTTP status on the last attempt, if it answered. */
		responseStatus: integer("response_status"),
		/** Why the last attempt failed: a status or a network error, never the URL or a secret. */
		lastError: text("last_error"),
		createdAt: integer("created_at").notNull(),
		updatedAt: integer("updated_at").notNull(),
	},
	(t) => [index("deliveries_subscription_idx").on(t.subscriptionId, sql`${t.createdAt} desc`)],
);
export type DeliveryRow = typeof deliveries.$inferSelect;
