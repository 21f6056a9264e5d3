import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "./access/guard";
import { api } from "./api";
import { docs } from "./api/docs";
import { meterRequests } from "./cost/middleware";
import type { Bindings } from "./env";
import { factory } from "./factory";
import { notFound, onError } from "./http/errors";
import { json } from "./http/openapi";
import type { NotificationMessage } from "./model/notification";
import { consume } from "./notifications/queue";
import { reporterScript } from "./pipelines/reporter";
import { scheduled } from "./retention/purge";
import { ui } from "./ui";
import { pageNotFound } from "./ui/errors";
import { wantsPage } from "./ui/negotiation";
import { fluxWebhook } from "./webhook/flux";
import { github } from "./webhook/github";
import { incidentWebhook } from "./webhook/incidents";
import { webhook } from "./webhook/route";

export { Ledger } from "./ledger/ledger";

const up = z.object({ status: z.literal("ok") });

// Not strict: a webhook URL pasted with a trailing slash still works.
const app = factory.createApp({ strict: false });

app
	.use(meterRequests)
	// Before the API, whose admin-token guard covers the rest of /api.
	.route("/api", docs(app))
	.get(
		"/healthz",
		allow("anyone"),
		describeRoute({ tags: ["Meta"], summary: "Liveness", security: [], responses: { 200: json("Up", up) } }),
		(c) => c.json({ status: "ok" }),
	)
	.route("/", reporterScript)
	.route("/integrations/deploy", webhook)
	.route("/integrations/github", github)
	.route("/integrations/flux", fluxWebhook)
	.route("/integrations/incident", incidentWebhook)
	.route("/api", api)
	// Last: the pages share paths such as /integrations with the webhook.
	.route("/", ui);

app.onError(onError);
// Browsers get a page, programs the JSON error shape.
app.notFound((c) => (wantsPage(c) ? pageNotFound(c) : notFound(c)));

// The fetch handler plus the daily retention purge (wrangler.toml's cron) and the
// notifications queue's consumer; still the Hono app itself, whose routes the OpenAPI test inspects.
export default Object.assign(app, { scheduled, queue: consume }) satisfies ExportedHandler<
	Bindings,
	NotificationMessage
>;
