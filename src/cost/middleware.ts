import { database } from "../db/client";
import { factory } from "../factory";
import { carryBookmark, sessionStart } from "../http/bookmark";
import { costHeader, Meter, meteredD1 } from "./meter";

/**
 * Gives each request a metered database, and its response a `Cost` header. The
 * database is the primary: the webhook's ingest and its token check stay there.
 */
export const meterRequests = factory.createMiddleware(async (c, next) => {
	const meter = new Meter();
	c.set("meter", meter);
	const primary = database(meteredD1(c.env.DB, meter));
	c.set("primary", primary);
	c.set("db", primary);
	await next();
	c.res.headers.set("Cost", costHeader(meter.cost));
});

/**
 * For the API and the pages: `db` becomes a D1 session, whose reads a replica
 * near the caller may serve (when the database has read replication on), never
 * older than the bookmark the caller carries; changes start at the primary
 * (http/bookmark.ts). The response hands the session's bookmark on, so the
 * caller's next request sees what this one wrote. Metered like the primary.
 */
export const readNearCaller = (to: { cookie: boolean }) =>
	factory.createMiddleware(async (c, next) => {
		const session = c.env.DB.withSession(sessionStart(c));
		c.set("db", database(meteredD1(session, c.var.meter)));
		await next();
		carryBookmark(c, session.getBookmark(), to);
	});
