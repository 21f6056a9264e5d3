import { and, asc, eq, inArray, lt, notExists } from "drizzle-orm";
import { chunks, type Database } from "./client";
import { idsBefore } from "./ids";
import { deliveries, subscriptions } from "./notifications-schema";
import { deployStatuses, deploys, suggestionEvents, suggestions } from "./schema";

/** D1 allows 100 bound parameters per statement. */
const IDS_PER_STATEMENT = 90;

/**
 * Deletes these deploys and their status history from D1 in one atomic batch;
 * answers how many deploys were deleted. The history goes explicitly rather
 * than through the foreign key's cascade, which holds only while D1 enforces
 * foreign keys.
 */
export async function deleteDeploys(db: Database, ids: readonly string[]): Promise<number> {
	const [first, ...rest] = chunks(ids, IDS_PER_STATEMENT).flatMap((chunk) => [
		db.delete(deployStatuses).where(inArray(deployStatuses.deployId, chunk)),
		db.delete(deploys).where(inArray(deploys.id, chunk)).returning({ id: deploys.id }),
	]);
	if (!first) return 0;
	const results = await db.batch([first, ...rest]);
	return deletedDeploys(results);
}

/**
 * One round of the D1 sweep: up to `limit` deploys received before `cutoff`,
 * oldest first, with their history. It catches what no ledger purges (a deploy
 * whose ledger entry is gone); deleting from D1 alone is always safe for dedup,
 * since the ledger then simply remembers more than D1 holds.
 */
export async function sweepDeploys(db: Database, cutoff: number, limit: number): Promise<number> {
	const expired = db
		.select({ id: deploys.id })
		.from(deploys)
		.where(and(lt(deploys.id, idsBefore(cutoff)), lt(deploys.receivedAt, cutoff)))
		.orderBy(asc(deploys.id))
		.limit(limit);
	// One transaction, so both statements see the same deploys.
	const results = await db.batch([
		db.delete(deployStatuses).where(inArray(deployStatuses.deployId, expired)),
		db.delete(deploys).where(inArray(deploys.id, expired)).returning({ id: deploys.id }),
	]);
	return deletedDeploys(results);
}

/**
 * Up to `limit` delivery log rows made before `cutoff`, for one round of the
 * sweep. Their bodies copy the deploy's fields (commit messages, emails), so
 * they go with the deploys' window. Sought per subscription on its
 * (subscription_id, created_at) index, never by reading the whole log.
 */
export function expiredDeliveries(db: Database, cutoff: number, limit: number) {
	// By the list of subscriptions, not a join: SQLite would walk the log and look each subscription up.
	const everySubscription = db.select({ id: subscriptions.id }).from(subscriptions);
	return db
		.select({ id: deliveries.id })
		.from(deliveries)
		.where(and(inArray(deliveries.subscriptionId, everySubscription), lt(deliveries.createdAt, cutoff)))
		.limit(limit);
}

/** Deletes one round of `expiredDeliveries`; answers how many went. */
export async function sweepDeliveries(db: Database, cutoff: number, limit: number): Promise<number> {
	const result = await db.delete(deliveries).where(inArray(deliveries.id, expiredDeliveries(db, cutoff, limit)));
	return result.meta.changes;
}

/**
 * Forgets suggestions that nothing backs any more: open, never acted on, and
 * with no deploy left under their alias. One statement, so a deploy written
 * concurrently either comes first (and keeps its suggestion) or recreates it.
 * Ignored and resolved ones stay: they record what someone decided.
 */
export async function sweepSuggestions(db: Database): Promise<number> {
	const result = await db
		.delete(suggestions)
		.where(
			and(
				eq(suggestions.state, "open"),
				notExists(db.select({ id: deploys.id }).from(deploys).where(eq(deploys.aliasKey, suggestions.aliasKey))),
				notExists(
					db
						.select({ id: suggestionEvents.suggestionId })
						.from(suggestionEvents)
						.where(eq(suggestionEvents.suggestionId, suggestions.id)),
				),
			),
		);
	return result.meta.changes;
}

/**
 * The deploys (not history rows) a batch from `deleteDeploys` or `sweepDeploys`
 * deleted: the rows every second statement returned. Not D1's `changes`, which
 * also counts the rollup rows the delete triggers change (metrics_days).
 */
function deletedDeploys(results: readonly unknown[]): number {
	return results.filter((_, i) => i % 2 === 1).reduce<number>((sum, rows) => sum + (rows as unknown[]).length, 0);
}
