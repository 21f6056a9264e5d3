import { Hono } from "hono";
import type { AppEnv } from "../env";
import { assets } from "./assets";
import { accountPages } from "./pages/account";
import { integrationPages } from "./pages/integrations";

/** The web UI: server-rendered pages over the same catalog and queries as the API. */
export const ui = new Hono<AppEnv>()
	.get(assets.stylesheet.path, (c) => serve(c, assets.stylesheet))
	.get(assets.script.path, (c) => serve(c, assets.script))
	.route("/", accountPages)
	.route("/integrations", integrationPages);

/** A static file; its URL is fingerprinted, so it may be cached for good. */
function serve(
	c: { body: (body: string, status: 200, headers: Record<string, string>) => Response },
	asset: { type: string; body: string },
) {
	return c.body(asset.body, 200, {
		"Content-Type": `${asset.type}; charset=utf-8`,
		"Cache-Control": "public, max-age=31536000, immutable",
		"X-Content-Type-Options": "nosniff",
	});
}
