import { env } from "cloudflare:workers";
import { Webhook } from "standardwebhooks";
import { describe, expect, it } from "vitest";
import { backoffSeconds } from "../../src/notifications/deliver";
import { signature } from "../../src/notifications/signing";
import { admin, api, call, expectError, fetchWithEnv, parseResponse, unique } from "../helpers";
import { subscribe } from "./helpers";

const SLACK = "https://hooks.slack.com/services/T0001/B0002/XXXXXXXXXXXXXXXXXXXXXXXX";

const tokenHeaders = async (role: string) => {
	const token = await admin("POST", "/tokens", { name: unique(`${role} bot`), role });
	return { Authorization: `Bearer ${token.body.secret}`, "Content-Type": "application/json" };
};

const subscriptionCount = async () => (await admin("GET", "/notifications")).body.subscriptions.length;

describe("a subscription's destination", () => {
	it.each([
		["plain http", "webhook", "http://receiver.example.com/hook", "param must be an https: URL: url"],
		[
			"http to this machine, unless the deployment allows it",
			"webhook",
			"http://localhost:9000/hook",
			"param must be an https: URL: url",
		],
		["another scheme", "webhook", "javascript:alert(1)", "param must be an https: URL: url"],
		["not a URL", "webhook", "receiver.example.com/hook", "param is not a valid URL: url"],
		[
			"credentials in the URL",
			"webhook",
			"https://user:pass@receiver.example.com/hook",
			"param must not carry a user name or password: url",
		],
		[
			"the tracker itself",
			"webhook",
			"https://deploys.example.com/api/integrations",
			"param must not point at this tracker: url",
		],
		[
			"Slack, not at Slack",
			"slack",
			"https://receiver.example.com/services/T/B/X",
			"param must be a Slack incoming webhook (https://hooks.slack.com/services/…): url",
		],
	])("refuses %s with a 400, storing nothing", async (_, kind, url, detail) => {
		const before = await subscriptionCount();
		const res = await admin("POST", "/notifications", { name: "Bad", kind, url });
		expectError(res, 400, "Url Error");
		expect(res.body.errors.map((e: { detail: string }) => e.detail)).toEqual([detail]);
		expect(await subscriptionCount()).toBe(before);
	});

	it("may be http://localhost only where NOTIFICATIONS_ALLOW_HTTP says so (development)", async () => {
		const res = await fetchWithEnv({ NOTIFICATIONS_ALLOW_HTTP: "localhost" }, "/api/notifications", {
			method: "POST",
			headers: { Authorization: `Bearer ${env.ADMIN_TOKEN}`, "Content-Type": "application/json" },
			body: JSON.stringify({ name: "Dev receiver", kind: "webhook", url: "http://127.0.0.1:9000/hook" }),
		});
		expect(res.status).toBe(201);
	});

	it("refuses unknown events, a service and a team together, and a service that does not exist", async () => {
		const url = "https://receiver.example.com/hook";
		expectError(
			await admin("POST", "/notifications", { name: "x", kind: "webhook", url, events: ["deploy.nope"] }),
			400,
			"Events 0 Error",
		);
		expectError(
			await admin("POST", "/notifications", { name: "x", kind: "webhook", url, events: [] }),
			400,
			"Events Error",
		);
		expectError(
			await admin("POST", "/notifications", { name: "x", kind: "webhook", url, service_id: "a", team_id: "b" }),
			400,
			"Filter Error",
		);
		expectError(await admin("POST", "/notifications", { name: "x", kind: "webhook", url, service_id: "nope" }), 404);
	});
});

