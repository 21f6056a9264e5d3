// Reference points for `npm run bench`: the smallest Workers that do what a
// deploy tracker must do, each in one design, so the project's rows can be read
// as "how close to what this design allows". A bench fixture, not product code.
//
//   GET  /healthz         (a) a bare route: the stack itself (proxy, workerd, routing)
//   POST /simple          (b) the simple design: one D1 statement per deploy
//   POST /object-then-d1  (c) a Durable Object SQLite write, then one D1 insert
//   POST /object          (d) the Durable Object write alone
//   POST /object-read     (e) a Durable Object call that only reads
//
// Every POST parses the same webhook body and answers like the project's
// webhook (202, `{"result":"ok" | "duplicate_deploy"}`), so only the design differs.

import { DurableObject } from "cloudflare:workers";

interface Env {
	DB: D1Database;
	COUNTER: DurableObjectNamespace<Counter>;
}

/** The one stream all references number deploys in, as the project's one integration does. */
const OBJECT_NAME = "bench";

/**
 * Dedup and numbering in the object's own SQLite: the number is kept in memory
 * (one object runs one request at a time) and written with the entry, so a
 * reply comes only after both are durable.
 */
export class Counter extends DurableObject<Env> {
	private last: number;

	constructor(ctx: DurableObjectState, env: Env) {
		super(ctx, env);
		const sql = ctx.storage.sql;
		sql.exec("CREATE TABLE IF NOT EXISTS entries (dedup_id TEXT PRIMARY KEY, number INTEGER NOT NULL)");
		this.last = sql.exec<{ last: number }>("SELECT coalesce(max(number), 0) AS last FROM entries").one().last;
	}

	/** The deploy's new number, or null if `dedupId` was recorded before. */
	record(dedupId: string): number | null {
		const next = this.last + 1;
		const { rowsWritten } = this.ctx.storage.sql.exec(
			"INSERT INTO entries (dedup_id, number) VALUES (?, ?) ON CONFLICT DO NOTHING",
			dedupId,
			next,
		);
		if (rowsWritten === 0) return null;
		this.last = next;
		return next;
	}

	/** The number `dedupId` was recorded under, if it was. */
	find(dedupId: string): number | null {
		const [row] = this.ctx.storage.sql
			.exec<{ number: number }>("SELECT number FROM entries WHERE dedup_id = ?", dedupId)
			.toArray();
		return row?.number ?? null;
	}
}

/** The webhook body: any JSON object with a string `dedup_id`; the rest is stored as sent. */
async function readDeploy(request: Request): Promise<{ dedupId: string; payload: string } | undefined> {
	let body: unknown;
	try {
		body = await request.json();
	} catch {
		return undefined;
	}
	if (typeof body !== "object" || body === null || !("dedup_id" in body) || typeof body.dedup_id !== "string") {
		return undefined;
	}
	return { dedupId: body.dedup_id, payload: JSON.stringify(body) };
}

const answer = (recorded: boolean) => Response.json({ result: recorded ? "ok" : "duplicate_deploy" }, { status: 202 });

/** (b): dedup on the primary key and numbering by max()+1 in one statement, atomic since D1 has one writer. */
async function simple(env: Env, dedupId: string, payload: string) {
	const { meta } = await env.DB.prepare(
		`INSERT INTO deploys (stream, dedup_id, number, payload)
		 SELECT ?1, ?2, coalesce(max(number), 0) + 1, ?3 FROM deploys WHERE stream = ?1
		 ON CONFLICT DO NOTHING`,
	)
		.bind("simple", dedupId, payload)
		.run();
	return meta.changes > 0;
}

/** (c): the object decides dedup and number; D1 gets the row the object numbered. */
async function objectThenD1(env: Env, dedupId: string, payload: string) {
	const number = await env.COUNTER.getByName(OBJECT_NAME).record(dedupId);
	if (number === null) return false;
	await env.DB.prepare("INSERT INTO deploys (stream, dedup_id, number, payload) VALUES (?, ?, ?, ?)")
		.bind("object-then-d1", dedupId, number, payload)
		.run();
	return true;
}

const designs: Record<string, (env: Env, dedupId: string, payload: string) => Promise<boolean>> = {
	"/simple": simple,
	"/object-then-d1": objectThenD1,
	"/object": async (env, dedupId) => (await env.COUNTER.getByName(OBJECT_NAME).record(dedupId)) !== null,
	"/object-read": async (env, dedupId) => (await env.COUNTER.getByName(OBJECT_NAME).find(dedupId)) === null,
};

export default {
	async fetch(request, env) {
		const { pathname } = new URL(request.url);
		if (request.method === "GET" && pathname === "/healthz") return new Response("ok");
		const design = designs[pathname];
		if (request.method !== "POST" || !design) return new Response("not found", { status: 404 });
		const deploy = await readDeploy(request);
		if (!deploy) return new Response("expected a JSON object with a string dedup_id", { status: 400 });
		return answer(await design(env, deploy.dedupId, deploy.payload));
	},
} satisfies ExportedHandler<Env>;
