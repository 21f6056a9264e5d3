import type { Database } from "../db/client";
import { deliveryWithSubscription, noteAttempt } from "../db/notifications";
import type { SubscriptionRow } from "../db/notifications-schema";
import type { NotificationPayload } from "./payload";
import { slackMessage } from "./payload";
import { signature } from "./signing";

/** How long a receiver may take to answer; longer counts as a failed attempt. */
export const DELIVERY_TIMEOUT_MS = 10_000;
/** The first retry's delay when NOTIFICATIONS_RETRY_SECONDS is unset; each further one doubles. */
const RETRY_BASE_SECONDS = 30;
/** The longest wait between attempts. */
const RETRY_CAP_SECONDS = 3_600;
/** What the last error keeps of a network failure's message. */
const MAX_ERROR = 200;

/** The delay before retry `attempt` (1 for the first retry): exponential, capped. */
export function backoffSeconds(attempt: number, base = RETRY_BASE_SECONDS): number {
	return Math.min(base * 2 ** (attempt - 1), RETRY_CAP_SECONDS);
}

/** The secrets that sign now: the current one, and the one rotated away while its grace lasts. */
function secretsInForce(subscription: SubscriptionRow, now: number): string[] {
	const { secret, previousSecret, previousSecretExpiresAt } = subscription;
	const previous = previousSecret && (previousSecretExpiresAt ?? 0) > now ? [previousSecret] : [];
	return secret ? [secret, ...previous] : [];
}

/** The request a destination gets: the payload as it is for a webhook, as a message for Slack. */
async function request(subscription: SubscriptionRow, id: string, body: string, now: number): Promise<RequestInit> {
	const content =
		subscription.kind === "slack" ? JSON.stringify(slackMessage(JSON.parse(body) as NotificationPayload)) : body;
	const timestamp = Math.floor(now / 1000);
	const headers: Record<string, string> = {
		"content-type": "application/json",
		"user-agent": "deploy-tracker-notifications",
		"webhook-id": id,
		"webhook-timestamp": String(timestamp),
	};
	const secrets = secretsInForce(subscription, now);
	if (secrets.length > 0) headers["webhook-signature"] = await signature(secrets, id, timestamp, content);
	return {
		method: "POST",
		headers,
		body: content,
		// A redirect is the receiver's failure, not an address to follow with the signed body.
		redirect: "manual",
		signal: AbortSignal.timeout(DELIVERY_TIMEOUT_MS),
	};
}

const OPAQUE_FAILURE = /^internal error; reference = \w+$/;

/** Why an attempt failed, in words that never carry the URL (a Slack URL is a credential). */
function failure(error: unknown, url: string): string {
	if (error instanceof DOMException && error.name === "TimeoutError") {
		return `no answer within ${DELIVERY_TIMEOUT_MS / 1000} s`;
	}
	const message = error instanceof Error ? error.message : String(error);
	// The runtime reports a connection it could not make (no such host, refused) only by a reference of its own.
	if (OPAQUE_FAILURE.test(message)) return "network error: could not connect to the destination";
	return `network error: ${message.split(url).join("<destination>").slice(0, MAX_ERROR)}`;
}

export type Attempt = { outcome: "delivered" | "failed" | "gone" };

/**
 * Attempts one delivery and notes it in the log. `gone`: nothing to do (the
 * subscription was deleted, or an earlier message already delivered it).
 */
export async function attemptDelivery(db: Database, id: string, now = Date.now()): Promise<Attempt> {
	const found = await deliveryWithSubscription(db, id);
	if (!found || found.delivery.state === "delivered") return { outcome: "gone" };
	const { delivery, subscription } = found;
	let responseStatus: number | null = null;
	let lastError: string | null = null;
	try {
		const response = await fetch(subscription.url, await request(subscription, id, delivery.body, now));
		// Only the status matters: the body is dropped unread, which frees the connection.
		await response.body?.cancel();
		responseStatus = response.status;
		if (!response.ok) lastError = `HTTP ${response.status}`;
	} catch (error) {
		lastError = failure(error, subscription.url);
	}
	const state = lastError === null ? "delivered" : "retrying";
	await noteAttempt(db, id, { state, responseStatus, lastError, updatedAt: Date.now() });
	return { outcome: lastError === null ? "delivered" : "failed" };
}
