import { z } from "zod";
import type { Actor } from "../audit/actor";
import { audited } from "../audit/log";
import { type AliasClaim, aliasClaim, moveAliasStatements, removeAliasStatements } from "../db/aliases";
import type { Service } from "../db/catalog";
import type { Database } from "../db/client";
import { ApiError, orConflict } from "../http/errors";
import { MAX_ID, object, optional, requiredText } from "../http/validation";
import { loadService } from "./services";

// Aliases move and go. Each change is one D1 batch with its audit row and a
// row numbered after the alias's last change, so of two admins changing one
// alias at once, one wins and the other gets a 409 with nothing applied.

export const moveInput = object({
	to_service_id: requiredText({ max: MAX_ID }).describe("The service that takes the alias"),
	with_deploys: optional(z.boolean({ error: "param must be a boolean" })).describe(
		"Whether the deploys already recorded under the alias go with it (default true)",
	),
});
export type MoveInput = z.infer<typeof moveInput>;

const changedMeanwhile = (alias: string) =>
	ApiError.of(409, "Alias Error", `alias '${alias}' was changed by someone else meanwhile; reload and try again`);

/** The service and its claim on `alias`, or the 404 that says which is missing. */
async function claimOf(db: Database, serviceId: string, alias: string): Promise<[Service, AliasClaim]> {
	const [service, claim] = await Promise.all([loadService(db, serviceId), aliasClaim(db, alias)]);
	if (claim?.serviceId !== service.id) {
		throw ApiError.of(404, "Alias Error", `service '${service.name}' has no alias '${alias}'`);
	}
	return [service, claim];
}

/** Takes `alias` from a service; answers the service without it. */
export async function removeAlias(db: Database, serviceId: string, alias: string, actor: Actor): Promise<Service> {
	const [service, claim] = await claimOf(db, serviceId, alias);
	const now = Date.now();
	const audit = audited(db, actor, "service.alias.remove", { type: "service", id: service.id }, { alias: claim.alias });
	await orConflict(db.batch([...removeAliasStatements(db, claim, now), audit]), changedMeanwhile(claim.alias));
	return loadService(db, service.id);
}

/** Gives `alias` to another service, with its past deploys unless told otherwise; answers the service that took it. */
export async function moveAlias(
	db: Database,
	serviceId: string,
	alias: string,
	input: MoveInput,
	actor: Actor,
): Promise<Service> {
	const [[service, claim], target] = await Promise.all([
		claimOf(db, serviceId, alias),
		loadService(db, input.to_service_id),
	]);
	if (target.id === service.id) return target;
	const withDeploys = input.with_deploys ?? true;
	const now = Date.now();
	const audit = audited(
		db,
		actor,
		"service.alias.move",
		{ type: "service", id: service.id },
		{ alias: claim.alias, to_service_id: target.id, with_deploys: withDeploys },
	);
	await orConflict(
		db.batch([...moveAliasStatements(db, claim, target.id, withDeploys, now), audit]),
		changedMeanwhile(claim.alias),
	);
	return loadService(db, target.id);
}
