import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it, vi } from "vitest";
import { parseCostHeader } from "../../src/cost/meter";
import {
	ADMIN,
	admin,
	api,
	call,
	deploysOf,
	examplePayload,
	expectError,
	ISO_DATETIME,
	ORIGIN,
	postDeploy,
	suggestedAliases,
	unique,
} from "../helpers";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The uuid at the end of a webhook URL. */
const webhookUuid = (url: string) => url.split("/").at(-1);

describe("POST /api/integrations", () => {
	it("answers 201 with id, name, kind, webhook_url and created_at", async () => {
		const name = unique("GitHub Actions");
		const res = await admin("POST", "/integrations", { name });
		expect(res.status).toBe(201);
		expect(res.body).toEqual({
			id: expect.any(String),
			name,
			kind: "deploy",
			webhook_url: expect.any(String),
			created_at: expect.stringMatching(ISO_DATETIME),
		});
	});

	it("records the tool it is set up for, and lists it", async () => {
		const res = await admin("POST", "/integrations", { name: unique("GitLab"), kind: "gitlab_ci" });
		expect(res.body.kind).toBe("gitlab_ci");
		expect((await admin("GET", `/integrations/${res.body.id}`)).body.kind).toBe("gitlab_ci");
	});

	it("refuses an unknown kind, naming the field and the choices", async () => {
		const res = await admin("POST", "/integrations", { name: unique("CI"), kind: "teamcity" });
		expectError(res, 400, "Kind Error");
		expect(res.body.errors[0].detail).toBe(
			"param must be one of deploy, github_actions, gitlab_ci, jenkins, octopus, circleci, github, argocd, flux: kind",
		);
	});

	it("gives an absolute webhook URL on this origin ending in a v4 uuid", async () => {
		const integration = await api.createIntegration(unique("CI"));
		const escapedOrigin = ORIGIN.replace(/[.]/g, "\\.");
		expect(integration.webhook_url).toMatch(new RegExp(`^${escapedOrigin}/integrations/deploy/[^/]+$`));
		expect(webhookUuid(integration.webhook_url)).toMatch(UUID_V4);
	});

	it("keeps the webhook uuid distinct from the integration id", async () => {
		const integration = await api.createIntegration(unique("CI"));
		expect(webhookUuid(integration.webhook_url)).not.toBe(integration.id);
		expect(integration.webhook_url).not.toContain(integration.id);
	});

	it("gives every integration its own webhook URL and id", async () => {
		const a = await api.createIntegration(unique("CI"));
		const b = await api.createIntegration(unique("CI"));
		expect(a.id).not.toBe(b.id);
		expect(a.webhook_url).not.toBe(b.webhook_url);
	});

	it("gives a webhook URL that accepts deploys", async () => {
		const integration = await api.createIntegration(unique("CI"));
		const res = await postDeploy(integration.webhook_url, examplePayload({ service: unique("svc") }));
		expect(res.status).toBe(202);
	});

	it("answers 400 Name Error without a name", async () => {
		expectError(await admin("POST", "/integrations", {}), 400, "Name Error");
	});

	it("answers 400 Name Error for a blank name", async () => {
		expectError(await admin("POST", "/integrations", { name: "   " }), 400, "Name Error");
	});

	it("answers 400 Name Error for a name that is not a string", async () => {
		expectError(await admin("POST", "/integrations", { name: 42 }), 400, "Name Error");
	});

	it("answers 400 for malformed JSON", async () => {
		expectError(await admin("POST", "/integrations", '{"name": "CI"'), 400);
	});

	it("answers 400 for a body that is not an object", async () => {
		expectError(await admin("POST", "/integrations", ["CI"]), 400);
	});
});

describe("GET /api/integrations", () => {
	it("lists the created integration under `integrations`", async () => {
		const integration = await api.createIntegration(unique("CI"));
		const res = await admin("GET", "/integrations");
		expect(res.status).toBe(200);
		expect(res.body).toEqual({ integrations: expect.any(Array) });
		expect(res.body.integrations).toContainEqual(integration);
	});
});

describe("GET /api/integrations/:id", () => {
	it("answers the integration as it was created, with no previous URLs", async () => {
		const integration = await api.createIntegration(unique("CI"));
		const res = await admin("GET", `/integrations/${integration.id}`);
		expect(res).toEqual({ status: 200, body: { ...integration, previous_webhook_urls: [] } });
	});

	it("answers 404 in the error shape for an unknown id", async () => {
		expectError(await admin("GET", `/integrations/${crypto.randomUUID()}`), 404);
	});
});

