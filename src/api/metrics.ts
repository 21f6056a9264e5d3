import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { comparedMetrics, type DurationStats, type MetricsRow, previousWindow } from "../db/metrics";
import type { AppEnv } from "../env";
import { DAY, formatDatetime, HOUR } from "../http/datetime";
import { ApiError } from "../http/errors";
import { errors, isoTime, json, validated } from "../http/openapi";
import { checkWindow, object, optional } from "../http/validation";
import { deployFilters, serviceFilter } from "./deploys";

export const WEEK = 7 * DAY;
/** A month, as the DORA bands mean it: 30 days. */
const MONTH = 30 * DAY;
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

/** Best first. */
export const BANDS = ["elite", "high", "medium", "low"] as const;
export type Band = (typeof BANDS)[number];
/** Where the bands' thresholds come from; the README's "DORA metrics" lists them and how they are read. */
export const BANDS_SOURCE = "2023 Accelerate State of DevOps Report";

type Meets = (value: number, limit: number) => boolean;
const atLeast: Meets = (value, limit) => value >= limit;
const under: Meets = (value, limit) => value < limit;
const atMost: Meets = (value, limit) => value <= limit;

/** The band of `value`: the first of elite, high, medium whose limit it `meets`, else low. */
function bandOf(value: number, limits: readonly [number, number, number], meets: Meets): Band {
	// No limit met is index -1, no band: low.
	return BANDS[limits.findIndex((limit) => meets(value, limit))] ?? "low";
}

/** Deploys per day in a window of `ms`. */
export const perDay = (total: number, ms: number) => total / (ms / DAY);

/** Failed changes over deploys; null without deploys. */
export const failureRate = (m: MetricsRow) => (m.total === 0 ? null : m.failedChanges / m.total);

/**
 * A window's DORA band per metric, by the report's thresholds (see the
 * README): daily or more, weekly, monthly; lead time under a day, a week, a
 * month; failure rate up to 5, 10, 15 %; restore under an hour, a day, a week.
 * Null where there is nothing to rate: no deploys, no lead times, no restored failures.
 */
export function bands(m: MetricsRow, ms: number) {
	const rate = failureRate(m);
	return {
		// No deploys is fewer than one a month: low, not unknown.
		deployment_frequency: bandOf(perDay(m.total, ms), [1, 1 / 7, 1 / 30], atLeast),
		lead_time: m.leadTime.median === null ? null : bandOf(m.leadTime.median, [DAY, WEEK, MONTH], under),
		// The report gives each band's rate, and a rate at it belongs to it.
		change_failure_rate: rate === null ? null : bandOf(rate, [0.05, 0.1, 0.15], atMost),
		time_to_restore: m.restore.median === null ? null : bandOf(m.restore.median, [HOUR, DAY, WEEK], under),
	};
}

const durationsSchema = z.object({
	count: z.number().int(),
	median_seconds: z.number().nullable(),
	p90_seconds: z.number().nullable(),
});
const frequencySchema = z.object({ total: z.number().int(), per_day: z.number() });
const failureRateSchema = z.object({
	failed: z.number().int(),
	rollbacks: z.number().int(),
	total: z.number().int(),
	rate: z.number().nullable(),
});
const restoreSchema = durationsSchema.extend({ unrestored: z.number().int() });
const bandSchema = z.enum(BANDS).nullable();

/** The response (documentation only: the handler builds it). */
const metricsSchema = z
	.object({
		window: z.object({ from: isoTime, to: isoTime, bucket: z.enum(BUCKETS) }),
		filters: z.object({ service: z.string().nullable(), environment: z.string().nullable() }),
		deployment_frequency: frequencySchema.extend({
			buckets: z.array(z.object({ start: isoTime, count: z.number().int() })),
		}),
		lead_time: durationsSchema,
		change_failure_rate: failureRateSchema,
		time_to_restore: restoreSchema,
		previous: z
			.object({
				window: z.object({ from: isoTime, to: isoTime }),
				deployment_frequency: frequencySchema,
				lead_time: durationsSchema,
				change_failure_rate: failureRateSchema,
				time_to_restore: restoreSchema,
			})
			.describe("The same figures for the window of the same length just before this one"),
		bands: z
			.object({
				source: z.literal(BANDS_SOURCE),
				deployment_frequency: bandSchema,
				lead_time: bandSchema,
				change_failure_rate: bandSchema,
				time_to_restore: bandSchema,
			})
			.describe("This window's DORA performance band per metric; null where there is nothing to rate"),
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

/** A window's figures as the API answers them, the buckets aside. */
const figures = (m: MetricsRow, from: number, to: number) => ({
	deployment_frequency: { total: m.total, per_day: perDay(m.total, to - from) },
	lead_time: presentDurations(m.leadTime),
	change_failure_rate: { failed: m.failed, rollbacks: m.rollbacks, total: m.total, rate: failureRate(m) },
	time_to_restore: { ...presentDurations(m.restore), unrestored: m.restore.unrestored },
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

		const filter = {
			...(query.service ? await serviceFilter(db, query.service) : {}),
			environment: query.environment,
			from,
			to,
			bucketOrigin,
			bucketSize,
		};
		const { current: m, previous } = await comparedMetrics(db, filter);
		const before = previousWindow(filter);

		// Every bucket the window touches, empty ones too: at most 368 days or 54 weeks.
		const counts = new Map(m.buckets);
		const buckets: { start: string; count: number }[] = [];
		for (let i = 0, start = bucketOrigin; start < to; i++, start += bucketSize) {
			buckets.push({ start: formatDatetime(start), count: counts.get(i) ?? 0 });
		}

		const current = figures(m, from, to);
		return c.json({
			window: { from: formatDatetime(from), to: formatDatetime(to), bucket },
			filters: { service: query.service ?? null, environment: query.environment ?? null },
			...current,
			deployment_frequency: { ...current.deployment_frequency, buckets },
			previous: {
				window: { from: formatDatetime(before.from), to: formatDatetime(before.to) },
				...figures(previous, before.from, before.to),
			},
			bands: { source: BANDS_SOURCE, ...bands(m, to - from) },
		});
	},
);
