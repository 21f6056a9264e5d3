import { index, integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/**
 * Daily rollups per stream, so metrics read a window by days × streams rather
 * than by deploys (see db/metrics.ts): a row per UTC day (days since the
 * epoch), service ('' for none), environment key ('' for none) and alias, with
 * its counts and its deploys' durations (JSON arrays of ms, unsorted: exact
 * percentiles need each value). Kept by triggers on `deploys` (migration
 * 0012), so every statement that inserts, moves, re-statuses, re-flags or
 * deletes a deploy updates them in its own transaction, whoever runs it; a row
 * whose count reaches 0 is deleted. WITHOUT ROWID in the migration (Drizzle
 * cannot say it), so the organisation's days are read from the table itself.
 */
export const metricsDays = sqliteTable(
	"metrics_days",
	{
		day: integer().notNull(),
		serviceId: text("service_id").notNull(),
		environmentKey: text("environment_key").notNull(),
		aliasKey: text("alias_key").notNull(),
		deploys: integer().notNull(),
		failed: integer().notNull(),
		rollbacks: integer().notNull(),
		/** Deploys that failed, rolled back, or both (each counted once). */
		failedChanges: integer("failed_changes").notNull(),
		/** Failures with no success after them in their stream yet. */
		unrestored: integer().notNull(),
		/** Each deploy's lead time, where known and not negative. */
		leadTimes: text("lead_times").notNull(),
		/** Each restored failure's time to restore. */
		restoreTimes: text("restore_times").notNull(),
	},
	(t) => [
		primaryKey({ columns: [t.day, t.serviceId, t.environmentKey, t.aliasKey] }),
		// A service's (and a team's) days; an alias's.
		index("metrics_days_service_idx").on(t.serviceId, t.day),
		index("metrics_days_alias_idx").on(t.aliasKey, t.day),
	],
);
