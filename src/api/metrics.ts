import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import type { AppEnv } from "../env";
import { errors, json, validated } from "../http/openapi";
import { metricsQuery, metricsReport, metricsSchema } from "../metrics/report";

/** DORA metrics for one window of deploys; the README's "DORA metrics" defines each. */
export const metricsApi = new Hono<AppEnv>().get(
	"/",
	describeRoute({
		tags: ["Metrics"],
		summary: "DORA metrics for a window: deployment frequency, lead time, change failure rate, time to restore",
		responses: { 200: json("The metrics", metricsSchema), ...errors(400, 401) },
	}),
	validated("query", metricsQuery),
	async (c) => c.json(await metricsReport(c.var.db, c.req.valid("query"), Date.now())),
);
