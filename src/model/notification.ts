// Vocabulary of notifications out: the events a subscription can choose and the queue's messages.

/** What a subscription can be told about a deploy. */
export const NOTIFICATION_EVENTS = [
	"deploy.recorded",
	"deploy.status_changed",
	"deploy.failed",
	"deploy.rolled_back",
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/**
 * The notifications queue's messages: deploys D1 has just taken (from the
 * ledger, for the consumer to match against subscriptions), and one delivery to attempt.
 */
export type NotificationMessage = { type: "deploys"; ids: string[] } | { type: "delivery"; id: string };
