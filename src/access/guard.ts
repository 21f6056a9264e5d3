import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { factory } from "../factory";
import { ApiError } from "../http/errors";
import { atLeast, type Role } from "../model/roles";

/** Who may call a route: anyone who reaches it (the webhook, sign-in, health), or a role and those above it. */
export type Audience = Role | "anyone";

/** Where a route's guard records its audience, for the test that checks every route has one. */
const AUDIENCE = Symbol.for("deploy-tracker.audience");

type Guard = MiddlewareHandler<AppEnv> & { [AUDIENCE]: Audience };

/** The 403 for a principal whose role is below what a route needs. */
export const forbidden = (needed: Role) =>
	ApiError.of(403, "Role Error", `this needs the ${needed} role or higher; ask an admin`);

/**
 * A route's declaration of who may call it, first among the route's own
 * handlers (after any sign-in middleware): `.get("/", allow("viewer"), …)`. A role guard refuses a lower role with a
 * 403; the principal was established before (a 401 or the sign-in page
 * otherwise). `allow("anyone")` checks nothing and only declares.
 */
export function allow(audience: Audience): Guard {
	const guard = factory.createMiddleware(async (c, next) => {
		if (audience !== "anyone") {
			// A guard ahead of authentication is a wiring mistake, not a visitor to refuse.
			if (!c.var.actor) throw new Error(`allow("${audience}") ran before the request was authenticated`);
			if (!atLeast(c.var.actor.principal.role, audience)) throw forbidden(audience);
		}
		await next();
	});
	return Object.assign(guard, { [AUDIENCE]: audience });
}

/** The audience a handler declares, if it is a guard. */
export function audienceOf(handler: unknown): Audience | undefined {
	return typeof handler === "function" && AUDIENCE in handler ? (handler as Guard)[AUDIENCE] : undefined;
}
