import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { productionEnvironments } from "../catalog/settings";
import { webhookTokenOwner } from "../db/integrations";
import { errors, json, jsonBody } from "../http/openapi";
import { readJson } from "../http/validation";
import { applyResolve, applyTrigger, parseEvent, resolveEvent, triggerEvent } from "../incidents/incidents";
import { unknownIntegration } from "./answers";
import { findIntegration as findIntegrationBy, limitBodyTo, takesUnsigned, type WebhookEnv } from "./route";

// The incident webhook: alerting tools point a generic webhook at an
// integration's incident URL, which carries the same secret as its deploy
// URL, and send `trigger` and `resolve` events (see the README's "Incidents").

/** An event is a few short fields: 64 KiB leaves room for any title and link. */
const MAX_EVENT_BYTES = 64 * 1024;

/**
 * The integration, checked before the body is read, from D1 each time: an
 * incident goes straight to D1, so a revoked URL must fail here, not later.
 * Not a GitHub integration's URL: that one takes only signed events.
 */
const findIntegration = findIntegrationBy(takesUnsigned, webhookTokenOwner);

const answer = z
	.object({
		result: z.enum(["created", "resolved", "duplicate"]),
		incident_id: z.string(),
	})
	.meta({ id: "IncidentEventResult" });

export const incidentWebhook = new Hono<WebhookEnv>().post(
	"/:uuid",
	allow("anyone"),
	describeRoute({
		tags: ["Webhook"],
		summary: "Report an incident from an alerting tool: trigger or resolve, by the tool's dedup key",
		description:
			"The URL is an integration's deploy URL with `/integrations/incident/` in place of `/integrations/deploy/`. A repeated trigger, or a resolve already applied, answers `duplicate` and stores nothing; a trigger that began no later than the last resolution under its id is refused (409), as is resolving again at another time.",
		security: [],
		requestBody: jsonBody(z.union([triggerEvent, resolveEvent])),
		responses: {
			202: json("Applied, or recognised as already applied", answer),
			...errors(400, 404, 409, 413),
		},
	}),
	findIntegration,
	limitBodyTo(MAX_EVENT_BYTES),
	async (c) => {
		const event = parseEvent(await readJson(c));
		const now = Date.now();
		const { db } = c.var;
		const { result, incident } =
			event.action === "trigger"
				? await applyTrigger(db, c.var.integrationId, event, await productionEnvironments(db), now)
				: await applyResolve(db, c.var.integrationId, event, now);
		return c.json({ result, incident_id: incident.id }, 202);
	},
);

// Nothing else under /integrations/incident is anything: a 404 in the JSON shape, as under /integrations/deploy.
incidentWebhook.all("*", allow("anyone"), () => {
	throw unknownIntegration();
});
