import { chunks, type Database, database } from "../db/client";
import { markDead } from "../db/notifications";
import type { Bindings } from "../env";
import type { NotificationMessage } from "../model/notification";
import { attemptDelivery, backoffSeconds } from "./deliver";
import { fanOut } from "./events";

/** wrangler.toml's dead-letter queue: what the main queue gave up on arrives there. */
export const DEAD_LETTER_QUEUE = "deploy-tracker-notifications-dead";
/** Messages one `sendBatch` takes. */
const SEND_MAX = 100;

/** Enqueues messages, in as many batches as the queue needs. */
export async function enqueue(queue: Queue, messages: NotificationMessage[]): Promise<void> {
	for (const chunk of chunks(messages, SEND_MAX)) await queue.sendBatch(chunk.map((body) => ({ body })));
}

/**
 * The queue consumer: fans deploys out to deliveries and attempts deliveries,
 * each message on its own (in parallel, so a slow receiver holds back only
 * its own). A failure is retried with backoff; after wrangler.toml's
 * `max_retries` the queue moves the message to the dead-letter queue.
 */
export async function consume(batch: MessageBatch<NotificationMessage>, env: Bindings): Promise<void> {
	const db = database(env.DB);
	if (batch.queue === DEAD_LETTER_QUEUE) return bury(db, batch.messages);
	// Unset, or not a positive number: the default.
	const setting = Number(env.NOTIFICATIONS_RETRY_SECONDS);
	const base = setting > 0 ? setting : undefined;
	await Promise.all(
		batch.messages.map(async (message) => {
			const retry = () => message.retry({ delaySeconds: backoffSeconds(message.attempts, base) });
			try {
				if (message.body.type === "deploys") {
					await enqueue(env.NOTIFICATIONS, await fanOut(db, message.body.ids));
					message.ack();
				} else if ((await attemptDelivery(db, message.body.id)).outcome === "failed") {
					retry();
				} else {
					message.ack();
				}
			} catch (error) {
				console.error(`Notification message ${message.id} failed: ${String(error)}`);
				retry();
			}
		}),
	);
}

/** The dead-letter queue's consumer: a delivery that ran out of attempts is dead in its log. */
async function bury(db: Database, messages: readonly Message<NotificationMessage>[]): Promise<void> {
	for (const message of messages) {
		if (message.body.type === "delivery") await markDead(db, message.body.id, Date.now());
		// Deploys whose fan-out kept failing (D1 down for the whole retry window) are not announced.
		else console.error(`Notifications for ${message.body.ids.length} deploy(s) were given up after retries`);
		message.ack();
	}
}
