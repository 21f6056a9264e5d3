import { and, asc, desc, eq, sql } from "drizzle-orm";
import { LIVE_STATUSES, type Status } from "../model/status";
import type { Database } from "./client";
import type { ListedDeploy } from "./deploys";
import { deploys, services } from "./schema";
import { runs } from "./stages";

/**
 * The environments (keys) a service has deploys in, each found by one index
 * seek on (service_id, environment_key, …): a loose index scan, so the cost
 * follows the number of environments, not of deploys. SQLite orders NULL
 * first, hence the separate check for deploys without an environment.
 */
function environmentsOf(serviceId: string) {
	return sql`(
		with recursive env(name) as (
			select (select environment_key from deploys
				where service_id = ${serviceId} and environment_key is not null order by environment_key limit 1)
			union all
			select (select environment_key from deploys
				where service_id = ${serviceId} and environment_key > env.name order by environment_key limit 1)
			from env where env.name is not null
		)
		select name as environment_key from env where name is not null
		union all
		select null where exists (select 1 from deploys where service_id = ${serviceId} and environment_key is null)
	) as environments`;
}

export type EnvironmentState = {
	/** How the environment is shown: the spelling of its latest deploy; null for deploys that named none. */
	environment: string | null;
	/** What runs there: the latest deploy that succeeded or reported no status; null if none did. */
	live: ListedDeploy | null;
	/** A newer deploy that failed, was canceled or has not finished; null when the live one is the latest. */
	attempt: ListedDeploy | null;
};

/**
 * What runs where: for each environment of a service, the deploy that runs
 * there and any newer attempt. "Latest" is by `deployed_at`, ties going to the
 * later arrival, so a deploy arriving late with an older time never replaces
 * it. Per environment, one index seek for the latest deploy and one walk back
 * from it, past attempts, to the live one.
 */
export async function currentDeploys(db: Database, serviceId: string): Promise<EnvironmentState[]> {
	const newest = (live: boolean) =>
		db
			.select({ id: deploys.id })
			.from(deploys)
			.where(
				and(
					eq(deploys.serviceId, serviceId),
					sql`${deploys.environmentKey} is "environments"."environment_key"`,
					// Unary `+`: the walk follows the stream's index, not the status index.
					live ? runs(sql`+${deploys.status}`) : undefined,
				),
			)
			.orderBy(desc(deploys.deployedAt), desc(deploys.id))
			.limit(1);
	// One or two rows per environment (one when the latest deploy is the live one),
	// told apart by status: the live one runs, a newer one cannot.
	const rows = await db
		.select({
			// Named apart from deploys.environment_key: metered reads come back as objects keyed by column name.
			key: sql<string | null>`"environments"."environment_key"`.as("stream_key"),
			deploy: deploys,
			serviceName: services.name,
		})
		.from(environmentsOf(serviceId))
		.innerJoin(deploys, sql`${deploys.id} in ((${newest(false)}), (${newest(true)}))`)
		.leftJoin(services, eq(services.id, deploys.serviceId))
		.orderBy(sql`"environments"."environment_key" is null`, asc(sql`"environments"."environment_key"`));
	const states = new Map<string | null, EnvironmentState>();
	for (const { key, ...row } of rows) {
		const state = states.get(key) ?? { environment: null, live: null, attempt: null };
		const live = (LIVE_STATUSES as readonly Status[]).includes(row.deploy.status);
		state[live ? "live" : "attempt"] = row;
		// The attempt, when there is one, is the latest deploy: its spelling names the environment.
		state.environment = state.attempt?.deploy.environment ?? row.deploy.environment;
		states.set(key, state);
	}
	return [...states.values()];
}

/** A deploy as the services list shows it. */
export type DeploySummary = {
	id: string;
	environment: string;
	deployedAt: number;
	deployNumber: string;
	status: Status;
};

