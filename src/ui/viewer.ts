import { getContext } from "hono/context-storage";
import type { Principal } from "../access/principal";
import type { AppEnv } from "../env";
import { atLeast, type Role } from "../model/roles";

// The UI's context storage (see ui/index.ts) keeps each request's context, so
// a component can ask who is signed in without every page passing it down.

/** Who the page being rendered is for; undefined on pages for signed-out visitors. */
export function signedInAs(): Principal | undefined {
	return getContext<AppEnv>().var.actor?.principal;
}

/**
 * Whether the page's viewer may take actions that need `role`: pages offer only
 * those. The routes refuse the others anyway (see access/guard.ts).
 */
export function may(role: Role): boolean {
	const principal = signedInAs();
	return principal !== undefined && atLeast(principal.role, role);
}
