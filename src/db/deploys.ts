import { type AnyColumn, and, asc, desc, eq, gte, inArray, lt, type SQL, sql } from "drizzle-orm";
import type { LedgerEntry } from "../model/entry";
import { LIVE_STATUSES, STAGE, type Status } from "../model/status";
import { aliasKey, type Statements } from "./catalog";
import type { Database } from "./client";
import { newId } from "./ids";
import { aliases, deployStatuses, deploys, people, services, suggestions } from "./schema";

/** A status's stage (see model/status.ts) as SQL, to compare statuses inside the database. */
function stage(status: SQL | AnyColumn) {
	const cases = Object.entries(STAGE).map(([name, rank]) => sql`when ${name} then ${rank}`);
	return sql`(case ${status} ${sql.join(cases, sql` `)} end)`;
}

/**
 * What environments are compared by: `Production`, `production ` and
 * `PRODUCTION` are one environment. Letter case is folded as for aliases.
 */
export function environmentKey(environment: string): string {
	return environment.trim().toLowerCase();
}

/**
 * Copies ledger entries into D1 as one atomic batch. Idempotent: a deploy is
 * keyed by its id (and the integration's dedup_id), so a retry after an
 * unknown outcome changes nothing. The service is looked up at write time, so
 * an alias claimed while the deploy waited for D1 still links it.
 */
export async function writeDeploys(db: Database, [first, ...rest]: [LedgerEntry, ...LedgerEntry[]]): Promise<void> {
	const statements = deployStatements(db, first);
	for (const entry of rest) statements.push(...deployStatements(db, entry));
	await db.batch(statements);
}

function deployStatements(db: Database, entry: LedgerEntry): Statements {
	const { payload } = entry;
	const key = aliasKey(payload.service);
	const email = payload.deployer.email?.toLowerCase();
	const commit = payload.commit ?? {};
	const current = entry.statuses.at(-1);

	const person = email
		? db
				.insert(people)
				.values({ id: newId(entry.receivedAt), email, name: payload.deployer.name, createdAt: entry.receivedAt })
				.onConflictDoUpdate({ target: people.email, set: { name: sql`coalesce(excluded.name, ${people.name})` } })
		: undefined;

	// Only deploys that matched no service at arrival make a suggestion. Should the
	// alias be claimed before this lands, the deploy links to the service anyway
	// and the suggestion, with no unmatched deploys, is not listed.
	const suggestion =
		entry.serviceId === null
			? db
					.insert(suggestions)
					.values({ id: newId(entry.receivedAt), aliasKey: key, alias: payload.service, createdAt: entry.receivedAt })
					.onConflictDoNothing()
			: undefined;

	const deploy = db
		.insert(deploys)
		.values({
			id: entry.id,
			integrationId: entry.integrationId,
			serviceId: sql`(select ${aliases.serviceId} from ${aliases} where ${aliases.key} = ${key})`,
			serviceAlias: payload.service,
			aliasKey: key,
			environment: payload.environment,
			environmentKey: payload.environment === undefined ? undefined : environmentKey(payload.environment),
			description: payload.description,
			deployedAt: payload.deployed_at,
			deployNumber: entry.deployNumber,
			deployUrl: payload.deploy_url,
			dedupId: payload.dedup_id,
			status: current?.status ?? "no_status",
			statusRaw: current?.raw,
			agent: entry.agent,
			personId: email ? sql`(select ${people.id} from ${people} where ${people.email} = ${email})` : null,
			deployerId: payload.deployer.id,
			deployerEmail: payload.deployer.email,
			deployerName: payload.deployer.name,
			// Lower-cased, so `sha=` finds it however the pipeline spelled the hex.
			commitSha: commit.sha?.toLowerCase(),
			commitMessage: commit.message,
			commitBranch: commit.branch,
			commitDate: commit.date,
			committerName: commit.committer_name,
			committerEmail: commit.committer_email,
			authorName: commit.author_name,
			authorEmail: commit.author_email,
			authoringDate: commit.authoring_date,
			receivedAt: entry.receivedAt,
			searchText: [payload.description, commit.message].filter(Boolean).join("\n").toLowerCase(),
		})
		// A repeat delivery may carry a newer status; only a step forward is applied,
		// so deliveries landing out of order cannot move a deploy back.
		.onConflictDoUpdate({
			target: deploys.id,
			set: { status: sql`excluded.status`, statusRaw: sql`excluded.status_raw` },
			setWhere: sql`${stage(sql`excluded.status`)} > ${stage(deploys.status)}`,
		});

	const history =
		entry.statuses.length > 0
			? db
					.insert(deployStatuses)
					.values(entry.statuses.map((change) => ({ deployId: entry.id, ...change })))
					.onConflictDoNothing()
			: undefined;

	const statements: Statements = [deploy];
	// The person goes first: the deploy's person_id subquery reads it.
	if (person) statements.unshift(person);
	if (history) statements.push(history);
	if (suggestion) statements.push(suggestion);
	return statements;
}

