import { exports } from "cloudflare:workers";
import { generateSignedCookie } from "hono/cookie";
import { inspectRoutes } from "hono/dev";
import { afterEach, describe, expect, it, vi } from "vitest";
import { ui } from "../../src/ui";
import { admin, ORIGIN, unique } from "../helpers";
import { browse, form, page, signIn, unescaped } from "./helpers";

const redirectTarget = (res: Response) => res.headers.get("Location");

describe("signing in", () => {
	afterEach(() => {
		vi.useRealTimers();
	});

	it("sends a visitor without a session to sign-in, remembering where they were going", async () => {
		const res = await browse("/services?q=a%20b", { headers: { Accept: "text/html" } });
		expect(res.status).toBe(303);
		expect(redirectTarget(res)).toBe(`/login?next=${encodeURIComponent("/services?q=a%20b")}`);
	});

	it("shows the sign-in form", async () => {
		const res = await browse("/login");
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Type")).toMatch(/^text\/html/);
		const html = await res.text();
		expect(html).toMatch(/^<!doctype html>/);
		expect(html).toContain('name="token"');
	});

	it("mentions the local development token only on a local server", async () => {
		expect(await (await browse("/login")).text()).not.toContain("dev-admin-token");
		const local = await exports.default.fetch(new Request("http://localhost:8787/login"));
		expect(await local.text()).toContain("<code>dev-admin-token</code>");
	});

	it("refuses a wrong token with 401 and no cookie", async () => {
		const res = await browse("/login", { method: "POST", headers: { Origin: ORIGIN }, body: form({ token: "nope" }) });
		expect(res.status).toBe(401);
		expect(res.headers.get("Set-Cookie")).toBeNull();
		expect(await res.text()).toContain("that is not the admin token");
	});

	it("sets a signed, HttpOnly, Secure, SameSite=Strict cookie that expires, and goes where the visitor was headed", async () => {
		const res = await browse("/login", {
			method: "POST",
			headers: { Origin: ORIGIN },
			body: form({ token: "test-admin-token", next: "/deploys?status=failure" }),
		});
		expect(res.status).toBe(303);
		expect(redirectTarget(res)).toBe("/deploys?status=failure");
		const cookie = res.headers.get("Set-Cookie") ?? "";
		// Only the expiry and its signature: which token it belongs to is not the cookie's to say.
		expect(cookie).toMatch(/^session=\d+\.[^;]+;/);
		expect(cookie).toMatch(/; HttpOnly/);
		expect(cookie).toMatch(/; Secure/);
		expect(cookie).toMatch(/; SameSite=Strict/);
		const expires = Date.parse(/Expires=([^;]+)/.exec(cookie)?.[1] ?? "");
		expect(expires - Date.now()).toBeGreaterThan(11 * 3_600_000);
		expect(expires - Date.now()).toBeLessThanOrEqual(12 * 3_600_000);
	});

	it("lets a signed-in browser in", async () => {
		const res = await page(await signIn(), "/integrations");
		expect(res.status).toBe(200);
		expect(await res.text()).toContain("<h1>Integrations</h1>");
	});

	it("refuses a session cookie whose expiry was edited", async () => {
		const cookie = await signIn();
		const forged = cookie.replace(/session=(\d+)/, (_, ms) => `session=${Number(ms) + 86_400_000}`);
		expect((await page(forged, "/integrations")).status).toBe(303);
	});

	it("refuses a cookie signed with another key", async () => {
		const forged = await generateSignedCookie("session", String(Date.now() + 3_600_000), "some other secret");
		expect((await page(forged.split(";")[0] ?? "", "/integrations")).status).toBe(303);
	});

	it("refuses a session once it has expired", async () => {
		const cookie = await signIn();
		vi.useFakeTimers({ now: Date.now() + 12 * 3_600_000 + 1_000, toFake: ["Date"] });
		expect((await page(cookie, "/integrations")).status).toBe(303);
	});

	it("signs out: the cookie is cleared and the next page asks to sign in", async () => {
		const res = await page(await signIn(), "/logout", {});
		expect(res.status).toBe(303);
		expect(redirectTarget(res)).toBe("/login");
		expect(res.headers.get("Set-Cookie")).toMatch(/^session=;.*Max-Age=0/);
	});
});

/** The `next` the sign-in form would send back, as the page renders it. */
const formNext = async (res: Response) =>
	unescaped(/name="next" value="([^"]*)"/.exec(await res.text())?.[1] ?? "<none>");

/** Signs in with `next` as a browser would post it, answering where the sign-in redirects. */
async function signInTo(next: string) {
	const res = await browse("/login", {
		method: "POST",
		headers: { Origin: ORIGIN },
		body: form({ token: "test-admin-token", next }),
	});
	return { status: res.status, location: redirectTarget(res) };
}

