import { z } from "zod";
import { email } from "../access/members";
import type { Actor } from "../audit/actor";
import { audited } from "../audit/log";
import type { Service } from "../db/catalog";
import type { Database } from "../db/client";
import {
	deleteTeamStatements,
	findTeams,
	newTeam,
	setServiceTeamStatement,
	type Team,
	teamByName,
	teamExists,
	updateTeamStatement,
} from "../db/teams";
import { ApiError, orConflict } from "../http/errors";
import { MAX_ID, MAX_NAME, object, optional, requiredText } from "../http/validation";
import { loadService } from "./services";

// Teams own services. Each change is one D1 batch with its audit row; a name
// is unique ignoring letter case, so of two creations racing one gets a 409.

/** The most members a team lists: any real team, few enough to show on one page. */
export const MAX_TEAM_MEMBERS = 100;

/** Members as emails, trimmed and lower-cased like team access's, each once, in the order given. */
const members = z
	.array(email, { error: "param must be an array of strings" })
	.max(MAX_TEAM_MEMBERS, { error: `param lists more than ${MAX_TEAM_MEMBERS} members` })
	.transform((list) => [...new Set(list)]);

const name = requiredText({ max: MAX_NAME });

/** A new team: the API's body and the UI's form alike. */
export const teamInput = object({ name, members: optional(members) });
/** A change to a team: a new name, a new list of members, or both. */
export const teamChange = object({ name: optional(name), members: optional(members) });
/** Which team owns a service; null for none. */
export const ownerInput = object({
	team_id: z
		.preprocess((v) => (v === "" ? null : v), requiredText({ max: MAX_ID }).nullable())
		.describe("The team that owns the service, or null for none"),
});

const nameTaken = (taken: string) => ApiError.of(409, "Name Error", `a team named '${taken}' already exists`);
const noTeam = (id: string) => ApiError.of(404, "Team Error", `no team with id '${id}'`);

export async function loadTeam(db: Database, id: string): Promise<Team> {
	const [team] = await findTeams(db, [id]);
	if (!team) throw noTeam(id);
	return team;
}

/** Refuses a filter naming a team that does not exist: an unknown id must not read as an empty selection. */
export async function checkTeam(db: Database, id: string): Promise<void> {
	if (!(await teamExists(db, id))) throw noTeam(id);
}

export async function createTeam(db: Database, input: z.output<typeof teamInput>, actor: Actor): Promise<Team> {
	if (await teamByName(db, input.name)) throw nameTaken(input.name);
	const list = input.members ?? [];
	const { id, statement } = newTeam(db, input.name, list, Date.now());
	const audit = audited(db, actor, "team.create", { type: "team", id }, { name: input.name, members: list });
	await orConflict(db.batch([statement, audit]), nameTaken(input.name));
	return loadTeam(db, id);
}

/** Renames a team or replaces its members; a change to nothing writes nothing. */
export async function updateTeam(
	db: Database,
	id: string,
	change: z.output<typeof teamChange>,
	actor: Actor,
): Promise<Team> {
	const [team, holder] = await Promise.all([loadTeam(db, id), change.name ? teamByName(db, change.name) : undefined]);
	if (holder && holder.id !== id && change.name) throw nameTaken(change.name);
	const renamed = change.name !== undefined && change.name !== team.name;
	const regrouped = change.members !== undefined && change.members.join() !== team.members.join();
	if (!renamed && !regrouped) return team;
	const details = {
		...(renamed ? { from: team.name, to: change.name } : {}),
		...(regrouped ? { members: change.members, previous_members: team.members } : {}),
	};
	const update = updateTeamStatement(db, id, {
		name: renamed ? change.name : undefined,
		members: regrouped ? change.members : undefined,
	});
	await orConflict(
		db.batch([update, audited(db, actor, "team.update", { type: "team", id }, details)]),
		nameTaken(change.name ?? team.name),
	);
	return loadTeam(db, id);
}

/** Deletes a team; the services it owned stay, unowned (the audit row names them). */
export async function deleteTeam(db: Database, id: string, actor: Actor): Promise<void> {
	const team = await loadTeam(db, id);
	const details = { name: team.name, services: team.services.map((s) => s.id) };
	await db.batch([...deleteTeamStatements(db, id), audited(db, actor, "team.delete", { type: "team", id }, details)]);
}

/** True for a D1 write refused by a foreign key: what it names was deleted meanwhile. */
const isForeignKeyViolation = (error: unknown) =>
	error instanceof Error && `${error.message} ${error.cause}`.includes("FOREIGN KEY constraint failed");

/** Gives a service to a team, or to none (`teamId` null); answers the service as it is now. */
export async function setServiceTeam(
	db: Database,
	serviceId: string,
	teamId: string | null,
	actor: Actor,
): Promise<Service> {
	const [service] = await Promise.all([loadService(db, serviceId), teamId ? checkTeam(db, teamId) : undefined]);
	const previous = service.team?.id ?? null;
	if (previous === teamId) return service;
	const audit = audited(
		db,
		actor,
		"service.team",
		{ type: "service", id: service.id },
		{ team_id: teamId, previous_team_id: previous },
	);
	try {
		await db.batch([setServiceTeamStatement(db, service.id, teamId), audit]);
	} catch (error) {
		// The team was deleted between the check and the write.
		if (teamId && isForeignKeyViolation(error)) throw noTeam(teamId);
		throw error;
	}
	return loadService(db, service.id);
}
