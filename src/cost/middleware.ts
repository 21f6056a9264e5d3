import { database } from "../db/client";
import { factory } from "../factory";
import { costHeader, Meter, meteredD1 } from "./meter";

/** Gives each request a metered database, and its response a `Cost` header. */
export const meterRequests = factory.createMiddleware(async (c, next) => {
	const meter = new Meter();
	c.set("meter", meter);
	c.set("db", database(meteredD1(c.env.DB, meter)));
	await next();
	c.res.headers.set("Cost", costHeader(meter.cost));
});
