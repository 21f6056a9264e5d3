import { z } from "zod";
import type { Database } from "../db/client";
import { comparedMetrics, type DurationStats, type MetricsRow, previousWindow } from "../db/metrics";
import { deployFilters, serviceFilter, teamFilter } from "../deploys/query";
import { formatDatetime } from "../http/datetime";
import { isoTime } from "../http/openapi";
import { object, oneOf, optional } from "../http/validation";
import { BANDS, BANDS_SOURCE, bands, failureRate, perDay } from "./bands";
import { BUCKETS, bucketSize, bucketStart, resolveWindow } from "./windows";

// The DORA metrics of one window of deploys, as the API answers them; the
// README's "DORA metrics" defines each.

export const metricsQuery = object({
	service: deployFilters.service,
	team: deployFilters.team,
	environment: deployFilters.environment,
	from: deployFilters.from,
	to: deployFilters.to,
	bucket: optional(oneOf(BUCKETS)),
});

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

/** The report: `metricsReport` builds it (the types hold them together) and the OpenAPI document describes it. */
export const metricsSchema = z
	.object({
		window: z.object({ from: isoTime, to: isoTime, bucket: z.enum(BUCKETS) }),
		filters: z.object({
			service: z.string().nullable(),
			team: z.string().nullable().describe("A team's id: the deploys of the services it owns"),
			environment: z.string().nullable(),
		}),
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

/** The DORA metrics of the window `query` names (by default the 30 days before `now`), and of the one before it. */
export async function metricsReport(
	db: Database,
	query: z.output<typeof metricsQuery>,
	now: number,
): Promise<z.output<typeof metricsSchema>> {
	const { from, to } = resolveWindow(query, now);
	const bucket = query.bucket ?? "day";
	const size = bucketSize(bucket);
	const bucketOrigin = bucketStart(from, bucket);
	const [service, team] = await Promise.all([
		query.service ? serviceFilter(db, query.service) : {},
		teamFilter(db, query.team),
	]);
	const filter = {
		...service,
		...team,
		environment: query.environment,
		from,
		to,
		bucketOrigin,
		bucketSize: size,
	};
	const { current: m, previous } = await comparedMetrics(db, filter);
	const before = previousWindow(filter);

	// Every bucket the window touches, empty ones too: at most 368 days or 54 weeks.
	const counts = new Map(m.buckets);
	const buckets: { start: string; count: number }[] = [];
	for (let i = 0, start = bucketOrigin; start < to; i++, start += size) {
		buckets.push({ start: formatDatetime(start), count: counts.get(i) ?? 0 });
	}

	const current = figures(m, from, to);
	return {
		window: { from: formatDatetime(from), to: formatDatetime(to), bucket },
		filters: { service: query.service ?? null, team: query.team ?? null, environment: query.environment ?? null },
		...current,
		deployment_frequency: { ...current.deployment_frequency, buckets },
		previous: {
			window: { from: formatDatetime(before.from), to: formatDatetime(before.to) },
			...figures(previous, before.from, before.to),
		},
		bands: { source: BANDS_SOURCE, ...bands(m, to - from) },
	};
}
