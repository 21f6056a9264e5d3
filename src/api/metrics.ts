import { describeRoute } from "hono-openapi";
import { allow } from "../access/guard";
import { factory } from "../factory";
import { errors, json, validated } from "../http/openapi";
import { metricsQuery, metricsReport, metricsSchema } from "../metrics/report";

/** DORA metrics for one window of deploys; the README's "DORA metrics" defines each. */
export const metricsApi = factory.createApp().get(
	"/",
	allow("viewer"),
	describeRoute({
		tags: ["Metrics"],
		summary: "DORA metrics for a window: deployment frequency, lead time, change failure rate, time to restore",
		responses: { 200: json("The metrics", metricsSchema), ...errors(400, 401) },
	}),
	validated("query", metricsQuery),
	async (c) => c.json(await metricsReport(c.var.db, c.req.valid("query"), Date.now())),
);