describe("where sign-in goes afterwards (next)", () => {
	// Each value as the app receives it, after the query string or form body is decoded once.
	const offSite: [string, string][] = [
		["a tab after the slash", "/\t/evil.example"],
		["a tab before the slashes", "\t//evil.example"],
		["a newline", "/\n/evil.example"],
		["a carriage return", "/\r/evil.example"],
		["a NUL", "/\u0000/evil.example"],
		["a DEL", "/\u007f/evil.example"],
		["a header injection", "/\r\nSet-Cookie: x=1"],
		["a protocol-relative URL", "//evil.example/x"],
		["three slashes", "///evil.example"],
		["slash backslash", "/\\evil.example"],
		["backslash slash", "\\/evil.example"],
		["two backslashes", "\\\\evil.example"],
		["a backslash later on", "/services\\..\\..\\evil.example"],
		["a dot segment that leaves two slashes", "/.//evil.example"],
		["a parent segment that leaves two slashes", "/x/..//evil.example"],
		["an encoded second slash", "/%2F/evil.example"],
		["encoded slashes only", "%2F%2Fevil.example"],
		["an encoded backslash", "/%5Cevil.example"],
		["an encoded tab", "/%09/evil.example"],
		["an encoded newline", "/services%0A"],
		["a double-encoded backslash", "/%255Cevil.example"],
		["a backslash encoded four times", "/%2525255Cevil.example"],
		["an absolute URL", "https://evil.example/"],
		["an absolute URL in capitals", "HTTPS://EVIL.EXAMPLE/"],
		["a scheme without slashes", "https:evil.example"],
		["a javascript: URL", "javascript:alert(1)"],
		["an absolute URL that does not parse", "http://[/"],
		["a leading space", " //evil.example"],
		["a relative path", "evil.example"],
		["nothing", ""],
	];

	it.each(offSite)("the form carries / for %s", async (_, next) => {
		const res = await browse(`/login?next=${encodeURIComponent(next)}`);
		expect(res.status).toBe(200);
		expect(await formNext(res)).toBe("/");
	});

	it.each(offSite)("signing in goes to / for %s", async (_, next) => {
		expect(await signInTo(next)).toEqual({ status: 303, location: "/" });
	});

	it("keeps a page on this site, with its query and fragment", async () => {
		const next = "/deploys?status=failure#x";
		expect(await formNext(await browse(`/login?next=${encodeURIComponent(next)}`))).toBe(next);
		expect(await signInTo(next)).toEqual({ status: 303, location: next });
	});

	it.each([
		["a space, percent-encoded", "/services?q=a b", "/services?q=a%20b"],
		["a dot segment, resolved", "/services/./x/../y", "/services/y"],
		["a percent sign", "/deploys?q=50%25", "/deploys?q=50%25"],
		["a character beyond ASCII, percent-encoded", "/deploys?q=€", "/deploys?q=%E2%82%AC"],
	])("keeps a page on this site with %s", async (_, next, expected) => {
		expect(await signInTo(next)).toEqual({ status: 303, location: expected });
	});
});

