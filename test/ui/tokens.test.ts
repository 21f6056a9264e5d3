import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DAY } from "../../src/http/datetime";
import { keyEndpoint } from "../access/fixture";
import { accessPeople, type People } from "../access/people";
import { admin, call, unique } from "../helpers";
import { cells, rowOf, view } from "./helpers";

// The API tokens page, used by people Cloudflare Access signs in: a token's
// secret is on the response that made it and nowhere after.

let people: People;
beforeAll(async () => {
	keyEndpoint.listen({ onUnhandledRequest: "bypass" });
	people = await accessPeople();
});
afterAll(() => keyEndpoint.close());

const SECRET = /dtk_[A-Za-z0-9_-]{43}/g;
const bearer = (secret: string) => ({ headers: { Authorization: `Bearer ${secret}` } });
/** A UTC day `days` from today, as a date input sends it. */
const dayFromToday = (days: number) => new Date(Date.now() + days * DAY).toISOString().slice(0, 10);

/** Creates a token through the page as `email`, insisting on the 201 page, and reads its one secret off it. */
async function create(email: string, fields: Record<string, string>) {
	const made = await people.page(email, "/tokens", { expires_at: "", ...fields });
	expect(made.status).toBe(201);
	const secrets = [...new Set(made.html.match(SECRET))];
	expect(secrets).toHaveLength(1);
	return { ...made, secret: secrets[0] as string };
}

/** Every token's name, as the API lists them to the admin. */
const allNames = async () => (await admin("GET", "/tokens")).body.tokens.map((t: { name: string }) => t.name);

describe("the API tokens page", () => {
	it("shows a new token's secret once, on the 201 page that made it; never in the list or the audit log after", async () => {
		const editor = await people.member("editor");
		const name = unique("Release dashboard");
		const made = await create(editor, { name, role: "editor" });
		expect(made.html).toContain("Copy it now: it won&#39;t be shown again.");
		expect(made.cacheControl).toContain("no-store");
		expect(made.location).toBeNull();

		const used = await call("/api/services", {
			method: "POST",
			headers: { ...bearer(made.secret).headers, "Content-Type": "application/json" },
			body: JSON.stringify({ name: unique("by the page's token") }),
		});
		expect(used.status).toBe(201);

		const again = await people.page(editor, "/tokens");
		expect(again.html).not.toContain(made.secret);
		expect(cells(rowOf(again.html, name)).slice(0, 4)).toEqual([name, "editor", `…${made.secret.slice(-4)}`, editor]);
		expect((await view("/audit")).html).not.toContain(made.secret);
		const events = (await admin("GET", "/audit?action=api_token.create&limit=200")).body.events;
		expect(JSON.stringify(events)).not.toContain(made.secret);
		expect(events.find((e: any) => e.details?.name === name)?.actor).toEqual({ kind: "member", name: editor });
	});

	it("offers only roles up to the viewer's own, and refuses a forged higher one with a 403 page, creating nothing", async () => {
		const viewer = await people.member("viewer");
		const form = (await people.page(viewer, "/tokens")).html;
		expect([...form.matchAll(/<option value="(\w+)"/g)].map((m) => m[1])).toEqual(["viewer"]);
		const name = unique("escalation");
		const refused = await people.page(viewer, "/tokens", { name, role: "admin", expires_at: "" });
		expect(refused.status).toBe(403);
		expect(refused.html).toContain("a token&#39;s role cannot be above your own (viewer)");
		expect(refused.html).not.toMatch(SECRET);
		expect(await allNames()).not.toContain(name);
	});

	it("flags tokens expiring within a week, and only those", async () => {
		const viewer = await people.member("viewer");
		const soon = unique("expires soon");
		const later = unique("expires later");
		await create(viewer, { name: soon, role: "viewer", expires_at: dayFromToday(3) });
		const today = unique("expires today");
		await create(viewer, { name: later, role: "viewer", expires_at: dayFromToday(30) });
		await create(viewer, { name: today, role: "viewer", expires_at: dayFromToday(0) });
		// Through the API, to the millisecond: three days ahead is "in 3 days", not the whole days left (2.99…).
		const exact = unique("expires in exactly three days");
		const expires_at = new Date(Date.now() + 3 * DAY).toISOString();
		const body = JSON.stringify({ name: exact, role: "viewer", expires_at });
		const made = { method: "POST", headers: { "Content-Type": "application/json" }, body };
		expect((await people.request(viewer, "/api/tokens", made)).status).toBe(201);
		const { html } = await people.page(viewer, "/tokens");
		expect(cells(rowOf(html, soon))[5]).toContain("expires in 3 days");
		expect(cells(rowOf(html, exact))[5]).toContain("expires in 3 days");
		expect(cells(rowOf(html, today))[5]).toContain("expires today");
		expect(cells(rowOf(html, later))[5]).not.toContain("expires in");
	});

	it("refuses an expiry day in the past, showing the form again as typed", async () => {
		const viewer = await people.member("viewer");
		const name = unique("already expired");
		const refused = await people.page(viewer, "/tokens", { name, role: "viewer", expires_at: dayFromToday(-1) });
		expect(refused.status).toBe(400);
		expect(refused.html).toContain("param must be in the future: expires_at");
		expect(refused.html).toContain(`value="${name}"`);
		expect(await allNames()).not.toContain(name);
	});

	it("revokes a token at once: /api refuses it on the next request", async () => {
		const editor = await people.member("editor");
		const name = unique("to revoke");
		const { secret } = await create(editor, { name, role: "viewer" });
		expect((await call("/api/services", bearer(secret))).status).toBe(200);
		const id = (await admin("GET", "/tokens")).body.tokens.find((t: any) => t.name === name).id;

		const revoked = await people.page(editor, `/tokens/${id}/revoke`, {});
		expect([revoked.status, revoked.location]).toEqual([303, "/tokens?done=revoked"]);
		expect((await call("/api/services", bearer(secret))).status).toBe(401);
		const { html } = await people.page(editor, "/tokens?done=revoked");
		expect(html).toContain("The token was revoked");
		expect(cells(rowOf(html, name))[7]).toMatch(/^revoked/);
		expect(rowOf(html, name)).not.toContain(`/tokens/${id}/revoke`);
	});

	it("lists and revokes only a person's own tokens; an admin sees and revokes everyone's", async () => {
		const [ada, bob] = [await people.member("viewer"), await people.member("viewer")];
		const name = unique("made by ada");
		const { secret } = await create(ada, { name, role: "viewer" });
		const id = (await admin("GET", "/tokens")).body.tokens.find((t: any) => t.name === name).id;
		expect((await people.page(bob, "/tokens")).html).not.toContain(name);
		const forged = await people.page(bob, `/tokens/${id}/revoke`, {});
		expect(forged.status).toBe(403);
		expect((await call("/api/services", bearer(secret))).status).toBe(200);

		const boss = await people.member("admin");
		expect(cells(rowOf((await people.page(boss, "/tokens")).html, name))[3]).toBe(ada);
		expect((await people.page(boss, `/tokens/${id}/revoke`, {})).status).toBe(303);
		expect((await call("/api/services", bearer(secret))).status).toBe(401);
	});
});
