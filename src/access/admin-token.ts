import type { Bindings } from "../env";
import type { Credential } from "./principal";

const encoder = new TextEncoder();

/** Constant-time comparison: both sides are hashed first so their lengths match too. */
async function sameSecret(given: string, expected: string): Promise<boolean> {
	const [a, b] = await Promise.all(
		[given, expected].map((text) => crypto.subtle.digest("SHA-256", encoder.encode(text))),
	);
	return crypto.subtle.timingSafeEqual(a as ArrayBuffer, b as ArrayBuffer);
}

/**
 * The admin tokens in force: ADMIN_TOKEN, and during a rotation also
 * ADMIN_TOKEN_PREVIOUS, so clients can move to the new token without downtime.
 * A previous token alone opens nothing: without ADMIN_TOKEN everything is shut.
 */
export function adminTokens(env: Bindings): [Credential, string][] {
	if (!env.ADMIN_TOKEN) return [];
	return env.ADMIN_TOKEN_PREVIOUS
		? [
				["current", env.ADMIN_TOKEN],
				["previous", env.ADMIN_TOKEN_PREVIOUS],
			]
		: [["current", env.ADMIN_TOKEN]];
}

/** The principal holding admin token `credential`: always an admin. */
export const adminPrincipal = (credential: Credential) => ({ kind: "admin-token", credential, role: "admin" }) as const;

/** Which admin token `given` is, if any. Every token is compared, so timing does not tell which matched. */
export async function credentialFor(env: Bindings, given: string): Promise<Credential | undefined> {
	const matches = await Promise.all(
		adminTokens(env).map(async ([name, token]) => [name, await sameSecret(given, token)] as const),
	);
	return matches.find(([, match]) => match)?.[0];
}