describe("sessions across an admin token rotation", () => {
	// The tests run mid-rotation (vitest.config.ts): these are the two tokens in force.
	const CURRENT = "test-admin-token";
	const PREVIOUS = "test-previous-admin-token";
	/** The rotation finished: ADMIN_TOKEN_PREVIOUS deleted. */
	const settled = { ADMIN_TOKEN_PREVIOUS: undefined };

	/** Creates a service through the UI's form, answering the response and the service's audit trail. */
	async function createThroughUi(cookie: string, bindings?: Partial<Cloudflare.Env>) {
		const name = unique("session");
		const res = await page(cookie, "/services", { name }, bindings);
		const services = (await admin<{ services: { id: string; name: string }[] }>("GET", "/services")).body.services;
		const id = services.find((s) => s.name === name)?.id;
		const events = id
			? (await admin<{ events: Audited[] }>("GET", `/audit?target_type=service&target_id=${id}`)).body.events
			: [];
		return {
			status: res.status,
			location: redirectTarget(res),
			created: id !== undefined,
			audited: events.map((e) => [e.action, e.via, e.credential]),
		};
	}
	type Audited = { action: string; via: string; credential: string };

	it("ends a session opened with the previous token the moment that token is removed", async () => {
		const cookie = await signIn(PREVIOUS);
		expect((await page(cookie, "/integrations")).status).toBe(200);

		const shown = await page(cookie, "/integrations", undefined, settled);
		expect([shown.status, redirectTarget(shown)]).toEqual([303, "/login?next=%2Fintegrations"]);
		expect(await createThroughUi(cookie, settled)).toEqual({
			status: 303,
			location: "/login?next=%2F",
			created: false,
			audited: [],
		});
	});

	it("keeps a session opened with the current token when that token becomes the previous one", async () => {
		const cookie = await signIn(CURRENT);
		const rotated = { ADMIN_TOKEN: "a-newer-admin-token", ADMIN_TOKEN_PREVIOUS: CURRENT };

		expect((await page(cookie, "/integrations", undefined, rotated)).status).toBe(200);
		expect(await createThroughUi(cookie, rotated)).toEqual({
			status: 303,
			location: expect.stringMatching(/^\/services\//),
			created: true,
			audited: [["service.create", "ui", "previous"]],
		});
		const gone = { ADMIN_TOKEN: "a-newer-admin-token", ADMIN_TOKEN_PREVIOUS: undefined };
		expect((await page(cookie, "/integrations", undefined, gone)).status).toBe(303);
	});

	it("keeps a session opened with the current token when the previous one is removed, audited as current", async () => {
		const cookie = await signIn(CURRENT);
		expect(await createThroughUi(cookie, settled)).toEqual({
			status: 303,
			location: expect.stringMatching(/^\/services\//),
			created: true,
			audited: [["service.create", "ui", "current"]],
		});
	});

	it("names the token a session was opened with in the audit log", async () => {
		expect((await createThroughUi(await signIn(PREVIOUS))).audited).toEqual([["service.create", "ui", "previous"]]);
	});
});

describe("cross-site forms", () => {
	it.each([
		["no Origin", {}],
		["another site's Origin", { Origin: "https://evil.example" }],
		["a cross-site fetch", { "Sec-Fetch-Site": "cross-site" }],
	])("refuses a form post with %s, and changes nothing", async (_, headers: Record<string, string>) => {
		const cookie = await signIn();
		const name = unique("csrf");
		const res = await browse("/integrations", {
			method: "POST",
			headers: { Cookie: cookie, ...headers },
			body: form({ name, kind: "deploy" }),
		});
		expect(res.status).toBe(403);
		expect(await res.text()).toContain("did not come from this site");
		const listed = (await admin("GET", "/integrations")).body.integrations.map((i: { name: string }) => i.name);
		expect(listed).not.toContain(name);
	});

	it("guards every form the UI accepts, before anything else runs", async () => {
		const cookie = await signIn();
		const posts = inspectRoutes(ui).filter((r) => r.method === "POST" && !r.isMiddleware);
		expect(posts.length).toBeGreaterThan(10);
		for (const { path } of posts) {
			const concrete = path.replace(/:[a-z]+/g, crypto.randomUUID());
			const res = await browse(concrete, { method: "POST", headers: { Cookie: cookie }, body: form({}) });
			expect(res.status, `POST ${path}`).toBe(403);
		}
	});

	it("refuses a cross-site sign-in", async () => {
		const res = await browse("/login", {
			method: "POST",
			headers: { Origin: "https://evil.example" },
			body: form({ token: "test-admin-token" }),
		});
		expect(res.status).toBe(403);
		expect(res.headers.get("Set-Cookie")).toBeNull();
	});
});

describe("security headers", () => {
	it.each(["/login", "/integrations", "/integrations/new"])("%s sends a strict CSP and friends", async (path) => {
		const res = await page(await signIn(), path);
		expect(res.status).toBe(200);
		const csp = res.headers.get("Content-Security-Policy") ?? "";
		expect(csp).toContain("default-src 'none'");
		expect(csp).toContain("script-src 'self'");
		expect(csp).toContain("frame-ancestors 'none'");
		expect(csp).not.toContain("unsafe-inline");
		expect(res.headers.get("X-Content-Type-Options")).toBe("nosniff");
		expect(res.headers.get("Referrer-Policy")).toBe("no-referrer");
		expect(res.headers.get("X-Frame-Options")).toBe("DENY");
	});

	it("keeps signed-in pages out of caches", async () => {
		const res = await page(await signIn(), "/integrations");
		expect(res.headers.get("Cache-Control")).toBe("private, no-store");
	});

	it("has no inline script or style the CSP would block", async () => {
		const html = await (await page(await signIn(), "/integrations/new")).text();
		expect(html).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
		expect(html).not.toMatch(/\sstyle=/);
		expect(html).not.toMatch(/\son[a-z]+=/);
	});
});

describe("static files and unknown pages", () => {
	it.each([
		["/ui/style.css", /^text\/css/],
		["/ui/app.js", /^text\/javascript/],
	])("serves %s with a type and a long cache life", async (path, type) => {
		const res = await browse(path);
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Type")).toMatch(type);
		expect(res.headers.get("Cache-Control")).toContain("immutable");
	});

	it("links the static files by fingerprinted URL", async () => {
		const html = await (await browse("/login")).text();
		expect(html).toMatch(/href="\/ui\/style\.css\?v=[0-9a-z]+"/);
		expect(html).toMatch(/src="\/ui\/app\.js\?v=[0-9a-z]+"/);
	});

	it("answers a browser's unknown page with an HTML 404 and a program's with the JSON error shape", async () => {
		const html = await browse("/no-such-page", { headers: { Accept: "text/html,application/xhtml+xml" } });
		expect(html.status).toBe(404);
		expect(await html.text()).toContain("there is no page at /no-such-page");
		const json = await browse("/no-such-page");
		expect(json.status).toBe(404);
		expect((await json.json()) as object).toEqual({ errors: [expect.objectContaining({ status: 404 })] });
		const api = await browse("/api/no-such-thing", { headers: { Accept: "text/html" } });
		expect(api.headers.get("Content-Type")).toMatch(/json/);
	});
});
