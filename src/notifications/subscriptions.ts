import { z } from "zod";
import type { Actor } from "../audit/actor";
import { audited } from "../audit/log";
import { loadService } from "../catalog/services";
import { checkTeam } from "../catalog/teams";
import type { Database } from "../db/client";
import { newId } from "../db/ids";
import {
	deleteSubscriptionStatement,
	findDelivery,
	findSubscriptions,
	insertSubscription,
	markPending,
	rotateSecretStatement,
} from "../db/notifications";
import { DESTINATION_KINDS, type DeliveryRow, type SubscriptionRow } from "../db/notifications-schema";
import type { Bindings } from "../env";
import { ApiError } from "../http/errors";
import { MAX_ID, MAX_NAME, object, oneOf, optional, requiredText } from "../http/validation";
import { environmentKey } from "../model/environment";
import { NOTIFICATION_EVENTS } from "../model/notification";
import { checkDestination } from "./destination";
import { presentSubscription } from "./present";
import { enqueue } from "./queue";
import { newSecret } from "./signing";

/** How long a rotated-away secret still signs beside the new one: a day for receivers to switch. */
export const ROTATION_GRACE_MS = 24 * 60 * 60 * 1000;
/** The deliveries a subscription's log lists: the latest. */
export const DELIVERY_LOG_SIZE = 50;
/** The longest destination URL taken. */
const MAX_URL = 2_048;

const events = z
	.array(oneOf(NOTIFICATION_EVENTS), { error: "param must be an array of event types" })
	.min(1, { error: "param must name at least one event type" })
	.transform((list) => [...new Set(list)]);

/** A new subscription: the API's body and the UI's form alike. */
export const subscriptionInput = object({
	name: requiredText({ max: MAX_NAME }),
	kind: oneOf(DESTINATION_KINDS).describe("`webhook`: any HTTPS endpoint, signed; `slack`: a Slack incoming webhook"),
	url: requiredText({ max: MAX_URL }).describe("Where to send: https: only"),
	service_id: optional(requiredText({ max: MAX_ID })).describe("Only this service's deploys"),
	team_id: optional(requiredText({ max: MAX_ID })).describe("Only deploys of this team's services"),
	environment: optional(requiredText({ max: MAX_NAME })).describe("Only deploys to this environment"),
	events: optional(events).describe("The events to send; all of them when left out"),
});
export type SubscriptionInput = z.output<typeof subscriptionInput>;

/** What the request that makes or changes a subscription knows of the tracker: its own origin, and the deployment's settings. */
export type Here = { origin: string; allowHttp: boolean };

/** `Here` for a request to `url` under these bindings. */
export const hereOf = (url: string, env: Bindings): Here => ({
	origin: new URL(url).origin,
	allowHttp: env.NOTIFICATIONS_ALLOW_HTTP === "localhost",
});

const noSubscription = (id: string) => ApiError.of(404, "Subscription Error", `no subscription with id '${id}'`);

export async function loadSubscription(db: Database, id: string): Promise<SubscriptionRow> {
	const [found] = await findSubscriptions(db, [id]);
	if (!found) throw noSubscription(id);
	return found;
}

/** What the audit log keeps of a subscription: what the API shows of it (never its secret, a Slack URL masked), less what the event row says. */
function auditDetails(row: SubscriptionRow) {
	const { id: _, created_at: __, previous_secret_expires_at: ___, ...details } = presentSubscription(row);
	return details;
}

/** Makes a subscription; its secret (webhooks only) is in the answer and nowhere else that is shown. */
export async function createSubscription(
	db: Database,
	input: SubscriptionInput,
	here: Here,
	actor: Actor,
): Promise<SubscriptionRow> {
	const url = checkDestination(input.kind, input.url, new URL(here.origin).host, here.allowHttp);
	if (input.service_id && input.team_id) {
		throw ApiError.of(400, "Filter Error", "param takes a service or a team, not both: team_id");
	}
	await Promise.all([
		input.service_id ? loadService(db, input.service_id) : undefined,
		input.team_id ? checkTeam(db, input.team_id) : undefined,
	]);
	const now = Date.now();
	const row: SubscriptionRow = {
		id: newId(now),
		name: input.name,
		kind: input.kind,
		url,
		secret: input.kind === "webhook" ? newSecret() : null,
		previousSecret: null,
		previousSecretExpiresAt: null,
		serviceId: input.service_id ?? null,
		teamId: input.team_id ?? null,
		environment: input.environment === undefined ? null : environmentKey(input.environment),
		events: JSON.stringify(input.events ?? NOTIFICATION_EVENTS),
		origin: here.origin,
		createdAt: now,
	};
	const audit = audited(db, actor, "subscription.create", { type: "subscription", id: row.id }, auditDetails(row));
	await db.batch([insertSubscription(db, row), audit]);
	return row;
}

export async function deleteSubscription(db: Database, id: string, actor: Actor): Promise<void> {
	const row = await loadSubscription(db, id);
	const audit = audited(db, actor, "subscription.delete", { type: "subscription", id }, auditDetails(row));
	await db.batch([deleteSubscriptionStatement(db, id), audit]);
}

/**
 * A new signing secret. The old one goes on signing beside it (a second
 * signature in the header) for ROTATION_GRACE_MS, so receivers can switch
 * without refusing a delivery; a second rotation ends that grace at once.
 */
export async function rotateSecret(db: Database, id: string, actor: Actor): Promise<SubscriptionRow> {
	const row = await loadSubscription(db, id);
	if (!row.secret) throw ApiError.of(409, "Secret Error", "a Slack subscription has no signing secret");
	const change = {
		secret: newSecret(),
		previousSecret: row.secret,
		previousSecretExpiresAt: Date.now() + ROTATION_GRACE_MS,
	};
	const audit = audited(db, actor, "subscription.rotate_secret", { type: "subscription", id });
	await db.batch([rotateSecretStatement(db, id, change), audit]);
	return { ...row, ...change };
}

/** Sends a delivery again under the same `webhook-id`, whatever its state: a receiver deduplicating on it is safe. */
export async function redeliver(
	db: Database,
	queue: Queue,
	subscriptionId: string,
	id: string,
	actor: Actor,
): Promise<DeliveryRow> {
	await loadSubscription(db, subscriptionId);
	const delivery = await findDelivery(db, subscriptionId, id);
	if (!delivery) throw ApiError.of(404, "Delivery Error", `no delivery with id '${id}'`);
	const now = Date.now();
	const audit = audited(
		db,
		actor,
		"subscription.redeliver",
		{ type: "subscription", id: subscriptionId },
		{ delivery: id },
	);
	await db.batch([markPending(db, id, now), audit]);
	await enqueue(queue, [{ type: "delivery", id }]);
	return { ...delivery, state: "pending", updatedAt: now };
}
