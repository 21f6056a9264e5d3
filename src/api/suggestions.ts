import { type Context, Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { findService, serviceByName } from "../db/catalog";
import type { Database } from "../db/client";
import {
	acceptSuggestion,
	attachSuggestion,
	findSuggestion,
	listSuggestions,
	type Suggestion,
	type SuggestionState,
	setSuggestionIgnored,
} from "../db/suggestions";
import type { AppEnv } from "../env";
import { formatOptionalDatetime } from "../http/datetime";
import { ApiError, orConflict } from "../http/errors";
import { errors, isoTime, json, jsonBody, validated } from "../http/openapi";
import { object, optional, optionalText, readJson, requiredText, validate } from "../http/validation";
import { presentService, serviceSchema } from "./services";

const listQuery = object({
	state: optional(z.enum(["open", "ignored"], { error: "param must be one of: open, ignored" })),
});
const acceptInput = optional(object({ name: optionalText({ max: 255 }) }));
const attachInput = object({ service_id: requiredText({ max: 64 }) });

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

const conflict = (detail: string) => ApiError.of(409, "Suggestion Error", detail);

/** The suggestion, if an action from `from` states may still be taken on it. */
async function actionable(db: Database, id: string, from: SuggestionState[]): Promise<Suggestion> {
	const suggestion = await findSuggestion(db, id);
	if (!suggestion) throw ApiError.of(404, "Suggestion Error", `no suggestion with id '${id}'`);
	if (!from.includes(suggestion.state)) throw conflict(`the suggestion is ${suggestion.state}`);
	return suggestion;
}

/** Losing a race to another action (or to a taken name or alias) is a 409. */
const settle = <T>(write: Promise<T>) =>
	orConflict(write, conflict("another change to this suggestion, its alias or the service name came first"));

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
			responses: { 200: json("The suggestion", outcomeSchema), ...errors(401, 404, 409) },
		}),
		async (c: Context<AppEnv, "/:id">) => {
			const db = c.var.db;
			const suggestion = await actionable(db, c.req.param("id"), [ignored ? "open" : "ignored"]);
			await settle(setSuggestionIgnored(db, suggestion, ignored));
			return c.json(await answer(db, suggestion.id));
		},
	] as const;
}

export const suggestionsApi = new Hono<AppEnv>()
	.get(
		"/",
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
		describeRoute({
			tags,
			summary: "Accept: a new service (named after the alias unless `name` is given) owns the alias",
			requestBody: jsonBody(acceptInput, false),
			responses: {
				201: json("The resolved suggestion and the new service", outcomeSchema),
				...errors(400, 401, 404, 409),
			},
		}),
		async (c) => {
			const input = validate(acceptInput, await readJson(c));
			const db = c.var.db;
			const suggestion = await actionable(db, c.req.param("id"), ["open", "ignored"]);
			const name = input?.name ?? suggestion.alias;
			if (await serviceByName(db, name)) {
				throw ApiError.of(
					409,
					"Name Error",
					`a service named '${name}' already exists; attach the alias to it instead`,
				);
			}
			const serviceId = await settle(acceptSuggestion(db, suggestion, name));
			return c.json(await answer(db, suggestion.id, serviceId), 201);
		},
	)
	.post(
		"/:id/attach",
		describeRoute({
			tags,
			summary: "Attach the alias to an existing service",
			requestBody: jsonBody(attachInput),
			responses: { 200: json("The resolved suggestion and the service", outcomeSchema), ...errors(400, 401, 404, 409) },
		}),
		async (c) => {
			const input = validate(attachInput, await readJson(c));
			const db = c.var.db;
			const suggestion = await actionable(db, c.req.param("id"), ["open", "ignored"]);
			if (!(await findService(db, input.service_id))) {
				throw ApiError.of(404, "Service id Error", `no service with id '${input.service_id}'`);
			}
			await settle(attachSuggestion(db, suggestion, input.service_id));
			return c.json(await answer(db, suggestion.id, input.service_id));
		},
	)
	.post("/:id/ignore", ...ignoring(true, "Ignore: deploys keep being recorded, but the alias is no longer suggested"))
	.post("/:id/unignore", ...ignoring(false, "Un-ignore: the alias is suggested again"));
