import { createExecutionContext, createMessageBatch, getQueueResult } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { HttpResponse, http } from "msw";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import app from "../../src/index";
import type { NotificationMessage } from "../../src/model/notification";
import { DEAD_LETTER_QUEUE } from "../../src/notifications/queue";
import { acceptedDeploy, admin, integrationBeforeAll, unique } from "../helpers";
import { deliveriesOf, eventually, subscribe } from "./helpers";
import { receiver, receiverServer } from "./receiver";

// The consumer called as the queue calls it, with batches made here: what it
// acknowledges, what it retries and after how long, and what the dead-letter
// queue's consumer does. The deliveries themselves come from real deploys.

beforeAll(() => receiverServer.listen({ onUnhandledRequest: "bypass" }));
afterAll(() => receiverServer.close());

const integration = integrationBeforeAll("Queue");

/** Runs the consumer on one message of `queue`, as its `attempts`-th delivery; answers how many it acked and retried. */
async function consumeOne(body: NotificationMessage, attempts = 1, queue = "deploy-tracker-notifications") {
	const batch = createMessageBatch<NotificationMessage>(queue, [
		{ id: crypto.randomUUID(), timestamp: Date.now(), attempts, body },
	]);
	const ctx = createExecutionContext();
	await app.queue(batch, env);
	const result = await getQueueResult(batch, ctx);
	return { acked: result.explicitAcks.length, retried: result.retryMessages.length };
}

/**
 * The delay the consumer asks for when it retries `body` on its `attempts`-th
 * delivery: the pool's `getQueueResult` does not report delays, so this one
 * message records what `retry` was given.
 */
async function retryDelay(
	body: NotificationMessage,
	attempts: number,
	overrides: Partial<Cloudflare.Env> = {},
): Promise<number | undefined> {
	let delay: number | undefined;
	const message = {
		id: crypto.randomUUID(),
		timestamp: new Date(),
		attempts,
		body,
		ack: () => undefined,
		retry: (options?: QueueRetryOptions) => {
			delay = options?.delaySeconds;
		},
	};
	const batch = {
		queue: "deploy-tracker-notifications",
		messages: [message],
		ackAll: () => undefined,
		retryAll: () => undefined,
	};
	// The consumer reads none of the batch's metadata, which this one leaves out.
	await app.queue(batch as unknown as MessageBatch<NotificationMessage>, { ...env, ...overrides });
	return delay;
}

/**
 * A subscription whose receiver is down (it answers `status` until told
 * otherwise) and whose first delivery has failed; the queue retries it
 * meanwhile, so what these tests check holds whoever made the attempt.
 */
async function failedDelivery(status: number) {
	const hook = receiver(unique("down"), Array(20).fill(status));
	const { id } = await subscribe({ url: hook.url, events: ["deploy.recorded"] });
	await acceptedDeploy(integration.webhook_url, { service: unique("svc") });
	const [delivery] = await eventually(
		() => deliveriesOf(id),
		(d) => d[0]?.state === "retrying",
	);
	if (!delivery) throw new Error("no delivery was made");
	return { hook, subscription: id, delivery };
}

