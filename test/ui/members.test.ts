import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { keyEndpoint } from "../access/fixture";
import { accessPeople, type People } from "../access/people";
import { admin } from "../helpers";
import { cells, count, rowOf, view } from "./helpers";

// The Members page, used by people Cloudflare Access signs in: what an admin
// changes there is what the next request of the person changed gets.

let people: People;
beforeAll(async () => {
	keyEndpoint.listen({ onUnhandledRequest: "bypass" });
	people = await accessPeople();
});
afterAll(() => keyEndpoint.close());

/** The role the header says `email` has on their next page, or the status when they get no page. */
async function roleOf(email: string): Promise<string | number> {
	const seen = await people.page(email, "/services");
	return seen.status === 200 ? (/class="role">(\w+)</.exec(seen.html)?.[1] ?? "no role shown") : seen.status;
}

/** Who did what to `email`, newest first, as the audit API lists `action`'s events. */
async function audited(action: string, email: string) {
	const { body } = await admin("GET", `/audit?action=${action}&limit=200`);
	return body.events
		.filter((e: any) => e.target.type === "member" && e.target.id === email)
		.map((e: any) => ({ actor: e.actor.name, role: e.details?.role }));
}

describe("the Members page", () => {
	it("adds a member, changes their role and removes them; each takes effect on their next request, audited", async () => {
		const boss = await people.member("admin");
		const newcomer = `new-${crypto.randomUUID()}@example.com`;
		expect(await roleOf(newcomer)).toBe(403);

		const added = await people.page(boss, "/members", { email: `  ${newcomer.toUpperCase()} `, role: "editor" });
		expect([added.status, added.location]).toEqual([303, "/members?done=saved"]);
		expect(await roleOf(newcomer)).toBe("editor");
		const listed = await people.page(boss, "/members?done=saved");
		expect(listed.html).toContain("The member was saved");
		expect(cells(rowOf(listed.html, newcomer)).slice(0, 3)).toEqual([newcomer, "editor", "Members page or API"]);

		await people.page(boss, "/members", { email: newcomer, role: "viewer" });
		expect(await roleOf(newcomer)).toBe("viewer");

		const removed = await people.page(boss, `/members/${encodeURIComponent(newcomer)}/remove`, {});
		expect([removed.status, removed.location]).toEqual([303, "/members?done=removed"]);
		expect(await roleOf(newcomer)).toBe(403);
		expect((await people.page(boss, "/members")).html).not.toContain(newcomer);

		expect(await audited("member.set", newcomer)).toEqual([
			{ actor: boss, role: "viewer" },
			{ actor: boss, role: "editor" },
		]);
		expect(await audited("member.remove", newcomer)).toEqual([{ actor: boss, role: "viewer" }]);
	});

	it("refuses to change or remove an admin from ACCESS_ADMINS, with a 409 page, and offers neither", async () => {
		const boss = await people.member("admin");
		const configured = `configured-${crypto.randomUUID()}@example.com`;
		const vars = { ACCESS_ADMINS: `someone@example.com, ${configured}` };
		const page = await people.page(boss, "/members", undefined, vars);
		const row = rowOf(page.html, configured);
		expect(cells(row)).toEqual([configured, "admin", "ACCESS_ADMINS", "—", "Cannot be changed here"]);
		expect(row).not.toContain("<form");

		const changed = await people.page(boss, "/members", { email: configured, role: "viewer" }, vars);
		expect(changed.status).toBe(409);
		expect(changed.html).toContain("change that variable to change their access");
		const removed = await people.page(boss, `/members/${encodeURIComponent(configured)}/remove`, {}, vars);
		expect(removed.status).toBe(409);
		expect(await audited("member.set", configured)).toEqual([]);
		expect((await people.page(configured, "/members", undefined, vars)).status).toBe(200);
	});

	it("shows the form again with the reason when the email is not one, and adds nobody", async () => {
		const boss = await people.member("admin");
		const refused = await people.page(boss, "/members", { email: "not-an-email", role: "admin" });
		expect(refused.status).toBe(400);
		expect(refused.html).toContain("param must be an email address");
		expect(refused.html).toContain('value="not-an-email"');
		expect(count(refused.html, "<tr")).toBe(count((await people.page(boss, "/members")).html, "<tr"));
	});

	it("says what people who are not listed get", async () => {
		const boss = await people.member("admin");
		const none = await people.page(boss, "/members");
		expect(none.html).toMatch(/ACCESS_DEFAULT_ROLE<\/code>:\s*<strong>no access<\/strong>/);
		const editors = await people.page(boss, "/members", undefined, { ACCESS_DEFAULT_ROLE: "Editor" });
		expect(editors.html).toMatch(/ACCESS_DEFAULT_ROLE<\/code>:\s*<strong>editor<\/strong>/);
		expect(none.html).not.toContain("Cloudflare Access is not configured");
	});

	it("says members only matter behind Cloudflare Access when it is not configured", async () => {
		const { status, html } = await view("/members");
		expect(status).toBe(200);
		expect(html).toContain("Cloudflare Access is not configured");
	});

	it.each(["viewer", "editor"] as const)(
		"is for admins only: a 403 page for a %s, no change, no Members link",
		async (role) => {
			const person = await people.member(role);
			const refused = await people.page(person, "/members");
			expect(refused.status).toBe(403);
			expect(refused.html).toContain("this needs the admin role or higher");
			const forged = `forged-${crypto.randomUUID()}@example.com`;
			expect((await people.page(person, "/members", { email: forged, role: "admin" })).status).toBe(403);
			expect(await roleOf(forged)).toBe(403);
			expect((await people.page(person, "/services")).html).not.toContain('href="/members"');
			expect((await people.page(await people.member("admin"), "/services")).html).toContain('href="/members"');
		},
	);
});
