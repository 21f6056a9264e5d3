import { factory } from "../factory";
import { auditApi } from "./audit";
import { requireAdmin } from "./auth";
import { deploysApi } from "./deploys";
import { integrationsApi } from "./integrations";
import { metricsApi } from "./metrics";
import { peopleApi } from "./people";
import { servicesApi } from "./services";
import { suggestionsApi } from "./suggestions";

/** The management API: JSON, behind the admin token. */
export const api = factory
	.createApp()
	.use(requireAdmin)
	.route("/integrations", integrationsApi)
	.route("/services", servicesApi)
	.route("/deploys", deploysApi)
	.route("/suggestions", suggestionsApi)
	.route("/people", peopleApi)
	.route("/metrics", metricsApi)
	.route("/audit", auditApi);
