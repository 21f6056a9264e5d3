import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { PRINCIPAL_KINDS, ROLES } from "../model/roles";

/**
 * People Cloudflare Access signs in, and the role each has. `email` is
 * trimmed and lower-cased: Access may spell an address differently from
 * whoever added it. Bootstrap admins (ACCESS_ADMINS) are configuration, not rows.
 */
export const members = sqliteTable("members", {
	email: text().primaryKey(),
	role: text({ enum: ROLES }).notNull(),
	createdAt: integer("created_at").notNull(),
	updatedAt: integer("updated_at").notNull(),
});
export type MemberRow = typeof members.$inferSelect;

/**
 * Scoped API tokens. Only the secret's SHA-256 is kept (a leaked database
 * leaks no usable token); `hint`, its last characters, tells tokens apart.
 * `created_by` names the creator as the audit log does; a member's current
 * role caps their tokens' (see access/tokens.ts).
 */
export const apiTokens = sqliteTable(
	"api_tokens",
	{
		id: text().primaryKey(),
		name: text().notNull(),
		role: text({ enum: ROLES }).notNull(),
		secretHash: text("secret_hash").notNull(),
		hint: text().notNull(),
		createdByKind: text("created_by_kind", { enum: PRINCIPAL_KINDS }).notNull(),
		createdBy: text("created_by").notNull(),
		createdAt: integer("created_at").notNull(),
		expiresAt: integer("expires_at"),
		lastUsedAt: integer("last_used_at"),
		revokedAt: integer("revoked_at"),
	},
	// Every authenticated request with a token looks it up by this.
	(t) => [uniqueIndex("api_tokens_secret_hash_unique").on(t.secretHash)],
);
export type ApiTokenRow = typeof apiTokens.$inferSelect;
