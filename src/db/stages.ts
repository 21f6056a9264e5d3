import { type AnyColumn, type SQL, sql } from "drizzle-orm";
import { LIVE_STATUSES, STAGE } from "../model/status";

// Statuses compared inside the database, by the rules of model/status.ts.

/** A status's stage (see model/status.ts) as SQL, to compare statuses inside the database. */
export function stage(status: SQL | AnyColumn) {
	const cases = Object.entries(STAGE).map(([name, rank]) => sql`when ${name} then ${rank}`);
	return sql`(case ${status} ${sql.join(cases, sql` `)} end)`;
}

/** `status` (a column of the deploys row in scope) is one that runs once reached; see LIVE_STATUSES. */
export const runs = (status: AnyColumn | SQL) =>
	sql`${status} in (${sql.join(
		LIVE_STATUSES.map((s) => sql`${s}`),
		sql`, `,
	)})`;
