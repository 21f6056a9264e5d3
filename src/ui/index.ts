import { contextStorage } from "hono/context-storage";
import { allow } from "../access/guard";
import { readNearCaller } from "../cost/middleware";
import { factory } from "../factory";
import { serveAsset } from "../http/assets";
import { assets } from "./assets";
import { renderError } from "./errors";
import { accountPages } from "./pages/account";
import { auditPages } from "./pages/audit";
import { deploysPages } from "./pages/deploys";
import { integrationPages } from "./pages/integrations";
import { membersPages } from "./pages/members";
import { notificationsPages } from "./pages/notifications";
import { servicesPages } from "./pages/services";
import { settingsPages } from "./pages/settings";
import { suggestionsPages } from "./pages/suggestions";
import { teamsPages } from "./pages/teams";
import { tokensPages } from "./pages/tokens";

/** The web UI: server-rendered pages over the same catalog and queries as the API. */
export const ui = factory
	.createApp()
	// First: pages ask it who is signed in (ui/viewer.ts).
	.use(contextStorage())
	// Browsers carry the bookmark in a cookie.
	.use(readNearCaller({ cookie: true }))
	.get(assets.stylesheet.path, allow("anyone"), (c) => serveAsset(c, assets.stylesheet))
	.get(assets.script.path, allow("anyone"), (c) => serveAsset(c, assets.script))
	.route("/", accountPages)
	.route("/integrations", integrationPages)
	.route("/services", servicesPages)
	.route("/teams", teamsPages)
	.route("/deploys", deploysPages)
	.route("/suggestions", suggestionsPages)
	.route("/audit", auditPages)
	.route("/members", membersPages)
	.route("/tokens", tokensPages)
	.route("/settings", settingsPages)
	.route("/notifications", notificationsPages)
	// One handler for every page: Hono wraps each of the ui's routes, those of the mounted pages
	// included, in it when the ui itself is mounted.
	.onError(renderError);
