import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";

/** The shape D1 gives a bookmark (hex groups joined by dashes). */
export const BOOKMARK = /^[0-9a-f]+(-[0-9a-f]+)+$/;

/**
 * The real D1 binding, recording where each request's session starts. With
 * `replica`, sessions that do not start at the primary read that database
 * instead: a real D1 standing for a read replica that has not caught up.
 */
export function observedDB(replica?: D1Database): { DB: D1Database; starts: (string | undefined)[] } {
	const starts: (string | undefined)[] = [];
	const DB = new Proxy(env.DB, {
		get(target, property) {
			if (property === "withSession") {
				return (start?: string) => {
					starts.push(start);
					return replica && start !== "first-primary" ? replica.withSession(start) : target.withSession(start);
				};
			}
			const value = Reflect.get(target, property);
			return typeof value === "function" ? value.bind(target) : value;
		},
	});
	return { DB, starts };
}

/**
 * A real database standing for a replica that caught up to the API token
 * `tokenId`'s creation, and to nothing after it (a revocation, say).
 */
export async function replicaHoldingToken(tokenId: string): Promise<D1Database> {
	const replica = env.LAGGING_REPLICA;
	await applyD1Migrations(replica, env.TEST_MIGRATIONS);
	const row = (await env.DB.prepare("SELECT * FROM api_tokens WHERE id = ?").bind(tokenId).first()) ?? {};
	const columns = Object.keys(row);
	await replica
		.prepare(`INSERT INTO api_tokens (${columns.join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`)
		.bind(...Object.values(row))
		.run();
	return replica;
}
