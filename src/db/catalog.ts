import { and, asc, eq, inArray, isNull, ne, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { chunks, type Database } from "./client";
import { refreshStreams } from "./facts";
import { newId } from "./ids";
import { aliases, deploys, type ServiceRow, services, suggestionEvents, suggestions } from "./schema";

/** How aliases are compared: surrounding space and letter case do not matter. */
export function aliasKey(alias: string): string {
	return alias.trim().toLowerCase();
}

/** The service that owns an alias, and the keys of all its aliases (whose numbering it carries on from). */
export type AliasOwner = { serviceId: string; aliasKeys: string[] };

/** Who owns `alias` now, in one indexed read; null when nobody has claimed it. */
export async function aliasOwner(db: Database, alias: string): Promise<AliasOwner | null> {
	const siblings = db
		.select({ keys: sql<string>`json_group_array(${aliases.key})`.as("keys") })
		.from(aliases)
		.where(eq(aliases.serviceId, sql`"owner"."service_id"`));
	const row = await db
		.select({ serviceId: sql<string>`"owner"."service_id"`, keys: sql<string>`(${siblings})` })
		.from(sql`${aliases} as "owner"`)
		.where(sql`"owner"."key" = ${aliasKey(alias)}`)
		.get();
	return row ? { serviceId: row.serviceId, aliasKeys: JSON.parse(row.keys) as string[] } : null;
}

/** The service a value names, as its id or as one of its aliases, in one query. */
export async function serviceIdFor(db: Database, idOrAlias: string): Promise<string | null> {
	const row = await db
		.select({
			id: sql<string | null>`coalesce(
				(select ${services.id} from ${services} where ${services.id} = ${idOrAlias}),
				(select ${aliases.serviceId} from ${aliases} where ${aliases.key} = ${aliasKey(idOrAlias)}))`,
		})
		.from(sql`(select 1)`)
		.get();
	return row?.id ?? null;
}

export type Service = ServiceRow & { aliases: string[] };

/** Services with their aliases, all of them or those with the given ids. */
export async function findServices(db: Database, ids?: string[]): Promise<Service[]> {
	const rows = await db
		.select({ service: services, alias: aliases.alias })
		.from(services)
		.leftJoin(aliases, eq(aliases.serviceId, services.id))
		.where(ids ? inArray(services.id, ids) : undefined)
		.orderBy(asc(sql`lower(${services.name})`), asc(aliases.createdAt));
	const byId = new Map<string, Service>();
	for (const { service, alias } of rows) {
		const entry = byId.get(service.id) ?? { ...service, aliases: [] };
		if (alias !== null) entry.aliases.push(alias);
		byId.set(service.id, entry);
	}
	return [...byId.values()];
}

export async function findService(db: Database, id: string): Promise<Service | undefined> {
	return (await findServices(db, [id]))[0];
}

/** Which of `names` are aliases already, and of which service. */
export function aliasOwners(db: Database, names: string[]) {
	return db
		.select({ alias: aliases.alias, serviceId: aliases.serviceId, serviceName: services.name })
		.from(aliases)
		.innerJoin(services, eq(services.id, aliases.serviceId))
		.where(inArray(aliases.key, names.map(aliasKey)));
}

export function serviceByName(db: Database, name: string) {
	return db
		.select({ id: services.id })
		.from(services)
		.where(eq(sql`lower(${services.name})`, name.toLowerCase()))
		.get();
}

/** Renames a service: a statement for the caller's batch. */
export const renameStatement = (db: Database, id: string, name: string) =>
	db.update(services).set({ name }).where(eq(services.id, id));

/** Services' names by id, for naming them where they are referred to. */
export const serviceNames = (db: Database, ids: string[]) =>
	db.select({ id: services.id, name: services.name }).from(services).where(inArray(services.id, ids));

/** D1 binds at most 100 parameters per statement; an alias row takes 4. */
const ALIAS_ROWS_PER_INSERT = 25;

/** Statements for one D1 batch (one transaction); D1 wants at least one. */
export type Statements = [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]];

/**
 * The statements that give `names` to a service: the aliases themselves, the
 * deploys already recorded under them, and their suggestions, now resolved
 * (with an event, so an action read before this claim loses its race).
 * A name another service owns fails the batch on the aliases' primary key.
 */
export function claimAliases(db: Database, serviceId: string, names: string[], now: number): Statements {
	const keys = names.map(aliasKey);
	const unresolved = and(inArray(suggestions.aliasKey, keys), ne(suggestions.state, "resolved"));
	const rows = names.map((alias) => ({ key: aliasKey(alias), alias: alias.trim(), serviceId, createdAt: now }));
	const [first = [], ...rest] = chunks(rows, ALIAS_ROWS_PER_INSERT);
	return [
		db.insert(aliases).values(first),
		...rest.map((chunk) => db.insert(aliases).values(chunk)),
		db
			.update(deploys)
			.set({ serviceId })
			.where(and(inArray(deploys.aliasKey, keys), isNull(deploys.serviceId))),
		// Those deploys left their aliases' streams for the service's, which may have deploys already.
		...refreshStreams(db, { serviceIds: [serviceId] }),
		// Reads the current version inside the batch, so it conflicts only with an
		// accept or attach in this same batch, which already logged this version.
		db
			.insert(suggestionEvents)
			.select(
				db
					.select({
						suggestionId: suggestions.id,
						version: suggestions.version,
						action: sql<"claim">`'claim'`.as("action"),
						serviceId: sql<string>`${serviceId}`.as("service_id"),
						at: sql<number>`${now}`.as("at"),
					})
					.from(suggestions)
					.where(unresolved),
			)
			.onConflictDoNothing(),
		db
			.update(suggestions)
			.set({ state: "resolved", serviceId, version: sql`${suggestions.version} + 1` })
			.where(unresolved),
	];
}

/** A new service owning `names`; a taken name or alias fails the batch on a unique index. */
export function newService(db: Database, name: string, names: string[], now: number) {
	const id = newId(now);
	const insert = db.insert(services).values({ id, name, createdAt: now });
	const statements: Statements = names.length > 0 ? [insert, ...claimAliases(db, id, names, now)] : [insert];
	return { id, statements };
}
