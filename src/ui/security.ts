import { csrf } from "hono/csrf";
import { secureHeaders } from "hono/secure-headers";
import { actorOf } from "../audit/actor";
import { factory } from "../factory";
import { PAGE_POLICY } from "../http/security";
import { sessionCredential } from "./session";

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

/** Without a session, a page request goes to sign-in and comes back afterwards. */
const requireSession = factory.createMiddleware(async (c, next) => {
	const credential = await sessionCredential(c);
	if (credential) {
		c.set("actor", actorOf(c, "ui", credential));
		return next();
	}
	const url = new URL(c.req.url);
	const back = c.req.method === "GET" ? `${url.pathname}${url.search}` : "/";
	return c.redirect(`/login?next=${encodeURIComponent(back)}`, 303);
});

/** Everything a signed-in page needs, in order. */
export const signedIn = [uiHeaders, noStore, sameOriginForms, requireSession] as const;
