import { z } from "zod";
import type { Actor } from "../audit/actor";
import { audited } from "../audit/log";
import {
	aliasKey,
	aliasOwners,
	claimAliases,
	findService,
	newService,
	renameStatement,
	type Service,
	serviceByName,
} from "../db/catalog";
import type { Database } from "../db/client";
import { ApiError, orConflict } from "../http/errors";
import { MAX_NAME, object, optional, requiredText } from "../http/validation";

// The catalog's rules for services, shared by the API and the UI: each either
// does what was asked or throws the ApiError that says why not.

const alias = requiredText({ max: MAX_NAME });

/** A new service: the API's body and the UI's form alike. */
export const serviceInput = object({
	name: requiredText({ max: MAX_NAME }),
	// Without aliases, a service answers to its own name.
	aliases: optional(z.array(alias, { error: "param must be an array of strings" }).max(50)),
});
export const newAlias = object({ alias });
export const rename = object({ name: requiredText({ max: MAX_NAME }) });

const conflict = (detail: string) => ApiError.of(409, "Alias Error", detail);

const nameTaken = (name: string) => ApiError.of(409, "Name Error", `a service named '${name}' already exists`);

/** A service to show: merged ones too, whose `mergedInto` the caller follows; a 404 if there is none. */
export async function readService(db: Database, id: string): Promise<Service> {
	const service = await findService(db, id);
	if (!service) throw ApiError.of(404, "Service Error", `no service with id '${id}'`);
	return service;
}

/** The refusal to change a service merged into another: it says where it went. */
export const mergedAway = ({ name, mergedInto }: { name: string; mergedInto: string }) =>
	ApiError.of(
		409,
		"Service Error",
		`service '${name}' was merged into service '${mergedInto}'; change that one instead`,
	);

/** A service to change or link to: a merged one is a 409 that says where it went. */
export async function loadService(db: Database, id: string): Promise<Service> {
	const service = await readService(db, id);
	if (service.mergedInto) throw mergedAway({ name: service.name, mergedInto: service.mergedInto });
	return service;
}

type AliasOwners = Awaited<ReturnType<typeof aliasOwners>>;

/** Of `names`, those not yet aliases; refuses any another service owns (its own are fine: claiming twice is a no-op). */
function unclaimed(owned: AliasOwners, names: string[], serviceId?: string): string[] {
	const taken = owned.find((o) => o.serviceId !== serviceId);
	if (taken) throw conflict(`alias '${taken.alias}' already belongs to service '${taken.serviceName}'`);
	const mine = new Set(owned.map((o) => aliasKey(o.alias)));
	const unique = new Map(names.map((n) => [aliasKey(n), n]));
	return [...unique].filter(([key]) => !mine.has(key)).map(([, name]) => name);
}

/** A new service; without aliases it answers to its own name. */
export async function createService(
	db: Database,
	input: { name: string; aliases?: string[] },
	actor: Actor,
): Promise<Service> {
	const wanted = input.aliases ?? [input.name];
	// Independent lookups, one round trip; a taken name is still the refusal given first.
	const [holder, owned] = await Promise.all([serviceByName(db, input.name), aliasOwners(db, wanted)]);
	if (holder) throw nameTaken(input.name);
	const names = unclaimed(owned, wanted);
	const { id, statements } = newService(db, input.name, names, Date.now());
	const audit = audited(db, actor, "service.create", { type: "service", id }, { name: input.name, aliases: names });
	await orConflict(
		db.batch([...statements, audit]),
		conflict("the service name or one of its aliases was taken meanwhile"),
	);
	return loadService(db, id);
}

/** Gives a service one more alias; `added` is false when it already had it. */
export async function addAlias(
	db: Database,
	id: string,
	alias: string,
	actor: Actor,
): Promise<{ service: Service; added: boolean }> {
	const [service, owned] = await Promise.all([loadService(db, id), aliasOwners(db, [alias])]);
	const [fresh] = unclaimed(owned, [alias], service.id);
	if (fresh === undefined) return { service, added: false };
	await orConflict(
		db.batch([
			...claimAliases(db, service.id, [fresh], Date.now()),
			audited(db, actor, "service.alias.add", { type: "service", id: service.id }, { alias: fresh }),
		]),
		conflict(`alias '${fresh}' was claimed meanwhile`),
	);
	return { service: await loadService(db, service.id), added: true };
}

/** Renames a service. Aliases stay: pipelines keep reporting under the names they know. */
export async function renameService(db: Database, id: string, name: string, actor: Actor): Promise<Service> {
	const [service, holder] = await Promise.all([loadService(db, id), serviceByName(db, name)]);
	if (service.name === name) return service;
	if (holder && holder.id !== id) throw nameTaken(name);
	const renamed = renameStatement(db, id, name);
	const audit = audited(db, actor, "service.rename", { type: "service", id }, { from: service.name, to: name });
	await orConflict(db.batch([renamed, audit]), nameTaken(name));
	return loadService(db, id);
}
