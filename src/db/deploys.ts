import { and, asc, desc, eq, gte, inArray, lt, sql } from "drizzle-orm";
import { environmentKey } from "../model/environment";
import type { Status } from "../model/status";
import type { Database } from "./client";
import { aliases, deployStatuses, deploys, people, services } from "./schema";
import { stage } from "./stages";
import { teamServiceIds } from "./teams";

export type DeployFilter = {
	serviceId?: string;
	aliasKey?: string;
	/** The deploys of the services this team owns. */
	teamId?: string;
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
		f.teamId === undefined ? undefined : inArray(deploys.serviceId, teamServiceIds(f.teamId)),
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