describe("secrets", () => {
	it("are shown once, on creation, and never in a list, a read or the audit log", async () => {
		const created = await subscribe({ url: "https://receiver.example.com/hook" });
		expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
		const secret = created.secret ?? "";
		const [list, one, audit] = await Promise.all([
			admin("GET", "/notifications"),
			admin("GET", `/notifications/${created.id}`),
			admin("GET", `/audit?target_type=subscription&target_id=${created.id}`),
		]);
		for (const res of [list, one, audit]) expect(JSON.stringify(res.body)).not.toContain(secret.slice("whsec_".length));
		expect(one.body).not.toHaveProperty("secret");
		expect(audit.body.events.map((e: { action: string }) => e.action)).toEqual(["subscription.create"]);
	});

	it("rotate: the new one is shown once, and both sign until the old one's grace ends", async () => {
		const created = await subscribe({ url: "https://receiver.example.com/hook" });
		const rotated = await admin("POST", `/notifications/${created.id}/secret`);
		expect(rotated.status).toBe(200);
		expect(rotated.body.secret).not.toBe(created.secret);
		expect(Date.parse(rotated.body.previous_secret_expires_at) - Date.now()).toBeGreaterThan(23 * 3600_000);
		const body = JSON.stringify({ type: "deploy.recorded" });
		const timestamp = Math.floor(Date.now() / 1000);
		const headers = {
			"webhook-id": "msg_1",
			"webhook-timestamp": String(timestamp),
			"webhook-signature": await signature([rotated.body.secret, created.secret ?? ""], "msg_1", timestamp, body),
		};
		// A receiver on either secret accepts it (standardwebhooks tries each signature).
		expect(new Webhook(rotated.body.secret).verify(body, headers)).toEqual({ type: "deploy.recorded" });
		expect(new Webhook(created.secret ?? "").verify(body, headers)).toEqual({ type: "deploy.recorded" });
		expect(() => new Webhook(`whsec_${btoa("another key of 32 bytes, not ours")}`).verify(body, headers)).toThrow();
	});

	it("a Slack subscription has none, and its URL, a credential itself, is shown masked", async () => {
		const created = await subscribe({ kind: "slack", url: SLACK });
		expect(created.secret).toBeNull();
		const [one, audit] = await Promise.all([
			admin("GET", `/notifications/${created.id}`),
			admin("GET", `/audit?target_type=subscription&target_id=${created.id}`),
		]);
		expect(one.body.destination).toBe("https://hooks.slack.com/services/T0001/B0002/…");
		expect(JSON.stringify(audit.body)).not.toContain("XXXXXXXX");
		expectError(await admin("POST", `/notifications/${created.id}/secret`), 409, "Secret Error");
	});
});

describe("a merge", () => {
	it("moves a subscription to the merged service over to the service it merged into, which now has its deploys", async () => {
		const [kept, merged] = [await api.createService(unique("Kept")), await api.createService(unique("Merged"))];
		const subscription = await subscribe({ url: "https://receiver.example.com/merged", service_id: merged.id });

		expect((await admin("POST", `/services/${merged.id}/merge`, { into_service_id: kept.id })).status).toBe(200);
		expect((await admin("GET", `/notifications/${subscription.id}`)).body.service_id).toBe(kept.id);
	});
});

describe("roles", () => {
	it("viewers read subscriptions; only editors change them", async () => {
		const created = await subscribe({ url: "https://receiver.example.com/hook" });
		const viewer = await tokenHeaders("viewer");
		expect((await call(`/api/notifications/${created.id}`, { headers: viewer })).status).toBe(200);
		expect((await call(`/api/notifications/${created.id}/deliveries`, { headers: viewer })).status).toBe(200);
		const body = JSON.stringify({ name: "x", kind: "webhook", url: "https://receiver.example.com/hook" });
		expectError(await parseResponse(await call("/api/notifications", { method: "POST", headers: viewer, body })), 403);
		for (const path of [
			`/api/notifications/${created.id}/secret`,
			`/api/notifications/${created.id}/deliveries/msg_x/redeliver`,
		]) {
			expectError(await parseResponse(await call(path, { method: "POST", headers: viewer })), 403);
		}
		const editor = await tokenHeaders("editor");
		expect((await call(`/api/notifications/${created.id}`, { method: "DELETE", headers: editor })).status).toBe(204);
		expectError(await admin("GET", `/notifications/${created.id}`), 404, "Subscription Error");
	});
});

it("retries back off exponentially from 30 seconds, capped at an hour", () => {
	expect([1, 2, 3, 4, 5, 6, 7, 8].map((attempt) => backoffSeconds(attempt))).toEqual([
		30, 60, 120, 240, 480, 960, 1920, 3600,
	]);
});

it("the OpenAPI document describes the payload under webhooks", async () => {
	const document = await (await call("/api/openapi.json")).json<any>();
	const schema = document.webhooks["deploy-event"].post.requestBody.content["application/json"].schema;
	expect({ type: schema.properties.type.enum, data: Object.keys(schema.properties.data.properties) }).toEqual({
		type: ["deploy.recorded", "deploy.status_changed", "deploy.failed", "deploy.rolled_back"],
		data: [
			"id",
			"service",
			"alias",
			"environment",
			"number",
			"status",
			"rollback",
			"deployer",
			"commit",
			"deployed_at",
			"links",
		],
	});
});
