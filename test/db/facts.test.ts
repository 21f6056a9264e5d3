import { env } from "cloudflare:workers";
import { sql } from "drizzle-orm";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { aliasClaim, moveAliasStatements } from "../../src/db/aliases";
import { aliasKey, claimAliases } from "../../src/db/catalog";
import { database } from "../../src/db/client";
import { refreshDeploy, refreshStreams } from "../../src/db/facts";
import { newId } from "../../src/db/ids";
import { writeDeploys } from "../../src/db/ingest";
import { comparedMetrics, type MetricsFilter, type MetricsRow } from "../../src/db/metrics";
import { deleteDeploys } from "../../src/db/retention";
import type { LedgerEntry } from "../../src/model/entry";
import { environmentKey } from "../../src/model/environment";
import type { Status } from "../../src/model/status";
import { api, integrationBeforeAll, unique } from "../helpers";

/**
 * The facts kept on each deploy's row (src/db/facts.ts) and the daily rollups
 * (metrics_days) against a computation from scratch: the metrics statement as
 * it was before the facts, which looked before and after each deploy of the
 * window at read time. For random streams written in random orders and
 * batches, with status changes, alias moves and claims, every window's metrics
 * (whole days and partial ones) must come out the same both ways; and with
 * purges too, every rollup must equal a count of the deploys it stands for.
 */

const integration = integrationBeforeAll("facts property");
const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;
/** Deploys land on 8-hour slots: ties in deployed_at are common, and a run spans whole and partial days. */
const SLOT = 8 * 60 * MINUTE;
/** Each run's deploys lie in its own 8 days (starting at midnight UTC), so runs never see each other's. */
const RUN_SPAN = 8 * DAY;
let runs = 0;

type ReferenceRow = Record<
	"total" | "failed" | "rollbacks" | "failed_changes" | "lead_count" | "restore_count" | "unrestored",
	number
> &
	Record<"lead_median" | "lead_p90" | "restore_median" | "restore_p90", number | null> & { buckets: string };

/** The reference's answer as `comparedMetrics` gives it. */
const referenceRow = (r: ReferenceRow): MetricsRow => ({
	buckets: JSON.parse(r.buckets),
	total: r.total,
	failed: r.failed,
	rollbacks: r.rollbacks,
	failedChanges: r.failed_changes,
	leadTime: { count: r.lead_count, median: r.lead_median, p90: r.lead_p90 },
	restore: { count: r.restore_count, median: r.restore_median, p90: r.restore_p90, unrestored: r.unrestored },
});

