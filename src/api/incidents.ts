import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { productionEnvironments } from "../catalog/settings";
import type { Incident } from "../db/incidents";
import { factory } from "../factory";
import { formatDatetime, formatOptionalDatetime } from "../http/datetime";
import { errors, isoTime, json, jsonBody, validated } from "../http/openapi";
import { object, optional, readJson, requiredText, validate } from "../http/validation";
import {
	checkedIncident,
	incidentInput,
	listIncidents,
	loadIncident,
	MAX_LISTED,
	openIncident,
	resolveIncident,
	resolveInput,
} from "../incidents/incidents";

const present = (incident: Incident) => ({
	id: incident.id,
	service: { id: incident.serviceId, name: incident.serviceName },
	environment: incident.environment,
	title: incident.title,
	link: incident.link,
	deploy_id: incident.deployId,
	started_at: formatDatetime(incident.startedAt),
	resolved_at: formatOptionalDatetime(incident.resolvedAt),
	state: incident.resolvedAt === null ? ("open" as const) : ("resolved" as const),
	external_id: incident.externalId,
	created_at: formatDatetime(incident.createdAt),
});

const incidentSchema = z
	.object({
		id: z.string(),
		service: z.object({ id: z.string(), name: z.string() }),
		environment: z.string(),
		title: z.string(),
		link: z.string().nullable(),
		deploy_id: z.string().nullable().describe("The deploy named as its cause, if any"),
		started_at: isoTime,
		resolved_at: isoTime.nullable(),
		state: z.enum(["open", "resolved"]),
		external_id: z.string().nullable().describe("The alerting tool's dedup key, for one opened by its webhook"),
		created_at: isoTime,
	})
	.meta({ id: "Incident" });

const listQuery = object({
	service: optional(requiredText({ max: 255 })).describe("A service's id or any of its aliases"),
	limit: optional(z.coerce.number().int().min(1).max(MAX_LISTED)).describe(`At most ${MAX_LISTED}; default 50`),
});

const tags = ["Incidents"];

/** Incidents: everyone reads them, editors open and resolve them (alerting tools use the incident webhook). */
export const incidentsApi = factory
	.createApp()
	.post(
		"/",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Open an incident (or record one already resolved)",
			requestBody: jsonBody(incidentInput),
			responses: { 201: json("The incident", incidentSchema), ...errors(400, 401, 403, 404) },
		}),
		async (c) => {
			const input = validate(incidentInput, await readJson(c));
			const now = Date.now();
			const incident = await checkedIncident(c.var.db, input, await productionEnvironments(c.var.db), now);
			return c.json(present(await openIncident(c.var.db, incident, c.var.actor, now)), 201);
		},
	)
	.get(
		"/",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "Incidents, newest first; a service's with `service=`",
			responses: { 200: json("Incidents", z.object({ incidents: z.array(incidentSchema) })), ...errors(400, 401, 404) },
		}),
		validated("query", listQuery),
		async (c) => {
			const { service, limit } = c.req.valid("query");
			return c.json({ incidents: (await listIncidents(c.var.db, service, limit)).map(present) });
		},
	)
	.get(
		"/:id",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "One incident",
			responses: { 200: json("The incident", incidentSchema), ...errors(401, 404) },
		}),
		async (c) => c.json(present(await loadIncident(c.var.db, c.req.param("id")))),
	)
	.post(
		"/:id/resolve",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Resolve an open incident, now or at `resolved_at`",
			requestBody: jsonBody(resolveInput, false),
			responses: { 200: json("The incident", incidentSchema), ...errors(400, 401, 403, 404, 409) },
		}),
		async (c) => {
			const { resolved_at } = validate(resolveInput, await readJson(c));
			return c.json(present(await resolveIncident(c.var.db, c.req.param("id"), resolved_at, c.var.actor)));
		},
	);
