import { and, desc, eq, inArray, ne, sql } from "drizzle-orm";
import type { Database, Statement } from "./client";
import { type DeliveryRow, deliveries, type SubscriptionRow, subscriptions } from "./notifications-schema";
import { deployStatuses, deploys, services } from "./schema";

export async function findSubscriptions(db: Database, ids?: string[]): Promise<SubscriptionRow[]> {
	return db
		.select()
		.from(subscriptions)
		.where(ids ? inArray(subscriptions.id, ids) : undefined)
		.orderBy(sql`lower(${subscriptions.name})`, subscriptions.id);
}

export const insertSubscription = (db: Database, row: SubscriptionRow) => db.insert(subscriptions).values(row);

export const deleteSubscriptionStatement = (db: Database, id: string) =>
	db.delete(subscriptions).where(eq(subscriptions.id, id));

export const rotateSecretStatement = (
	db: Database,
	id: string,
	change: Pick<SubscriptionRow, "secret" | "previousSecret" | "previousSecretExpiresAt">,
) => db.update(subscriptions).set(change).where(eq(subscriptions.id, id));

/** What a notification says of a deploy: its row, its service's name and team, and its status history. */
export type NotifiedDeploy = Awaited<ReturnType<typeof deploysToNotify>>[number];

export async function deploysToNotify(db: Database, ids: string[]) {
	const [rows, history] = await db.batch([
		db
			.select({
				id: deploys.id,
				serviceId: deploys.serviceId,
				serviceName: services.name,
				teamId: services.teamId,
				alias: deploys.serviceAlias,
				environment: deploys.environment,
				environmentKey: deploys.environmentKey,
				number: deploys.deployNumber,
				status: deploys.status,
				isRollback: deploys.isRollback,
				deployerName: deploys.deployerName,
				deployerEmail: deploys.deployerEmail,
				commitSha: deploys.commitSha,
				commitBranch: deploys.commitBranch,
				commitMessage: deploys.commitMessage,
				deployUrl: deploys.deployUrl,
				deployedAt: deploys.deployedAt,
				receivedAt: deploys.receivedAt,
			})
			.from(deploys)
			.leftJoin(services, eq(services.id, deploys.serviceId))
			.where(inArray(deploys.id, ids)),
		db
			.select({ deployId: deployStatuses.deployId, status: deployStatuses.status, at: deployStatuses.at })
			.from(deployStatuses)
			.where(inArray(deployStatuses.deployId, ids))
			.orderBy(deployStatuses.at),
	]);
	return rows.map((row) => ({ ...row, statuses: history.filter((h) => h.deployId === row.id) }));
}

/** New deliveries; one already made for the same subscription and event stays as it is. */
export const insertDeliveries = (db: Database, rows: (typeof deliveries.$inferInsert)[]): Statement =>
	db.insert(deliveries).values(rows).onConflictDoNothing();

/** Of these deliveries, those never attempted: the ones a repeated fan-out must (re)enqueue. */
export async function unattempted(db: Database, ids: string[]): Promise<string[]> {
	const rows = await db
		.select({ id: deliveries.id })
		.from(deliveries)
		.where(and(inArray(deliveries.id, ids), eq(deliveries.attempts, 0), eq(deliveries.state, "pending")));
	return rows.map((row) => row.id);
}

/** A delivery with where it goes and how it is signed. */
export async function deliveryWithSubscription(db: Database, id: string) {
	return db
		.select({ delivery: deliveries, subscription: subscriptions })
		.from(deliveries)
		.innerJoin(subscriptions, eq(subscriptions.id, deliveries.subscriptionId))
		.where(eq(deliveries.id, id))
		.get();
}

/** A delivery out of attempts: dead in the log, unless a duplicate message delivered it meanwhile. */
export const markDead = (db: Database, id: string, now: number) =>
	db
		.update(deliveries)
		.set({ state: "dead", updatedAt: now })
		.where(and(eq(deliveries.id, id), ne(deliveries.state, "delivered")));

/** A delivery due again (redeliver): pending, with its attempts and last outcome kept. */
export const markPending = (db: Database, id: string, now: number) =>
	db.update(deliveries).set({ state: "pending", updatedAt: now }).where(eq(deliveries.id, id));

/** Counts an attempt: the row's own counter, so concurrent redeliveries never lose one. */
export const noteAttempt = (
	db: Database,
	id: string,
	outcome: Pick<DeliveryRow, "state" | "responseStatus" | "lastError" | "updatedAt">,
) =>
	db
		.update(deliveries)
		.set({ ...outcome, attempts: sql`${deliveries.attempts} + 1` })
		// A delivery already delivered stays so: a late failure of a duplicate message must not undo it.
		.where(and(eq(deliveries.id, id), ne(deliveries.state, "delivered")));

/** The latest deliveries of a subscription, newest first. */
export async function recentDeliveries(db: Database, subscriptionId: string, limit: number): Promise<DeliveryRow[]> {
	return db
		.select()
		.from(deliveries)
		.where(eq(deliveries.subscriptionId, subscriptionId))
		.orderBy(desc(deliveries.createdAt), desc(deliveries.id))
		.limit(limit);
}

export async function findDelivery(db: Database, subscriptionId: string, id: string) {
	return db
		.select()
		.from(deliveries)
		.where(and(eq(deliveries.id, id), eq(deliveries.subscriptionId, subscriptionId)))
		.get();
}