/** The reference: the metrics of a window computed from the deploys alone (the pre-facts statement, unchanged). */
function referenceStatement(filter: MetricsFilter) {
	const { bucketOrigin, bucketSize, from, to } = filter;
	const conditions = [sql`d.deployed_at >= ${from}`, sql`d.deployed_at < ${to}`];
	if (filter.serviceId !== undefined) conditions.push(sql`d.service_id = ${filter.serviceId}`);
	if (filter.aliasKey !== undefined) conditions.push(sql`d.alias_key = ${filter.aliasKey}`);
	if (filter.environment !== undefined) conditions.push(sql`d.environment_key = ${environmentKey(filter.environment)}`);
	const inStream = (row: "w" | "f", lookup: (sameStream: ReturnType<typeof sql>) => ReturnType<typeof sql>) => {
		const r = sql.raw(row);
		return sql`(case when ${r}.service_id is not null
			then ${lookup(sql`s.service_id = ${r}.service_id and s.environment_key is ${r}.environment_key`)}
			else ${lookup(sql`s.alias_key = ${r}.alias_key and +s.service_id is null and +s.environment_key is ${r}.environment_key`)}
		end)`;
	};
	const stats = (durations: ReturnType<typeof sql>) => sql`(select count(*) as count,
			max(case when nth = (n + 1) / 2 then ms end) as median,
			max(case when nth = (9 * n + 9) / 10 then ms end) as p90
		from (select ms, row_number() over (order by ms) as nth, count(*) over () as n from (${durations})))`;
	const previousSha = inStream(
		"w",
		(sameStream) => sql`(select s.commit_sha from deploys s
			where ${sameStream} and s.commit_sha is not null and (s.deployed_at, s.id) < (w.deployed_at, w.id)
			order by s.deployed_at desc, s.id desc limit 1)`,
	);
	const restoredAt = inStream(
		"f",
		(sameStream) => sql`(select s.deployed_at from deploys s
			where ${sameStream} and +s.status = 'success' and (s.deployed_at, s.id) > (f.deployed_at, f.id)
			order by s.deployed_at, s.id limit 1)`,
	);
	return database(env.DB).get<ReferenceRow>(sql`
		with w as materialized (
			select d.id, d.service_id, d.alias_key, d.environment_key, d.deployed_at, d.status, d.commit_sha,
				coalesce(d.authoring_date, d.commit_date) as committed_at
			from deploys d where ${sql.join(conditions, sql` and `)}
		),
		shas as (select w.*, case when w.commit_sha is null then null else ${previousSha} end as previous_sha from w),
		changes as materialized (
			select c.status = 'failure' as failed,
				coalesce(c.previous_sha <> c.commit_sha and exists (
					select 1 from deploys s where s.commit_sha = c.commit_sha and s.service_id is c.service_id
						and (c.service_id is not null or s.alias_key = c.alias_key) and s.environment_key is c.environment_key
						and (s.deployed_at, s.id) < (c.deployed_at, c.id)
				), 0) as rollback
			from shas c
		),
		restores as materialized (
			select f.deployed_at as failed_at, ${restoredAt} as restored_at from w f where f.status = 'failure'
		)
		select
			(select json_group_array(json_array(bucket, deploys)) from (
				select cast((deployed_at - ${bucketOrigin}) / ${bucketSize} as integer) as bucket, count(*) as deploys
				from w group by bucket order by bucket
			)) as buckets,
			cfr.total, cfr.failed, cfr.rollbacks, cfr.failed_changes,
			lead.count as lead_count, lead.median as lead_median, lead.p90 as lead_p90,
			restore.count as restore_count, restore.median as restore_median, restore.p90 as restore_p90,
			(select count(*) from restores where restored_at is null) as unrestored
		from
			(select count(*) as total, coalesce(sum(failed), 0) as failed, coalesce(sum(rollback), 0) as rollbacks,
				coalesce(sum(failed or rollback), 0) as failed_changes from changes) cfr,
			${stats(sql`select deployed_at - committed_at as ms from w where committed_at <= deployed_at`)} lead,
			${stats(sql`select restored_at - failed_at as ms from restores where restored_at is not null`)} restore
	`);
}

/** The aliases of a run: two of service A, one of service B, one nobody claims at first. */
const ALIASES = ["a1", "a2", "b1", "u1"] as const;
/** Spellings of two environments, and none. */
const ENVIRONMENTS = ["Production", "production ", "staging", undefined] as const;
const SHAS = ["aaa", "bbb", "ccc", null] as const;
const FIRST_STATUSES = [undefined, "queued", "running", "success", "failure", "canceled"] as const;
const FINAL_STATUSES = ["success", "failure", "canceled"] as const;

type NewDeploy = { alias: number; environment: number; sha: number; status: number; slot: number; authored: number };
type Op =
	| { kind: "deploys"; deploys: NewDeploy[] }
	| { kind: "status"; deploy: number; status: number }
	| { kind: "move"; alias: "a2" | "b1" }
	| { kind: "claim"; to: "A" | "B" }
	| { kind: "purge"; deploys: number[] };

const newDeploy: fc.Arbitrary<NewDeploy> = fc.record({
	alias: fc.nat(ALIASES.length - 1),
	environment: fc.nat(ENVIRONMENTS.length - 1),
	sha: fc.nat(SHAS.length - 1),
	status: fc.nat(FIRST_STATUSES.length - 1),
	// Few distinct slots (see SLOT): ties in deployed_at are common, and broken by arrival.
	slot: fc.nat(20),
	authored: fc.nat(90),
});
const op: fc.Arbitrary<Op> = fc.oneof(
	{
		weight: 6,
		arbitrary: fc.record({
			kind: fc.constant("deploys"),
			deploys: fc.array(newDeploy, { minLength: 1, maxLength: 3 }),
		}),
	},
	{ weight: 2, arbitrary: fc.record({ kind: fc.constant("status"), deploy: fc.nat(40), status: fc.nat(2) }) },
	{ weight: 1, arbitrary: fc.record({ kind: fc.constant("move"), alias: fc.constantFrom("a2", "b1") }) },
	{ weight: 1, arbitrary: fc.record({ kind: fc.constant("claim"), to: fc.constantFrom("A", "B") }) },
	{
		weight: 1,
		arbitrary: fc.record({ kind: fc.constant("purge"), deploys: fc.array(fc.nat(40), { minLength: 1, maxLength: 4 }) }),
	},
) as fc.Arbitrary<Op>;

