import { and, desc, eq, isNull, lt, or, sql } from "drizzle-orm";
import type { Role } from "../model/roles";
import type { Database, Statement } from "./client";
import { type ApiTokenRow, apiTokens, members } from "./schema";

/** Every column but the secret's hash, which nothing reads back but the lookup by it. */
const shown = {
	id: apiTokens.id,
	name: apiTokens.name,
	role: apiTokens.role,
	hint: apiTokens.hint,
	createdByKind: apiTokens.createdByKind,
	createdBy: apiTokens.createdBy,
	createdAt: apiTokens.createdAt,
	expiresAt: apiTokens.expiresAt,
	lastUsedAt: apiTokens.lastUsedAt,
	revokedAt: apiTokens.revokedAt,
};

export function insertApiToken(db: Database, row: ApiTokenRow): Statement {
	return db.insert(apiTokens).values(row);
}

/**
 * The token whose secret hashes to `secretHash`, with its creator's stored
 * member role when a member created it: one read, through the unique index.
 */
export function tokenBySecretHash(db: Database, secretHash: string) {
	return tokensWithMakerRole(db).where(eq(apiTokens.secretHash, secretHash)).limit(1);
}

/** A token by id, with its secret's hash (what a page session made with it is signed with) and its maker's role. */
export function tokenWithHashById(db: Database, id: string) {
	return tokensWithMakerRole(db).where(eq(apiTokens.id, id)).limit(1);
}

/** Tokens with their secret's hash and their maker's member role, the cap on theirs. */
function tokensWithMakerRole(db: Database) {
	return (
		db
			// Aliased: the metered D1 (cost/meter.ts) reads rows by column name, and two "role" columns would collapse.
			.select({
				...shown,
				secretHash: apiTokens.secretHash,
				memberRole: sql<Role | null>`${members.role}`.as("member_role"),
			})
			.from(apiTokens)
			.leftJoin(members, and(eq(apiTokens.createdByKind, "member"), eq(members.email, apiTokens.createdBy)))
			.$dynamic()
	);
}

export function findApiToken(db: Database, id: string) {
	return db.select(shown).from(apiTokens).where(eq(apiTokens.id, id)).get();
}

/** Newest first; ids are UUIDv7s, so they break ties by creation. */
export function listApiTokenRows(db: Database) {
	return db.select(shown).from(apiTokens).orderBy(desc(apiTokens.createdAt), desc(apiTokens.id));
}

/** Revokes a token not yet revoked: a second revocation keeps the first one's time. */
export function revokeStatement(db: Database, id: string, now: number): Statement {
	return db
		.update(apiTokens)
		.set({ revokedAt: now })
		.where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)));
}

/** Records a use at `now` unless one was recorded at or after `since`: of concurrent requests, one writes. */
export function touchStatement(db: Database, id: string, now: number, since: number) {
	return db
		.update(apiTokens)
		.set({ lastUsedAt: now })
		.where(and(eq(apiTokens.id, id), or(isNull(apiTokens.lastUsedAt), lt(apiTokens.lastUsedAt, since))));
}