describe("DELETE /api/integrations/:id", () => {
	it("answers 204 with no body", async () => {
		const integration = await api.createIntegration(unique("CI"));
		const response = await call(`/api/integrations/${integration.id}`, { method: "DELETE", headers: ADMIN });
		expect(response.status).toBe(204);
		expect(await response.text()).toBe("");
	});

	it("makes the webhook answer 404 in the error shape", async () => {
		const integration = await api.createIntegration(unique("CI"));
		expect((await admin("DELETE", `/integrations/${integration.id}`)).status).toBe(204);
		const res = await postDeploy(integration.webhook_url, examplePayload({ service: unique("svc") }));
		expectError(res, 404);
	});

	it("stores nothing the revoked webhook is sent", async () => {
		const integration = await api.createIntegration(unique("CI"));
		const alias = unique("revoked-svc");
		await admin("DELETE", `/integrations/${integration.id}`);
		await postDeploy(integration.webhook_url, examplePayload({ service: alias }));

		expect(await deploysOf(alias)).toEqual([]);
		expect(await suggestedAliases()).not.toContain(alias);
	});

	it("keeps the deploys the webhook accepted before the delete", async () => {
		const integration = await api.createIntegration(unique("CI"));
		const alias = unique("svc");
		expect((await postDeploy(integration.webhook_url, examplePayload({ service: alias }))).status).toBe(202);
		await admin("DELETE", `/integrations/${integration.id}`);
		expect(await deploysOf(alias)).toHaveLength(1);
	});

	it("removes the integration from the list", async () => {
		const integration = await api.createIntegration(unique("CI"));
		await admin("DELETE", `/integrations/${integration.id}`);
		const res = await admin("GET", "/integrations");
		expect(res.body.integrations.map((i: { id: string }) => i.id)).not.toContain(integration.id);
	});

	it("makes GET /api/integrations/:id answer 404", async () => {
		const integration = await api.createIntegration(unique("CI"));
		await admin("DELETE", `/integrations/${integration.id}`);
		expectError(await admin("GET", `/integrations/${integration.id}`), 404);
	});

	it("answers 404 in the error shape the second time", async () => {
		const integration = await api.createIntegration(unique("CI"));
		expect((await admin("DELETE", `/integrations/${integration.id}`)).status).toBe(204);
		expectError(await admin("DELETE", `/integrations/${integration.id}`), 404);
	});

	it("answers 404 for an unknown id", async () => {
		expectError(await admin("DELETE", `/integrations/${crypto.randomUUID()}`), 404);
	});

	it("leaves other integrations' webhooks working", async () => {
		const doomed = await api.createIntegration(unique("CI"));
		const kept = await api.createIntegration(unique("CI"));
		await admin("DELETE", `/integrations/${doomed.id}`);
		const res = await postDeploy(kept.webhook_url, examplePayload({ service: unique("svc") }));
		expect(res.status).toBe(202);
	});
});

