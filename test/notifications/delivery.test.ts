import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptedDeploy, admin, integrationBeforeAll, unique } from "../helpers";
import { receiver, receiverServer } from "./receiver";

beforeAll(() => receiverServer.listen({ onUnhandledRequest: "bypass" }));
afterAll(() => receiverServer.close());

const integration = integrationBeforeAll("Notifications");

/** Polls `read` until `done` says its value is final, or fails after `ms`. */
async function eventually<T>(read: () => Promise<T> | T, done: (value: T) => boolean, ms = 15_000): Promise<T> {
	const deadline = Date.now() + ms;
	for (;;) {
		const value = await read();
		if (done(value) || Date.now() > deadline) return value;
		await new Promise((resolve) => setTimeout(resolve, 100));
	}
}

describe("a webhook subscription", () => {
	it("delivers a recorded deploy, signed per Standard Webhooks", async () => {
		const hook = receiver(unique("ok"));
		const alias = unique("svc");
		const created = await admin("POST", "/notifications", {
			name: "All deploys",
			kind: "webhook",
			url: hook.url,
			events: ["deploy.recorded"],
		});
		expect(created.status).toBe(201);
		await acceptedDeploy(integration.webhook_url, { service: alias });
		const received = await eventually(
			() => hook.received,
			(r) => r.length > 0,
		);
		expect(received).toHaveLength(1);
		const [first] = received;
		const verified = new Webhook(created.body.secret).verify(first!.body, first!.headers) as any;
		expect({ type: verified.type, alias: verified.data.alias }).toEqual({ type: "deploy.recorded", alias });
	});
});
