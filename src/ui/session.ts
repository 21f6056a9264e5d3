import { deleteCookie, getCookie, getSignedCookie, setCookie, setSignedCookie } from "hono/cookie";
import { adminPrincipal, adminTokens } from "../access/admin-token";
import { teamSettings } from "../access/identify";
import type { Credential, Principal } from "../access/principal";
import { tokenInForce } from "../access/tokens";
import type { AppContext } from "../factory";

/**
 * A signed-in browser carries a cookie holding only its expiry, signed with a
 * key derived from what it signed in with; nothing about a session is stored
 * server-side.
 * - With the admin token: the key comes from that token, so the session lasts
 *   while the token is configured (as ADMIN_TOKEN or, during a rotation,
 *   ADMIN_TOKEN_PREVIOUS). Which one, for the audit log, is whichever key
 *   verifies the cookie, never something the cookie says.
 * - With an API token: a second cookie names the token; the key comes from the
 *   token's stored hash and the admin token, so neither a database reader nor a
 *   cookie thief without the token can make one. The token is looked up on every
 *   page, so its revocation, expiry or its maker's lowered role count at once.
 */
const COOKIE = "session";
/** Names the API token a session was opened with; only its id, never its secret. */
const TOKEN_COOKIE = "session_token";
const LIFETIME_MS = 12 * 60 * 60_000;
const OPTIONS = { path: "/", httpOnly: true, secure: true, sameSite: "Strict" } as const;

const signingKey = (adminToken: string) => `deploy-tracker ui session\u0000${adminToken}`;
const tokenSigningKey = (adminToken: string, secretHash: string) =>
	`deploy-tracker ui token session\u0000${adminToken}\u0000${secretHash}`;

async function setExpiry(c: AppContext, key: string) {
	const expires = new Date(Date.now() + LIFETIME_MS);
	await setSignedCookie(c, COOKIE, String(expires.getTime()), key, { ...OPTIONS, expires });
	return expires;
}

/** Starts a session bound to `adminToken`, a configured admin token the browser just proved it holds. */
export async function startSession(c: AppContext, adminToken: string): Promise<void> {
	// A token session's cookie would otherwise outrank this one.
	if (getCookie(c, TOKEN_COOKIE) !== undefined) deleteCookie(c, TOKEN_COOKIE, OPTIONS);
	await setExpiry(c, signingKey(adminToken));
}

/** Starts a session bound to API token `id`, whose secret the browser just proved it holds. */
export async function startTokenSession(c: AppContext, id: string, secretHash: string): Promise<void> {
	const [[, adminToken] = []] = adminTokens(c.env);
	if (adminToken === undefined) throw new Error("token sessions need ADMIN_TOKEN, which signs them");
	const expires = await setExpiry(c, tokenSigningKey(adminToken, secretHash));
	setCookie(c, TOKEN_COOKIE, id, { ...OPTIONS, expires });
}

export function endSession(c: AppContext): void {
	deleteCookie(c, COOKIE, OPTIONS);
	deleteCookie(c, TOKEN_COOKIE, OPTIONS);
}

const unexpired = (value: string | false | undefined) => typeof value === "string" && Number(value) > Date.now();

/** Who the request's unexpired session is for, if it has one. */
export async function sessionPrincipal(c: AppContext): Promise<Principal | undefined> {
	const tokenId = getCookie(c, TOKEN_COOKIE);
	if (tokenId !== undefined) return tokenSessionPrincipal(c, tokenId);
	const credential = await sessionCredential(c);
	return credential && adminPrincipal(credential);
}

async function tokenSessionPrincipal(c: AppContext, tokenId: string): Promise<Principal | undefined> {
	const found = await tokenInForce(c.var.primary, teamSettings(c.env).membership, tokenId, Date.now());
	if (!found) return undefined;
	// Signed with the current admin token only: rotating it ends token sessions, as it ends its own.
	const [[, adminToken] = []] = adminTokens(c.env);
	if (adminToken === undefined) return undefined;
	const expires = await getSignedCookie(c, tokenSigningKey(adminToken, found.secretHash), COOKIE);
	return unexpired(expires) ? found.principal : undefined;
}

/** Which configured admin token the request's unexpired session is bound to, if it has one. */
async function sessionCredential(c: AppContext): Promise<Credential | undefined> {
	for (const [credential, token] of adminTokens(c.env)) {
		if (unexpired(await getSignedCookie(c, signingKey(token), COOKIE))) return credential;
	}
	return undefined;
}