export type DeployFilter = {
	serviceId?: string;
	aliasKey?: string;
	/** Any spelling: compared by `environmentKey`. */
	environment?: string;
	integrationId?: string;
	/** Matched against the deployer's person, so any spelling of the address works. */
	deployerEmail?: string;
	status?: Status;
	/** A full sha or a prefix of one. */
	commitSha?: string;
	/** `deployed_at` from (inclusive) and to (exclusive), epoch ms. */
	from?: number;
	to?: number;
	/** Free text, searched in the description and the commit message. */
	text?: string;
	/** Keyset position: only deploys strictly older than this one. */
	before?: { deployedAt: number; id: string };
	limit: number;
};

const escapeLike = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

function conditions(f: Omit<DeployFilter, "limit">) {
	const like = f.text === undefined ? undefined : `%${escapeLike(f.text.toLowerCase())}%`;
	return and(
		f.serviceId === undefined ? undefined : eq(deploys.serviceId, f.serviceId),
		f.aliasKey === undefined ? undefined : eq(deploys.aliasKey, f.aliasKey),
		f.environment === undefined ? undefined : eq(deploys.environmentKey, environmentKey(f.environment)),
		f.integrationId === undefined ? undefined : eq(deploys.integrationId, f.integrationId),
		f.deployerEmail === undefined
			? undefined
			: eq(
					deploys.personId,
					sql`(select ${people.id} from ${people} where ${people.email} = ${f.deployerEmail.toLowerCase()})`,
				),
		f.status === undefined ? undefined : eq(deploys.status, f.status),
		// A range, not LIKE, so the index on commit_sha serves prefixes; `~` sorts after every hex digit.
		f.commitSha === undefined
			? undefined
			: and(gte(deploys.commitSha, f.commitSha.toLowerCase()), lt(deploys.commitSha, `${f.commitSha.toLowerCase()}~`)),
		f.from === undefined ? undefined : gte(deploys.deployedAt, f.from),
		f.to === undefined ? undefined : lt(deploys.deployedAt, f.to),
		like === undefined ? undefined : sql`${deploys.searchText} like ${like} escape '\\'`,
		f.before === undefined
			? undefined
			: sql`(${deploys.deployedAt}, ${deploys.id}) < (${f.before.deployedAt}, ${f.before.id})`,
	);
}

/** Deploys newest first (by `deployed_at`, then arrival), with their service's name. */
export function listDeploys(db: Database, filter: DeployFilter) {
	return db
		.select({ deploy: deploys, serviceName: services.name })
		.from(deploys)
		.leftJoin(services, eq(services.id, deploys.serviceId))
		.where(conditions(filter))
		.orderBy(desc(deploys.deployedAt), desc(deploys.id))
		.limit(filter.limit);
}

export type ListedDeploy = Awaited<ReturnType<typeof listDeploys>>[number];

/**
 * Which of `rows` carry a number from their alias's own sequence, not their
 * service's: they arrived before the alias joined a service that already
 * existed (attached, or added on the edit page). One query over the rows' aliases.
 */
