import { and, desc, eq, gte, isNull, lt, type SQL, sql } from "drizzle-orm";
import { LIVE_STATUSES } from "../model/status";
import type { Database } from "./client";
import { newId } from "./ids";
import { type IncidentRow, incidents } from "./incidents-schema";
import { deploys, services } from "./schema";
import { teamServiceIds } from "./teams";

// Incidents and the incident-based DORA figures (see the README's "Incidents").

/** A new incident, as the domain checked it. */
export type NewIncident = Pick<IncidentRow, "serviceId" | "environment" | "environmentKey" | "title" | "startedAt"> &
	Partial<Pick<IncidentRow, "link" | "deployId" | "resolvedAt" | "integrationId" | "externalId">>;

/** A new incident: its id and the statement for the caller's batch. */
export function insertIncident(db: Database, incident: NewIncident, now: number) {
	const id = newId(now);
	return { id, statement: db.insert(incidents).values({ ...incident, id, createdAt: now }) };
}

/** Resolves an open incident at `at`; already resolved, it is left alone (the statement changes no row). */
export const resolveStatement = (db: Database, id: string, at: number) =>
	db
		.update(incidents)
		.set({ resolvedAt: at })
		.where(and(eq(incidents.id, id), isNull(incidents.resolvedAt)));

/** The service a deploy belongs to (null for an unclaimed alias's), or undefined for no such deploy. */
export async function deployServiceId(db: Database, id: string): Promise<string | null | undefined> {
	const row = await db.select({ serviceId: deploys.serviceId }).from(deploys).where(eq(deploys.id, id)).get();
	return row?.serviceId;
}

export type Incident = IncidentRow & { serviceName: string };

const withService = (db: Database) =>
	db
		.select({ incident: incidents, serviceName: services.name })
		.from(incidents)
		.innerJoin(services, eq(services.id, incidents.serviceId));

const flat = ({ incident, serviceName }: { incident: IncidentRow; serviceName: string }): Incident => ({
	...incident,
	serviceName,
});

export async function findIncident(db: Database, id: string): Promise<Incident | undefined> {
	const row = await withService(db).where(eq(incidents.id, id)).get();
	return row && flat(row);
}

/** An alerting tool's latest incident under its dedup key: one seek on the unique index. */
export function externalIncident(db: Database, integrationId: string, externalId: string) {
	return db
		.select()
		.from(incidents)
		.where(and(eq(incidents.integrationId, integrationId), eq(incidents.externalId, externalId)))
		.orderBy(desc(incidents.startedAt))
		.limit(1)
		.get();
}

/** Which incidents a listing selects: a service's, newest first, maybe those started in `[from, to)`. */
export type IncidentFilter = { serviceId?: string; from?: number; to?: number; limit: number };

/** Incidents newest first, through the (service, started) or (started) index. */
export async function findIncidents(db: Database, { serviceId, from, to, limit }: IncidentFilter) {
	const rows = await withService(db)
		.where(
			and(
				serviceId === undefined ? undefined : eq(incidents.serviceId, serviceId),
				from === undefined ? undefined : gte(incidents.startedAt, from),
				to === undefined ? undefined : lt(incidents.startedAt, to),
			),
		)
		.orderBy(desc(incidents.startedAt), desc(incidents.id))
		.limit(limit);
	return rows.map(flat);
}

/** Whose incidents the figures count, as `MetricsFilter` names them; the window is `[from, to)`. */
export type IncidentScope = {
	serviceId?: string;
	aliasKey?: string;
	teamId?: string;
	/** An environment key. */
	environmentKey?: string;
	from: number;
	to: number;
};

/** The incidents `i` that `scope` selects, whatever their time. */
function scoped({ serviceId, aliasKey, teamId, environmentKey }: IncidentScope): SQL[] {
	// Incidents belong to services: an alias no service claims has none.
	if (aliasKey !== undefined && serviceId === undefined) return [sql`0`];
	const conditions: SQL[] = [];
	if (serviceId !== undefined) conditions.push(sql`i.service_id = ${serviceId}`);
	if (teamId !== undefined) conditions.push(sql`i.service_id in ${teamServiceIds(teamId)}`);
	if (environmentKey !== undefined) conditions.push(sql`i.environment_key = ${environmentKey}`);
	return conditions;
}

