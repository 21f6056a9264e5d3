import { and, asc, eq, inArray, isNotNull, isNull, max, ne, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { chunks, type Database } from "./client";
import { refreshStreams } from "./facts";
import { newId } from "./ids";
import {
	aliases,
	deploys,
	type ServiceRow,
	serviceChanges,
	services,
	suggestionEvents,
	suggestions,
	teams,
} from "./schema";

/** How aliases are compared: surrounding space and letter case do not matter. */
export function aliasKey(alias: string): string {
	return alias.trim().toLowerCase();
}

/** The service that owns an alias, and the keys of all its aliases (whose numbering it carries on from). */
export type AliasOwner = { serviceId: string; aliasKeys: string[] };

/** Who owns `alias` now, in one indexed read; null when nobody has claimed it. */
export async function aliasOwner(db: Database, alias: string): Promise<AliasOwner | null> {
	return (await aliasOwnersByKey(db, [aliasKey(alias)])).get(aliasKey(alias)) ?? null;
}

/**
 * Who owns each of these alias keys now, in one query of a primary-key seek
 * per key (plus each owner's alias keys); keys nobody has claimed are absent.
 */
export async function aliasOwnersByKey(db: Database, keys: readonly string[]): Promise<Map<string, AliasOwner>> {
	const siblings = db
		.select({ keys: sql<string>`json_group_array(${aliases.key})`.as("keys") })
		.from(aliases)
		.where(eq(aliases.serviceId, sql`"owner"."service_id"`));
	const rows = await db
		.select({
			key: sql<string>`"owner"."key"`,
			serviceId: sql<string>`"owner"."service_id"`,
			keys: sql<string>`(${siblings})`,
		})
		.from(sql`${aliases} as "owner"`)
		.where(inArray(sql`"owner"."key"`, [...keys]));
	return new Map(
		rows.map((row) => [row.key, { serviceId: row.serviceId, aliasKeys: JSON.parse(row.keys) as string[] }]),
	);
}

/** The service a value names, as its id (a merged one's leads to where it went) or as one of its aliases, in one query. */
export async function serviceIdFor(db: Database, idOrAlias: string): Promise<string | null> {
	const row = await db
		.select({
			id: sql<string | null>`coalesce(
				(select coalesce(${services.mergedInto}, ${services.id}) from ${services} where ${services.id} = ${idOrAlias}),
				(select ${aliases.serviceId} from ${aliases} where ${aliases.key} = ${aliasKey(idOrAlias)}))`,
		})
		.from(sql`(select 1)`)
		.get();
	return row?.id ?? null;
}

export type Service = ServiceRow & { aliases: string[]; team: { id: string; name: string } | null };

/** Which archived services a list shows: none (the default), them too, or only them. */
export const ARCHIVED_CHOICES = ["exclude", "include", "only"] as const;
export type ArchivedChoice = (typeof ARCHIVED_CHOICES)[number];

const archivedFilter = {
	exclude: isNull(services.archivedAt),
	include: undefined,
	only: isNotNull(services.archivedAt),
} as const;

/** Which services `findServices` answers: those with `ids` whatever their state, or else the list, maybe one team's. */
export type ServiceSelection = { ids?: string[]; teamId?: string; archived?: ArchivedChoice };

/**
 * Services with their aliases and team: those with the given ids, or else the
 * list, which never shows merged services and shows archived ones as asked.
 */
export async function findServices(
	db: Database,
	{ ids, teamId, archived = "exclude" }: ServiceSelection = {},
): Promise<Service[]> {
	const rows = await db
		// Named apart: D1 answers rows by column name, and the team's `name` would overwrite the service's.
		.select({ service: services, alias: aliases.alias, teamName: sql<string | null>`${teams.name}`.as("team_name") })
		.from(services)
		.leftJoin(aliases, eq(aliases.serviceId, services.id))
		.leftJoin(teams, eq(teams.id, services.teamId))
		.where(
			ids
				? inArray(services.id, ids)
				: and(isNull(services.mergedInto), archivedFilter[archived], teamId ? eq(services.teamId, teamId) : undefined),
		)
		.orderBy(asc(sql`lower(${services.name})`), asc(aliases.createdAt));
	const byId = new Map<string, Service>();
	for (const { service, alias, teamName } of rows) {
		const team = service.teamId && teamName !== null ? { id: service.teamId, name: teamName } : null;
		const entry = byId.get(service.id) ?? { ...service, aliases: [], team };
		if (alias !== null) entry.aliases.push(alias);
		byId.set(service.id, entry);
	}
	return [...byId.values()];
}

export async function findService(db: Database, id: string): Promise<Service | undefined> {
	return (await findServices(db, { ids: [id] }))[0];
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
 * A statement that fails its batch if `serviceId` was merged into another
 * since the caller read it: it copies the service's last change row (a merge
 * always writes one), which the primary key refuses. Whatever gives a service
 * an alias carries it, so nothing lands on a merged service's tombstone.
 */
export function unmergedGuard(db: Database, serviceId: string) {
	const merged = db
		.select({ id: services.id })
		.from(services)
		.where(and(eq(services.id, serviceId), isNotNull(services.mergedInto)));
	const last = db
		.select({ version: max(serviceChanges.version) })
		.from(serviceChanges)
		.where(eq(serviceChanges.serviceId, serviceId));
	return db.insert(serviceChanges).select(
		db
			.select()
			.from(serviceChanges)
			.where(and(eq(serviceChanges.serviceId, serviceId), eq(serviceChanges.version, last), sql`exists ${merged}`)),
	);
}

/**
 * The statements that give `names` to a service: the aliases themselves, the
 * deploys already recorded under them, and their suggestions, now resolved
 * (with an event, so an action read before this claim loses its race).
 * A name another service owns fails the batch on the aliases' primary key,
 * and so does a service merged away meanwhile (see `unmergedGuard`).
 */
export function claimAliases(db: Database, serviceId: string, names: string[], now: number): Statements {
	const keys = names.map(aliasKey);
	const unresolved = and(inArray(suggestions.aliasKey, keys), ne(suggestions.state, "resolved"));
	const rows = names.map((alias) => ({ key: aliasKey(alias), alias: alias.trim(), serviceId, createdAt: now }));
	const [first = [], ...rest] = chunks(rows, ALIAS_ROWS_PER_INSERT);
	return [
		unmergedGuard(db, serviceId),
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
