import { z } from "zod";
import type { Meter } from "../cost/meter";
import type { Database } from "../db/client";
import { liveIntegration } from "../db/integrations";
import { ApiError, type ErrorObject } from "../http/errors";
import type { Line } from "../http/ndjson";
import {
	MAX_ID,
	MAX_NAME,
	optional,
	optionalText,
	parseJson,
	requiredDatetime,
	requiredText,
} from "../http/validation";
import type { Ledger } from "../ledger/ledger";
import { ledgerFor } from "../ledger/stub";
import type { ImportedDeploy } from "../model/entry";
import { sha256Hex } from "../model/hex";
import { deployPayload, MAX_BODY_BYTES } from "./payload";

// An import's lines, read as the webhook reads a body: the same schema and the same error texts.

/** One line read: the deploy it brings, or why it brings none. */
export type ParsedLine = { deploy: ImportedDeploy } | { errors: ErrorObject[] };

/**
 * The fields an export line has beyond a webhook body's. Its `service_alias`,
 * `status_raw` (or `status`) and the rest are the webhook body's fields, and
 * are checked by its schema.
 */
const exportFields = z.object({
	id: requiredText({ max: MAX_ID }),
	integration_id: requiredText({ max: MAX_ID }),
	agent: optionalText({ max: MAX_NAME }),
	received_at: optional(requiredDatetime({ fourDigitYear: true })),
});

/** An export line's `status` when it has no raw one: `no_status` is the absence of one. */
const exportStatus = (line: Record<string, unknown>) =>
	line.status_raw ?? (line.status === "no_status" ? undefined : line.status);

const missingIntegration = () =>
	ApiError.of(
		400,
		"Integration id Error",
		"param is missing or the value is empty: integration_id (a webhook body's line needs ?integration_id=)",
	);

/**
 * A line of an import: an export line (it has `integration_id`) or a Custom
 * Deploy webhook body. `integrationId`, from `?integration_id=`, is where every
 * line goes; without it, an export line goes to its own integration and a
 * webhook body's line is invalid. Errors are the webhook's, field by field.
 */
export async function parseLine(text: string, integrationId: string | undefined): Promise<ParsedLine> {
	try {
		return { deploy: await readLine(parseJson(text), integrationId) };
	} catch (error) {
		if (error instanceof ApiError) return { errors: error.errors };
		throw error;
	}
}

const isObject = (value: unknown): value is Record<string, unknown> =>
	value !== null && typeof value === "object" && !Array.isArray(value);

async function readLine(value: unknown, integrationId: string | undefined): Promise<ImportedDeploy> {
	const line = isObject(value) ? value : undefined;
	const fromExport = line !== undefined && "integration_id" in line;
	const extra = fromExport ? exportFields.safeParse(line) : undefined;
	const body = fromExport ? { ...line, service: line.service_alias, status: exportStatus(line) } : value;
	const payload = deployPayload.safeParse(body);
	if (!payload.success || extra?.success === false) {
		const issues = [...(extra?.error?.issues ?? []), ...(payload.error?.issues ?? [])].map((issue) =>
			// An export line names the alias `service_alias`; errors name the field it sent.
			fromExport && issue.path[0] === "service" ? { ...issue, path: ["service_alias", ...issue.path.slice(1)] } : issue,
		);
		throw ApiError.invalid(issues);
	}
	const source = extra?.data;
	const target = integrationId ?? source?.integration_id;
	if (!target) throw missingIntegration();
	const receivedAt = source?.received_at;
	return {
		integrationId: target,
		agent: source?.agent ?? null,
		payload: payload.data,
		key: payload.data.dedup_id ?? (source ? `export:${source.id}` : await contentKey(payload.data)),
		// A time still to come is not when it was received; such a line is received now.
		receivedAt: receivedAt !== undefined && receivedAt <= Date.now() ? receivedAt : null,
		sourceId: source?.id ?? null,
	};
}

/**
 * The dedup key of a webhook body without a dedup_id: a hash of what it says,
 * as validated (so field order, blanks and white space around names do not
 * matter). Two lines saying exactly the same thing are one deploy.
 */
async function contentKey(payload: z.output<typeof deployPayload>): Promise<string> {
	return `sha256:${await sha256Hex(JSON.stringify(payload))}`;
}

/** What became of one line of an import. */
export type LineResult =
	| { line: number; result: "accepted" | "duplicate" }
	| { line: number; result: "invalid"; errors: ErrorObject[] };

/** Where an import's lines go, and what remembers which integrations are live across its chunks. */
export type ImportContext = {
	db: Database;
	ledgers: DurableObjectNamespace<Ledger>;
	meter: Meter;
	/** Integration id → whether it is live, asked of D1 once per import. */
	live: Map<string, Promise<boolean>>;
};

export const unknownIntegration = (id: string) =>
	ApiError.of(404, "Integration Error", `no active integration has the id '${id}'; it may have been revoked`);

const tooLong = () => ApiError.of(413, "Body Error", `line is larger than ${MAX_BODY_BYTES} bytes`);

/**
 * Imports a chunk of lines: each is read, and the valid ones go to their
 * integrations' ledgers, one call per ledger, in line order. The results
 * follow the lines' order; a bad line never stops the others.
 */
export async function importLines(ctx: ImportContext, lines: Line[], integrationId?: string): Promise<LineResult[]> {
	const parsed = await Promise.all(
		lines.map(async (line) => ({
			number: line.number,
			read: line.tooLong ? { errors: tooLong().errors } : await parseLine(line.text, integrationId),
		})),
	);
	const results = new Map<number, LineResult>();
	const invalid = (line: number, errors: ErrorObject[]) => results.set(line, { line, result: "invalid", errors });
	const batches = new Map<string, { number: number; deploy: ImportedDeploy }[]>();
	for (const { number, read } of parsed) {
		if ("errors" in read) invalid(number, read.errors);
		else {
			const id = read.deploy.integrationId;
			if (!(await isLive(ctx, id))) invalid(number, unknownIntegration(id).errors);
			else (batches.get(id) ?? batches.set(id, []).get(id))?.push({ number, deploy: read.deploy });
		}
	}
	await Promise.all(
		[...batches].map(async ([id, batch]) => {
			const { outcomes, cost } = await ledgerFor(ctx.ledgers, id).import(batch.map((item) => item.deploy));
			ctx.meter.add({ ...cost, doRequests: cost.doRequests + 1 });
			for (const [k, { number }] of batch.entries()) {
				const outcome = outcomes[k];
				if (outcome === "accepted" || outcome === "duplicate") results.set(number, { line: number, result: outcome });
				else invalid(number, unknownIntegration(id).errors);
			}
		}),
	);
	return [...results.values()].sort((a, b) => a.line - b.line);
}

/** Whether `id` names a live integration; an unknown id never reaches (and never creates) a ledger. */
export function isLive(ctx: ImportContext, id: string): Promise<boolean> {
	let live = ctx.live.get(id);
	if (!live) {
		live = liveIntegration(ctx.db, id).then((row) => row !== undefined);
		ctx.live.set(id, live);
	}
	return live;
}
