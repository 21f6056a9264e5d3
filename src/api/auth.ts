import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { ApiError } from "../http/errors";

const encoder = new TextEncoder();

/** Constant-time comparison: both sides are hashed first so their lengths match too. */
export async function sameSecret(given: string, expected: string): Promise<boolean> {
	const [a, b] = await Promise.all(
		[given, expected].map((text) => crypto.subtle.digest("SHA-256", encoder.encode(text))),
	);
	return crypto.subtle.timingSafeEqual(a as ArrayBuffer, b as ArrayBuffer);
}

/** Guards the management API with `Authorization: Bearer <ADMIN_TOKEN>`; with no token set it stays shut. */
export const requireAdmin = createMiddleware<AppEnv>(async (c, next) => {
	const expected = c.env.ADMIN_TOKEN;
	if (!expected) {
		throw ApiError.of(
			503,
			"Configuration Error",
			"ADMIN_TOKEN is not set, so the API is closed: run `wrangler secret put ADMIN_TOKEN` (locally, put it in .dev.vars)",
		);
	}
	const given = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("Authorization") ?? "")?.[1];
	if (!given || !(await sameSecret(given, expected))) {
		throw ApiError.of(401, "Authorization Error", "send the admin token as `Authorization: Bearer <ADMIN_TOKEN>`", {
			"WWW-Authenticate": 'Bearer realm="deploy-tracker"',
		});
	}
	await next();
});
