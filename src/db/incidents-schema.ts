import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { deploys, integrations, services } from "./schema";

// Apart from schema.ts, as notifications are: this table refers to services, deploys and integrations.

/**
 * Incidents: a service was degraded in an environment from `started_at` until
 * `resolved_at` (null while open). Opened through the API or an alerting tool's
 * webhook (then `integration_id` and `external_id`, the tool's dedup key, say
 * which). Which deploy caused it is `deploy_id` when someone named it, else it
 * is worked out when metrics are read (see db/incidents.ts), so a deploy
 * reported late, or a changed window, still counts.
 */
export const incidents = sqliteTable(
	"incidents",
	{
		id: text().primaryKey(),
		serviceId: text("service_id")
			.notNull()
			.references(() => services.id, { onDelete: "cascade" }),
		/** As it was given (trimmed); `environment_key` is what deploys are matched by. */
		environment: text().notNull(),
		environmentKey: text("environment_key").notNull(),
		title: text().notNull(),
		link: text(),
		/** The deploy someone named as the cause; left null when retention purges it. */
		deployId: text("deploy_id").references(() => deploys.id, { onDelete: "set null" }),
		startedAt: integer("started_at").notNull(),
		resolvedAt: integer("resolved_at"),
		integrationId: text("integration_id").references(() => integrations.id),
		externalId: text("external_id"),
		createdAt: integer("created_at").notNull(),
	},
	(t) => [
		// Metrics read incidents started, or resolved, in a window: a service's (and a team's, service by service), or all.
		index("incidents_service_started_idx").on(t.serviceId, t.startedAt),
		index("incidents_service_resolved_idx").on(t.serviceId, t.resolvedAt),
		index("incidents_started_idx").on(t.startedAt),
		index("incidents_resolved_idx").on(t.resolvedAt),
		// Purging a deploy looks for incidents naming it.
		index("incidents_deploy_idx").on(t.deployId),
		// An alerting tool's repeated trigger is the same incident.
		uniqueIndex("incidents_external_unique").on(t.integrationId, t.externalId, t.startedAt),
	],
);
export type IncidentRow = typeof incidents.$inferSelect;
