import { type SQL, sql } from "drizzle-orm";
import { environmentKey } from "../model/environment";
import type { Database } from "./client";
import { type IncidentPart, incidentStatement } from "./incidents";
import { teamServiceIds } from "./teams";

/**
 * DORA metrics over one window of deploys, in one statement (one consistent
 * snapshot, one round trip). See the README's "DORA metrics" for the definitions.
 *
 * The window's whole UTC days come from the daily rollups (`metrics_days`,
 * kept by triggers on `deploys`): a row per stream and day holding its counts
 * and its deploys' durations, so they cost days × streams rows, however many
 * deploys. Only the deploys of its partial first and last days are read one
 * by one; what their stream adds (whether one is a rollback, when a failure
 * was restored) is kept on their rows as they are written (see facts.ts).
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

/** A whole day of a window, or a deploy of a partial day, as `metricsStatement` answers it: its bucket, counts and durations (JSON arrays, unsorted). */
type Part = {
	bucket: number;
	deploys: number;
	failed: number;
	rollbacks: number;
	failed_changes: number;
	unrestored: number;
	lead_times: string;
	restore_times: string;
};

/** A day, ms: the rollups' unit (`metrics_days.day` is a UTC day, counted from the epoch). */
const DAY = 86_400_000;

/**
 * `leadTimeMedians` reads a window a week at a time, each week's figures one
 * value: D1 holds a value to 1 MB, which a week's durations fill at about 100,000 deploys.
 */
const SLICE = 7 * DAY;

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
 * The rows of `row` (`deploys` or `metrics_days`: they name the stream's
 * columns alike) that `filter` selects, whatever their time: each combination
 * of filters has an index that serves it with a range of times.
 */
function scoped({ serviceId, aliasKey, teamId, environment }: MetricsFilter, row: string): SQL[] {
	const r = sql.raw(row);
	const conditions: SQL[] = [];
	if (serviceId !== undefined) conditions.push(sql`${r}.service_id = ${serviceId}`);
	if (teamId !== undefined) conditions.push(sql`${r}.service_id in ${teamServiceIds(teamId)}`);
	if (aliasKey !== undefined) conditions.push(sql`${r}.alias_key = ${aliasKey}`);
	if (environment !== undefined) conditions.push(sql`${r}.environment_key = ${environmentKey(environment)}`);
	return conditions;
}

/** The deploys `d` that `filter` selects between `from` (inclusive) and `to` (exclusive), SQL values both. */
const deploysBetween = (filter: MetricsFilter, from: SQL | number, to: SQL | number) =>
	sql.join([sql`d.deployed_at >= ${from}`, sql`d.deployed_at < ${to}`, ...scoped(filter, "d")], sql` and `);

/** The deploys of the window's slice `slices.lo`, as a condition on `d`. */
const inSlice = (filter: MetricsFilter) =>
	deploysBetween(filter, sql`slices.lo`, sql`min(slices.lo + ${SLICE}, ${filter.to})`);

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
 * The window's whole UTC days, as rollup days `[lo, hi)` (empty when it holds
 * none), and the partial days around them, as deploy times `[from, to)`.
 */
function days({ from, to }: MetricsFilter) {
	const [lo, hi] = [Math.ceil(from / DAY), Math.floor(to / DAY)];
	if (lo >= hi) return { lo, hi: lo, partial: [[from, to]] };
	return {
		lo,
		hi,
		partial: [
			[from, lo * DAY],
			[hi * DAY, to],
		].filter(([a = 0, b = 0]) => a < b),
	};
}

/** JSON array of a deploy `d`'s `ms` when it is not null, else an empty one: a rollup's list, for one deploy. */
const listOf = (ms: SQL) => sql`case when ${ms} is null then '[]' else json_array(${ms}) end`;

/**
 * The statement behind `comparedMetrics` (one per window), exposed so tests
 * can read its query plan: the rollups of the window's whole days, each inside
 * one bucket, since buckets are whole days from a day's start; and the
 * deploys of its partial days, shaped alike. Negative lead times
 * (clock skew) are left out, as the rollups leave them out.
 */
