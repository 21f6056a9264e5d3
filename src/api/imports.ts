import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { factory } from "../factory";
import { ApiError } from "../http/errors";
import { type Line, type Stop, splitLines } from "../http/ndjson";
import { errors, json, validated } from "../http/openapi";
import { MAX_ID, object, optionalText } from "../http/validation";
import { type ImportContext, importLines, isLive, type LineResult, unknownIntegration } from "../webhook/import";
import { MAX_BODY_BYTES } from "../webhook/payload";

/** One request's limits: bigger imports are split (the CLI does it: scripts/import.mjs). */
export const IMPORT_LIMITS = { maxBytes: 10 * 1024 * 1024, maxLines: 10_000, maxLineBytes: MAX_BODY_BYTES };

/**
 * Lines read before they go to the ledgers: bounds the memory one request
 * holds and the size of each ledger call, and lets D1 take the deploys in groups.
 */
const CHUNK = { lines: 500, chars: 4 * 1024 * 1024 };

const importQuery = object({ integration_id: optionalText({ max: MAX_ID }) });

const errorObject = z.object({ status: z.number().int(), title: z.string(), detail: z.string() });

const importAnswer = z.object({
	counts: z.object({ accepted: z.number().int(), duplicate: z.number().int(), invalid: z.number().int() }),
	lines: z.array(
		z.object({
			line: z.number().int(),
			result: z.enum(["accepted", "duplicate", "invalid"]),
			errors: z.array(errorObject).optional(),
		}),
	),
	next_line: z.number().int().nullable().meta({
		description:
			"The first line not read because the request reached a limit (send the rest again from there), or null",
	}),
});

const tooLarge = () =>
	ApiError.of(
		413,
		"Body Error",
		`request body is larger than ${IMPORT_LIMITS.maxBytes} bytes; split the import (scripts/import.mjs does)`,
	);

export const importsApi = factory.createApp().post(
	"/",
	allow("admin"),
	describeRoute({
		tags: ["Deploys"],
		summary: "Import deploys from NDJSON: export lines or Custom Deploy webhook bodies, one per line",
		description: `Each line goes through its integration's ledger as a webhook would: the same validation, dedup and numbering; supplied deploy numbers are kept, and importing the same lines again changes nothing. Every line gets a result; a bad one never stops the rest. At most ${IMPORT_LIMITS.maxLines} lines and ${IMPORT_LIMITS.maxBytes} bytes per request (a larger declared Content-Length is a 413; reading stops at a limit and \`next_line\` says where), lines up to ${IMPORT_LIMITS.maxLineBytes} bytes. See the README's "Import your history".`,
		parameters: [
			{
				name: "integration_id",
				in: "query",
				required: false,
				schema: { type: "string" },
				description:
					"The integration every line is recorded under. Without it, export lines go to their own `integration_id` and webhook bodies are invalid.",
			},
		],
		requestBody: { content: { "application/x-ndjson": { schema: { type: "string" } } } },
		responses: {
			200: json("What became of each line, in order, with counts", importAnswer),
			...errors(400, 401, 403, 404, 413),
		},
	}),
	validated("query", importQuery),
	async (c) => {
		const integrationId = c.req.valid("query").integration_id;
		if (Number(c.req.header("Content-Length")) > IMPORT_LIMITS.maxBytes) throw tooLarge();
		const ctx: ImportContext = { db: c.var.db, ledgers: c.env.LEDGER, meter: c.var.meter, live: new Map() };
		if (integrationId !== undefined && !(await isLive(ctx, integrationId))) throw unknownIntegration(integrationId);

		const results: LineResult[] = [];
		const stop: Stop = { nextLine: null };
		let chunk: Line[] = [];
		let chars = 0;
		const flush = async () => {
			results.push(...(await importLines(ctx, chunk, integrationId)));
			chunk = [];
			chars = 0;
		};
		for await (const line of splitLines(c.req.raw.body ?? new Blob().stream(), IMPORT_LIMITS, stop)) {
			// Blank lines (a trailing one, say) are not deploys.
			if (!line.tooLong && line.text.trim() === "") continue;
			chunk.push(line);
			chars += line.tooLong ? 0 : line.text.length;
			if (chunk.length >= CHUNK.lines || chars >= CHUNK.chars) await flush();
		}
		await flush();
		return c.json({ counts: countResults(results), lines: results, next_line: stop.nextLine });
	},
);

function countResults(results: LineResult[]) {
	const counts = { accepted: 0, duplicate: 0, invalid: 0 };
	for (const { result } of results) counts[result]++;
	return counts;
}
