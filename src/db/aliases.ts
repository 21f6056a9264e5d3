import { and, eq, sql } from "drizzle-orm";
import { aliasKey, type Statements, unmergedGuard } from "./catalog";
import type { Database } from "./client";
import { refreshStreams } from "./facts";
import { aliasChanges, aliases, deploys, suggestions } from "./schema";

/** A claimed alias as a change reads it: its owner, and the number of the last change made to it. */
export type AliasClaim = { key: string; alias: string; serviceId: string; version: number };

export async function aliasClaim(db: Database, alias: string): Promise<AliasClaim | undefined> {
	const key = aliasKey(alias);
	const last = db
		.select({ version: sql<number>`coalesce(max(${aliasChanges.version}), 0)` })
		.from(aliasChanges)
		.where(eq(aliasChanges.aliasKey, key));
	return db
		.select({ key: aliases.key, alias: aliases.alias, serviceId: aliases.serviceId, version: sql<number>`(${last})` })
		.from(aliases)
		.where(eq(aliases.key, key))
		.get();
}

/** The change's own row: it goes first, so a change that lost the race on this claim applies nothing. */
const changeRow = (db: Database, claim: AliasClaim, toServiceId: string | null, at: number) =>
	db.insert(aliasChanges).values({
		aliasKey: claim.key,
		version: claim.version + 1,
		action: toServiceId ? "move" : "remove",
		fromServiceId: claim.serviceId,
		toServiceId,
		at,
	});

/**
 * The statements that move an alias to another service: the claim, its
 * resolved suggestion's owner and, if asked, the deploys its old owner holds
 * under it. Deploys still on their way to D1 follow the alias anyway: the
 * D1 write looks the owner up again (see `writeDeploys`). A target merged
 * away meanwhile fails the batch (see `unmergedGuard`).
 */
export function moveAliasStatements(
	db: Database,
	claim: AliasClaim,
	toServiceId: string,
	withDeploys: boolean,
	now: number,
): Statements {
	const statements: Statements = [
		changeRow(db, claim, toServiceId, now),
		unmergedGuard(db, toServiceId),
		db.update(aliases).set({ serviceId: toServiceId, createdAt: now }).where(eq(aliases.key, claim.key)),
		db
			.update(suggestions)
			.set({ serviceId: toServiceId })
			.where(and(eq(suggestions.aliasKey, claim.key), eq(suggestions.state, "resolved"))),
	];
	if (withDeploys) {
		statements.push(
			db
				.update(deploys)
				.set({ serviceId: toServiceId })
				.where(and(eq(deploys.aliasKey, claim.key), eq(deploys.serviceId, claim.serviceId))),
			// Those deploys left one owner's streams for the other's.
			...refreshStreams(db, { serviceIds: [claim.serviceId, toServiceId] }),
		);
	}
	return statements;
}

/**
 * The statements that take an alias from its service. Its past deploys stay
 * with the service; the next deploy under it matches nobody and suggests it
 * again (see `writeDeploys`).
 */
export function removeAliasStatements(db: Database, claim: AliasClaim, now: number): Statements {
	return [changeRow(db, claim, null, now), db.delete(aliases).where(eq(aliases.key, claim.key))];
}
