import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import { credentialFor } from "../../src/access/admin-token";
import {
	admin,
	api,
	call,
	examplePayload,
	expectError,
	ISO_DATETIME,
	parseResponse,
	postDeploy,
	unique,
} from "../helpers";
import { page, signIn } from "../ui/helpers";

type Event = {
	id: string;
	at: string;
	via: "api" | "ui";
	actor: { kind: string; name: string | null };
	credential: "current" | "previous" | null;
	ip: string | null;
	action: string;
	target: { type: string; id: string };
	details: Record<string, unknown> | null;
};

async function eventsFor(type: string, id: string): Promise<Event[]> {
	const res = await admin<{ events: Event[] }>("GET", `/audit?target_type=${type}&target_id=${id}`);
	expect(res.status).toBe(200);
	return res.body.events;
}

async function suggestionFor(alias: string): Promise<string> {
	const integration = await api.createIntegration(unique("audit"));
	expect((await postDeploy(integration.webhook_url, examplePayload({ service: alias }))).status).toBe(202);
	const { body } = await admin<{ suggestions: { id: string; alias: string }[] }>("GET", "/suggestions");
	const found = body.suggestions.find((s) => s.alias === alias);
	if (!found) throw new Error(`no suggestion for ${alias}`);
	return found.id;
}

describe("admin tokens during a rotation", () => {
	it("accepts the previous token alongside the current one, and names which was used", async () => {
		const res = await call("/api/integrations", { headers: { Authorization: "Bearer test-previous-admin-token" } });
		expect(res.status).toBe(200);
		expect(await credentialFor(env, "test-admin-token")).toBe("current");
		expect(await credentialFor(env, "test-previous-admin-token")).toBe("previous");
		expect(await credentialFor(env, "test-admin-token ")).toBeUndefined();
	});

	it("accepts only ADMIN_TOKEN once the previous one is removed", async () => {
		const settled = { ...env, ADMIN_TOKEN_PREVIOUS: undefined };
		expect(await credentialFor(settled, "test-previous-admin-token")).toBeUndefined();
		expect(await credentialFor(settled, "test-admin-token")).toBe("current");
		expect(
			await credentialFor({ ...env, ADMIN_TOKEN: undefined, ADMIN_TOKEN_PREVIOUS: undefined }, ""),
		).toBeUndefined();
	});

	it("lets a browser sign in with the previous token too", async () => {
		const cookie = await signIn("test-previous-admin-token");
		expect((await page(cookie, "/integrations")).status).toBe(200);
	});
});

