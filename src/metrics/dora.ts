import type { IncidentFigures, MetricsFilter, MetricsRow } from "../db/metrics";
import { DAY } from "../http/datetime";
import { environmentKey } from "../model/environment";
import { type Band, bands, failureRate, rateBand, restoreBand } from "./bands";
import { bucketStart, WEEK } from "./windows";

/**
 * A service's delivery figures as its page shows them: the four DORA figures
 * over the last 90 days, each compared with the 90 days before and given its
 * band, and the last 12 weeks week by week, the current one partial.
 */
export const DELIVERY_DAYS = 90;
export const CHART_WEEKS = 12;

/** Whose figures: a service's, or a team's (over the services it owns). */
export type DeliveryScope = { serviceId: string } | { teamId: string };

/**
 * The metrics query for a service's or a team's figures, bucketed by week. The 12 weeks
 * lie inside the 90 days, so one query answers both the figures and the charts.
 */
export function deliveryFilter(scope: DeliveryScope, environment: string | undefined, now: number): MetricsFilter {
	const from = now - DELIVERY_DAYS * DAY;
	return { ...scope, environment, from, to: now, bucketOrigin: bucketStart(from, "week"), bucketSize: WEEK };
}

/** The `environment=` value that asks for every environment. */
export const EVERY = "*";

/**
 * Which environment the figures are for: the one asked for, else the first of
 * `environments` whose key is in `production` (DORA's figures are about
 * reaching users), else every environment (undefined).
 */
export function chosenEnvironment(
	asked: string | undefined,
	environments: string[],
	production: readonly string[],
): string | undefined {
	if (asked === EVERY) return undefined;
	// Shown as the service spells it now, whatever spelling the link had.
	const wanted = asked ? [environmentKey(asked)] : production;
	return environments.find((e) => wanted.includes(environmentKey(e))) ?? asked;
}

const UNITS = [
	{ name: "minutes", short: "min", ms: 60_000 },
	{ name: "hours", short: "h", ms: 3_600_000 },
	{ name: "days", short: "d", ms: DAY },
] as const;
export type Unit = (typeof UNITS)[number];

/** The unit that keeps a duration around `ms` readable: minutes under two hours, hours under two days. */
export const unitFor = (ms: number): Unit => UNITS.findLast((u) => ms >= 2 * u.ms) ?? UNITS[0];

/** Which way a figure improves. */
export type Better = "up" | "down";

/** One card's figure this period and the period before, and its band. */
export type Figure = { current: number | null; previous: number | null; better: Better; band: Band | null };

export type Metric = "deployment_frequency" | "lead_time" | "change_failure_rate" | "time_to_restore";

const perWeek = (m: MetricsRow) => m.total / (DELIVERY_DAYS / 7);

/** The four cards' figures, from the metrics of the 90 days (`current`) and of the 90 days before. */
export function figures(current: MetricsRow, previous: MetricsRow) {
	const band = bands(current, DELIVERY_DAYS * DAY);
	return {
		deployment_frequency: {
			current: perWeek(current),
			previous: perWeek(previous),
			better: "up",
			band: band.deployment_frequency,
		},
		lead_time: {
			current: current.leadTime.median,
			previous: previous.leadTime.median,
			better: "down",
			band: band.lead_time,
		},
		change_failure_rate: {
			current: failureRate(current),
			previous: failureRate(previous),
			better: "down",
			band: band.change_failure_rate,
		},
		time_to_restore: {
			current: current.restore.median,
			previous: previous.restore.median,
			better: "down",
			band: band.time_to_restore,
		},
	} satisfies Record<Metric, Figure>;
}

/** A window's incident-based failure rate: the failed changes incidents blame over the window's deploys. */
export const incidentRate = (i: IncidentFigures, deploys: number) => (deploys === 0 ? null : i.failedChanges / deploys);

/** The incident-based cards' figures, beside the status-based ones; `m` and `previous` give the deploys. */
export function incidentCards(
	incidents: { current: IncidentFigures; previous: IncidentFigures },
	m: MetricsRow,
	previous: MetricsRow,
) {
	const rate = incidentRate(incidents.current, m.total);
	const median = incidents.current.restore.median;
	return {
		change_failure_rate: {
			current: rate,
			previous: incidentRate(incidents.previous, previous.total),
			better: "down",
			band: rateBand(rate),
		},
		time_to_restore: {
			current: median,
			previous: incidents.previous.restore.median,
			better: "down",
			band: restoreBand(median),
		},
	} satisfies Partial<Record<Metric, Figure>>;
}

/** How a figure moved since the previous period. */
export type Change =
	| { kind: "no comparison"; missing: "current" | "previous" }
	| { kind: "same" }
	| { kind: "moved"; direction: "up" | "down"; size: string; verdict: "better" | "worse" };

/**
 * `figure`'s change, its size as `shown` prints it: a change too small to show
 * at the card's precision is no change.
 */
export function change({ current, previous, better }: Figure, shown: (size: number) => string): Change {
	if (current === null) return { kind: "no comparison", missing: "current" };
	if (previous === null) return { kind: "no comparison", missing: "previous" };
	const size = shown(Math.abs(current - previous));
	if (current === previous || size === shown(0)) return { kind: "same" };
	const direction = current > previous ? "up" : "down";
	return { kind: "moved", direction, size, verdict: direction === better ? "better" : "worse" };
}

/** A chart's point: a week's label and its value, null for none. */
export type Point = { label: string; value: number | null };

export type Weekly = { deploysPerWeek: Point[]; leadTime: Point[]; leadTimeUnit: Unit["name"] };

const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
/** A week by its first day (a Monday, UTC), e.g. "Mar 2". */
const weekLabel = (start: number) => {
	const date = new Date(start);
	return `${MONTHS[date.getUTCMonth()]} ${date.getUTCDate()}`;
};

/**
 * The charts' 12 weeks, ending with the current (partial) week holding `now`:
 * deploys per week from the metrics' `buckets`, and the median lead time per
 * week from `medians` (both `[week index from filter.bucketOrigin, value]`), in
 * the unit that suits the longest.
 */
export function weekly(
	filter: MetricsFilter,
	now: number,
	buckets: [number, number][],
	medians: [number, number][],
): Weekly {
	const thisWeek = Math.floor((bucketStart(now, "week") - filter.bucketOrigin) / WEEK);
	const weeks = Array.from({ length: CHART_WEEKS }, (_, k) => thisWeek - CHART_WEEKS + 1 + k);
	const label = (week: number) => weekLabel(filter.bucketOrigin + week * WEEK);
	const counts = new Map(buckets);
	const leads = new Map(medians);
	const unit = unitFor(Math.max(0, ...weeks.map((w) => leads.get(w) ?? 0)));
	return {
		deploysPerWeek: weeks.map((w) => ({ label: label(w), value: counts.get(w) ?? 0 })),
		leadTime: weeks.map((w) => {
			const ms = leads.get(w);
			return { label: label(w), value: ms === undefined ? null : ms / unit.ms };
		}),
		leadTimeUnit: unit.name,
	};
}
