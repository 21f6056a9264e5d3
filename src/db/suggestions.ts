import { and, count, desc, eq, inArray, max, min, notExists } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { claimAliases, newService, type Statements } from "./catalog";
import type { Database } from "./client";
import { aliases, deploys, services, suggestionEvents, suggestions } from "./schema";

export type SuggestionState = "open" | "ignored" | "resolved";
type SuggestionAction = (typeof suggestionEvents.$inferInsert)["action"];

/** Aggregates over the deploys under each suggestion's alias: retries cannot inflate them. */
const listing = (db: Database) => {
	const lastSeen = max(deploys.receivedAt);
	return {
		lastSeen,
		query: db
			.select({
				id: suggestions.id,
				alias: suggestions.alias,
				state: suggestions.state,
				serviceId: suggestions.serviceId,
				version: suggestions.version,
				deployCount: count(deploys.id),
				firstSeenAt: min(deploys.receivedAt),
				lastSeenAt: lastSeen,
			})
			.from(suggestions)
			.leftJoin(deploys, eq(deploys.aliasKey, suggestions.aliasKey))
			.$dynamic(),
	};
};

/**
 * Suggestions in `state`, most recently seen first. An alias a service owns is
 * never suggested, even if a deploy delayed by a D1 outage recreated its row.
 */
export function listSuggestions(db: Database, state: "open" | "ignored") {
	const { query, lastSeen } = listing(db);
	return query
		.where(
			and(
				eq(suggestions.state, state),
				notExists(db.select({ key: aliases.key }).from(aliases).where(eq(aliases.key, suggestions.aliasKey))),
			),
		)
		.groupBy(suggestions.id)
		.orderBy(desc(lastSeen));
}

export type Suggestion = Awaited<ReturnType<typeof listSuggestions>>[number];

export async function findSuggestion(db: Database, id: string): Promise<Suggestion | undefined> {
	const { query } = listing(db);
	return query.where(eq(suggestions.id, id)).groupBy(suggestions.id).get();
}

/**
 * One action on one version of a suggestion, atomically. The event row goes
 * first: if another action already took this version, its primary key fails
 * and nothing of this batch is applied.
 */
function act(
	db: Database,
	suggestion: Suggestion,
	action: SuggestionAction,
	serviceId: string | null,
	rest: Statements,
	also: BatchItem<"sqlite">[],
) {
	const event = db
		.insert(suggestionEvents)
		.values({ suggestionId: suggestion.id, version: suggestion.version, action, serviceId, at: Date.now() });
	return db.batch([event, ...rest, ...also]);
}

/**
 * Accept: a new service named `name` that owns the alias. Answers the service's
 * id. `also` (here and below) joins the same batch, e.g. the audit row.
 */
export async function acceptSuggestion(
	db: Database,
	suggestion: Suggestion,
	name: string,
	also: BatchItem<"sqlite">[] = [],
): Promise<string> {
	const { id, statements } = newService(db, name, [suggestion.alias], Date.now());
	await act(db, suggestion, "accept", id, statements, also);
	return id;
}

/** Attach: the alias joins an existing service. */
export async function attachSuggestion(
	db: Database,
	suggestion: Suggestion,
	serviceId: string,
	also: BatchItem<"sqlite">[] = [],
): Promise<void> {
	await act(db, suggestion, "attach", serviceId, claimAliases(db, serviceId, [suggestion.alias], Date.now()), also);
}

/** Ignore or un-ignore: deploys keep being recorded under the alias either way. */
export async function setSuggestionIgnored(
	db: Database,
	suggestion: Suggestion,
	ignored: boolean,
	also: BatchItem<"sqlite">[] = [],
): Promise<void> {
	const update = db
		.update(suggestions)
		.set({ state: ignored ? "ignored" : "open", version: suggestion.version + 1 })
		.where(eq(suggestions.id, suggestion.id));
	await act(db, suggestion, ignored ? "ignore" : "unignore", null, [update], also);
}

/** Suggestions by id with their alias, state and the service that took them, for naming them where they are referred to. */
export function suggestionNames(db: Database, ids: string[]) {
	return db
		.select({
			id: suggestions.id,
			alias: suggestions.alias,
			state: suggestions.state,
			serviceId: suggestions.serviceId,
			serviceName: services.name,
		})
		.from(suggestions)
		.leftJoin(services, eq(services.id, suggestions.serviceId))
		.where(inArray(suggestions.id, ids));
}
