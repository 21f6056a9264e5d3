import { z } from "zod";
import { incidentWindowHours } from "../catalog/settings";
import type { Database } from "../db/client";
import {
	comparedMetrics,
	type DurationStats,
	type IncidentFigures,
	type MetricsRow,
	previousWindow,
} from "../db/metrics";
import { deployFilters, serviceFilter, teamFilter } from "../deploys/query";
import { formatDatetime, HOUR } from "../http/datetime";
import { isoTime } from "../http/openapi";
import { object, oneOf, optional } from "../http/validation";
import { BANDS, BANDS_SOURCE, bands, failureRate, perDay } from "./bands";
import { incidentRate } from "./dora";
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
const incidentsSchema = z
	.object({
		count: z.number().int().describe("Incidents started in the window"),
		open: z.number().int().describe("Of those, the ones not resolved by the window's end"),
		change_failure_rate: z.object({
			failed: z.number().int().describe("Deploys of the window an incident started in it blames"),
			total: z.number().int(),
			rate: z.number().nullable(),
		}),
		time_to_restore: durationsSchema.describe("From start to resolution, of the incidents resolved in the window"),
	})
	.describe('The incident-based figures, beside the status-based ones; see the README\'s "Incidents"');
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
		incidents: incidentsSchema.extend({
			attribution_window_hours: z
				.number()
				.int()
				.describe("How far before an incident its service's latest deploy is blamed, when it names none"),
		}),
		previous: z
			.object({
				window: z.object({ from: isoTime, to: isoTime }),
				deployment_frequency: frequencySchema,
				lead_time: durationsSchema,
				change_failure_rate: failureRateSchema,
				time_to_restore: restoreSchema,
				incidents: incidentsSchema,
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

/** A window's incident-based figures as the API answers them; `total` is the window's deploys. */
const incidentFigures = (i: IncidentFigures, total: number) => ({
	count: i.count,
	open: i.open,
	change_failure_rate: { failed: i.failedChanges, total, rate: incidentRate(i, total) },
	time_to_restore: presentDurations(i.restore),
});

/** A window's figures as the API answers them, the buckets aside. */
const figures = (m: MetricsRow, i: IncidentFigures, from: number, to: number) => ({
	deployment_frequency: { total: m.total, per_day: perDay(m.total, to - from) },
	lead_time: presentDurations(m.leadTime),
	change_failure_rate: { failed: m.failed, rollbacks: m.rollbacks, total: m.total, rate: failureRate(m) },
	time_to_restore: { ...presentDurations(m.restore), unrestored: m.restore.unrestored },
	incidents: incidentFigures(i, m.total),
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
	const [service, team, windowHours] = await Promise.all([
		query.service ? serviceFilter(db, query.service) : {},
		teamFilter(db, query.team),
		incidentWindowHours(db),
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
	const { current: m, previous, incidents } = await comparedMetrics(db, filter, windowHours * HOUR);
	const before = previousWindow(filter);

	// Every bucket the window touches, empty ones too: at most 368 days or 54 weeks.
	const counts = new Map(m.buckets);
	const buckets: { start: string; count: number }[] = [];
	for (let i = 0, start = bucketOrigin; start < to; i++, start += size) {
		buckets.push({ start: formatDatetime(start), count: counts.get(i) ?? 0 });
	}

	const current = figures(m, incidents.current, from, to);
	return {
		window: { from: formatDatetime(from), to: formatDatetime(to), bucket },
		filters: { service: query.service ?? null, team: query.team ?? null, environment: query.environment ?? null },
		...current,
		deployment_frequency: { ...current.deployment_frequency, buckets },
		incidents: { ...current.incidents, attribution_window_hours: windowHours },
		previous: {
			window: { from: formatDatetime(before.from), to: formatDatetime(before.to) },
			...figures(previous, incidents.previous, before.from, before.to),
		},
		bands: { source: BANDS_SOURCE, ...bands(m, to - from) },
	};
}
