import type { StandardSchemaV1 } from "@standard-schema/spec";
import type { ValidationTargets } from "hono";
import { resolver, validator } from "hono-openapi";
import { z } from "zod";
import { ApiError } from "./errors";

// Helpers that declare a route's inputs once: the same Zod schema validates the
// request and describes it in /api/openapi.json.

/** Schemas are described as clients send them (before transforms), e.g. a date-time as a string. */
const asInput = { options: { io: "input", unrepresentable: "any" } };

const doc = (schema: StandardSchemaV1) => resolver(schema, asInput);

/** Validates a request part; failures become one 400 listing every invalid field. */
export function validated<S extends StandardSchemaV1, T extends keyof ValidationTargets>(target: T, schema: S) {
	return validator(
		target,
		schema,
		(result) => {
			if (!result.success) throw ApiError.invalid(result.error);
		},
		asInput,
	);
}

/** An ISO 8601 UTC date-time in a response, e.g. `2019-02-01T13:28:33.000Z`. */
export const isoTime = z.string().meta({ format: "date-time", example: "2019-02-01T13:28:33.000Z" });

const errorSchema = z
	.object({
		errors: z.array(z.object({ status: z.number().int(), title: z.string(), detail: z.string() })),
	})
	.meta({ id: "Errors" });

const ERROR_MEANINGS = {
	400: "Invalid input; every invalid field is listed",
	401: "Missing or wrong credentials: an API token, the admin token, or a Cloudflare Access sign-in",
	403: "The caller's role does not allow this",
	404: "Not found",
	405: "Method not allowed",
	409: "Conflicts with the current state",
	413: "Body too large",
	429: "Too many requests from this integration; wait for Retry-After seconds",
	503: "The admin API is closed: no ADMIN_TOKEN is configured",
} as const;

/** Error responses in the shared shape, for the given statuses. */
export function errors(...statuses: (keyof typeof ERROR_MEANINGS)[]) {
	return Object.fromEntries(
		statuses.map((status) => [
			status,
			{ description: ERROR_MEANINGS[status], content: { "application/json": { schema: doc(errorSchema) } } },
		]),
	);
}

export function json(description: string, schema?: StandardSchemaV1) {
	return { description, content: schema ? { "application/json": { schema: doc(schema) } } : undefined };
}

/** A JSON request body; read with `readJson` and `validate`, which accept any declared content type. */
export function jsonBody(schema: StandardSchemaV1, required = true) {
	return { required, content: { "application/json": { schema: doc(schema) } } };
}
