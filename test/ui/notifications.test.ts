import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { acceptedDeploy, admin, integrationBeforeAll, unique } from "../helpers";
import { eventually } from "../notifications/helpers";
import { receiver, receiverServer } from "../notifications/receiver";
import { submit, view } from "./helpers";

beforeAll(() => receiverServer.listen({ onUnhandledRequest: "bypass" }));
afterAll(() => receiverServer.close());

const integration = integrationBeforeAll("notification pages");

const SECRET = /whsec_[A-Za-z0-9+/=]+/;

describe("notification pages", () => {
	it("create a subscription, show its secret once, and log and redeliver what it sent", async () => {
		const hook = receiver(unique("page"));
		const name = unique("Deploy feed");
		const made = await submit("/notifications", { name, kind: "webhook", url: hook.url, events: "deploy.recorded" });
		expect(made.status).toBe(201);
		const secret = made.html.match(SECRET)?.[0];
		const id = made.html.match(/action="\/notifications\/([^/"]+)\/secret"/)?.[1];
		expect(secret).toBeDefined();
		expect((await admin("GET", `/notifications/${id}`)).body.events).toEqual(["deploy.recorded"]);

		await acceptedDeploy(integration.webhook_url, { service: unique("svc") });
		await eventually(
			() => hook.received,
			(r) => r.length > 0,
		);
		const shown = await view(`/notifications/${id}`);
		expect(shown.html).not.toMatch(SECRET);
		expect(shown.html).toContain(`<td data-label="State">delivered</td>`);
		const redeliver = shown.html.match(/action="(\/notifications\/[^"]+\/redeliver)"/)?.[1] ?? "";
		const done = await submit(redeliver);
		expect([done.status, done.location]).toEqual([303, `/notifications/${id}?done=redelivered`]);
		await eventually(
			() => hook.received,
			(r) => r.length > 1,
		);
		expect(new Set(hook.received.map((r) => r.headers["webhook-id"])).size).toBe(1);

		const rotated = await submit(`/notifications/${id}/secret`);
		expect(rotated.html.match(SECRET)?.[0]).not.toBe(secret);
		expect(rotated.html).toContain("The previous secret still signs too until");
	});

	it("show a refused subscription again with why and what was typed, storing nothing", async () => {
		const name = unique("Plain http");
		const refused = await submit("/notifications", {
			name,
			kind: "webhook",
			url: "http://receiver.example.com/",
			events: "deploy.failed",
		});
		expect(refused.status).toBe(400);
		expect(refused.html).toContain("param must be an https: URL: url");
		expect(refused.html).toContain(`value="${name}"`);
		const names = (await admin("GET", "/notifications")).body.subscriptions.map((s: { name: string }) => s.name);
		expect(names).not.toContain(name);
	});
});
