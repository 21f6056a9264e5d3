import { factory } from "../factory";
import { auditApi } from "./audit";
import { authenticate } from "./auth";
import { deploysApi } from "./deploys";
import { integrationsApi } from "./integrations";
import { lifecycleApi } from "./lifecycle";
import { membersApi } from "./members";
import { metricsApi } from "./metrics";
import { peopleApi } from "./people";
import { servicesApi } from "./services";
import { settingsApi } from "./settings";
import { suggestionsApi } from "./suggestions";
import { tokensApi } from "./tokens";

/** The management API: JSON, for API tokens, the admin token and people behind Cloudflare Access. */
export const api = factory
	.createApp()
	.use(authenticate)
	.route("/integrations", integrationsApi)
	.route("/services", servicesApi)
	.route("/services", lifecycleApi)
	.route("/deploys", deploysApi)
	.route("/suggestions", suggestionsApi)
	.route("/people", peopleApi)
	.route("/metrics", metricsApi)
	.route("/audit", auditApi)
	.route("/tokens", tokensApi)
	.route("/members", membersApi)
	.route("/settings", settingsApi);