const change = (status: Status, at: number) => ({ status, raw: status, at });

/** Plays `ops` against D1 through the code that writes deploys and moves aliases; answers the run's names and time. */
async function play(ops: Op[]) {
	const db = database(env.DB);
	const start = Date.UTC(2031, 0, 1) + runs++ * RUN_SPAN;
	let purged = false;
	const names = Object.fromEntries(ALIASES.map((a) => [a, unique(a)])) as Record<(typeof ALIASES)[number], string>;
	const a = await api.createService(unique("A"), [names.a1, names.a2]);
	const b = await api.createService(unique("B"), [names.b1]);
	const services = { A: a.id, B: b.id };
	const written: LedgerEntry[] = [];
	let claimed = false;
	for (const o of ops) {
		if (o.kind === "deploys") {
			const entries = o.deploys.map((d): LedgerEntry => {
				const deployedAt = start + d.slot * SLOT;
				const status = FIRST_STATUSES[d.status];
				const sha = SHAS[d.sha];
				return {
					id: newId(),
					integrationId: integration.id,
					agent: null,
					serviceId: null,
					deployNumber: String(written.length + 1),
					receivedAt: Date.now(),
					statuses: status ? [change(status, Date.now())] : [],
					payload: {
						service: names[ALIASES[d.alias] ?? "a1"],
						environment: ENVIRONMENTS[d.environment],
						description: "property",
						deployed_at: deployedAt,
						deployer: {},
						commit: sha ? { sha, authoring_date: deployedAt - d.authored * MINUTE } : undefined,
					} as unknown as LedgerEntry["payload"],
				};
			});
			written.push(...entries);
			await writeDeploys(db, entries as [LedgerEntry, ...LedgerEntry[]]);
		} else if (o.kind === "status") {
			const entry = written[o.deploy % Math.max(written.length, 1)];
			if (!entry) continue;
			// A repeated delivery with one more status; the write applies it only if it moves the deploy forward.
			entry.statuses = [...entry.statuses, change(FINAL_STATUSES[o.status] ?? "success", Date.now())];
			await writeDeploys(db, [entry]);
		} else if (o.kind === "move") {
			const claim = await aliasClaim(db, names[o.alias]);
			if (!claim) continue;
			const to = claim.serviceId === services.A ? services.B : services.A;
			await db.batch(moveAliasStatements(db, claim, to, true, Date.now()));
		} else if (o.kind === "purge") {
			const ids = o.deploys.flatMap((i) => written[i % Math.max(written.length, 1)]?.id ?? []);
			purged ||= (await deleteDeploys(db, ids)) > 0;
		} else if (!claimed) {
			claimed = true;
			await db.batch(claimAliases(db, services[o.to], [names.u1], Date.now()));
		}
	}
	return { start, services, unclaimed: claimed ? undefined : aliasKey(names.u1), purged };
}

/** The rollups of the days from `from` to `to` (ms, whole days), and the same computed from the deploys' own columns. */
async function rollupsAndRecount(from: number, to: number) {
	const [lo, hi] = [from / DAY, to / DAY];
	const { results: rollups } = await env.DB.prepare(
		`SELECT service_id, alias_key, environment_key, day, deploys, failed, rollbacks, failed_changes, unrestored,
			lead_times, restore_times
		FROM metrics_days WHERE day >= ?1 AND day < ?2 ORDER BY 1, 2, 3, 4`,
	)
		.bind(lo, hi)
		.all();
	const { results: recount } = await env.DB.prepare(
		`SELECT coalesce(service_id, '') AS service_id, alias_key, coalesce(environment_key, '') AS environment_key,
			deployed_at / ${DAY} AS day, count(*) AS deploys, sum(status = 'failure') AS failed,
			sum(is_rollback) AS rollbacks, sum(status = 'failure' OR is_rollback) AS failed_changes,
			sum(status = 'failure' AND restored_at IS NULL) AS unrestored,
			json_group_array(deployed_at - coalesce(authoring_date, commit_date))
				FILTER (WHERE deployed_at - coalesce(authoring_date, commit_date) >= 0) AS lead_times,
			json_group_array(restored_at - deployed_at) FILTER (WHERE status = 'failure' AND restored_at IS NOT NULL) AS restore_times
		FROM deploys WHERE deployed_at >= ?1 AND deployed_at < ?2 GROUP BY 1, 2, 3, 4 ORDER BY 1, 2, 3, 4`,
	)
		.bind(from, to)
		.all();
	// The lists are multisets: compared sorted.
	const sorted = (rows: Record<string, unknown>[]) =>
		rows.map((row) => ({
			...row,
			lead_times: (JSON.parse(String(row.lead_times)) as number[]).sort((a, b) => a - b),
			restore_times: (JSON.parse(String(row.restore_times)) as number[]).sort((a, b) => a - b),
		}));
	return { rollups: sorted(rollups), recount: sorted(recount) };
}

