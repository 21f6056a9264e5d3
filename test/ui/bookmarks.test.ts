import { beforeAll, describe, expect, it } from "vitest";
import { ADMIN, call, fetchWithEnv, ORIGIN, unique } from "../helpers";
import { BOOKMARK, observedDB, replicaHoldingToken } from "../sessions";
import { browse, form, page, signIn } from "./helpers";

let session: string;
beforeAll(async () => {
	session = await signIn();
});

/** The bookmark cookie a response sets, as `name=value`, and its attributes. */
function bookmarkCookie(res: Response): { pair: string; attributes: string[] } | undefined {
	const set = res.headers.getSetCookie().find((c) => c.startsWith("d1_bookmark="));
	if (set === undefined) return undefined;
	const [pair = "", ...attributes] = set.split(/;\s*/);
	return { pair, attributes: attributes.sort() };
}

describe("pages read near the browser (D1 sessions)", () => {
	it("a change hands the browser a bookmark cookie; the page it goes to next starts there and shows the change", async () => {
		const { DB, starts } = observedDB();
		const name = unique("Cookie bookmarked");
		const created = await page(session, "/services", { name, aliases: "" }, { DB });
		expect(created.status).toBe(303);
		const cookie = bookmarkCookie(created);
		expect(cookie?.pair).toMatch(/^d1_bookmark=[0-9a-f-]+$/);
		expect(cookie?.attributes).toEqual(["HttpOnly", "Max-Age=600", "Path=/", "SameSite=Lax", "Secure"]);
		const bookmark = cookie?.pair.split("=")[1] ?? "";
		expect(bookmark).toMatch(BOOKMARK);

		const shown = await page(`${session}; ${cookie?.pair}`, created.headers.get("Location") ?? "", undefined, { DB });
		expect(shown.status).toBe(200);
		expect(await shown.text()).toContain(`<h1>${name}</h1>`);
		expect(starts).toEqual(["first-primary", bookmark]);
		expect((bookmarkCookie(shown)?.pair.split("=")[1] ?? "") >= bookmark).toBe(true);
	});

	it("starts at the later of the cookie's and the header's bookmarks, as bookmarks sort by age", async () => {
		const older = "00000000-00000001-00000000-00000000000000000000000000000000";
		const later = "00000000-00000002-00000000-00000000000000000000000000000000";
		const { DB, starts } = observedDB();
		for (const [cookie, header] of [
			[later, older],
			[older, later],
		]) {
			const res = await fetchWithEnv({ DB }, "/services", {
				headers: { Cookie: `${session}; d1_bookmark=${cookie}`, "x-d1-bookmark": header ?? "", Accept: "text/html" },
			});
			expect(res.status).toBe(200);
		}
		expect(starts).toEqual([later, later]);
	});

	it("ignores a malformed or oversized cookie: the page renders, starts anywhere and never shows the value", async () => {
		const { DB, starts } = observedDB();
		for (const bad of ["%3Cscript%3Ealert(1)%3C%2Fscript%3E", `00000000-${"f".repeat(300)}`, "zz-zz"]) {
			const res = await page(`${session}; d1_bookmark=${bad}`, "/services", undefined, { DB });
			expect(res.status).toBe(200);
			const html = await res.text();
			expect(html).not.toContain("alert(1)");
			expect(html).not.toContain(bad);
			expect(bookmarkCookie(res)?.pair).toMatch(/^d1_bookmark=[0-9a-f-]+$/);
		}
		expect(starts).toEqual(["first-unconstrained", "first-unconstrained", "first-unconstrained"]);
	});

	it("checks a token session on the primary: revoked, it ends at once even while a lagging replica still holds the token", async () => {
		const created = await call("/api/tokens", {
			method: "POST",
			headers: { ...ADMIN, "Content-Type": "application/json" },
			body: JSON.stringify({ name: unique("lagged person"), role: "viewer" }),
		});
		const { id, secret } = await created.json<{ id: string; secret: string }>();
		const signedIn = await browse("/login", {
			method: "POST",
			headers: { Origin: ORIGIN },
			body: form({ token: secret }),
		});
		const cookie = signedIn.headers
			.getSetCookie()
			.map((c) => c.split(";")[0])
			.join("; ");
		const replica = await replicaHoldingToken(id);
		expect((await call(`/api/tokens/${id}`, { method: "DELETE", headers: ADMIN })).status).toBe(204);

		const { DB, starts } = observedDB(replica);
		const after = await page(cookie, "/services", undefined, { DB });
		expect(starts).toEqual(["first-unconstrained"]);
		expect([after.status, after.headers.get("Location")]).toEqual([303, "/login?next=%2Fservices"]);
	});
});
