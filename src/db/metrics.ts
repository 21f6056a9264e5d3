import { type SQL, sql } from "drizzle-orm";
import { environmentKey } from "../model/environment";
import type { Database } from "./client";

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

type RawRow = {
	buckets: string;
	total: number;
	failed: number;
	rollbacks: number;
	failed_changes: number;
	lead_count: number;
	lead_median: number | null;
	lead_p90: number | null;
	restore_count: number;
	restore_median: number | null;
	restore_p90: number | null;
	unrestored: number;
};

/** Of `n` durations numbered `nth` from the shortest, the median's number (see `durationStats`). */
const MEDIAN_RANK = sql`(n + 1) / 2`;

/**
 * Count, median and p90 of the `ms` column of `durations`. Nearest rank: of n
 * sorted values, the p-th percentile is the ceil(p/100 × n)-th, so the median
 * of an even count is the lower middle value; every answer is an observed one.
 * In integer arithmetic ceil(n/2) is (n + 1) / 2 and ceil(9n/10) is (9n + 9) / 10.
 */
function durationStats(durations: SQL) {
	return sql`(select count(*) as count,
			max(case when nth = ${MEDIAN_RANK} then ms end) as median,
			max(case when nth = (9 * n + 9) / 10 then ms end) as p90
		from (select ms, row_number() over (order by ms) as nth, count(*) over () as n from (${durations})))`;
}

/** The window's deploys, as a condition on `d`: each combination of filters has an index that serves it. */
function inWindow({ serviceId, aliasKey, environment, from, to }: MetricsFilter) {
	const conditions = [sql`d.deployed_at >= ${from}`, sql`d.deployed_at < ${to}`];
	if (serviceId !== undefined) conditions.push(sql`d.service_id = ${serviceId}`);
	if (aliasKey !== undefined) conditions.push(sql`d.alias_key = ${aliasKey}`);
	if (environment !== undefined) conditions.push(sql`d.environment_key = ${environmentKey(environment)}`);
	return sql.join(conditions, sql` and `);
}

/** When the change a deploy `d` ships was made: the lead time runs from there. */
const committedAt = sql`coalesce(d.authoring_date, d.commit_date)`;

/** The statement behind `comparedMetrics` (one per window), exposed so tests can read its query plan. */
export function metricsStatement(db: Database, filter: MetricsFilter) {
	const { bucketOrigin, bucketSize } = filter;
	return db.get<RawRow>(sql`
		with w as materialized (
			select d.deployed_at, d.status = 'failure' as failed, d.is_rollback as rollback, d.restored_at,
				${committedAt} as committed_at
			from deploys d
			where ${inWindow(filter)}
		)
		select
			(select json_group_array(json_array(bucket, deploys)) from (
				select cast((deployed_at - ${bucketOrigin}) / ${bucketSize} as integer) as bucket, count(*) as deploys
				from w group by bucket order by bucket
			)) as buckets,
			cfr.total, cfr.failed, cfr.rollbacks, cfr.failed_changes, cfr.unrestored,
			lead.count as lead_count, lead.median as lead_median, lead.p90 as lead_p90,
			restore.count as restore_count, restore.median as restore_median, restore.p90 as restore_p90
		from
			(select count(*) as total, coalesce(sum(failed), 0) as failed, coalesce(sum(rollback), 0) as rollbacks,
				coalesce(sum(failed or rollback), 0) as failed_changes,
				coalesce(sum(failed and restored_at is null), 0) as unrestored from w) cfr,
			${durationStats(sql`select deployed_at - committed_at as ms from w where committed_at <= deployed_at`)} lead,
			${durationStats(sql`select restored_at - deployed_at as ms from w where failed and restored_at is not null`)} restore
	`);
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
	const [current, previous] = await db.$client.batch<RawRow>(statements);
	return { current: metricsRow(current?.results[0]), previous: metricsRow(previous?.results[0]) };
}

function metricsRow(row: RawRow | undefined): MetricsRow {
	if (!row) throw new Error("the metrics query answered no row");
	return {
		buckets: JSON.parse(row.buckets),
		total: row.total,
		failed: row.failed,
		rollbacks: row.rollbacks,
		failedChanges: row.failed_changes,
		leadTime: { count: row.lead_count, median: row.lead_median, p90: row.lead_p90 },
		restore: {
			count: row.restore_count,
			median: row.restore_median,
			p90: row.restore_p90,
			unrestored: row.unrestored,
		},
	};
}

/** The statement behind `leadTimeMedians`, exposed so tests can read its query plan. */
export function leadTimeMediansStatement(db: Database, filter: MetricsFilter) {
	const { bucketOrigin, bucketSize } = filter;
	// Numbered within each bucket in one pass, rather than a median per bucket, each reading the whole window.
	return db.all<{ bucket: number; median: number }>(sql`
		select bucket, max(case when nth = ${MEDIAN_RANK} then ms end) as median
		from (
			select bucket, ms, row_number() over (partition by bucket order by ms) as nth,
				count(*) over (partition by bucket) as n
			from (
				select cast((d.deployed_at - ${bucketOrigin}) / ${bucketSize} as integer) as bucket,
					d.deployed_at - ${committedAt} as ms
				from deploys d
				where ${inWindow(filter)}
			)
			where ms >= 0
		)
		group by bucket
		order by bucket
	`);
}

/**
 * The median lead time (as in `comparedMetrics`) of each bucket's deploys, in
 * one statement, as `[index from bucketOrigin, ms]`; buckets without one are left out.
 */
export async function leadTimeMedians(db: Database, filter: MetricsFilter): Promise<[number, number][]> {
	const rows = await leadTimeMediansStatement(db, filter);
	return rows.map((row) => [row.bucket, row.median]);
}
