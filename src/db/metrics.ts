import { type SQL, sql } from "drizzle-orm";
import { environmentKey } from "../model/environment";
import type { Database } from "./client";
import { teamServiceIds } from "./teams";

/**
 * DORA metrics over one window of deploys, in one statement (one consistent
 * snapshot, one round trip). See the README's "DORA metrics" for the definitions.
 *
 * What a deploy's stream adds (whether it is a rollback, when a failure was
 * restored) is kept on its row as it is written (see facts.ts), so a window
 * costs one read of each of its deploys, through the index that matches the
 * filters, and nothing beyond it.
 */

export type MetricsFilter = {
	serviceId?: string;
	aliasKey?: string;
	/** The deploys of the services this team owns. */
	teamId?: string;
	/** Any spelling: compared by `environmentKey`. */
	environment?: string;
	/** The window, epoch ms: `from` inclusive, `to` exclusive. */
	from: number;
	to: number;
	/** Start of the first bucket (at or before `from`) and a bucket's length, ms. */
	bucketOrigin: number;
	bucketSize: number;
};

/** Count, median and p90 (nearest rank) of durations in milliseconds; null when there are none. */
export type DurationStats = { count: number; median: number | null; p90: number | null };

export type MetricsRow = {
	/** Non-empty buckets only, as `[index from bucketOrigin, deploys]`. */
	buckets: [number, number][];
	total: number;
	failed: number;
	rollbacks: number;
	/** Deploys that failed, rolled back, or both (each counted once). */
	failedChanges: number;
	leadTime: DurationStats;
	restore: DurationStats & { unrestored: number };
};

/** A slice of a window as the statement answers it: its counts, and each deploy's bucket and durations, unsorted. */
type Slice = {
	total: number;
	failed: number;
	rollbacks: number;
	failed_changes: number;
	unrestored: number;
	buckets: number[];
	lead_times: number[];
	restore_times: number[];
};

/**
 * A window is read a week at a time, each week's figures one value: D1 holds
 * a value to 1 MB, which a week's durations fill at about 100,000 deploys.
 */
const SLICE = 7 * 86_400_000;

/**
 * Count, median and p90 of durations in milliseconds. Nearest rank: of n
 * sorted values, the p-th percentile is the ⌈p/100 × n⌉-th, so the median of
 * an even count is the lower middle value; every answer is an observed one.
 */
function durationStats(ms: number[]): DurationStats {
	const sorted = ms.toSorted((a, b) => a - b);
	// In integers, (p × n) / 100 is exact where it is whole: 0.9 × 30 in floating point is not.
	const rank = (p: number) => sorted[Math.ceil((p * sorted.length) / 100) - 1] ?? null;
	return { count: sorted.length, median: rank(50), p90: rank(90) };
}

/**
 * The deploys of the window's slice `slices.lo`, as a condition on `d`: each
 * combination of filters has an index that serves it.
 */
function inSlice({ serviceId, aliasKey, teamId, environment, to }: MetricsFilter) {
	const conditions = [sql`d.deployed_at >= slices.lo`, sql`d.deployed_at < min(slices.lo + ${SLICE}, ${to})`];
	if (serviceId !== undefined) conditions.push(sql`d.service_id = ${serviceId}`);
	if (teamId !== undefined) conditions.push(sql`d.service_id in ${teamServiceIds(teamId)}`);
	if (aliasKey !== undefined) conditions.push(sql`d.alias_key = ${aliasKey}`);
	if (environment !== undefined) conditions.push(sql`d.environment_key = ${environmentKey(environment)}`);
	return sql.join(conditions, sql` and `);
}

/** A deploy `d`'s lead time: from when the change it ships was made (null if unknown). */
const leadTime = sql`d.deployed_at - coalesce(d.authoring_date, d.commit_date)`;

/** The number of the bucket (of `filter`'s) that deploy `d` falls in. */
const bucketOf = ({ bucketOrigin, bucketSize }: MetricsFilter) =>
	sql`cast((d.deployed_at - ${bucketOrigin}) / ${bucketSize} as integer)`;

/**
 * One row per slice of the window (see `SLICE`), `figures` holding a JSON
 * object of `fields` over the slice's deploys: plain aggregates, so each
 * deploy is read once. Sorting in SQL (a GROUP BY, an ORDER BY, a window
 * function) would read each deploy again, so buckets are counted and
 * durations ranked in the Worker.
 */