describe("POST /api/integrations/:id/rotate", () => {
	afterEach(() => {
		vi.useRealTimers();
	});

	it("issues a new URL and keeps the old one working for a day by default", async () => {
		const integration = await api.createIntegration(unique("rotating"));
		const res = await admin("POST", `/integrations/${integration.id}/rotate`);
		expect(res.status).toBe(200);
		expect(res.body.webhook_url).not.toBe(integration.webhook_url);
		expect(res.body.previous_webhook_urls).toEqual([
			{ webhook_url: integration.webhook_url, expires_at: expect.stringMatching(ISO_DATETIME) },
		]);
		const expires = Date.parse(res.body.previous_webhook_urls[0].expires_at);
		expect(expires - Date.now()).toBeGreaterThan(86_400_000 - 60_000);
		expect(expires - Date.now()).toBeLessThanOrEqual(86_400_000);

		for (const url of [integration.webhook_url, res.body.webhook_url]) {
			expect((await postDeploy(url, examplePayload({ service: unique("svc") }))).status).toBe(202);
		}
		expect((await admin("GET", `/integrations/${integration.id}`)).body).toEqual(res.body);
	});

	it("treats both URLs as one integration: a dedup_id seen on the old URL is a duplicate on the new", async () => {
		const integration = await api.createIntegration(unique("same-ledger"));
		const payload = examplePayload({ service: unique("svc") });
		expect((await postDeploy(integration.webhook_url, payload)).status).toBe(202);
		const rotated = (await admin("POST", `/integrations/${integration.id}/rotate`)).body;
		expect((await postDeploy(rotated.webhook_url, payload)).body.result).toBe("duplicate_deploy");
	});

	it("retires the old URL at once with grace_seconds 0", async () => {
		const integration = await api.createIntegration(unique("at-once"));
		// Cached as live by a first deploy: the rotation must still take effect.
		expect((await postDeploy(integration.webhook_url, examplePayload({ service: unique("svc") }))).status).toBe(202);
		const res = await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: 0 });
		expect(res.body.previous_webhook_urls).toEqual([]);
		expectError(await postDeploy(integration.webhook_url, examplePayload({ service: unique("svc") })), 404);
		expect((await postDeploy(res.body.webhook_url, examplePayload({ service: unique("svc") }))).status).toBe(202);
	});

	it("answers 404 on the old URL once the grace is over, even after it was cached", async () => {
		const integration = await api.createIntegration(unique("grace"));
		await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: 30 });
		expect((await postDeploy(integration.webhook_url, examplePayload({ service: unique("svc") }))).status).toBe(202);
		vi.useFakeTimers({ now: Date.now() + 31_000, toFake: ["Date"] });
		expectError(await postDeploy(integration.webhook_url, examplePayload({ service: unique("svc") })), 404);
	});

	it("holds an old URL's expiry to the millisecond, even where it was cached as the current URL", async () => {
		const integration = await api.createIntegration(unique("short-grace"));
		const service = unique("svc");
		// Cached as current by a first deploy, as in any isolate that served the URL before the rotation.
		expect((await postDeploy(integration.webhook_url, examplePayload({ service }))).status).toBe(202);
		const res = await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: 2 });
		const expiresAt = Date.parse(res.body.previous_webhook_urls[0].expires_at);

		vi.useFakeTimers({ now: expiresAt - 1, toFake: ["Date"] });
		expect((await postDeploy(integration.webhook_url, examplePayload({ service }))).status).toBe(202);
		vi.setSystemTime(expiresAt);
		const late = examplePayload({ service });
		expectError(await postDeploy(integration.webhook_url, late), 404, "Integration Error");

		expect(await deploysOf(service)).toHaveLength(2);
		// Nor did the ledger keep it: the same dedup_id is new on the new URL.
		expect((await postDeploy(res.body.webhook_url, late)).body.result).toBe("no_service_found");
	});

	it("forgets an expired URL once its ledger refuses it, so the next try is refused without the ledger", async () => {
		const integration = await api.createIntegration(unique("forgotten"));
		expect((await postDeploy(integration.webhook_url, examplePayload({ service: unique("svc") }))).status).toBe(202);
		await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: 0 });
		const attempt = async () => {
			const body = JSON.stringify(examplePayload({ service: unique("svc") }));
			const response = await call(new URL(integration.webhook_url).pathname, { method: "POST", body });
			return { status: response.status, doRequests: parseCostHeader(response.headers.get("Cost") ?? "").doRequests };
		};
		expect([await attempt(), await attempt()]).toEqual([
			{ status: 404, doRequests: 1 },
			{ status: 404, doRequests: 0 },
		]);
	});

	it("cuts a URL rotated twice at its own expiry, the first one still within its grace", async () => {
		const integration = await api.createIntegration(unique("twice"));
		const status = async (url: string) => (await postDeploy(url, examplePayload({ service: unique("svc") }))).status;
		// Each URL is cached as current before it is rotated away.
		expect(await status(integration.webhook_url)).toBe(202);
		const second = (await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: 60 })).body;
		expect(await status(second.webhook_url)).toBe(202);
		const third = (await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: 0 })).body;

		expect(third.previous_webhook_urls.map((p: { webhook_url: string }) => p.webhook_url)).toEqual([
			integration.webhook_url,
		]);
		const urls = [integration.webhook_url, second.webhook_url, third.webhook_url];
		expect(await Promise.all(urls.map(status))).toEqual([202, 404, 202]);
	});

	it("leaves the URL working, past the grace it would have had, when the rotation fails", async () => {
		const integration = await api.createIntegration(unique("failed-rotation"));
		expect((await postDeploy(integration.webhook_url, examplePayload({ service: unique("svc") }))).status).toBe(202);
		await env.DB.exec(
			"CREATE TRIGGER rotation_fails BEFORE INSERT ON retired_webhook_tokens BEGIN SELECT RAISE(ABORT, 'injected D1 failure'); END;",
		);
		try {
			expect((await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: 0 })).status).toBe(500);
		} finally {
			await env.DB.exec("DROP TRIGGER rotation_fails;");
		}
		vi.useFakeTimers({ now: Date.now() + 1_000, toFake: ["Date"] });
		expect((await admin("GET", `/integrations/${integration.id}`)).body.webhook_url).toBe(integration.webhook_url);
		expect((await postDeploy(integration.webhook_url, examplePayload({ service: unique("svc") }))).status).toBe(202);
	});

	it("stops accepting old URLs when the integration is revoked", async () => {
		const integration = await api.createIntegration(unique("revoked-rotated"));
		const rotated = (await admin("POST", `/integrations/${integration.id}/rotate`)).body;
		expect((await admin("DELETE", `/integrations/${integration.id}`)).status).toBe(204);
		for (const url of [integration.webhook_url, rotated.webhook_url]) {
			expectError(await postDeploy(url, examplePayload({ service: unique("svc") })), 404);
		}
		expectError(await admin("POST", `/integrations/${integration.id}/rotate`), 404);
	});

	it.each([-1, 1.5, "60", 30 * 86_400 + 1])("refuses grace_seconds %j", async (grace) => {
		const integration = await api.createIntegration(unique("bad-grace"));
		expectError(
			await admin("POST", `/integrations/${integration.id}/rotate`, { grace_seconds: grace }),
			400,
			"Grace seconds Error",
		);
		expect((await admin("GET", `/integrations/${integration.id}`)).body.webhook_url).toBe(integration.webhook_url);
	});
});
