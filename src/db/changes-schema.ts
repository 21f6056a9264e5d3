import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

// Version rows: one per change to an alias or a service, numbered per alias or
// service, so that of two changes racing on one, the second fails the primary
// key and its whole D1 batch rolls back (a 409, nothing applied).

/**
 * Each move or removal of a claimed alias, numbered per alias. A change
 * writes the number after the last one it read, so of two changes racing on
 * one alias one inserts its row and the other fails the primary key, and its
 * whole batch rolls back.
 */
export const aliasChanges = sqliteTable(
	"alias_changes",
	{
		aliasKey: text("alias_key").notNull(),
		version: integer().notNull(),
		action: text({ enum: ["move", "remove", "merge"] }).notNull(),
		fromServiceId: text("from_service_id").notNull(),
		/** Where a move took it; null for a removal. */
		toServiceId: text("to_service_id"),
		at: integer().notNull(),
	},
	(t) => [primaryKey({ columns: [t.aliasKey, t.version] })],
);

/**
 * Each merge, archive, unarchive or delete of a service, numbered per service
 * (a merge writes one for each side). As with `alias_changes`, of two changes
 * racing on one service one inserts its row and the other fails the primary
 * key, so its whole batch rolls back.
 */
export const serviceChanges = sqliteTable(
	"service_changes",
	{
		serviceId: text("service_id").notNull(),
		version: integer().notNull(),
		action: text({ enum: ["merge", "absorb", "archive", "unarchive", "delete"] }).notNull(),
		/** For a merge, the service it went into; for an absorb, the one merged in. */
		otherServiceId: text("other_service_id"),
		at: integer().notNull(),
	},
	(t) => [primaryKey({ columns: [t.serviceId, t.version] })],
);
