import { runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, expect, it } from "vitest";
import { acceptedDeploy, integrationBeforeAll, unique } from "../helpers";
import { drain, ledgerOf } from "../ledger/helpers";
import { eventually, subscribe } from "./helpers";
import { receiver, receiverServer } from "./receiver";

beforeAll(() => receiverServer.listen({ onUnhandledRequest: "bypass" }));
afterAll(() => receiverServer.close());

const integration = integrationBeforeAll("Ledger notifications");

/** Gives the integration's ledger instance this queue binding in place of the real one. */
const ledgerQueue = (queue: Queue) =>
	runInDurableObject(ledgerOf(integration), (instance) => {
		(instance as unknown as { env: Cloudflare.Env }).env = { ...env, NOTIFICATIONS: queue };
	});

it("a deploy whose announcement the queue refused stays pending, and the ledger's retry announces it", async () => {
	const hook = receiver(unique("after-outage"));
	await subscribe({ url: hook.url, events: ["deploy.recorded"] });
	const alias = unique("svc");
	await acceptedDeploy(integration.webhook_url, { service: alias, dedup_id: unique("warm-up") });
	await ledgerQueue({ send: () => Promise.reject(new Error("injected queue failure")) } as unknown as Queue);

	await acceptedDeploy(integration.webhook_url, { service: alias });
	// D1 has it (the write came first), but the ledger keeps it until the queue has its news.
	expect(await ledgerOf(integration).pendingCount()).toBe(1);

	await ledgerQueue(env.NOTIFICATIONS);
	await drain(integration);
	const received = await eventually(
		() => hook.received,
		(r) => r.length >= 2,
	);
	expect(received.length).toBe(2);
});