describe("the consumer", () => {
	it("retries a failed delivery with exponential backoff, and notes why it failed", async () => {
		const { hook, subscription, delivery } = await failedDelivery(503);
		const retried = [];
		for (const attempt of [2, 3, 4]) retried.push(await retryDelay({ type: "delivery", id: delivery.id }, attempt));
		// NOTIFICATIONS_RETRY_SECONDS is 1 in the tests: 1, 2, 4, … seconds (30, 60, 120, … by default).
		expect(retried).toEqual([2, 4, 8]);
		// A setting that is not a positive number leaves the default rather than a delay of NaN.
		const misconfigured = { NOTIFICATIONS_RETRY_SECONDS: "soon" };
		expect(await retryDelay({ type: "delivery", id: delivery.id }, 2, misconfigured)).toBe(60);
		const [logged] = await deliveriesOf(subscription);
		expect({ state: logged?.state, last_error: logged?.last_error }).toEqual({
			state: "retrying",
			last_error: "HTTP 503",
		});
		expect(new Set(hook.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([delivery.id]));
	});

	it("notes a network failure without the destination URL", async () => {
		const host = `${unique("gone")}.unreachable.test`;
		receiverServer.use(http.post(`https://${host}/*`, () => HttpResponse.error()));
		const { id } = await subscribe({ url: `https://${host}/hook?token=secret-in-query`, events: ["deploy.recorded"] });
		await acceptedDeploy(integration.webhook_url, { service: unique("svc") });
		const [logged] = await eventually(
			() => deliveriesOf(id),
			(d) => d[0]?.state === "retrying",
		);
		expect(logged?.last_error).toMatch(/^network error: /);
		expect(logged?.last_error).not.toContain(host);
	});

	it("says it could not connect to a destination that does not resolve, not the runtime's bare reference", async () => {
		const { id } = await subscribe({ url: `https://${unique("nowhere")}.invalid/hook`, events: ["deploy.recorded"] });
		await acceptedDeploy(integration.webhook_url, { service: unique("svc") });
		const [logged] = await eventually(
			() => deliveriesOf(id),
			(d) => d[0]?.state === "retrying",
		);
		expect(logged?.last_error).toBe("network error: could not connect to the destination");
	});

	it("marks a delivery dead when the dead-letter queue gets it, and redelivery sends it again under the same id", async () => {
		const { hook, subscription, delivery } = await failedDelivery(500);
		expect(await consumeOne({ type: "delivery", id: delivery.id }, 1, DEAD_LETTER_QUEUE)).toEqual({
			acked: 1,
			retried: 0,
		});
		expect((await deliveriesOf(subscription)).map((d) => d.state)).toEqual(["dead"]);

		hook.answers.length = 0;
		const res = await admin("POST", `/notifications/${subscription}/deliveries/${delivery.id}/redeliver`);
		expect({ status: res.status, state: res.body.state, id: res.body.id }).toEqual({
			status: 202,
			state: "pending",
			id: delivery.id,
		});
		const log = await eventually(
			() => deliveriesOf(subscription),
			(d) => d[0]?.state === "delivered",
		);
		expect(log.map((d) => ({ id: d.id, state: d.state }))).toEqual([{ id: delivery.id, state: "delivered" }]);
		expect(new Set(hook.received.map((r) => r.headers["webhook-id"]))).toEqual(new Set([delivery.id]));
	});

	it("makes no second delivery when the same deploys are enqueued again", async () => {
		const hook = receiver(unique("once"));
		const { id } = await subscribe({ url: hook.url, events: ["deploy.recorded"] });
		await acceptedDeploy(integration.webhook_url, { service: unique("svc") });
		const [delivery] = await eventually(
			() => deliveriesOf(id),
			(d) => d[0]?.state === "delivered",
		);
		const deployId = (await admin("GET", `/notifications/${id}/deliveries`)).body.deliveries[0].deploy_id;
		expect(await consumeOne({ type: "deploys", ids: [deployId] })).toEqual({ acked: 1, retried: 0 });
		// And a stray duplicate of the delivery message sends nothing more.
		expect(await consumeOne({ type: "delivery", id: delivery?.id ?? "" })).toEqual({ acked: 1, retried: 0 });
		expect((await deliveriesOf(id)).length).toBe(1);
		expect(hook.received.length).toBe(1);
	});

	it("refuses to redeliver what is not this subscription's", async () => {
		const { id } = await subscribe({ url: receiver(unique("other")).url });
		const res = await admin("POST", `/notifications/${id}/deliveries/msg_unknown/redeliver`);
		expect({ status: res.status, title: res.body.errors[0].title }).toEqual({ status: 404, title: "Delivery Error" });
	});
});
