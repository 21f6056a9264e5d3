import { DAY } from "../http/datetime";
import { ApiError } from "../http/errors";
import { checkWindow } from "../http/validation";

export const WEEK = 7 * DAY;
/** A month, as the DORA bands mean it: 30 days. */
export const MONTH = 30 * DAY;
/** 1970-01-05, the epoch's first Monday: weeks start on Mondays (ISO 8601), in UTC. */
const FIRST_MONDAY = 4 * DAY;
const DEFAULT_WINDOW_DAYS = 30;
const MAX_WINDOW_DAYS = 366;

export const BUCKETS = ["day", "week"] as const;
export type Bucket = (typeof BUCKETS)[number];

/** The length of a bucket. */
export const bucketSize = (bucket: Bucket) => (bucket === "day" ? DAY : WEEK);

/** `a mod b`, never negative (instants before 1970 are). */
const mod = (a: number, b: number) => ((a % b) + b) % b;

/** The start of the UTC day, or of the ISO week (Monday), holding `ms`. */
export function bucketStart(ms: number, bucket: Bucket): number {
	return bucket === "day" ? ms - mod(ms, DAY) : ms - mod(ms - FIRST_MONDAY, WEEK);
}

/** `from` and `to` with their defaults (the 30 days before now), or a 400 naming `from`. */
export function resolveWindow(query: { from?: number; to?: number }, now: number) {
	const to = query.to ?? now;
	const from = query.from ?? to - DEFAULT_WINDOW_DAYS * DAY;
	checkWindow(from, to);
	if (to - from > MAX_WINDOW_DAYS * DAY) {
		throw ApiError.of(400, "From Error", `param must be at most ${MAX_WINDOW_DAYS} days before to: from`);
	}
	return { from, to };
}
