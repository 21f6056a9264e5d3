import { type AnyColumn, and, asc, desc, eq, gte, lt, type SQL, sql } from "drizzle-orm";
import type { LedgerEntry } from "../ledger/entry";
import { STAGE, type Status } from "../ledger/status";
import { aliasKey, type Statements } from "./catalog";
import type { Database } from "./client";
import { newId } from "./ids";
import { aliases, deployStatuses, deploys, people, services, suggestions } from "./schema";

/** A status's stage (see ledger/status.ts) as SQL, to compare statuses inside the database. */
function stage(status: SQL | AnyColumn) {
	const cases = Object.entries(STAGE).map(([name, rank]) => sql`when ${name} then ${rank}`);
	return sql`(case ${status} ${sql.join(cases, sql` `)} end)`;
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

function conditions(f: DeployFilter) {
	const like = f.text === undefined ? undefined : `%${escapeLike(f.text.toLowerCase())}%`;
	return and(
		f.serviceId === undefined ? undefined : eq(deploys.serviceId, f.serviceId),
		f.aliasKey === undefined ? undefined : eq(deploys.aliasKey, f.aliasKey),
		f.environment === undefined ? undefined : eq(deploys.environment, f.environment),
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
 * The environments a service has deploys in, each found by one index seek on
 * (service_id, environment, …): a loose index scan, so the cost follows the
 * number of environments, not of deploys. SQLite orders NULL first, hence the
 * separate check for deploys without an environment.
 */
function environmentsOf(serviceId: string) {
	return sql`(
		with recursive env(name) as (
			select (select environment from deploys
				where service_id = ${serviceId} and environment is not null order by environment limit 1)
			union all
			select (select environment from deploys
				where service_id = ${serviceId} and environment > env.name order by environment limit 1)
			from env where env.name is not null
		)
		select name as environment from env where name is not null
		union all
		select null where exists (select 1 from deploys where service_id = ${serviceId} and environment is null)
	) as environments`;
}

/**
 * What runs where: each environment's current deploy for a service, the one
 * with the latest `deployed_at` (ties: the later arrival), so a deploy that
 * arrives late with an older time never replaces it. One index seek per
 * environment on (service_id, environment, deployed_at, id).
 */
export function currentDeploys(db: Database, serviceId: string) {
	const latest = db
		.select({ id: deploys.id })
		.from(deploys)
		.where(and(eq(deploys.serviceId, serviceId), sql`${deploys.environment} is "environments"."environment"`))
		.orderBy(desc(deploys.deployedAt), desc(deploys.id))
		.limit(1);
	return db
		.select({ deploy: deploys, serviceName: services.name })
		.from(environmentsOf(serviceId))
		.innerJoin(deploys, eq(deploys.id, sql`(${latest})`))
		.leftJoin(services, eq(services.id, deploys.serviceId))
		.orderBy(sql`${deploys.environment} is null`, asc(sql`lower(${deploys.environment})`), asc(deploys.environment));
}

/** The environment names that count as production, compared lower-cased: the services list's and a service page's. */
export const PRODUCTION: readonly string[] = ["production", "prod"];

/** Every letter-case spelling of `word`: "ab" → "ab", "aB", "Ab", "AB". */
function spellings(word: string): string[] {
	return [...word].reduce<string[]>(
		(prefixes, letter) =>
			prefixes.flatMap((p) => [...new Set([`${p}${letter.toLowerCase()}`, `${p}${letter.toUpperCase()}`])]),
		[""],
	);
}

/** The half-open range `[lo, hi)` of every text that starts with `prefix`, in SQLite's binary order. */
function prefixRange(prefix: string): [string, string] {
	const last = prefix.charCodeAt(prefix.length - 1);
	return [prefix, `${prefix.slice(0, -1)}${String.fromCharCode(last + 1)}`];
}

export type ServiceOverview = {
	/** The latest deploy (by `deployed_at`, then arrival) to an environment named production or prod, any case. */
	production: { id: string; environment: string; deployedAt: number; deployNumber: string; status: Status } | null;
	/** Deploys with `deployed_at` at or after the `since` asked for. */
	recentDeploys: number;
};

type ProductionDeploy = NonNullable<ServiceOverview["production"]>;

/** A service without a production deploy comes back with that deploy's columns null (a left join). */
type OverviewRow = { service_id: string; recent: number } & (
	| { deploy_id: string; environment: string; deployed_at: number; deploy_number: string; status: Status }
	| { deploy_id: null }
);

/**
 * The statement behind `serviceOverviews`, exposed so tests can read its query plan.
 *
 * Environments are stored as sent, so "Production" and "PROD" are different
 * keys in the index. Rather than walk every environment name (preview
 * environments can make those as many as deploys), it walks only the names
 * that start with a spelling of "prod", one index range per spelling, then
 * seeks each service's latest deploy in each production name it found.
 */
export function serviceOverviewsStatement(db: Database, since: number) {
	const ranges = spellings("prod").map(prefixRange);
	const values = sql.join(
		ranges.map(([lo, hi]) => sql`(${lo}, ${hi})`),
		sql`, `,
	);
	const names = sql.join(
		PRODUCTION.map((name) => sql`${name}`),
		sql`, `,
	);
	return db.all<OverviewRow>(sql`
		with recursive
		ranges(lo, hi) as (values ${values}),
		names(name, hi) as (
			select (select environment from deploys
				where environment >= ranges.lo and environment < ranges.hi order by environment limit 1), ranges.hi
			from ranges
			union all
			select (select environment from deploys
				where environment > names.name and environment < names.hi order by environment limit 1), names.hi
			from names where names.name is not null
		),
		candidates as materialized (
			select s.id as service_id, (select d.id from deploys d
				where d.service_id = s.id and d.environment = names.name
				order by d.deployed_at desc, d.id desc limit 1) as deploy_id
			from names, services s
			where lower(names.name) in (${names})
		),
		latest as (
			select c.service_id, d.id, d.environment, d.deployed_at, d.deploy_number, d.status,
				row_number() over (partition by c.service_id order by d.deployed_at desc, d.id desc) as nth
			-- CROSS JOIN keeps the candidates outside, so each is a primary-key seek into deploys.
			from candidates c cross join deploys d on d.id = c.deploy_id
		)
		select s.id as service_id, l.id as deploy_id, l.environment, l.deployed_at, l.deploy_number, l.status,
			(select count(*) from deploys r where r.service_id = s.id and r.deployed_at >= ${since}) as recent
		from services s left join latest l on l.service_id = s.id and l.nth = 1
	`);
}

/**
 * For every service, its current production deploy and how many deploys it had
 * since `since`, in one statement: index seeks per service, never a scan of deploys.
 */
export async function serviceOverviews(db: Database, since: number): Promise<Map<string, ServiceOverview>> {
	const rows = await serviceOverviewsStatement(db, since);
	const production = (row: OverviewRow): ProductionDeploy | null =>
		row.deploy_id === null
			? null
			: {
					id: row.deploy_id,
					environment: row.environment,
					deployedAt: row.deployed_at,
					deployNumber: row.deploy_number,
					status: row.status,
				};
	return new Map(rows.map((row) => [row.service_id, { production: production(row), recentDeploys: row.recent }]));
}
