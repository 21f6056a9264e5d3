import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { EXPORT_FORMATS, exportResponse } from "../deploys/export";
import { deploySchema, presentDeploy } from "../deploys/present";
import { deployFilters, deployPage, loadDeploy } from "../deploys/query";
import { factory } from "../factory";
import { pageParams } from "../http/cursor";
import { formatDatetime } from "../http/datetime";
import { errors, isoTime, json, validated } from "../http/openapi";
import { object, oneOf, optional } from "../http/validation";
import { STATUSES } from "../model/status";

const MAX_LIMIT = 200;

const listQuery = object({ ...deployFilters, ...pageParams(MAX_LIMIT) });

const exportQuery = object({
	...deployFilters,
	format: optional(oneOf(EXPORT_FORMATS)),
});

const tags = ["Deploys"];

export const deploysApi = factory
	.createApp()
	.get(
		"/",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "List deploys, newest first",
			responses: {
				200: json(
					"A page of deploys",
					z.object({ deploys: z.array(deploySchema), next_cursor: z.string().nullable() }),
				),
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
		allow("viewer"),
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
		allow("viewer"),
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
