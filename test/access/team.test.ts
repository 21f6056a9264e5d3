import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Role } from "../../src/model/roles";
import { ADMIN, admin, call, fetchWithEnv, ORIGIN, unique } from "../helpers";
import { keyEndpoint } from "./fixture";
import { accessPeople, type People } from "./people";

// Team access end to end: people signed in by Cloudflare Access, API tokens,
// and what each may see and do, through the real app.

let people: People;
beforeAll(async () => {
	keyEndpoint.listen({ onUnhandledRequest: "bypass" });
	people = await accessPeople();
});
afterAll(() => keyEndpoint.close());

const member = (role: Role) => people.member(role);
const asPerson = (email: string, path: string, init?: RequestInit, extra?: Partial<Cloudflare.Env>) =>
	people.request(email, path, init, extra);
const accessEnv = (extra?: Partial<Cloudflare.Env>) => people.bindings(extra);

const json = (method: string, body: unknown): RequestInit => ({
	method,
	headers: { "Content-Type": "application/json" },
	body: JSON.stringify(body),
});

async function auditActors(action: string) {
	const { body } = await admin("GET", `/audit?action=${action}&limit=200`);
	return body.events.map((e: { actor: unknown }) => e.actor);
}

describe("people signed in through Cloudflare Access", () => {
	it("use the API with their role, and the audit log names them", async () => {
		const [editor, viewer] = [await member("editor"), await member("viewer")];
		const name = unique("Made by a person");
		const made = await asPerson(editor, "/api/services", json("POST", { name }));
		expect(made.status).toBe(201);
		const refused = await asPerson(viewer, "/api/services", json("POST", { name: unique("viewer's") }));
		expect([refused.status, (await refused.json<any>()).errors[0].title]).toEqual([403, "Role Error"]);
		expect(await auditActors("service.create")).toContainEqual({ kind: "member", name: editor });
	});

	it.each([
		["expired", { exp: Math.floor(Date.now() / 1000) - 3600 }],
		["for another application", { aud: ["another-app"] }],
		["from another team", { iss: "https://elsewhere.cloudflareaccess.com" }],
	])("are refused with 401 when the assertion is %s, and nothing changes", async (_, claims) => {
		const editor = await member("editor");
		const name = unique("refused");
		const res = await fetchWithEnv(accessEnv(), "/api/services", {
			...json("POST", { name }),
			headers: {
				"Content-Type": "application/json",
				"Cf-Access-Jwt-Assertion": await people.assertion(editor, claims),
			},
		});
		expect(res.status).toBe(401);
		const names = (await admin("GET", "/services")).body.services.map((s: { name: string }) => s.name);
		expect(names).not.toContain(name);
	});

	it("get no access when not members and the default role is none; a 403 that says so", async () => {
		const res = await asPerson(`stranger-${crypto.randomUUID()}@example.com`, "/services", {
			headers: { Accept: "text/html" },
		});
		expect(res.status).toBe(403);
		expect(await res.text()).toContain("ask an admin to add you");
	});

	it("see who they are and only the actions their role allows", async () => {
		const viewer = await member("viewer");
		const html = await (await asPerson(viewer, "/services", { headers: { Accept: "text/html" } })).text();
		expect(html).toContain(viewer);
		expect(html).toContain('class="role">viewer<');
		expect(html).not.toContain('href="/services/new"');
		const editor = await member("editor");
		expect(await (await asPerson(editor, "/services", { headers: { Accept: "text/html" } })).text()).toContain(
			'href="/services/new"',
		);
	});

	it("never see a webhook URL unless they are admins", async () => {
		const created = (await admin("POST", "/integrations", { name: unique("secret URL") })).body;
		const viewer = await member("viewer");
		const listed = await (await asPerson(viewer, `/api/integrations/${created.id}`)).json<any>();
		expect([listed.webhook_url, listed.previous_webhook_urls]).toEqual([null, null]);
		const page = await (
			await asPerson(viewer, `/integrations/${created.id}`, { headers: { Accept: "text/html" } })
		).text();
		expect(page).not.toContain(created.webhook_url.split("/").at(-1));
		expect(page).toContain("Only admins see this integration&#39;s secret URL");
		const adminEmail = await member("admin");
		const shown = await (
			await asPerson(adminEmail, `/integrations/${created.id}`, { headers: { Accept: "text/html" } })
		).text();
		expect(shown).toContain(created.webhook_url.split("/").at(-1));
	});

	it("cannot sign in to the pages with the admin token unless ADMIN_TOKEN_UI allows it; the API still takes it", async () => {
		const form = (token: string): RequestInit => ({
			method: "POST",
			redirect: "manual",
			headers: { Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
			body: new URLSearchParams({ token }).toString(),
		});
		const token = env.ADMIN_TOKEN ?? "";
		const refused = await fetchWithEnv(accessEnv(), "/login", form(token));
		expect([refused.status, refused.headers.get("Set-Cookie")]).toEqual([403, null]);
		const allowed = await fetchWithEnv(accessEnv({ ADMIN_TOKEN_UI: "allow" }), "/login", form(token));
		expect(allowed.status).toBe(303);
		const page = await fetchWithEnv(accessEnv(), "/services", { redirect: "manual", headers: { Accept: "text/html" } });
		expect(page.status).toBe(401);
		expect((await fetchWithEnv(accessEnv(), "/api/services", { headers: ADMIN })).status).toBe(200);
	});
});

describe("API tokens", () => {
	/** Creates a token through the API as `headers`' bearer, insisting on a 201. */
	async function newToken(body: Record<string, unknown>, headers: Record<string, string> = ADMIN) {
		const res = await call("/api/tokens", {
			...json("POST", body),
			headers: { ...headers, "Content-Type": "application/json" },
		});
		expect(res.status).toBe(201);
		return res.json<any>();
	}
	const bearer = (secret: string) => ({ Authorization: `Bearer ${secret}` });

	it("show their secret once, with a prefix scanners know, and never again", async () => {
		const made = await newToken({ name: unique("dashboard"), role: "viewer" });
		expect(made.secret).toMatch(/^dtk_[A-Za-z0-9_-]{43}$/);
		expect(made.hint).toBe(made.secret.slice(-4));
		const listed = await (await call("/api/tokens", { headers: ADMIN })).text();
		expect(listed).toContain(made.id);
		expect(listed).not.toContain(made.secret);
		const audit = JSON.stringify((await admin("GET", "/audit?action=api_token.create&limit=200")).body);
		expect(audit).not.toContain(made.secret);
	});

	it("work with their role, record their last use, and stop at once when revoked", async () => {
		const made = await newToken({ name: unique("bot"), role: "editor" });
		const used = await call("/api/services", {
			...json("POST", { name: unique("by token") }),
			headers: { ...bearer(made.secret), "Content-Type": "application/json" },
		});
		expect(used.status).toBe(201);
		expect(await auditActors("service.create")).toContainEqual({ kind: "api-token", name: made.name });
		const admins = await call("/api/integrations", {
			...json("POST", { name: unique("no") }),
			headers: { ...bearer(made.secret), "Content-Type": "application/json" },
		});
		expect(admins.status).toBe(403);
		const listed = (await (await call("/api/tokens", { headers: ADMIN })).json<any>()).tokens.find(
			(t: any) => t.id === made.id,
		);
		expect(listed.last_used_at).not.toBeNull();

		expect((await call(`/api/tokens/${made.id}`, { method: "DELETE", headers: ADMIN })).status).toBe(204);
		expect((await call("/api/services", { headers: bearer(made.secret) })).status).toBe(401);
	});

	it("expire: refused from their expiry on", async () => {
		const made = await newToken({
			name: unique("short"),
			role: "viewer",
			expires_at: new Date(Date.now() + 1500).toISOString(),
		});
		expect((await call("/api/services", { headers: bearer(made.secret) })).status).toBe(200);
		await new Promise((resolve) => setTimeout(resolve, 1600));
		expect((await call("/api/services", { headers: bearer(made.secret) })).status).toBe(401);
	});

	it("cannot be made above their maker's role, nor by another token", async () => {
		const viewer = await newToken({ name: unique("viewer"), role: "viewer" });
		const escalate = await call("/api/tokens", {
			...json("POST", { name: unique("up"), role: "admin" }),
			headers: { ...bearer(viewer.secret), "Content-Type": "application/json" },
		});
		expect([escalate.status, (await escalate.json<any>()).errors[0].title]).toEqual([403, "Role Error"]);
		const editorPerson = await member("editor");
		const tooHigh = await asPerson(editorPerson, "/api/tokens", json("POST", { name: unique("up"), role: "admin" }));
		expect(tooHigh.status).toBe(403);
		const fine = await asPerson(editorPerson, "/api/tokens", json("POST", { name: unique("mine"), role: "editor" }));
		expect(fine.status).toBe(201);
	});

	it("are listed and revoked by their maker, or by an admin; not by others", async () => {
		const [ada, bob] = [await member("viewer"), await member("viewer")];
		const adas = await (
			await asPerson(ada, "/api/tokens", json("POST", { name: unique("ada's"), role: "viewer" }))
		).json<any>();
		const bobsList = await (await asPerson(bob, "/api/tokens")).json<any>();
		expect(bobsList.tokens.map((t: any) => t.id)).not.toContain(adas.id);
		expect((await asPerson(bob, `/api/tokens/${adas.id}`, { method: "DELETE" })).status).toBe(403);
		expect((await asPerson(ada, `/api/tokens/${adas.id}`, { method: "DELETE" })).status).toBe(204);
	});
});
