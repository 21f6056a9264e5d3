import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { aliasKey, serviceIdFor } from "../db/catalog";
import type { Database } from "../db/client";
import { type DeployFilter, findDeploy, type ListedDeploy, listDeploys } from "../db/deploys";
import type { AppEnv } from "../env";
import { csvLine, flatten } from "../http/csv";
import { decodeCursor, encodeCursor, pageParams } from "../http/cursor";
import { formatDatetime, formatOptionalDatetime } from "../http/datetime";
import { ApiError } from "../http/errors";
import { errors, isoTime, json, validated } from "../http/openapi";
import { checkWindow, MAX_NAME, object, optional, optionalText, requiredDatetime } from "../http/validation";
import { STATUSES } from "../model/status";

const MAX_LIMIT = 200;

/** The filters every deploy listing takes: the list, the export and (in part) the metrics. */
export const deployFilters = {
	service: optionalText({ max: MAX_NAME }),
	environment: optionalText({ max: MAX_NAME }),
	deployer: optionalText({ max: MAX_NAME }),
	integration: optionalText({ max: 64 }),
	status: optional(z.enum(STATUSES, { error: `param must be one of: ${STATUSES.join(", ")}` })),
	sha: optionalText({ max: 64 }),
	from: optional(requiredDatetime()),
	to: optional(requiredDatetime()),
	q: optionalText({ max: MAX_NAME }),
};

const listQuery = object({ ...deployFilters, ...pageParams(MAX_LIMIT) });

const exportQuery = object({
	...deployFilters,
	format: optional(z.enum(["ndjson", "csv"], { error: "param must be one of: ndjson, csv" })),
});

/** A deploy list's keyset position: `deployed_at`, then id (see `DeployFilter.before`). */
const cursorKey = z.tuple([z.number().int(), z.string()]);

/** The keyset position a deploy list's `cursor` names: a 400 unless a page of deploys issued it. */
export function deployCursor(cursor: string | undefined): DeployFilter["before"] {
	const key = cursor ? decodeCursor(cursor, cursorKey) : undefined;
	return key && { deployedAt: key[0], id: key[1] };
}

export function presentDeploy({ deploy: d, serviceName }: ListedDeploy): z.output<typeof deploySchema> {
	const commit = {
		sha: d.commitSha,
		message: d.commitMessage,
		branch: d.commitBranch,
		date: formatOptionalDatetime(d.commitDate),
		committer_name: d.committerName,
		committer_email: d.committerEmail,
		author_name: d.authorName,
		author_email: d.authorEmail,
		authoring_date: formatOptionalDatetime(d.authoringDate),
	};
	return {
		id: d.id,
		integration_id: d.integrationId,
		service: d.serviceId && serviceName !== null ? { id: d.serviceId, name: serviceName } : null,
		service_alias: d.serviceAlias,
		environment: d.environment,
		description: d.description,
		deployed_at: formatDatetime(d.deployedAt),
		deploy_number: d.deployNumber,
		deploy_url: d.deployUrl,
		dedup_id: d.dedupId,
		status: d.status,
		status_raw: d.statusRaw,
		agent: d.agent,
		deployer: { id: d.deployerId, email: d.deployerEmail, name: d.deployerName, person_id: d.personId },
		commit: Object.values(commit).some((v) => v !== null) ? commit : null,
		received_at: formatDatetime(d.receivedAt),
	};
}

/** One deploy with its status history, or a 404: the API's and the UI's. */
export async function loadDeploy(db: Database, id: string) {
	const found = await findDeploy(db, id);
	if (!found) throw ApiError.of(404, "Deploy Error", `no deploy with id '${id}'`);
	return found;
}

/** `service=` takes a service id or any alias; an alias of a service selects all that service's deploys. */
export async function serviceFilter(db: Database, value: string) {
	const serviceId = await serviceIdFor(db, value);
	return serviceId ? { serviceId } : { aliasKey: aliasKey(value) };
}

type Filters = z.output<z.ZodObject<typeof deployFilters>>;

/** The query's filters as the database takes them. */
export async function toFilter(db: Database, query: Filters): Promise<Omit<DeployFilter, "limit">> {
	checkWindow(query.from, query.to);
	return {
		...(query.service ? await serviceFilter(db, query.service) : {}),
		environment: query.environment,
		deployerEmail: query.deployer,
		integrationId: query.integration,
		status: query.status,
		commitSha: query.sha,
		from: query.from,
		to: query.to,
		text: query.q,
	};
}

/** One keyset page of the deploys `query` selects, after its `cursor`: the API's list and the UI's share it. */
export async function deployPage(db: Database, query: Filters & { cursor?: string }, limit: number) {
	const before = deployCursor(query.cursor);
	return deploysPage(db, { ...(await toFilter(db, query)), before }, limit);
}

/**
 * The first `limit` deploys `filter` selects, newest first, and the cursor of
 * the page after them (null on the last), for every paged list of deploys.
 */
export async function deploysPage(db: Database, filter: Omit<DeployFilter, "limit">, limit: number) {
	// One row more than shown tells whether another page follows.
	const rows = await listDeploys(db, { ...filter, limit: limit + 1 });
	const deploys = rows.slice(0, limit);
	const last = deploys.at(-1)?.deploy;
	return { deploys, nextCursor: rows.length > limit && last ? encodeCursor([last.deployedAt, last.id]) : null };
}

