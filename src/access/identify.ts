import type { Database } from "../db/client";
import type { Bindings } from "../env";
import { ApiError } from "../http/errors";
import { adminPrincipal, credentialFor } from "./admin-token";
import { type AccessConfig, AccessDenied, readAccessAssertion, verifyAccessAssertion } from "./jwt";
import { type MembershipConfig, normalizeEmail, roleFor } from "./members";
import type { Principal } from "./principal";
import { principalForSecret, TOKEN_PREFIX, touchApiToken } from "./tokens";

// Who a request proves it is: by a bearer token (an API token, or the
// break-glass admin token) or by Cloudflare Access's signed assertion.

/** The team-access settings, from the Worker's variables (see env.ts). */
export function teamSettings(env: Bindings) {
	const access: AccessConfig | undefined =
		env.ACCESS_TEAM_DOMAIN && env.ACCESS_AUD ? { teamDomain: env.ACCESS_TEAM_DOMAIN, aud: env.ACCESS_AUD } : undefined;
	const membership: MembershipConfig = { admins: env.ACCESS_ADMINS ?? "", defaultRole: env.ACCESS_DEFAULT_ROLE };
	// Behind Access, the admin token signs no one in to the pages unless asked: people sign in as themselves.
	const adminTokenSignsIn = access === undefined || env.ADMIN_TOKEN_UI === "allow";
	return { access, membership, adminTokenSignsIn };
}

export const unauthorized = (detail: string) =>
	ApiError.of(401, "Authorization Error", detail, { "WWW-Authenticate": 'Bearer realm="deploy-tracker"' });

/** Records a token's use after the response, at most about once a minute (see tokens.ts). */
type Later = (work: Promise<unknown>) => void;

/**
 * The principal `bearer` proves: one of our API tokens (`dtk_…`), or the admin
 * token. A 401 for anything else, so a wrong token is never mistaken for none.
 */
export async function bearerPrincipal(db: Database, env: Bindings, bearer: string, later: Later): Promise<Principal> {
	const now = Date.now();
	if (bearer.startsWith(TOKEN_PREFIX)) {
		const found = await principalForSecret(db, teamSettings(env).membership, bearer, now);
		if (!found) throw unauthorized("this API token is unknown, revoked or expired");
		if (found.touch && found.principal.kind === "api-token") later(touchApiToken(db, found.principal.id, now));
		return found.principal;
	}
	const credential = await credentialFor(env, bearer);
	if (!credential) throw unauthorized("send an API token or the admin token as `Authorization: Bearer <token>`");
	return adminPrincipal(credential);
}

/**
 * The principal a request's Cloudflare Access assertion proves, with the role
 * membership gives them; undefined when Access is not configured or the
 * request carries no assertion. A refused assertion is a 401 (its reason goes
 * to the log, not to the client); someone with no role a 403.
 */
export async function accessPrincipal(db: Database, env: Bindings, request: Request): Promise<Principal | undefined> {
	const { access, membership } = teamSettings(env);
	const jwt = access && readAccessAssertion(request);
	if (!access || !jwt) return undefined;
	const identity = await verifyAccessAssertion(jwt, access).catch((error: unknown) => {
		if (!(error instanceof AccessDenied)) throw error;
		console.warn(`Cloudflare Access assertion refused: ${error.reason}`);
		throw unauthorized("the Cloudflare Access sign-in on this request is not valid: sign in again");
	});
	const key = identity.kind === "person" ? normalizeEmail(identity.email) : identity.name;
	const role = await roleFor(db, membership, key);
	if (!role) throw ApiError.of(403, "Role Error", `${key} has no access to this tracker: ask an admin to add you`);
	return identity.kind === "person" ? { kind: "member", email: key, role } : { kind: "service", name: key, role };
}
