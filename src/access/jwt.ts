import { errors, type JWTPayload, jwtVerify } from "jose";
import { accessKeys, KeysUnavailable } from "./keys";

/**
 * Verifies the application token Cloudflare Access puts on every request it
 * let through. The Worker can be reached without passing Access (another
 * route, workers.dev, a preview URL), so nothing here trusts a header until
 * its signature, audience, issuer and lifetime check out.
 */

/** Who Access says is calling: a person signed in through the team's identity provider, or a service token. */
export type AccessIdentity = { kind: "person"; email: string; name?: string } | { kind: "service"; name: string };

export interface AccessConfig {
	/** "acme", "acme.cloudflareaccess.com" or "https://acme.cloudflareaccess.com". */
	teamDomain: string;
	/** The Access application's audience (AUD) tag. */
	aud: string;
}

/** Why a token was refused: for the log only, never for the client (it would teach an attacker what to fix). */
export type DenialReason =
	| "malformed"
	| "algorithm"
	| "unknown-key"
	| "keys-unavailable"
	| "signature"
	| "expired"
	| "not-yet-valid"
	| "audience"
	| "issuer"
	| "no-identity";

export class AccessDenied extends Error {
	constructor(
		readonly reason: DenialReason,
		options?: ErrorOptions,
	) {
		super(`Access token refused: ${reason}`, options);
		this.name = "AccessDenied";
	}
}

/**
 * Access signs with RS256 only; naming it shuts out `alg: none` and HS256 key
 * confusion (an HMAC keyed with the public key) before any key is looked up.
 */
const ALGORITHMS = ["RS256"];
/** Seconds of clock skew allowed between Cloudflare's edge and this isolate on `exp` and `nbf`. */
export const CLOCK_TOLERANCE_S = 60;
const TEAM_HOST_SUFFIX = ".cloudflareaccess.com";

/**
 * The issuer Access writes into `iss`: `https://<team>.cloudflareaccess.com`.
 * Throws a TypeError for a team domain that cannot be one: a configuration error, not a refused token.
 */
export function accessIssuer(teamDomain: string): string {
	const host = teamDomain
		.trim()
		.toLowerCase()
		.replace(/^https:\/\//, "")
		.replace(/\/+$/, "");
	const team = host.endsWith(TEAM_HOST_SUFFIX) ? host.slice(0, -TEAM_HOST_SUFFIX.length) : host;
	if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/.test(team)) {
		throw new TypeError(`Access team domain "${teamDomain}" is not <team>, <team>${TEAM_HOST_SUFFIX} or its https URL`);
	}
	return `https://${team}${TEAM_HOST_SUFFIX}`;
}

/** The header Access sets on the requests it let through. */
export const ACCESS_ASSERTION_HEADER = "Cf-Access-Jwt-Assertion";

/**
 * The token to verify: the header only. Cloudflare recommends it over the
 * CF_Authorization cookie, which non-browser clients (service tokens) don't
 * send and which a browser attaches to any request to the host, Access or not.
 */
export function readAccessAssertion(request: Request): string | undefined {
	return request.headers.get(ACCESS_ASSERTION_HEADER)?.trim() || undefined;
}

/** Verifies an Access token and says who it names; throws AccessDenied for anything refused. */
export async function verifyAccessAssertion(
	jwt: string,
	config: AccessConfig,
	now: Date = new Date(),
): Promise<AccessIdentity> {
	const issuer = accessIssuer(config.teamDomain);
	// A missing AUD variable is a setup mistake: say so, rather than log every sign-in as a wrong audience.
	if (config.aud.trim() === "") throw new TypeError("Access application audience (AUD tag) is empty");
	try {
		const { payload } = await jwtVerify(jwt, accessKeys(`${issuer}/cdn-cgi/access/certs`, now.getTime()), {
			algorithms: ALGORITHMS,
			audience: config.aud,
			issuer,
			currentDate: now,
			clockTolerance: CLOCK_TOLERANCE_S,
			requiredClaims: ["exp"],
		});
		return identityOf(payload);
	} catch (error) {
		if (error instanceof AccessDenied) throw error;
		throw new AccessDenied(denialReason(error), { cause: error });
	}
}

/** Access puts `email` on a person's token and `common_name` (the service token's client id) on a service token's. */
function identityOf(payload: JWTPayload): AccessIdentity {
	const { email, name, common_name: commonName } = payload;
	if (typeof email === "string" && email !== "") {
		return typeof name === "string" && name !== "" ? { kind: "person", email, name } : { kind: "person", email };
	}
	if (typeof commonName === "string" && commonName !== "") return { kind: "service", name: commonName };
	throw new AccessDenied("no-identity");
}

function denialReason(error: unknown): DenialReason {
	if (error instanceof KeysUnavailable) return "keys-unavailable";
	if (error instanceof errors.JWTExpired) return "expired";
	if (error instanceof errors.JWTClaimValidationFailed) return claimReason(error.claim);
	if (error instanceof errors.JOSEAlgNotAllowed) return "algorithm";
	if (error instanceof errors.JWKSNoMatchingKey || error instanceof errors.JWKSMultipleMatchingKeys) {
		return "unknown-key";
	}
	if (error instanceof errors.JWSSignatureVerificationFailed) return "signature";
	return "malformed";
}

/** A missing `exp` (a token that would never expire) lands in the default: malformed. */
function claimReason(claim: string): DenialReason {
	switch (claim) {
		case "nbf":
			return "not-yet-valid";
		case "aud":
			return "audience";
		case "iss":
			return "issuer";
		default:
			return "malformed";
	}
}
