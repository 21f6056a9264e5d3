import { z } from "zod";
import { checkTeam } from "../catalog/teams";
import { aliasKey, serviceIdFor } from "../db/catalog";
import type { Database } from "../db/client";
import { type DeployFilter, findDeploy, listDeploys } from "../db/deploys";
import { decodeCursor, encodeCursor } from "../http/cursor";
import { ApiError } from "../http/errors";
import { checkWindow, MAX_ID, MAX_NAME, oneOf, optional, optionalText, requiredDatetime } from "../http/validation";
import { STATUSES } from "../model/status";

// Which deploys a listing selects, shared by the API's list, its export, the
// metrics and the UI's pages, so a link means the same everywhere.

/** The filters every deploy listing takes: the list, the export and (in part) the metrics. */
export const deployFilters = {
	service: optionalText({ max: MAX_NAME }),
	/** A team's id: the deploys of the services it owns. */
	team: optionalText({ max: MAX_ID }),
	environment: optionalText({ max: MAX_NAME }),
	deployer: optionalText({ max: MAX_NAME }),
	integration: optionalText({ max: MAX_ID }),
	status: optional(oneOf(STATUSES)),
	sha: optionalText({ max: 64 }),
	from: optional(requiredDatetime()),
	to: optional(requiredDatetime()),
	q: optionalText({ max: MAX_NAME }),
};

export type Filters = z.output<z.ZodObject<typeof deployFilters>>;

/** A deploy list's keyset position: `deployed_at`, then id (see `DeployFilter.before`). */
const cursorKey = z.tuple([z.number().int(), z.string()]);

/** The keyset position a deploy list's `cursor` names: a 400 unless a page of deploys issued it. */
export function deployCursor(cursor: string | undefined): DeployFilter["before"] {
	const key = cursor ? decodeCursor(cursor, cursorKey) : undefined;
	return key && { deployedAt: key[0], id: key[1] };
}

/** One deploy with its status history, or a 404: the API's and the UI's. */
export async function loadDeploy(db: Database, id: string) {
	const found = await findDeploy(db, id);
	if (!found) throw ApiError.of(404, "Deploy Error", `no deploy with id '${id}'`);
	return found;
}

/** `service=` takes a service id or any alias; an alias of a service selects all that service's deploys. */
export async function serviceFilter(db: Database, value: string) {
	const serviceId = await serviceIdFor(db, value);
	return serviceId ? { serviceId } : { aliasKey: aliasKey(value) };
}

/** `team=` names a team by id; an unknown one is a 404, never an empty selection. */
export async function teamFilter(db: Database, teamId: string | undefined) {
	if (teamId === undefined) return {};
	await checkTeam(db, teamId);
	return { teamId };
}

/** The query's filters as the database takes them. */
export async function toFilter(db: Database, query: Filters): Promise<Omit<DeployFilter, "limit">> {
	checkWindow(query.from, query.to);
	const [service, team] = await Promise.all([
		query.service ? serviceFilter(db, query.service) : {},
		teamFilter(db, query.team),
	]);
	return {
		...service,
		...team,
		environment: query.environment,
		deployerEmail: query.deployer,
		integrationId: query.integration,
		status: query.status,
		commitSha: query.sha,
		from: query.from,
		to: query.to,
		text: query.q,
	};
}

/** One keyset page of the deploys `query` selects, after its `cursor`: the API's list and the UI's share it. */
export async function deployPage(db: Database, query: Filters & { cursor?: string }, limit: number) {
	const before = deployCursor(query.cursor);
	return deploysPage(db, { ...(await toFilter(db, query)), before }, limit);
}

/**
 * The first `limit` deploys `filter` selects, newest first, and the cursor of
 * the page after them (null on the last), for every paged list of deploys.
 */
export async function deploysPage(db: Database, filter: Omit<DeployFilter, "limit">, limit: number) {
	// One row more than shown tells whether another page follows.
	const rows = await listDeploys(db, { ...filter, limit: limit + 1 });
	const deploys = rows.slice(0, limit);
	const last = deploys.at(-1)?.deploy;
	return { deploys, nextCursor: rows.length > limit && last ? encodeCursor([last.deployedAt, last.id]) : null };
}