describe("the audit log", () => {
	afterEach(async () => {
		await env.DB.exec("DROP TRIGGER IF EXISTS audit_down");
	});

	it("records each integration action with who, via what and when", async () => {
		const created = await admin("POST", "/integrations", { name: "Audited", kind: "jenkins" });
		const id = created.body.id;
		await admin("POST", `/integrations/${id}/rotate`, { grace_seconds: 60 });
		await call(`/api/integrations/${id}`, {
			method: "DELETE",
			headers: { Authorization: "Bearer test-previous-admin-token", "CF-Connecting-IP": "203.0.113.9" },
		});
		const events = await eventsFor("integration", id);
		expect(events.map((e) => e.action)).toEqual(["integration.revoke", "integration.rotate", "integration.create"]);
		expect(events[2]).toEqual({
			id: expect.any(String),
			at: expect.stringMatching(ISO_DATETIME),
			via: "api",
			actor: { kind: "admin-token", name: "admin token" },
			credential: "current",
			ip: null,
			action: "integration.create",
			target: { type: "integration", id },
			details: { name: "Audited", kind: "jenkins" },
		});
		expect(events[1]?.details).toEqual({ grace_seconds: 60 });
		expect(events[0]).toMatchObject({
			actor: { kind: "admin-token", name: "previous admin token" },
			credential: "previous",
			ip: "203.0.113.9",
			details: null,
		});
	});

	it("filters by an API token or a member as the target", async () => {
		const token = (await admin("POST", "/tokens", { name: unique("audited token"), role: "viewer" })).body;
		await admin("DELETE", `/tokens/${token.id}`);
		const email = `${unique("audited")}@example.com`;
		await admin("PUT", "/members", { email, role: "editor" });
		expect((await eventsFor("api-token", token.id)).map((e) => e.action)).toEqual([
			"api_token.revoke",
			"api_token.create",
		]);
		expect((await eventsFor("member", email)).map((e) => [e.action, e.details])).toEqual([
			["member.set", { role: "editor" }],
		]);
	});

	it("records service changes, and nothing for a refused one", async () => {
		const alias = unique("audited-alias");
		const service = await api.createService(unique("Audited"), [alias]);
		const extra = unique("extra");
		await admin("POST", `/services/${service.id}/aliases`, { alias: extra });
		await admin("POST", `/services/${service.id}/aliases`, { alias: extra }); // already has it: no change
		const taken = await api.createService(unique("Taken"));
		expectError(await admin("PATCH", `/services/${service.id}`, { name: taken.name }), 409);
		await admin("PATCH", `/services/${service.id}`, { name: "Renamed" });
		const events = await eventsFor("service", service.id);
		expect(events.map((e) => [e.action, e.details])).toEqual([
			["service.rename", { from: service.name, to: "Renamed" }],
			["service.alias.add", { alias: extra }],
			["service.create", { name: service.name, aliases: [alias] }],
		]);
	});

	it("records suggestion actions once, even when two race", async () => {
		const id = await suggestionFor(unique("raced"));
		const answers = await Promise.all([
			admin("POST", `/suggestions/${id}/accept`, { name: unique("Winner") }),
			admin("POST", `/suggestions/${id}/accept`, { name: unique("Loser") }),
		]);
		expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
		const events = await eventsFor("suggestion", id);
		expect(events).toHaveLength(1);
		expect(events[0]?.details).toEqual({ name: answers.find((a) => a.status === 201)?.body.service.name });
	});

	it("records changes made in the UI as via ui", async () => {
		const id = await suggestionFor(unique("from-ui"));
		const res = await page(await signIn(), `/suggestions/${id}/ignore`, {});
		expect(res.status).toBe(303);
		expect((await eventsFor("suggestion", id)).map((e) => [e.action, e.via, e.credential])).toEqual([
			["suggestion.ignore", "ui", "current"],
		]);
	});

	it("never shows a change that did not happen, nor lets one happen unlogged", async () => {
		await env.DB.exec(
			"CREATE TRIGGER audit_down BEFORE INSERT ON audit_events BEGIN SELECT RAISE(ABORT, 'audit log down'); END",
		);
		const name = unique("Unlogged");
		const res = await parseResponse(
			await call("/api/services", {
				method: "POST",
				headers: { Authorization: "Bearer test-admin-token", "Content-Type": "application/json" },
				body: JSON.stringify({ name }),
			}),
		);
		expectError(res, 500);
		const listed = (await admin<{ services: { name: string }[] }>("GET", "/services")).body.services;
		expect(listed.map((s) => s.name)).not.toContain(name);
	});

	it("lists newest first, filters by action, and pages with a cursor", async () => {
		const integration = await api.createIntegration(unique("paged"));
		for (const grace of [1, 2, 3])
			await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: grace });
		const first = await admin<{ events: Event[]; next_cursor: string }>(
			"GET",
			`/audit?target_type=integration&target_id=${integration.id}&action=integration.rotate&limit=2`,
		);
		expect(first.body.events.map((e) => e.details)).toEqual([{ grace_seconds: 3 }, { grace_seconds: 2 }]);
		const rest = await admin<{ events: Event[]; next_cursor: string | null }>(
			"GET",
			`/audit?target_type=integration&target_id=${integration.id}&action=integration.rotate&limit=2&cursor=${first.body.next_cursor}`,
		);
		expect(rest.body.events.map((e) => e.details)).toEqual([{ grace_seconds: 1 }]);
		expect(rest.body.next_cursor).toBeNull();
	});

	it.each([
		["target_id=x", "Target id Error"],
		["target_type=person", "Target type Error"],
		["limit=0", "Limit Error"],
		["cursor=nope", "Cursor Error"],
	])("refuses %s", async (query, title) => {
		expectError(await admin("GET", `/audit?${query}`), 400, title);
	});
});