export async function numberedUnderAlias(db: Database, rows: ListedDeploy[]): Promise<Set<string>> {
	const keys = [...new Set(rows.flatMap(({ deploy: d }) => (d.serviceId ? [d.aliasKey] : [])))];
	if (keys.length === 0) return new Set();
	const joins = await db
		.select({ key: aliases.key, joinedAt: aliases.createdAt })
		.from(aliases)
		.innerJoin(services, eq(services.id, aliases.serviceId))
		// A service's first aliases join with it, and its numbering carries on from theirs.
		.where(and(inArray(aliases.key, keys), sql`${aliases.createdAt} > ${services.createdAt}`));
	const joinedAt = new Map(joins.map((j) => [j.key, j.joinedAt]));
	return new Set(
		rows.flatMap(({ deploy: d }) => {
			const joined = joinedAt.get(d.aliasKey);
			return d.serviceId && joined !== undefined && d.receivedAt < joined ? [d.id] : [];
		}),
	);
}

/**
 * How many deploys `filter` selects, counting no further than `cap` + 1: the
 * conditions, and so the index, of `listDeploys`, reading at most `cap` + 1 of
 * its entries, unless a filter that index does not serve (text, or a second
 * filter) makes it step over entries that do not match.
 */
export async function countDeploys(db: Database, filter: CountFilter, cap: number): Promise<number> {
	const [row] = await countDeploysStatement(db, filter, cap);
	return row?.count ?? 0;
}

type CountFilter = Omit<DeployFilter, "limit" | "before">;

/** The statement behind `countDeploys`, exposed so tests can read its query plan. */
export function countDeploysStatement(db: Database, filter: CountFilter, cap: number) {
	const matches = db
		.select({ one: sql`1`.as("one") })
		.from(deploys)
		.where(conditions(filter))
		.limit(cap + 1)
		.as("matches");
	return db.select({ count: sql<number>`count(*)` }).from(matches);
}

export async function findDeploy(db: Database, id: string) {
	const [deploy, history] = await db.batch([
		db
			.select({ deploy: deploys, serviceName: services.name })
			.from(deploys)
			.leftJoin(services, eq(services.id, deploys.serviceId))
			.where(eq(deploys.id, id)),
		db
			.select({ status: deployStatuses.status, raw: deployStatuses.raw, at: deployStatuses.at })
			.from(deployStatuses)
			.where(eq(deployStatuses.deployId, id))
			// Statuses only move forward, so their stage orders them even within one millisecond.
			.orderBy(asc(stage(deployStatuses.status))),
	]);
	return deploy[0] && { ...deploy[0], history };
}

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

/** `status` (a column of the deploys row in scope) is one that runs once reached; see LIVE_STATUSES. */
const runs = (status: AnyColumn | SQL) =>
	sql`${status} in (${sql.join(
		LIVE_STATUSES.map((s) => sql`${s}`),
		sql`, `,
	)})`;

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

/** The environment keys that count as production: the services list's and a service page's default. */
export const PRODUCTION: readonly string[] = ["production", "prod"];

/** A deploy as the services list shows it. */
export type DeploySummary = {
	id: string;
	environment: string;
	deployedAt: number;
	deployNumber: string;
	status: Status;
};

export type ServiceOverview = {
	/** What runs in production (an environment whose key is in PRODUCTION), as `EnvironmentState.live`. */
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
 * For each service and each production key, it seeks the latest deploy and
 * the latest live one on (service_id, environment_key, deployed_at, id), then
 * keeps the latest of each across the keys.
 */
export function serviceOverviewsStatement(db: Database, since: number) {
	const keys = sql.join(
		PRODUCTION.map((key) => sql`(${key})`),
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
 * For every service, what runs in production, any newer production attempt,
 * and how many deploys it had since `since`, in one statement: index seeks per
 * service, never a scan of deploys.
 */
export async function serviceOverviews(db: Database, since: number): Promise<Map<string, ServiceOverview>> {
	const rows = await serviceOverviewsStatement(db, since);
	return new Map(
		rows.map((row) => [
			row.service_id,
			{ production: summary(row, "live"), attempt: summary(row, "attempt"), recentDeploys: row.recent },
		]),
	);
}
