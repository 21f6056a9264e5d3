import { count, desc, eq, max } from "drizzle-orm";
import type { Database } from "./client";
import { deploys, people } from "./schema";

/** Everyone who has deployed, by e-mail, most recently active first. */
export function listPeople(db: Database) {
	const lastDeployAt = max(deploys.deployedAt);
	return db
		.select({
			id: people.id,
			email: people.email,
			name: people.name,
			deployCount: count(deploys.id),
			lastDeployAt,
		})
		.from(people)
		.leftJoin(deploys, eq(deploys.personId, people.id))
		.groupBy(people.id)
		.orderBy(desc(lastDeployAt), people.email);
}
