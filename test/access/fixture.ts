import { base64url, exportJWK, generateKeyPair, type JWK, type JWTPayload, SignJWT } from "jose";
import { HttpResponse, http } from "msw";
import { setupServer } from "msw/node";

/**
 * A pretend Access team for the JWT tests: RS256 keys made here, tokens signed
 * with them, and the team's key endpoint answered through MSW (what the
 * Workers testing docs recommend for outbound fetches) so every fetch the
 * verifier makes is seen and counted.
 */

export const AUD = "4f1c7e0b9a2d3e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f";
/** The tests' clock: passed to the verifier, so nothing depends on the machine's time. */
export const NOW = new Date("2026-11-30T09:00:00Z");
export const at = (offsetMs: number) => new Date(NOW.getTime() + offsetMs);
const seconds = (date: Date) => Math.floor(date.getTime() / 1000);

export interface SigningKey {
	kid: string;
	privateKey: CryptoKey;
	publicJwk: JWK;
}

export async function signingKey(kid: string): Promise<SigningKey> {
	const { privateKey, publicKey } = await generateKeyPair("RS256", { extractable: true });
	return { kid, privateKey, publicJwk: { ...(await exportJWK(publicKey)), kid, alg: "RS256", use: "sig" } };
}

/** The claims Access puts on a person's token, valid at NOW for 24 hours. */
export function personClaims(team: string): JWTPayload {
	return {
		iss: `https://${team}.cloudflareaccess.com`,
		aud: [AUD],
		email: "ada@example.com",
		sub: "7335d417-61da-459d-899c-0a01c76a2f94",
		type: "app",
		iat: seconds(NOW),
		nbf: seconds(NOW),
		exp: seconds(NOW) + 24 * 3600,
	};
}

export function sign(key: SigningKey, claims: JWTPayload): Promise<string> {
	return new SignJWT(claims).setProtectedHeader({ alg: "RS256", kid: key.kid }).sign(key.privateKey);
}

/** A token with any header and a signature made by `signature` (empty for `alg: none`). */
export function handMade(header: object, claims: JWTPayload, signature = ""): string {
	const encode = (part: object) => base64url.encode(JSON.stringify(part));
	return `${encode(header)}.${encode(claims)}.${signature}`;
}

/** Each test gets a team of its own, so the per-isolate key cache starts cold for it. */
let teams = 0;
export interface Team {
	name: string;
	/** What the key endpoint serves now; tests change it to rotate keys. */
	keys: JWK[];
	/** The HTTP status the key endpoint answers with. */
	status: number;
	/** How many times the verifier fetched this team's keys. */
	fetches: number;
}
const served = new Map<string, Team>();

export function team(...keys: SigningKey[]): Team {
	teams += 1;
	const created: Team = { name: `team${teams}`, keys: keys.map((k) => k.publicJwk), status: 200, fetches: 0 };
	served.set(`${created.name}.cloudflareaccess.com`, created);
	return created;
}

export const keyEndpoint = setupServer(
	http.get("https://*.cloudflareaccess.com/cdn-cgi/access/certs", ({ request }) => {
		const known = served.get(new URL(request.url).hostname);
		if (!known) return new HttpResponse(null, { status: 404 });
		known.fetches += 1;
		return known.status === 200
			? HttpResponse.json({ keys: known.keys })
			: new HttpResponse(null, { status: known.status });
	}),
);