export function metricsStatement(db: Database, filter: MetricsFilter) {
	const { bucketOrigin, bucketSize } = filter;
	if (bucketOrigin % DAY !== 0 || bucketSize % DAY !== 0) throw new Error("Buckets must be whole UTC days");
	const { lo, hi, partial } = days(filter);
	// The rollups summed per day, their duration lists joined as text: a window holds tens of thousands of
	// rollups, which come back and are parsed one by one otherwise. Grouped by day, the index's order, as a
	// sort would count each rollup read twice; a day's lists stay under D1's 1 MB value to about 100,000
	// deploys a day. The deploys of partial days come one by one, without a sort, for the same reason.
	const joined = (list: SQL) =>
		sql`'[' || coalesce(group_concat(nullif(substr(${list}, 2, length(${list}) - 2), ''), ','), '') || ']'`;
	const rollups = sql`select cast((m.day * ${DAY} - ${bucketOrigin}) / ${bucketSize} as integer) as bucket,
			sum(m.deploys) as deploys, sum(m.failed) as failed, sum(m.rollbacks) as rollbacks,
			sum(m.failed_changes) as failed_changes, sum(m.unrestored) as unrestored,
			${joined(sql`m.lead_times`)} as lead_times, ${joined(sql`m.restore_times`)} as restore_times
		from metrics_days m
		where ${sql.join([sql`m.day >= ${lo}`, sql`m.day < ${hi}`, ...scoped(filter, "m")], sql` and `)}
		group by m.day`;
	const edges = partial.map(
		([from = 0, to = 0]) => sql`select ${bucketOf(filter)}, 1, d.status = 'failure', d.is_rollback,
			d.status = 'failure' or d.is_rollback, d.status = 'failure' and d.restored_at is null,
			${listOf(sql`case when ${leadTime} >= 0 then ${leadTime} end`)},
			${listOf(sql`case when d.status = 'failure' then d.restored_at - d.deployed_at end`)}
		from deploys d where ${deploysBetween(filter, from, to)}`,
	);
	return db.all<Part>(sql.join([rollups, ...edges], sql` union all `));
}

/** The window of the same length that ends where `filter`'s begins: what a window is compared with. */
export function previousWindow(filter: MetricsFilter): MetricsFilter {
	return { ...filter, from: filter.from - (filter.to - filter.from), to: filter.from };
}

/** A window's incident-based figures (see db/incidents.ts). */
export type IncidentFigures = {
	/** Incidents started in the window, and those of them not resolved by its end. */
	count: number;
	open: number;
	/** Deploys of the window that an incident started in it blames, each counted once. */
	failedChanges: number;
	/** Time to restore of the incidents resolved in the window. */
	restore: DurationStats;
};

/** A window's figures and the previous window's. */
export type Compared<T> = { current: T; previous: T };

/**
 * The metrics of the window and of the one before it (`previousWindow`), a
 * statement each, and both windows' incident-based figures (`incidentWindow`
 * is the attribution window, ms), in one D1 batch: one round trip, one
 * consistent snapshot.
 */
export async function comparedMetrics(
	db: Database,
	filter: MetricsFilter,
	incidentWindow: number,
): Promise<Compared<MetricsRow> & { incidents: Compared<IncidentFigures> }> {
	const windows = [filter, previousWindow(filter)];
	const key = filter.environment === undefined ? undefined : environmentKey(filter.environment);
	const incidents = windows.map((w) => incidentStatement(db, { ...w, environmentKey: key }, incidentWindow));
	// D1's own batch: Drizzle's cannot run a raw statement with parameters (it never prepares one).
	const statements = [...windows.map((w) => metricsStatement(db, w)), ...incidents].map((statement) => {
		const { sql, params } = statement.getQuery();
		return db.$client.prepare(sql).bind(...params);
	});
	const [current, previous, currentIncidents, previousIncidents] = await db.$client.batch(statements);
	return {
		current: metricsRow((current?.results ?? []) as Part[]),
		previous: metricsRow((previous?.results ?? []) as Part[]),
		incidents: {
			current: incidentFigures(currentIncidents?.results[0] as IncidentPart),
			previous: incidentFigures(previousIncidents?.results[0] as IncidentPart),
		},
	};
}

/** A window's incident-based figures from `incidentStatement`'s row. */
function incidentFigures(part: IncidentPart): IncidentFigures {
	const blamed = (JSON.parse(part.failed_deploys) as (string | null)[]).filter((id) => id !== null);
	return {
		count: part.incidents,
		open: part.open,
		failedChanges: new Set(blamed).size,
		restore: durationStats(JSON.parse(part.restore_times) as number[]),
	};
}

/** A window's metrics from its days and deploys. */
function metricsRow(parts: Part[]): MetricsRow {
	const sum = (key: "deploys" | "failed" | "rollbacks" | "failed_changes" | "unrestored") =>
		parts.reduce((n, part) => n + part[key], 0);
	const all = (key: "lead_times" | "restore_times") => parts.flatMap((part) => JSON.parse(part[key]) as number[]);
	const perBucket = new Map<number, number>();
	for (const { bucket, deploys } of parts) perBucket.set(bucket, (perBucket.get(bucket) ?? 0) + deploys);
	return {
		buckets: [...perBucket].sort(([a], [b]) => a - b),
		total: sum("deploys"),
		failed: sum("failed"),
		rollbacks: sum("rollbacks"),
		failedChanges: sum("failed_changes"),
		leadTime: durationStats(all("lead_times")),
		restore: { ...durationStats(all("restore_times")), unrestored: sum("unrestored") },
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
