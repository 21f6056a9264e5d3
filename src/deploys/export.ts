import { z } from "zod";
import type { Database } from "../db/client";
import { type DeployFilter, type ListedDeploy, listDeploys } from "../db/deploys";
import { csvLine, flatten } from "../http/csv";
import { deploySchema, presentDeploy } from "./present";
import { type Filters, toFilter } from "./query";

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

/** The formats an export comes in. */
export const EXPORT_FORMATS = ["ndjson", "csv"] as const;
type ExportFormatName = (typeof EXPORT_FORMATS)[number];

const formats: Record<ExportFormatName, ExportFormat> = {
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
export async function exportResponse(db: Database, query: Filters, name: ExportFormatName): Promise<Response> {
	const filter = await toFilter(db, query);
	const format = formats[name];
	return new Response(exportStream(db, filter, format).pipeThrough(new TextEncoderStream()), {
		headers: {
			"Content-Type": format.contentType,
			"Content-Disposition": `attachment; filename="deploys.${name}"`,
		},
	});
}
