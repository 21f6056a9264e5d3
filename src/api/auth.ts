import { adminTokens } from "../access/admin-token";
import { accessPrincipal, bearerPrincipal, teamSettings, unauthorized } from "../access/identify";
import { TOKEN_PREFIX } from "../access/tokens";
import { actorOf } from "../audit/actor";
import { factory } from "../factory";
import { ApiError } from "../http/errors";

/**
 * Who is calling the management API: `Authorization: Bearer` with an API token
 * or the admin token (either during a rotation), or, behind Cloudflare Access,
 * the signed-in person or service token. Each route then says which role it
 * needs (access/guard.ts). With no admin token and no Access, it stays shut.
 */
export const authenticate = factory.createMiddleware(async (c, next) => {
	const bearer = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "")?.[1];
	// Nothing to sign in with but API tokens made earlier: say how to open it rather than refuse each caller.
	if (adminTokens(c.env).length === 0 && !teamSettings(c.env).access && !bearer?.startsWith(TOKEN_PREFIX)) {
		throw ApiError.of(
			503,
			"Configuration Error",
			"ADMIN_TOKEN is not set, so the API is closed: run `wrangler secret put ADMIN_TOKEN` (locally, put it in .dev.vars)",
		);
	}
	// On the primary, not a replica: a revoked token or a lowered role counts at once.
	const principal =
		bearer === undefined
			? await accessPrincipal(c.var.primary, c.env, c.req.raw)
			: await bearerPrincipal(c.var.primary, c.env, bearer, (work) => c.executionCtx.waitUntil(work));
	if (!principal) throw unauthorized("send an API token or the admin token as `Authorization: Bearer <token>`");
	c.set("actor", actorOf(c, "api", principal));
	await next();
});
