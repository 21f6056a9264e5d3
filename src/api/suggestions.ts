import { Hono } from "hono";
import { z } from "zod";
import { findService, isUniqueViolation, serviceByName } from "../db/catalog";
import { type Database, database } from "../db/client";
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
import { formatDatetime } from "../http/datetime";
import { ApiError } from "../http/errors";
import { object, optional, optionalText, readJson, requiredText, validate } from "../http/validation";
import { presentService } from "./services";

const listQuery = object({
	state: optional(z.enum(["open", "ignored"], { error: "param must be one of: open, ignored" })),
});
const acceptInput = optional(object({ name: optionalText({ max: 255 }) }));
const attachInput = object({ service_id: requiredText({ max: 64 }) });

const iso = (ms: number | null) => (ms === null ? null : formatDatetime(ms));

function present(s: Suggestion) {
	return {
		id: s.id,
		alias: s.alias,
		state: s.state,
		service_id: s.serviceId,
		deploy_count: s.deployCount,
		first_seen_at: iso(s.firstSeenAt),
		last_seen_at: iso(s.lastSeenAt),
	};
}

const conflict = (detail: string) => ApiError.of(409, "Suggestion Error", detail);

/** The suggestion, if an action from `from` states may still be taken on it. */
async function actionable(db: Database, id: string, from: SuggestionState[]): Promise<Suggestion> {
	const suggestion = await findSuggestion(db, id);
	if (!suggestion) throw ApiError.of(404, "Suggestion Error", `no suggestion with id '${id}'`);
	if (!from.includes(suggestion.state)) throw conflict(`the suggestion is ${suggestion.state}`);
	return suggestion;
}

/** Runs an action; losing a race to another action (or a taken name or alias) is a 409. */
async function settle<T>(write: Promise<T>): Promise<T> {
	try {
		return await write;
	} catch (error) {
		if (isUniqueViolation(error)) {
			throw conflict("another change to this suggestion, its alias or the service name came first");
		}
		throw error;
	}
}

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

export const suggestionsApi = new Hono<AppEnv>()
	.get("/", async (c) => {
		const { state } = validate(listQuery, c.req.query());
		const rows = await listSuggestions(database(c.env.DB), state ?? "open");
		return c.json({ suggestions: rows.map(present) });
	})
	.post("/:id/accept", async (c) => {
		const input = validate(acceptInput, await readJson(c));
		const db = database(c.env.DB);
		const suggestion = await actionable(db, c.req.param("id"), ["open", "ignored"]);
		const name = input?.name ?? suggestion.alias;
		if (await serviceByName(db, name)) {
			throw ApiError.of(409, "Name Error", `a service named '${name}' already exists; attach the alias to it instead`);
		}
		const serviceId = await settle(acceptSuggestion(db, suggestion, name));
		return c.json(await answer(db, suggestion.id, serviceId), 201);
	})
	.post("/:id/attach", async (c) => {
		const input = validate(attachInput, await readJson(c));
		const db = database(c.env.DB);
		const suggestion = await actionable(db, c.req.param("id"), ["open", "ignored"]);
		if (!(await findService(db, input.service_id))) {
			throw ApiError.of(404, "Service id Error", `no service with id '${input.service_id}'`);
		}
		await settle(attachSuggestion(db, suggestion, input.service_id));
		return c.json(await answer(db, suggestion.id, input.service_id));
	})
	.post("/:id/ignore", async (c) => {
		const db = database(c.env.DB);
		const suggestion = await actionable(db, c.req.param("id"), ["open"]);
		await settle(setSuggestionIgnored(db, suggestion, true));
		return c.json(await answer(db, suggestion.id));
	})
	.post("/:id/unignore", async (c) => {
		const db = database(c.env.DB);
		const suggestion = await actionable(db, c.req.param("id"), ["ignored"]);
		await settle(setSuggestionIgnored(db, suggestion, false));
		return c.json(await answer(db, suggestion.id));
	});
