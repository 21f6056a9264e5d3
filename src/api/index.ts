import { readNearCaller } from "../cost/middleware";
import { factory } from "../factory";
import { auditApi } from "./audit";
import { authenticate } from "./auth";
import { deploysApi } from "./deploys";
import { importsApi } from "./imports";
import { incidentsApi } from "./incidents";
import { integrationsApi } from "./integrations";
import { lifecycleApi } from "./lifecycle";
import { membersApi } from "./members";
import { metricsApi } from "./metrics";
import { notificationsApi } from "./notifications";
import { peopleApi } from "./people";
import { servicesApi } from "./services";
import { settingsApi } from "./settings";
import { suggestionsApi } from "./suggestions";
import { teamsApi } from "./teams";
import { tokensApi } from "./tokens";

/** The management API: JSON, for API tokens, the admin token and people behind Cloudflare Access. */
export const api = factory
	.createApp()
	// API clients carry the bookmark in the x-d1-bookmark header.
	.use(readNearCaller({ cookie: false }))
	.use(authenticate)
	.route("/integrations", integrationsApi)
	.route("/services", servicesApi)
	.route("/services", lifecycleApi)
	.route("/teams", teamsApi)
	.route("/deploys/import", importsApi)
	.route("/deploys", deploysApi)
	.route("/suggestions", suggestionsApi)
	.route("/people", peopleApi)
	.route("/incidents", incidentsApi)
	.route("/metrics", metricsApi)
	.route("/audit", auditApi)
	.route("/tokens", tokensApi)
	.route("/members", membersApi)
	.route("/settings", settingsApi)
	.route("/notifications", notificationsApi);
