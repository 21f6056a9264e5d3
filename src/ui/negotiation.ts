import type { Context } from "hono";

/** A browser navigating (asks for HTML first), outside the API and the webhook, which always answer JSON. */
export function wantsPage(c: Context): boolean {
	const path = c.req.path;
	if (path.startsWith("/api/") || path === "/api" || /^\/integrations\/(deploy|github)\//.test(path)) return false;
	return /^\s*text\/html/i.test(c.req.header("Accept") ?? "");
}
