import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import { adminTokens } from "../access/admin-token";
import type { Credential } from "../access/principal";
import type { AppContext } from "../factory";

/**
 * A signed-in browser carries a cookie holding only its expiry, signed with a key
 * derived from the admin token it signed in with. A session is therefore bound to
 * that token: it lasts while the token is configured (as ADMIN_TOKEN or, during a
 * rotation, ADMIN_TOKEN_PREVIOUS) and ends the moment it is not. Which token that
 * is, for the audit log, is whichever one's key verifies the cookie, never
 * something the cookie says. Nothing about a session is stored server-side.
 */
const COOKIE = "session";
const LIFETIME_MS = 12 * 60 * 60_000;

const signingKey = (adminToken: string) => `deploy-tracker ui session\u0000${adminToken}`;

/** Starts a session bound to `adminToken`, a configured admin token the browser just proved it holds. */
export async function startSession(c: AppContext, adminToken: string): Promise<void> {
	const expires = new Date(Date.now() + LIFETIME_MS);
	await setSignedCookie(c, COOKIE, String(expires.getTime()), signingKey(adminToken), {
		path: "/",
		httpOnly: true,
		secure: true,
		sameSite: "Strict",
		expires,
	});
}

export function endSession(c: AppContext): void {
	deleteCookie(c, COOKIE, { path: "/", secure: true });
}

/** Which configured admin token the request's unexpired session is bound to, if it has one. */
export async function sessionCredential(c: AppContext): Promise<Credential | undefined> {
	for (const [credential, token] of adminTokens(c.env)) {
		const expires = await getSignedCookie(c, signingKey(token), COOKIE);
		if (typeof expires === "string" && Number(expires) > Date.now()) return credential;
	}
	return undefined;
}
