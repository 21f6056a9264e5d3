import { Hono } from "hono";
import type { AppEnv } from "../env";
import { assets } from "./assets";
import { accountPages } from "./pages/account";
import { auditPages } from "./pages/audit";
import { deploysPages } from "./pages/deploys";
import { integrationPages } from "./pages/integrations";
import { servicesPages } from "./pages/services";
import { suggestionsPages } from "./pages/suggestions";

/** The web UI: server-rendered pages over the same catalog and queries as the API. */
export const ui = new Hono<AppEnv>()
	.get(assets.stylesheet.path, (c) => serve(c, assets.stylesheet))
	.get(assets.script.path, (c) => serve(c, assets.script))
	.get(assets.apiReference.path, (c) => serve(c, assets.apiReference))
	.route("/", accountPages)
	.route("/integrations", integrationPages)
	.route("/services", servicesPages)
	.route("/deploys", deploysPages)
	.route("/suggestions", suggestionsPages)
	.route("/audit", auditPages);

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
