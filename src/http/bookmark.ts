import type { Context } from "hono";
import { getCookie, setCookie } from "hono/cookie";

/**
 * Carrying a D1 bookmark from one request to the next, so that reads served by
 * a replica are never older than what the caller already saw or wrote (D1's
 * Sessions API; see cost/middleware.ts). API clients send back the response
 * header; browsers carry the cookie. A bookmark is a position in the
 * database's history, not a secret, but it comes from the caller: only the
 * shape D1 hands out is passed on, anything else is ignored.
 */
export const BOOKMARK_HEADER = "x-d1-bookmark";
const BOOKMARK_COOKIE = "d1_bookmark";

/** Long past any replica's lag; each page view renews it. */
const COOKIE_MAX_AGE_S = 10 * 60;
const COOKIE_OPTIONS = { path: "/", httpOnly: true, secure: true, sameSite: "Lax", maxAge: COOKIE_MAX_AGE_S } as const;

/**
 * D1 hands out hex groups joined by dashes (8-8-8-32 today); the check keeps
 * that shape without pinning the group sizes, and caps the length.
 */
const BOOKMARK = /^[0-9a-f]{1,32}(?:-[0-9a-f]{1,32}){1,7}$/i;
const BOOKMARK_MAX_LENGTH = 128;

const wellFormed = (value: string | undefined): value is string =>
	value !== undefined && value.length <= BOOKMARK_MAX_LENGTH && BOOKMARK.test(value);

/** Requests that change nothing; the rest start at the primary. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/**
 * Where a request's D1 session starts. A change starts at the primary, so what
 * it checks and writes is current; a read starts at the latest well-formed
 * bookmark the caller carries (bookmarks sort by age), or anywhere.
 */
export function sessionStart(c: Context): string {
	if (!SAFE_METHODS.has(c.req.method)) return "first-primary";
	const carried = [c.req.header(BOOKMARK_HEADER), getCookie(c, BOOKMARK_COOKIE)].filter(wellFormed).sort();
	return carried.at(-1) ?? "first-unconstrained";
}

/** Hands the session's bookmark back: in the header always, in the cookie for browsers. */
export function carryBookmark(c: Context, bookmark: string | null, to: { cookie: boolean }): void {
	// Null when no query ran: what the caller carries stays as good as it was.
	if (bookmark === null) return;
	c.header(BOOKMARK_HEADER, bookmark);
	if (to.cookie) setCookie(c, BOOKMARK_COOKIE, bookmark, COOKIE_OPTIONS);
}
