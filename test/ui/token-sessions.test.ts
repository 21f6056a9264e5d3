import { describe, expect, it } from "vitest";
import { ADMIN, call, fetchWithEnv, ORIGIN, unique } from "../helpers";
import { browse, form } from "./helpers";

/** An API token with `role`, made by the admin token; its secret. */
async function tokenWith(role: string): Promise<{ id: string; secret: string }> {
	const res = await call("/api/tokens", {
		method: "POST",
		headers: { ...ADMIN, "Content-Type": "application/json" },
		body: JSON.stringify({ name: unique(`${role} person`), role }),
	});
	expect(res.status).toBe(201);
	return res.json();
}

/** Signs in with `token` and answers the session's cookies, as a browser would send them back. */
async function signInWith(token: string): Promise<string> {
	const res = await browse("/login", { method: "POST", headers: { Origin: ORIGIN }, body: form({ token }) });
	expect(res.status).toBe(303);
	return res.headers
		.getSetCookie()
		.map((c) => c.split(";")[0])
		.join("; ");
}

const pageAs = (cookie: string, path: string) => browse(path, { headers: { Cookie: cookie, Accept: "text/html" } });

describe("signing in to the pages with an API token", () => {
	it("gives the token's role: a viewer reads, sees no actions, and is refused a change", async () => {
		const { secret } = await tokenWith("viewer");
		const cookie = await signInWith(secret);
		expect(cookie).not.toContain(secret);
		const list = await pageAs(cookie, "/services");
		const html = await list.text();
		expect([list.status, html.includes('class="role">viewer<'), html.includes('href="/services/new"')]).toEqual([
			200,
			true,
			false,
		]);
		const name = unique("forged");
		const forged = await browse("/services", {
			method: "POST",
			headers: { Cookie: cookie, Origin: ORIGIN },
			body: form({ name, aliases: "" }),
		});
		expect(forged.status).toBe(403);
		const names = (await (await call("/api/services", { headers: ADMIN })).json<any>()).services.map(
			(s: any) => s.name,
		);
		expect(names).not.toContain(name);
	});

	it("ends at once when the token is revoked", async () => {
		const { id, secret } = await tokenWith("editor");
		const cookie = await signInWith(secret);
		expect((await pageAs(cookie, "/services")).status).toBe(200);
		expect((await call(`/api/tokens/${id}`, { method: "DELETE", headers: ADMIN })).status).toBe(204);
		const after = await pageAs(cookie, "/services");
		expect([after.status, after.headers.get("Location")]).toEqual([303, "/login?next=%2Fservices"]);
	});

	it("refuses a session cookie naming another token than the one it was signed for", async () => {
		const [viewer, admin] = [await tokenWith("viewer"), await tokenWith("admin")];
		const cookie = await signInWith(viewer.secret);
		const swapped = cookie.replace(viewer.id, admin.id);
		expect(swapped).toContain(admin.id);
		expect((await pageAs(swapped, "/services")).status).toBe(303);
	});

	it("is refused for an unknown token, and behind Access like the admin token", async () => {
		const res = await browse("/login", {
			method: "POST",
			headers: { Origin: ORIGIN },
			body: form({ token: `dtk_${"A".repeat(43)}` }),
		});
		expect([res.status, res.headers.get("Set-Cookie")]).toEqual([401, null]);
		const { secret } = await tokenWith("viewer");
		const behindAccess = await fetchWithEnv({ ACCESS_TEAM_DOMAIN: "acme", ACCESS_AUD: "aud" }, "/login", {
			method: "POST",
			redirect: "manual",
			headers: { Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
			body: form({ token: secret }).toString(),
		});
		expect(behindAccess.status).toBe(403);
	});
});