const live = sql.join(
	LIVE_STATUSES.map((s) => sql`${s}`),
	sql`, `,
);

/**
 * The deploy incident `i` blames: the one it names, else its service's latest
 * deploy that went live in its environment at or before it started, and no
 * more than `window` ms before. One seek down (service, environment,
 * deployed_at), walking back past attempts that did not go live.
 */
export const blamedDeploy = (window: number) => sql`coalesce(i.deploy_id, (select d.id from deploys d
	where d.service_id = i.service_id and d.environment_key = i.environment_key
		and d.deployed_at <= i.started_at and d.deployed_at >= i.started_at - ${window}
		and +d.status in (${live})
	order by d.deployed_at desc, d.id desc limit 1))`;

/** What `incidentStatement` answers: counts, and JSON arrays. */
export type IncidentPart = {
	incidents: number;
	open: number;
	/** Per incident started in the window, the id of the failed change it blames, or null (so ids may repeat). */
	failed_deploys: string;
	/** Each incident resolved in the window: its time to restore, ms. */
	restore_times: string;
};

/**
 * The incident-based figures of a window, one row: the incidents started in
 * it (and which of those are still open at its end), the deploys of the
 * window they blame, and the time to restore of those resolved in it. Reads
 * the window's incidents through the started and resolved indexes, and one
 * deploy seek per incident: never the deploys of the window.
 */
export function incidentStatement(db: Database, scope: IncidentScope, window: number) {
	const { from, to, environmentKey } = scope;
	const started = sql.join([sql`i.started_at >= ${from}`, sql`i.started_at < ${to}`, ...scoped(scope)], sql` and `);
	const resolved = sql.join([sql`i.resolved_at >= ${from}`, sql`i.resolved_at < ${to}`, ...scoped(scope)], sql` and `);
	// The blamed deploy counts where the deploys of the window would: in it, and in the environment asked for.
	const failedChange = sql`(select d.id from deploys d where d.id = ${blamedDeploy(window)}
		and d.deployed_at >= ${from} and d.deployed_at < ${to}
		${environmentKey === undefined ? sql`` : sql`and d.environment_key = ${environmentKey}`})`;
	// Nulls kept, and dropped by the caller: a filter on the blamed deploy would seek it twice.
	return db.all<IncidentPart>(sql`select count(*) as incidents,
			coalesce(sum(i.resolved_at is null or i.resolved_at >= ${to}), 0) as open,
			json_group_array(${failedChange}) as failed_deploys,
			(select json_group_array(i.resolved_at - i.started_at) from incidents i where ${resolved}) as restore_times
		from incidents i where ${started}`);
}

/** An incident as a deploy's marker shows it. */
export type Blame = { id: string; title: string; serviceId: string };

/**
 * The incidents that blame each of `deployIds` (a page of deploys, maybe one
 * service's), by deploy id: those naming one, by the deploy index, and those
 * started from the oldest deploy to `window` ms after the newest, by the
 * started index, each with one seek for the deploy it blames.
 */
export async function blamesOf(
	db: Database,
	deployIds: readonly string[],
	range: { oldest: number; newest: number },
	window: number,
	serviceId?: string,
): Promise<Map<string, Blame[]>> {
	const byDeploy = new Map<string, Blame[]>();
	if (deployIds.length === 0) return byDeploy;
	const ids = sql.join(
		deployIds.map((id) => sql`${id}`),
		sql`, `,
	);
	const service = serviceId === undefined ? sql`` : sql`and i.service_id = ${serviceId}`;
	const rows = await db.all<{ id: string; title: string; service_id: string; deploy_id: string | null }>(sql`
		select i.id, i.title, i.service_id, ${blamedDeploy(window)} as deploy_id from incidents i
		where (i.deploy_id in (${ids}) or (i.started_at >= ${range.oldest} and i.started_at <= ${range.newest + window})) ${service}
		order by i.started_at`);
	const shown = new Set(deployIds);
	for (const { id, title, service_id, deploy_id } of rows) {
		if (deploy_id === null || !shown.has(deploy_id)) continue;
		byDeploy.set(deploy_id, [...(byDeploy.get(deploy_id) ?? []), { id, title, serviceId: service_id }]);
	}
	return byDeploy;
}
