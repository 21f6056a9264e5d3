import { and, count, desc, eq, isNull, max, min } from "drizzle-orm";
import type { Database } from "./client";
import { deploys, suggestions } from "./schema";

/**
 * Suggestions with unmatched deploys, most recently seen first. Counts come from
 * the deploys themselves, so a retried write cannot inflate them.
 */
export function listSuggestions(db: Database) {
	const lastSeen = max(deploys.receivedAt);
	return db
		.select({
			id: suggestions.id,
			alias: suggestions.alias,
			deployCount: count(deploys.id),
			firstSeenAt: min(deploys.receivedAt),
			lastSeenAt: lastSeen,
		})
		.from(suggestions)
		.innerJoin(deploys, and(eq(deploys.aliasKey, suggestions.aliasKey), isNull(deploys.serviceId)))
		.groupBy(suggestions.id)
		.orderBy(desc(lastSeen));
}
