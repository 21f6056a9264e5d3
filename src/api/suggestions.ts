import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { accept, acceptInput, attach, attachInput, listQuery, setIgnored } from "../catalog/suggestions";
import { findService } from "../db/catalog";
import type { Database } from "../db/client";
import { findSuggestion, listSuggestions, type Suggestion } from "../db/suggestions";
import { type AppContext, factory } from "../factory";
import { formatOptionalDatetime } from "../http/datetime";
import { errors, isoTime, json, jsonBody, validated } from "../http/openapi";
import { readJson, validate } from "../http/validation";
import { presentService, serviceSchema } from "./services";

function present(s: Suggestion) {
	return {
		id: s.id,
		alias: s.alias,
		state: s.state,
		service_id: s.serviceId,
		deploy_count: s.deployCount,
		first_seen_at: formatOptionalDatetime(s.firstSeenAt),
		last_seen_at: formatOptionalDatetime(s.lastSeenAt),
	};
}

const suggestionSchema = z
	.object({
		id: z.string(),
		alias: z.string(),
		state: z.enum(["open", "ignored", "resolved"]),
		service_id: z.string().nullable(),
		deploy_count: z.number().int(),
		first_seen_at: isoTime.nullable(),
		last_seen_at: isoTime.nullable(),
	})
	.meta({ id: "Suggestion" });

const outcomeSchema = z.object({ suggestion: suggestionSchema, service: serviceSchema.optional() });

const tags = ["Suggestions"];

async function answer(db: Database, suggestionId: string, serviceId?: string | null) {
	const [suggestion, service] = await Promise.all([
		findSuggestion(db, suggestionId),
		serviceId ? findService(db, serviceId) : undefined,
	]);
	return {
		suggestion: suggestion && present(suggestion),
		...(service ? { service: presentService(service) } : {}),
	};
}

/** Ignore and un-ignore: the same move in opposite directions. */
function ignoring(ignored: boolean, summary: string) {
	return [
		describeRoute({
			tags,
			summary,
			responses: { 200: json("The suggestion", outcomeSchema), ...errors(401, 403, 404, 409) },
		}),
		async (c: AppContext<"/:id">) => {
			const id = c.req.param("id");
			await setIgnored(c.var.db, id, ignored, c.var.actor);
			return c.json(await answer(c.var.db, id));
		},
	] as const;
}

export const suggestionsApi = factory
	.createApp()
	.get(
		"/",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "Aliases deploys arrived under that no service claims, most recently seen first",
			responses: {
				200: json("Suggestions", z.object({ suggestions: z.array(suggestionSchema) })),
				...errors(400, 401),
			},
		}),
		validated("query", listQuery),
		async (c) => {
			const { state } = c.req.valid("query");
			const rows = await listSuggestions(c.var.db, state ?? "open");
			return c.json({ suggestions: rows.map(present) });
		},
	)
	.post(
		"/:id/accept",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Accept: a new service (named after the alias unless `name` is given) owns the alias",
			requestBody: jsonBody(acceptInput, false),
			responses: {
				201: json("The resolved suggestion and the new service", outcomeSchema),
				...errors(400, 401, 403, 404, 409),
			},
		}),
		async (c) => {
			const input = validate(acceptInput, await readJson(c));
			const id = c.req.param("id");
			const serviceId = await accept(c.var.db, id, c.var.actor, input?.name);
			return c.json(await answer(c.var.db, id, serviceId), 201);
		},
	)
	.post(
		"/:id/attach",
		allow("editor"),
		describeRoute({
			tags,
			summary: "Attach the alias to an existing service",
			requestBody: jsonBody(attachInput),
			responses: {
				200: json("The resolved suggestion and the service", outcomeSchema),
				...errors(400, 401, 403, 404, 409),
			},
		}),
		async (c) => {
			const input = validate(attachInput, await readJson(c));
			const id = c.req.param("id");
			await attach(c.var.db, id, input.service_id, c.var.actor);
			return c.json(await answer(c.var.db, id, input.service_id));
		},
	)
	.post(
		"/:id/ignore",
		allow("editor"),
		...ignoring(true, "Ignore: deploys keep being recorded, but the alias is no longer suggested"),
	)
	.post("/:id/unignore", allow("editor"), ...ignoring(false, "Un-ignore: the alias is suggested again"));
