import { and, asc, eq, gte, inArray, isNotNull, sql } from "drizzle-orm";
import type { Database, Statement } from "./client";
import { newId } from "./ids";
import { deploys, services, teams } from "./schema";

/** A team with its members and the services it owns (by name). */
export type Team = { id: string; name: string; members: string[]; createdAt: number; services: TeamService[] };
export type TeamService = { id: string; name: string };

/** The names of the teams with these ids (for a batch: the audit page names what its events were done to). */
export const teamNames = (db: Database, ids: string[]) =>
	db.select({ id: teams.id, name: teams.name }).from(teams).where(inArray(teams.id, ids));

/** Teams with their services, all of them or those with the given ids, by name. */
export async function findTeams(db: Database, ids?: string[]): Promise<Team[]> {
	const rows = await db
		// Flat and named apart: D1 answers rows by column name, so a second `id` would overwrite the team's.
		.select({
			team: teams,
			serviceId: sql<string | null>`${services.id}`.as("service_id"),
			serviceName: sql<string | null>`${services.name}`.as("service_name"),
		})
		.from(teams)
		.leftJoin(services, eq(services.teamId, teams.id))
		.where(ids ? inArray(teams.id, ids) : undefined)
		.orderBy(asc(sql`lower(${teams.name})`), asc(sql`lower(${services.name})`));
	const byId = new Map<string, Team>();
	for (const { team, serviceId, serviceName } of rows) {
		const entry = byId.get(team.id) ?? { ...team, members: JSON.parse(team.members) as string[], services: [] };
		if (serviceId !== null && serviceName !== null) entry.services.push({ id: serviceId, name: serviceName });
		byId.set(team.id, entry);
	}
	return [...byId.values()];
}

/** Whether a team with this id exists: one primary-key seek, for filters that name a team. */
export async function teamExists(db: Database, id: string): Promise<boolean> {
	return (await db.select({ id: teams.id }).from(teams).where(eq(teams.id, id)).get()) !== undefined;
}

export function teamByName(db: Database, name: string) {
	return db
		.select({ id: teams.id })
		.from(teams)
		.where(eq(sql`lower(${teams.name})`, name.toLowerCase()))
		.get();
}

/** A new team: its id and the statement for the caller's batch; a taken name fails it on the unique index. */
export function newTeam(db: Database, name: string, members: string[], now: number) {
	const id = newId(now);
	return { id, statement: db.insert(teams).values({ id, name, members: JSON.stringify(members), createdAt: now }) };
}

export const updateTeamStatement = (db: Database, id: string, change: { name?: string; members?: string[] }) =>
	db
		.update(teams)
		.set({ name: change.name, members: change.members && JSON.stringify(change.members) })
		.where(eq(teams.id, id));

/** Deleting a team: its services first become unowned (the column's foreign key wants no owner left behind). */
export const deleteTeamStatements = (db: Database, id: string): [Statement, Statement] => [
	db.update(services).set({ teamId: null }).where(eq(services.teamId, id)),
	db.delete(teams).where(eq(teams.id, id)),
];

/** Gives a service to a team, or to none: a missing team fails the batch on the foreign key. */
export const setServiceTeamStatement = (db: Database, serviceId: string, teamId: string | null) =>
	db.update(services).set({ teamId }).where(eq(services.id, serviceId));

/** The ids of the team's services, a subquery for `service_id in (…)`: read by the team index, then each service's deploys by theirs. */
export const teamServiceIds = (teamId: string) =>
	sql`(select ${services.id} from ${services} where ${services.teamId} = ${teamId})`;

/** The environment keys the team's services deployed to since `since`: the choices for its figures. */
export async function teamEnvironments(db: Database, teamId: string, since: number): Promise<string[]> {
	const rows = await db
		.selectDistinct({ key: deploys.environmentKey })
		.from(deploys)
		.where(
			and(
				inArray(deploys.serviceId, teamServiceIds(teamId)),
				isNotNull(deploys.environmentKey),
				gte(deploys.deployedAt, since),
			),
		)
		.orderBy(asc(deploys.environmentKey));
	return rows.flatMap((row) => (row.key === null ? [] : [row.key]));
}
