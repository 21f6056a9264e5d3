import { Hono } from "hono";
import { z } from "zod";
import { database } from "../db/client";
import { type DurationStats, windowMetrics } from "../db/metrics";
import type { AppEnv } from "../env";
import { formatDatetime } from "../http/datetime";
import { ApiError } from "../http/errors";
import { object, optional, optionalText, requiredDatetime, validate } from "../http/validation";
import { serviceFilter } from "./deploys";

const DAY = 86_400_000;
const WEEK = 7 * DAY;
/** 1970-01-05, the first Monday of the epoch: weeks start on Mondays (ISO 8601), UTC. */
const FIRST_MONDAY = 4 * DAY;
const DEFAULT_WINDOW_DAYS = 30;
const MAX_WINDOW_DAYS = 366;

const BUCKETS = ["day", "week"] as const;

const metricsQuery = object({
	service: optionalText({ max: 255 }),
	environment: optionalText({ max: 255 }),
	from: optional(requiredDatetime()),
	to: optional(requiredDatetime()),
	bucket: optional(z.enum(BUCKETS, { error: `param must be one of: ${BUCKETS.join(", ")}` })),
});

/** `a mod b`, never negative (times before 1970 are negative). */
const mod = (a: number, b: number) => ((a % b) + b) % b;

/** The start of the UTC day or ISO week (Monday) holding `ms`. */
function bucketStart(ms: number, bucket: (typeof BUCKETS)[number]): number {
	return bucket === "day" ? ms - mod(ms, DAY) : ms - mod(ms - FIRST_MONDAY, WEEK);
}

/** `from` and `to` with their defaults (the 30 days before now), or a 400 naming `from`. */
function resolveWindow(query: { from?: number; to?: number }, now: number) {
	const to = query.to ?? now;
	const from = query.from ?? to - DEFAULT_WINDOW_DAYS * DAY;
	if (from >= to) throw ApiError.of(400, "From Error", "param must be before to: from");
	if (to - from > MAX_WINDOW_DAYS * DAY) {
		throw ApiError.of(400, "From Error", `param must be at most ${MAX_WINDOW_DAYS} days before to: from`);
	}
	return { from, to };
}

const seconds = (ms: number | null) => (ms === null ? null : ms / 1000);
const presentStats = (s: DurationStats) => ({
	count: s.count,
	median_seconds: seconds(s.median),
	p90_seconds: seconds(s.p90),
});

/** DORA metrics for one window; see the README's "DORA metrics" for every definition. */
export const metricsApi = new Hono<AppEnv>().get("/", async (c) => {
	const query = validate(metricsQuery, c.req.query());
	const { from, to } = resolveWindow(query, Date.now());
	const bucket = query.bucket ?? "day";
	const bucketSize = bucket === "day" ? DAY : WEEK;
	const bucketOrigin = bucketStart(from, bucket);
	const db = database(c.env.DB);

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
		lead_time: presentStats(m.leadTime),
		change_failure_rate: {
			failed: m.failed,
			rollbacks: m.rollbacks,
			total: m.total,
			rate: m.total === 0 ? null : m.failedChanges / m.total,
		},
		time_to_restore: { ...presentStats(m.restore), unrestored: m.restore.unrestored },
	});
});