it("keeps each deploy's facts so that every window's metrics equal a computation from scratch", async () => {
	await fc.assert(
		fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 14 }), async (ops) => {
			const { start, services, unclaimed, purged } = await play(ops);
			const { rollups, recount } = await rollupsAndRecount(start, start + RUN_SPAN);
			expect(rollups).toEqual(recount);
			// A purge leaves the facts the purged deploys made (see facts.ts), which the reference would recompute.
			if (purged) return;
			const windows = [
				// Whole days only, counted from the rollups.
				{ from: start, to: start + RUN_SPAN, bucketOrigin: start, bucketSize: DAY },
				// Partial first and last days around whole ones, with deploys on both sides: restores and
				// rollbacks reach beyond it.
				{
					from: start + DAY + 4 * 60 * MINUTE,
					to: start + 5 * DAY + 12 * 60 * MINUTE,
					bucketOrigin: start + DAY,
					bucketSize: 2 * DAY,
				},
				// Within one day: no whole day.
				{ from: start + 2 * DAY + SLOT, to: start + 3 * DAY, bucketOrigin: start + 2 * DAY, bucketSize: DAY },
			];
			const filters: Partial<MetricsFilter>[] = [
				{},
				{ serviceId: services.A },
				{ serviceId: services.B, environment: "production" },
				{ environment: "Staging" },
				...(unclaimed ? [{ aliasKey: unclaimed }] : []),
			];
			for (const window of windows) {
				for (const f of filters) {
					const filter = { ...f, ...window };
					const { current } = await comparedMetrics(database(env.DB), filter, DAY);
					const reference = referenceRow(await referenceStatement(filter));
					expect({ filter: f, metrics: current }).toEqual({ filter: f, metrics: reference });
				}
			}
		}),
		{ numRuns: 100 },
	);
}, 300_000);

describe("query plans", () => {
	const plan = async (statement: unknown) => {
		const { sql, params } = (statement as { toSQL(): { sql: string; params: unknown[] } }).toSQL();
		const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
			.bind(...params)
			.all<{ detail: string }>();
		return results.map((r) => r.detail);
	};
	/** The plan's full scans of a table (the statement's own intermediate results are not tables). */
	const scans = (details: string[]) => details.filter((d) => /^SCAN (deploys|[depsw])\b/.test(d));

	it("refresh a written deploy and its neighbours by index seeks, scanning no deploys", async () => {
		const details = await plan(refreshDeploy(database(env.DB), "some-id"));
		expect(scans(details)).toEqual([]);
		// Found by its id; its stream walked on the service's or the alias's index; its sha on the sha's.
		expect(details).toContain("SEARCH e USING INDEX sqlite_autoindex_deploys_1 (id=?)");
		expect(details.filter((d) => d.includes("deploys_commit_sha_idx")).map((d) => d.replace(/ \(.*/, ""))).toContain(
			"SEARCH s USING COVERING INDEX deploys_commit_sha_idx",
		);
	});

	it("refresh whole streams through their owners' indexes", async () => {
		const [byService, byAlias] = refreshStreams(database(env.DB), { serviceIds: ["a", "b"], aliasKeys: ["c"] });
		const [service, alias] = [await plan(byService), await plan(byAlias)];
		expect({ service: scans(service), alias: scans(alias) }).toEqual({ service: [], alias: [] });
		expect(service[0]).toMatch(/^SEARCH deploys USING INDEX deploys_service_/);
		expect(alias[0]).toMatch(/^SEARCH deploys USING INDEX deploys_alias_deployed_at_idx/);
	});
});
