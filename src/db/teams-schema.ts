import { sql } from "drizzle-orm";
import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * Teams that own services (see `services.team_id`). `members` is a JSON array
 * of emails, trimmed and lower-cased: a list today, meant to tie to the
 * members of team access later. Names are unique ignoring letter case.
 */
export const teams = sqliteTable(
	"teams",
	{
		id: text().primaryKey(),
		name: text().notNull(),
		members: text().notNull().default("[]"),
		createdAt: integer("created_at").notNull(),
	},
	(t) => [uniqueIndex("teams_name_unique").on(sql`lower(${t.name})`)],
);
export type TeamRow = typeof teams.$inferSelect;
