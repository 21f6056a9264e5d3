import { csrf } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import { accessPrincipal, teamSettings, unauthorized } from "../access/identify";
import { actorOf } from "../audit/actor";
import { factory } from "../factory";
import { PAGE_POLICY } from "../http/security";
import { sessionPrincipal } from "./session";

/**
 * Headers for every UI response: the pages' CSP, no framing, no sniffing, and
 * no Referer (pages show secret webhook URLs).
 */
export const uiHeaders = secureHeaders({
	contentSecurityPolicy: PAGE_POLICY,
	referrerPolicy: "no-referrer",
	xFrameOptions: "DENY",
});

/** Forms are only accepted from our own pages: the Origin (or Sec-Fetch-Site) must say so. SameSite=Strict backs it up. */
export const sameOriginForms = csrf();

/** Pages show data behind the admin token: no shared caches, no back-button copies after sign-out. */
const noStore = factory.createMiddleware(async (c, next) => {
	await next();
	c.header("Cache-Control", "private, no-store");
});

/**
 * Who is looking at the page: behind Cloudflare Access, whom its assertion
 * names, checked on every request; otherwise (or when ADMIN_TOKEN_UI allows
 * it) an admin-token session. Without either, a page request goes to sign-in
 * and comes back afterwards.
 */
const requireSession = factory.createMiddleware(async (c, next) => {
	const settings = teamSettings(c.env);
	const principal =
		(await accessPrincipal(c.var.primary, c.env, c.req.raw)) ??
		(settings.adminTokenSignsIn ? await sessionPrincipal(c) : undefined);
	if (principal) {
		c.set("actor", actorOf(c, "ui", principal));
		return next();
	}
	if (!settings.adminTokenSignsIn) throw unauthorized(ACCESS_ONLY);
	const url = new URL(c.req.url);
	const back = c.req.method === "GET" ? `${url.pathname}${url.search}` : "/";
	return c.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
});

/** Why a request without Access's sign-in gets no page when Access is how people sign in. */
export const ACCESS_ONLY =
	"this tracker signs people in through Cloudflare Access: open it at its Access-protected address and sign in there";

/** Everything a signed-in page needs, in order. */
export const signedIn = [uiHeaders, noStore, sameOriginForms, requireSession] as const;
