import type { Context } from "hono";
import { deleteCookie, getSignedCookie, setSignedCookie } from "hono/cookie";
import type { Credential } from "../audit/actor";
import { adminTokens } from "../audit/credentials";
import type { AppEnv } from "../env";

/**
 * A signed-in browser carries a cookie holding its expiry and the admin token
 * it signed in with (by name, for the audit log), signed with a key derived
 * from the current admin token: retiring a token signs its browsers out, and
 * nothing about a session is stored server-side. During a token rotation,
 * sessions signed under the previous token stay valid.
 */
const COOKIE = "session";
const LIFETIME_MS = 12 * 60 * 60_000;

const signingKey = (adminToken: string) => `deploy-tracker ui session\u0000${adminToken}`;

export async function startSession(c: Context<AppEnv>, credential: Credential): Promise<void> {
	const [[, key] = ["current", ""]] = adminTokens(c.env);
	const expires = new Date(Date.now() + LIFETIME_MS);
	await setSignedCookie(c, COOKIE, `${expires.getTime()}:${credential}`, signingKey(key), {
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

/** The credential of an unexpired session signed under an admin token in force, if the request has one. */
export async function sessionCredential(c: Context<AppEnv>): Promise<Credential | undefined> {
	for (const [, token] of adminTokens(c.env)) {
		const value = await getSignedCookie(c, signingKey(token), COOKIE);
		if (typeof value !== "string") continue;
		const [expires, credential] = value.split(":");
		if (Number(expires) > Date.now() && (credential === "current" || credential === "previous")) return credential;
	}
	return undefined;
}
