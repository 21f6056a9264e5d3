import { eq, inArray, or, sql } from "drizzle-orm";
import type { AliasClaim } from "./aliases";
import type { Statements } from "./catalog";
import { chunks, type Database } from "./client";
import { refreshStreams } from "./facts";
import { incidents } from "./incidents-schema";
import { subscriptions } from "./notifications-schema";
import { aliasChanges, aliases, deployStatuses, deploys, serviceChanges, services, suggestions } from "./schema";

// Merging, archiving and deleting services: statements for one D1 batch each.
// Every change writes the service's next `service_changes` row first, so a
// change that read a state someone else changed meanwhile applies nothing.

/** A service as a lifecycle change reads it, with the number of its last change, in one query. */
export type ServiceState = {
	id: string;
	name: string;
	archivedAt: number | null;
	mergedInto: string | null;
	version: number;
};

export function serviceStates(db: Database, ids: string[]): Promise<ServiceState[]> {
	const last = sql<number>`coalesce((select max(${serviceChanges.version}) from ${serviceChanges}
		where ${serviceChanges.serviceId} = ${services.id}), 0)`;
	return db
		.select({
			id: services.id,
			name: services.name,
			archivedAt: services.archivedAt,
			mergedInto: services.mergedInto,
			version: last,
		})
		.from(services)
		.where(inArray(services.id, ids));
}

/** Every alias a service owns, each with the number of its last change. */
export function aliasClaimsOf(db: Database, serviceId: string): Promise<AliasClaim[]> {
	const last = sql<number>`coalesce((select max(${aliasChanges.version}) from ${aliasChanges}
		where ${aliasChanges.aliasKey} = ${aliases.key}), 0)`;
	return db
		.select({ key: aliases.key, alias: aliases.alias, serviceId: aliases.serviceId, version: last })
		.from(aliases)
		.where(eq(aliases.serviceId, serviceId));
}

/** Whether any deploy belongs to the service. */
export async function hasDeploys(db: Database, serviceId: string): Promise<boolean> {
	const row = await db.select({ one: sql`1` }).from(deploys).where(eq(deploys.serviceId, serviceId)).limit(1).get();
	return row !== undefined;
}

type ServiceAction = (typeof serviceChanges.$inferInsert)["action"];

const changeRow = (db: Database, state: ServiceState, action: ServiceAction, other: string | null, at: number) =>
	db
		.insert(serviceChanges)
		.values({ serviceId: state.id, version: state.version + 1, action, otherServiceId: other, at });

/** D1 binds at most 100 parameters per statement; an alias change row takes 6. */
const CHANGE_ROWS_PER_INSERT = 16;

/** A change row for each alias, so a move or removal racing this change on one of them fails (or this does). */
function aliasChangeRows(db: Database, claims: AliasClaim[], to: string | null, at: number) {
	const action = to ? ("merge" as const) : ("remove" as const);
	return chunks(claims, CHANGE_ROWS_PER_INSERT).map((chunk) =>
		db.insert(aliasChanges).values(
			chunk.map((claim) => ({
				aliasKey: claim.key,
				version: claim.version + 1,
				action,
				fromServiceId: claim.serviceId,
				toServiceId: to,
				at,
			})),
		),
	);
}

/**
 * Merges `from` into `into`: its aliases, deploys, resolved suggestions,
 * incidents and notification subscriptions become `into`'s (its deploys' metrics facts refreshed within `into`'s
 * streams), and `from` (and every service merged into it before) now leads to `into`.
 */
export function mergeStatements(
	db: Database,
	from: ServiceState,
	into: ServiceState,
	claims: AliasClaim[],
	now: number,
): Statements {
	return [
		changeRow(db, from, "merge", into.id, now),
		changeRow(db, into, "absorb", from.id, now),
		...aliasChangeRows(db, claims, into.id, now),
		db.update(aliases).set({ serviceId: into.id }).where(eq(aliases.serviceId, from.id)),
		db.update(deploys).set({ serviceId: into.id }).where(eq(deploys.serviceId, from.id)),
		// `from` is left with no deploys: only `into`'s streams, now holding both, need their facts again.
		...refreshStreams(db, { serviceIds: [into.id] }),
		db.update(suggestions).set({ serviceId: into.id }).where(eq(suggestions.serviceId, from.id)),
		db.update(incidents).set({ serviceId: into.id }).where(eq(incidents.serviceId, from.id)),
		// A subscription to `from` would otherwise hear nothing more: its deploys now arrive as `into`'s.
		db.update(subscriptions).set({ serviceId: into.id }).where(eq(subscriptions.serviceId, from.id)),
		db
			.update(services)
			.set({ mergedInto: into.id })
			.where(or(eq(services.id, from.id), eq(services.mergedInto, from.id))),
	];
}

/** Archives a service (`archived`) or brings it back. */
export function archiveStatements(db: Database, state: ServiceState, archived: boolean, now: number): Statements {
	return [
		changeRow(db, state, archived ? "archive" : "unarchive", null, now),
		db
			.update(services)
			.set({ archivedAt: archived ? now : null })
			.where(eq(services.id, state.id)),
	];
}

/**
 * Deletes a service, its aliases (free to claim again) and the tombstones of
 * services merged into it. With `purge`, its deploys and their status history
 * go too; without, a deploy it gained since the caller looked fails the
 * batch: the guard repeats the change row, which then clashes with the one
 * just written.
 */
export function deleteStatements(
	db: Database,
	state: ServiceState,
	claims: AliasClaim[],
	purge: boolean,
	now: number,
): Statements {
	const owned = db.select({ id: deploys.id }).from(deploys).where(eq(deploys.serviceId, state.id));
	const deploysGo = purge
		? [
				db.delete(deployStatuses).where(inArray(deployStatuses.deployId, owned)),
				db.delete(deploys).where(eq(deploys.serviceId, state.id)),
			]
		: [
				db.insert(serviceChanges).select(
					db
						.select({
							serviceId: sql<string>`${state.id}`.as("service_id"),
							version: sql<number>`${state.version + 1}`.as("version"),
							action: sql<ServiceAction>`'delete'`.as("action"),
							otherServiceId: sql<null>`null`.as("other_service_id"),
							at: sql<number>`${now}`.as("at"),
						})
						.from(sql`(select 1)`)
						.where(sql`exists ${owned}`),
				),
			];
	return [
		changeRow(db, state, "delete", null, now),
		...deploysGo,
		...aliasChangeRows(db, claims, null, now),
		db.delete(aliases).where(eq(aliases.serviceId, state.id)),
		db.delete(services).where(or(eq(services.id, state.id), eq(services.mergedInto, state.id))),
	];
}