function perSlice(db: Database, filter: MetricsFilter, fields: SQL) {
	return db.all<{ figures: string }>(sql`
		with recursive slices(lo) as (
			select ${filter.from} union all select lo + ${SLICE} from slices where lo + ${SLICE} < ${filter.to}
		)
		select (select json_object(${fields}) from deploys d where ${inSlice(filter)}) as figures from slices
	`);
}

/**
 * The statement behind `comparedMetrics` (one per window), exposed so tests can
 * read its query plan. Negative lead times (clock skew) are left out.
 */
export function metricsStatement(db: Database, filter: MetricsFilter) {
	return perSlice(
		db,
		filter,
		sql`'total', count(*),
			'failed', coalesce(sum(d.status = 'failure'), 0),
			'rollbacks', coalesce(sum(d.is_rollback), 0),
			'failed_changes', coalesce(sum(d.status = 'failure' or d.is_rollback), 0),
			'unrestored', coalesce(sum(d.status = 'failure' and d.restored_at is null), 0),
			'buckets', json_group_array(${bucketOf(filter)}),
			'lead_times', json_group_array(${leadTime}) filter (where ${leadTime} >= 0),
			'restore_times', json_group_array(d.restored_at - d.deployed_at)
				filter (where d.status = 'failure' and d.restored_at is not null)`,
	);
}

/** The window of the same length that ends where `filter`'s begins: what a window is compared with. */
export function previousWindow(filter: MetricsFilter): MetricsFilter {
	return { ...filter, from: filter.from - (filter.to - filter.from), to: filter.from };
}

/**
 * The metrics of the window and of the one before it (`previousWindow`), a
 * statement each, in one D1 batch: one round trip, one consistent snapshot.
 */
export async function comparedMetrics(
	db: Database,
	filter: MetricsFilter,
): Promise<{ current: MetricsRow; previous: MetricsRow }> {
	// D1's own batch: Drizzle's cannot run a raw statement with parameters (it never prepares one).
	const statements = [filter, previousWindow(filter)].map((window) => {
		const { sql, params } = metricsStatement(db, window).getQuery();
		return db.$client.prepare(sql).bind(...params);
	});
	const [current, previous] = await db.$client.batch<{ figures: string }>(statements);
	return { current: metricsRow(current?.results ?? []), previous: metricsRow(previous?.results ?? []) };
}

/** A window's metrics from its slices' figures. */
function metricsRow(rows: { figures: string }[]): MetricsRow {
	const slices = rows.map((row) => JSON.parse(row.figures) as Slice);
	const sum = (key: "total" | "failed" | "rollbacks" | "failed_changes" | "unrestored") =>
		slices.reduce((n, slice) => n + slice[key], 0);
	const perBucket = new Map<number, number>();
	for (const bucket of slices.flatMap((slice) => slice.buckets))
		perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + 1);
	return {
		buckets: [...perBucket].sort(([a], [b]) => a - b),
		total: sum("total"),
		failed: sum("failed"),
		rollbacks: sum("rollbacks"),
		failedChanges: sum("failed_changes"),
		leadTime: durationStats(slices.flatMap((slice) => slice.lead_times)),
		restore: { ...durationStats(slices.flatMap((slice) => slice.restore_times)), unrestored: sum("unrestored") },
	};
}

/** The statement behind `leadTimeMedians`, exposed so tests can read its query plan. Read as `metricsStatement`. */
export function leadTimeMediansStatement(db: Database, filter: MetricsFilter) {
	return perSlice(
		db,
		filter,
		sql`'leads', json_group_array(json_array(${bucketOf(filter)}, ${leadTime})) filter (where ${leadTime} >= 0)`,
	);
}

/**
 * The median lead time (as in `comparedMetrics`) of each bucket's deploys, in
 * one statement, as `[index from bucketOrigin, ms]`; buckets without one are left out.
 */
export async function leadTimeMedians(db: Database, filter: MetricsFilter): Promise<[number, number][]> {
	const rows = await leadTimeMediansStatement(db, filter);
	const perBucket = new Map<number, number[]>();
	for (const [bucket, ms] of rows.flatMap((row) => (JSON.parse(row.figures) as { leads: [number, number][] }).leads)) {
		const leads = perBucket.get(bucket) ?? [];
		leads.push(ms);
		perBucket.set(bucket, leads);
	}
	return [...perBucket]
		.sort(([a], [b]) => a - b)
		.flatMap(([bucket, ms]) => {
			const { median } = durationStats(ms);
			return median === null ? [] : [[bucket, median] as [number, number]];
		});
}
