import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { AppEnv } from "../env";

/**
 * A signed-in browser carries a cookie holding its expiry, signed with a key
 * derived from the admin token: rotating the token signs everyone out, and
 * nothing about a session is stored server-side.
 */
const COOKIE = "session";
const LIFETIME_MS = 12 * 60 * 60_000;

const signingKey = (adminToken: string) => `deploy-tracker ui session\u0000${adminToken}`;

export async function startSession(c: Context<AppEnv>, adminToken: string): Promise<void> {
	const expires = new Date(Date.now() + LIFETIME_MS);
	await setSignedCookie(c, COOKIE, String(expires.getTime()), signingKey(adminToken), {
		path: "/",
		httpOnly: true,
		secure: true,
		sameSite: "Strict",
		expires,
	});
}

export function endSession(c: Context<AppEnv>): void {
	deleteCookie(c, COOKIE, { path: "/", secure: true });
}

/** Whether the request carries an unexpired session signed for the current admin token. */
export async function hasSession(c: Context<AppEnv>): Promise<boolean> {
	const adminToken = c.env.ADMIN_TOKEN;
	if (!adminToken) return false;
	const value = await getSignedCookie(c, signingKey(adminToken), COOKIE);
	return typeof value === "string" && Number(value) > Date.now();
}
