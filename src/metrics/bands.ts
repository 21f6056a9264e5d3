import type { MetricsRow } from "../db/metrics";
import { DAY, HOUR } from "../http/datetime";
import { MONTH, WEEK } from "./windows";

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

/** A change failure rate's band: the report gives each band's rate, and a rate at it belongs to it. */
export const rateBand = (rate: number | null) => (rate === null ? null : bandOf(rate, [0.05, 0.1, 0.15], atMost));

/** A median time to restore's band. */
export const restoreBand = (ms: number | null) => (ms === null ? null : bandOf(ms, [HOUR, DAY, WEEK], under));

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
		change_failure_rate: rateBand(rate),
		time_to_restore: restoreBand(m.restore.median),
	};
}