export type ServiceOverview = {
	/** What runs in production (an environment whose key is one of the production keys), as `EnvironmentState.live`. */
	production: DeploySummary | null;
	/** A newer production deploy that failed, was canceled or has not finished, as `EnvironmentState.attempt`. */
	attempt: DeploySummary | null;
	/** Deploys with `deployed_at` at or after the `since` asked for. */
	recentDeploys: number;
};

/** One row per service; a missing deploy comes back with its columns null (a left join). */
type OverviewRow = { service_id: string; recent: number } & Prefixed<"live"> & Prefixed<"attempt">;
type Prefixed<P extends string> = {
	[K in "id" | "environment" | "deployed_at" | "deploy_number" | "status" as `${P}_${K}`]: K extends "deployed_at"
		? number | null
		: string | null;
};

/**
 * The statement behind `serviceOverviews`, exposed so tests can read its query plan.
 *
 * For each service and each of the `production` keys, it seeks the latest deploy and
 * the latest live one on (service_id, environment_key, deployed_at, id), then
 * keeps the latest of each across the keys.
 */
export function serviceOverviewsStatement(db: Database, since: number, production: readonly string[]) {
	const keys = sql.join(
		production.map((key) => sql`(${key})`),
		sql`, `,
	);
	const newest = (live: boolean) => sql`(select d.id from deploys d
		where d.service_id = s.id and d.environment_key = k.key ${live ? sql`and ${runs(sql`+d.status`)}` : sql``}
		order by d.deployed_at desc, d.id desc limit 1)`;
	const latestOf = (column: "live_id" | "latest_id") => sql`(
		select c.service_id, d.id, d.environment, d.deployed_at, d.deploy_number, d.status,
			row_number() over (partition by c.service_id order by d.deployed_at desc, d.id desc) as nth
		-- CROSS JOIN keeps the candidates outside, so each is a primary-key seek into deploys.
		from candidates c cross join deploys d on d.id = c.${sql.raw(column)}
	)`;
	return db.all<OverviewRow>(sql`
		with
		keys(key) as (values ${keys}),
		candidates as materialized (
			select s.id as service_id, ${newest(true)} as live_id, ${newest(false)} as latest_id from services s, keys k
		),
		live as ${latestOf("live_id")},
		latest as ${latestOf("latest_id")}
		select s.id as service_id,
			l.id as live_id, l.environment as live_environment, l.deployed_at as live_deployed_at,
			l.deploy_number as live_deploy_number, l.status as live_status,
			a.id as attempt_id, a.environment as attempt_environment, a.deployed_at as attempt_deployed_at,
			a.deploy_number as attempt_deploy_number, a.status as attempt_status,
			(select count(*) from deploys r where r.service_id = s.id and r.deployed_at >= ${since}) as recent
		from services s
		left join live l on l.service_id = s.id and l.nth = 1
		-- The latest deploy is an attempt unless it is the live one.
		left join latest a on a.service_id = s.id and a.nth = 1 and a.id is not l.id
	`);
}

function summary(row: OverviewRow, prefix: "live" | "attempt"): DeploySummary | null {
	const id = row[`${prefix}_id`];
	if (id === null) return null;
	return {
		id,
		environment: row[`${prefix}_environment`] as string,
		deployedAt: row[`${prefix}_deployed_at`] as number,
		deployNumber: row[`${prefix}_deploy_number`] as string,
		status: row[`${prefix}_status`] as Status,
	};
}

/**
 * For every service, what runs in production (environments keyed as in
 * `production`, at least one), any newer production attempt,
 * and how many deploys it had since `since`, in one statement: index seeks per
 * service, never a scan of deploys.
 */
export async function serviceOverviews(
	db: Database,
	since: number,
	production: readonly string[],
): Promise<Map<string, ServiceOverview>> {
	const rows = await serviceOverviewsStatement(db, since, production);
	return new Map(
		rows.map((row) => [
			row.service_id,
			{ production: summary(row, "live"), attempt: summary(row, "attempt"), recentDeploys: row.recent },
		]),
	);
}
