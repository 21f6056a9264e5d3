import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { type DurationStats, windowMetrics } from "../db/metrics";
import type { AppEnv } from "../env";
import { formatDatetime } from "../http/datetime";
import { ApiError } from "../http/errors";
import { errors, isoTime, json, validated } from "../http/openapi";
import { checkWindow, object, optional } from "../http/validation";
import { deployFilters, serviceFilter } from "./deploys";

export const DAY = 86_400_000;
export const WEEK = 7 * DAY;
/** 1970-01-05, the epoch's first Monday: weeks start on Mondays (ISO 8601), in UTC. */
const FIRST_MONDAY = 4 * DAY;
const DEFAULT_WINDOW_DAYS = 30;
const MAX_WINDOW_DAYS = 366;

const BUCKETS = ["day", "week"] as const;
type Bucket = (typeof BUCKETS)[number];

const metricsQuery = object({
	service: deployFilters.service,
	environment: deployFilters.environment,
	from: deployFilters.from,
	to: deployFilters.to,
	bucket: optional(z.enum(BUCKETS, { error: `param must be one of: ${BUCKETS.join(", ")}` })),
});

const durationsSchema = z.object({
	count: z.number().int(),
	median_seconds: z.number().nullable(),
	p90_seconds: z.number().nullable(),
});

/** The response (documentation only: the handler builds it). */
const metricsSchema = z
	.object({
		window: z.object({ from: isoTime, to: isoTime, bucket: z.enum(BUCKETS) }),
		filters: z.object({ service: z.string().nullable(), environment: z.string().nullable() }),
		deployment_frequency: z.object({
			total: z.number().int(),
			per_day: z.number(),
			buckets: z.array(z.object({ start: isoTime, count: z.number().int() })),
		}),
		lead_time: durationsSchema,
		change_failure_rate: z.object({
			failed: z.number().int(),
			rollbacks: z.number().int(),
			total: z.number().int(),
			rate: z.number().nullable(),
		}),
		time_to_restore: durationsSchema.extend({ unrestored: z.number().int() }),
	})
	.meta({ id: "Metrics" });

/** `a mod b`, never negative (instants before 1970 are). */
const mod = (a: number, b: number) => ((a % b) + b) % b;

/** The start of the UTC day, or of the ISO week (Monday), holding `ms`. */
export function bucketStart(ms: number, bucket: Bucket): number {
	return bucket === "day" ? ms - mod(ms, DAY) : ms - mod(ms - FIRST_MONDAY, WEEK);
}

/** `from` and `to` with their defaults (the 30 days before now), or a 400 naming `from`. */
function resolveWindow(query: { from?: number; to?: number }, now: number) {
	const to = query.to ?? now;
	const from = query.from ?? to - DEFAULT_WINDOW_DAYS * DAY;
	checkWindow(from, to);
	if (to - from > MAX_WINDOW_DAYS * DAY) {
		throw ApiError.of(400, "From Error", `param must be at most ${MAX_WINDOW_DAYS} days before to: from`);
	}
	return { from, to };
}

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
const presentDurations = (s: DurationStats) => ({
	count: s.count,
	median_seconds: seconds(s.median),
	p90_seconds: seconds(s.p90),
});

/** DORA metrics for one window of deploys; the README's "DORA metrics" defines each. */
export const metricsApi = new Hono<AppEnv>().get(
	"/",
	describeRoute({
		tags: ["Metrics"],
		summary: "DORA metrics for a window: deployment frequency, lead time, change failure rate, time to restore",
		responses: { 200: json("The metrics", metricsSchema), ...errors(400, 401) },
	}),
	validated("query", metricsQuery),
	async (c) => {
		const query = c.req.valid("query");
		const { from, to } = resolveWindow(query, Date.now());
		const bucket = query.bucket ?? "day";
		const bucketSize = bucket === "day" ? DAY : WEEK;
		const bucketOrigin = bucketStart(from, bucket);
		const db = c.var.db;

		const m = await windowMetrics(db, {
			...(query.service ? await serviceFilter(db, query.service) : {}),
			environment: query.environment,
			from,
			to,
			bucketOrigin,
			bucketSize,
		});

		// Every bucket the window touches, empty ones too: at most 368 days or 54 weeks.
		const counts = new Map(m.buckets);
		const buckets: { start: string; count: number }[] = [];
		for (let i = 0, start = bucketOrigin; start < to; i++, start += bucketSize) {
			buckets.push({ start: formatDatetime(start), count: counts.get(i) ?? 0 });
		}

		return c.json({
			window: { from: formatDatetime(from), to: formatDatetime(to), bucket },
			filters: { service: query.service ?? null, environment: query.environment ?? null },
			deployment_frequency: { total: m.total, per_day: m.total / ((to - from) / DAY), buckets },
			lead_time: presentDurations(m.leadTime),
			change_failure_rate: {
				failed: m.failed,
				rollbacks: m.rollbacks,
				total: m.total,
				rate: m.total === 0 ? null : m.failedChanges / m.total,
			},
			time_to_restore: { ...presentDurations(m.restore), unrestored: m.restore.unrestored },
		});
	},
);
