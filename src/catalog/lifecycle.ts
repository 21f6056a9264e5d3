import { z } from "zod";
import type { Actor } from "../audit/actor";
import { audited } from "../audit/log";
import type { Service } from "../db/catalog";
import type { Database } from "../db/client";
import {
	aliasClaimsOf,
	archiveStatements,
	deleteStatements,
	hasDeploys,
	mergeStatements,
	type ServiceState,
	serviceStates,
} from "../db/lifecycle";
import { ApiError, orConflict } from "../http/errors";
import { MAX_ID, object, requiredText } from "../http/validation";
import { loadService, mergedAway } from "./services";

// Services merge, archive and go. Each change is one D1 batch with its audit
// row and the service's next change row (see db/lifecycle.ts), so of two
// changes racing on one service, or on one of its aliases, one wins and the
// other gets a 409 with nothing applied.

export const mergeInput = object({
	into_service_id: requiredText({ max: MAX_ID }).describe("The service that takes this one's aliases and deploys"),
});
export type MergeInput = z.infer<typeof mergeInput>;

/** `?purge_deploys=true`: the explicit confirmation that deleting a service deletes its deploys too. */
export const deleteQuery = object({
	purge_deploys: z
		.enum(["true", "false"], { error: "param must be true or false" })
		.optional()
		.describe(
			"Delete the service's deploys (and their status history) with it; without, a service with deploys is refused",
		),
});

const error = (status: 400 | 404 | 409, detail: string) => ApiError.of(status, "Service Error", detail);

const changedMeanwhile = (name: string) =>
	error(409, `service '${name}' or one of its aliases was changed by someone else meanwhile; reload and try again`);

/** The states of `ids` in one read, in that order, or the 404 or 409 that says why one cannot change. */
async function changeable<Ids extends string[]>(
	db: Database,
	ids: [...Ids],
): Promise<{ [K in keyof Ids]: ServiceState }> {
	const states = await serviceStates(db, ids);
	const found = ids.map((id) => {
		const state = states.find((s) => s.id === id);
		if (!state) throw error(404, `no service with id '${id}'`);
		if (state.mergedInto) throw mergedAway({ name: state.name, mergedInto: state.mergedInto });
		return state;
	});
	return found as { [K in keyof Ids]: ServiceState };
}

/** Merges service `id` into another; answers the service that took it in. */
export async function mergeService(db: Database, id: string, input: MergeInput, actor: Actor): Promise<Service> {
	if (input.into_service_id === id) throw error(400, "a service cannot be merged into itself");
	const [[from, into], claims] = await Promise.all([
		changeable(db, [id, input.into_service_id]),
		aliasClaimsOf(db, id),
	]);
	if (into.archivedAt !== null) {
		throw error(409, `service '${into.name}' is archived; unarchive it before merging into it`);
	}
	const now = Date.now();
	const audit = audited(
		db,
		actor,
		"service.merge",
		{ type: "service", id: from.id },
		{ name: from.name, into_service_id: into.id, into_name: into.name, aliases: claims.map((c) => c.alias) },
	);
	await orConflict(db.batch([...mergeStatements(db, from, into, claims, now), audit]), changedMeanwhile(from.name));
	return loadService(db, into.id);
}

/** Archives a service or brings it back (`archived: false`); doing what is already so changes nothing. */
export async function archiveService(db: Database, id: string, archived: boolean, actor: Actor): Promise<Service> {
	const [state] = await changeable(db, [id]);
	if ((state.archivedAt !== null) !== archived) {
		const action = archived ? "service.archive" : "service.unarchive";
		const audit = audited(db, actor, action, { type: "service", id }, { name: state.name });
		await orConflict(
			db.batch([...archiveStatements(db, state, archived, Date.now()), audit]),
			changedMeanwhile(state.name),
		);
	}
	return loadService(db, id);
}

/**
 * Deletes a service and frees its aliases. A service with deploys goes only
 * with `purge` (its deploys go with it); without, a deploy that lands while
 * this runs makes it a 409 instead.
 */
export async function deleteService(db: Database, id: string, purge: boolean, actor: Actor): Promise<void> {
	const [[state], claims, deployed] = await Promise.all([
		changeable(db, [id]),
		aliasClaimsOf(db, id),
		hasDeploys(db, id),
	]);
	if (deployed && !purge) {
		throw error(
			409,
			`service '${state.name}' has deploys; delete them with it (purge_deploys=true), or archive the service instead`,
		);
	}
	const audit = audited(
		db,
		actor,
		"service.delete",
		{ type: "service", id },
		{ name: state.name, aliases: claims.map((c) => c.alias), purge_deploys: purge },
	);
	await orConflict(
		db.batch([...deleteStatements(db, state, claims, purge, Date.now()), audit]),
		changedMeanwhile(state.name),
	);
}