const text = z.string().nullable();
const time = isoTime.nullable();

/** A deploy as the API shows it: `presentDeploy` builds it (the types hold them together), the OpenAPI document describes it, and the CSV export flattens it. */
export const deploySchema = z
	.object({
		id: z.string(),
		integration_id: z.string(),
		service: z.object({ id: z.string(), name: z.string() }).nullable(),
		service_alias: z.string(),
		environment: text,
		description: z.string(),
		deployed_at: isoTime,
		deploy_number: z.string(),
		deploy_url: text,
		dedup_id: text,
		status: z.enum(STATUSES),
		status_raw: text,
		agent: text,
		deployer: z.object({ id: text, email: text, name: text, person_id: text }),
		commit: z
			.object({
				sha: text,
				message: text,
				branch: text,
				date: time,
				committer_name: text,
				committer_email: text,
				author_name: text,
				author_email: text,
				authoring_date: time,
			})
			.nullable(),
		received_at: isoTime,
	})
	.meta({ id: "Deploy" });

const EXPORT_PAGE = 500;

/** The export's CSV columns: a deploy as the API shows it, nested fields flattened (see `flatten`). */
function columns(schema: z.ZodObject, prefix = ""): string[] {
	return Object.entries(schema.shape).flatMap(([key, field]) => {
		const inner = field instanceof z.ZodNullable ? field.unwrap() : field;
		return inner instanceof z.ZodObject ? columns(inner, `${prefix}${key}_`) : [`${prefix}${key}`];
	});
}

const CSV_COLUMNS = columns(deploySchema);

type ExportFormat = { contentType: string; header?: string; line: (row: ListedDeploy) => string };

const formats: Record<"ndjson" | "csv", ExportFormat> = {
	ndjson: {
		contentType: "application/x-ndjson; charset=utf-8",
		line: (row: ListedDeploy) => `${JSON.stringify(presentDeploy(row))}\n`,
	},
	csv: {
		contentType: "text/csv; charset=utf-8",
		header: csvLine(CSV_COLUMNS),
		line: (row: ListedDeploy) => {
			const flat = flatten(presentDeploy(row));
			return csvLine(CSV_COLUMNS.map((column) => flat[column]));
		},
	},
};

/** Every matching deploy, page by page: memory holds one page, however many there are. */
function exportStream(db: Database, filter: Omit<DeployFilter, "limit">, format: ExportFormat) {
	let before = filter.before;
	return new ReadableStream<string>({
		start(controller) {
			if (format.header) controller.enqueue(format.header);
		},
		async pull(controller) {
			const rows = await listDeploys(db, { ...filter, before, limit: EXPORT_PAGE });
			for (const row of rows) controller.enqueue(format.line(row));
			const last = rows.at(-1)?.deploy;
			if (rows.length < EXPORT_PAGE || !last) controller.close();
			else before = { deployedAt: last.deployedAt, id: last.id };
		},
	});
}

/** Every deploy `query` selects, as a download: the API's export and the UI's "Download CSV" alike. */
export async function exportResponse(db: Database, query: Filters, name: keyof typeof formats): Promise<Response> {
	const filter = await toFilter(db, query);
	const format = formats[name];
	return new Response(exportStream(db, filter, format).pipeThrough(new TextEncoderStream()), {
		headers: {
			"Content-Type": format.contentType,
			"Content-Disposition": `attachment; filename="deploys.${name}"`,
		},
	});
}

const tags = ["Deploys"];

export const deploysApi = new Hono<AppEnv>()
	.get(
		"/",
		describeRoute({
			tags,
			summary: "List deploys, newest first",
			responses: {
				200: json("A page of deploys", z.object({ deploys: z.array(deploySchema), next_cursor: text })),
				...errors(400, 401),
			},
		}),
		validated("query", listQuery),
		async (c) => {
			const query = c.req.valid("query");
			const page = await deployPage(c.var.db, query, query.limit ?? 50);
			return c.json({ deploys: page.deploys.map(presentDeploy), next_cursor: page.nextCursor });
		},
	)
	.get(
		"/export",
		describeRoute({
			tags,
			summary: "Export every matching deploy as NDJSON or CSV, streamed",
			responses: {
				200: {
					description: "One deploy per line (NDJSON), or a header row and one row per deploy (CSV)",
					content: { "application/x-ndjson": {}, "text/csv": {} },
				},
				...errors(400, 401),
			},
		}),
		validated("query", exportQuery),
		async (c) => {
			const query = c.req.valid("query");
			return exportResponse(c.var.db, query, query.format ?? "ndjson");
		},
	)
	.get(
		"/:id",
		describeRoute({
			tags,
			summary: "One deploy, with its status history",
			responses: {
				200: json(
					"The deploy",
					deploySchema.extend({
						status_history: z.array(z.object({ status: z.enum(STATUSES), raw: z.string(), at: isoTime })),
					}),
				),
				...errors(401, 404),
			},
		}),
		async (c) => {
			const found = await loadDeploy(c.var.db, c.req.param("id"));
			return c.json({
				...presentDeploy(found),
				status_history: found.history.map((h) => ({ status: h.status, raw: h.raw, at: formatDatetime(h.at) })),
			});
		},
	);
