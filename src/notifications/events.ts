import type { Database } from "../db/client";
import { chunks } from "../db/client";
import {
	deploysToNotify,
	findSubscriptions,
	insertDeliveries,
	type NotifiedDeploy,
	unattempted,
} from "../db/notifications";
import type { SubscriptionRow } from "../db/notifications-schema";
import type { NotificationEvent, NotificationMessage } from "../model/notification";
import { payload } from "./payload";
import { stableId } from "./signing";

/** D1 takes 100 bound values per statement (ids in one lookup). */
const MAX_PARAMS = 100;
/** Rows in one insert: each delivery binds seven values. */
const INSERT_ROWS = Math.floor(MAX_PARAMS / 7);

/**
 * The events a deploy's current state makes, each with the key that makes it
 * happen once per deploy, however often the deploy is enqueued:
 * - recorded: always (the first message about a deploy makes it);
 * - status_changed: its latest status, unless that is the one it arrived
 *   with (that status is stamped with the deploy's own arrival time);
 * - failed: its status is failure; rolled_back: it returns its stream to an
 *   earlier sha (`is_rollback`, computed when it landed).
 */
export function eventsOf(deploy: NotifiedDeploy): { type: NotificationEvent; key: string }[] {
	const latest = deploy.statuses.at(-1);
	return [
		{ type: "deploy.recorded" as const, key: "recorded" },
		...(latest && latest.at !== deploy.receivedAt
			? [{ type: "deploy.status_changed" as const, key: `status_changed.${latest.status}` }]
			: []),
		...(deploy.status === "failure" ? [{ type: "deploy.failed" as const, key: "failed" }] : []),
		...(deploy.isRollback === 1 ? [{ type: "deploy.rolled_back" as const, key: "rolled_back" }] : []),
	];
}

/** Whether a subscription's filters take a deploy: each filter set narrows. */
export function matches(subscription: SubscriptionRow, deploy: NotifiedDeploy, type: NotificationEvent): boolean {
	const events = JSON.parse(subscription.events) as NotificationEvent[];
	return (
		events.includes(type) &&
		(subscription.serviceId === null || subscription.serviceId === deploy.serviceId) &&
		(subscription.teamId === null || subscription.teamId === deploy.teamId) &&
		(subscription.environment === null || subscription.environment === deploy.environmentKey)
	);
}

/**
 * Turns deploys D1 has taken into deliveries, and answers the queue messages
 * for the ones to attempt. With no subscription this is one read of an empty
 * table. Safe to repeat: a delivery's id is derived from its subscription and
 * event, so a repeat makes no second row, and re-sends only rows never attempted.
 */
export async function fanOut(db: Database, deployIds: string[], now = Date.now()): Promise<NotificationMessage[]> {
	const subscriptions = await findSubscriptions(db);
	if (subscriptions.length === 0) return [];
	const rows = [];
	for (const deploy of await deploysToNotify(db, deployIds)) {
		for (const event of eventsOf(deploy)) {
			for (const subscription of subscriptions.filter((s) => matches(s, deploy, event.type))) {
				rows.push({
					id: await stableId(subscription.id, deploy.id, event.key),
					subscriptionId: subscription.id,
					deployId: deploy.id,
					event: event.type,
					body: JSON.stringify(payload(event.type, deploy, subscription.origin, now)),
					createdAt: now,
					updatedAt: now,
				});
			}
		}
	}
	if (rows.length === 0) return [];
	const [first, ...rest] = chunks(rows, INSERT_ROWS).map((chunk) => insertDeliveries(db, chunk));
	if (first) await db.batch([first, ...rest]);
	const ids = chunks(
		rows.map((row) => row.id),
		MAX_PARAMS,
	);
	const due = (await Promise.all(ids.map((chunk) => unattempted(db, chunk)))).flat();
	return due.map((id) => ({ type: "delivery", id }));
}
