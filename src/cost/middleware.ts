import { createMiddleware } from "hono/factory";
import { database } from "../db/client";
import type { AppEnv } from "../env";
import { costHeader, Meter, meteredD1 } from "./meter";

/** Gives each request a metered database, and its response a `Cost` header. */
export const meterRequests = createMiddleware<AppEnv>(async (c, next) => {
	const meter = new Meter();
	c.set("meter", meter);
	c.set("db", database(meteredD1(c.env.DB, meter)));
	await next();
	c.res.headers.set("Cost", costHeader(meter.cost));
});
