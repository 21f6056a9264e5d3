import { actorOf } from "../audit/actor";
import { adminTokens, credentialFor } from "../audit/credentials";
import { factory } from "../factory";
import { ApiError } from "../http/errors";

/**
 * Guards the management API with `Authorization: Bearer <admin token>` (either
 * token during a rotation) and records who is acting; with no token set it stays shut.
 */
export const requireAdmin = factory.createMiddleware(async (c, next) => {
	if (adminTokens(c.env).length === 0) {
		throw ApiError.of(
			503,
			"Configuration Error",
			"ADMIN_TOKEN is not set, so the API is closed: run `wrangler secret put ADMIN_TOKEN` (locally, put it in .dev.vars)",
		);
	}
	const given = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "")?.[1];
	const credential = given === undefined ? undefined : await credentialFor(c.env, given);
	if (!credential) {
		throw ApiError.of(401, "Authorization Error", "send the admin token as `Authorization: Bearer <ADMIN_TOKEN>`", {
			"WWW-Authenticate": 'Bearer realm="deploy-tracker"',
		});
	}
	c.set("actor", actorOf(c, "api", credential));
	await next();
});
