import { Hono } from "hono";
import { database } from "../db/client";
import { listSuggestions } from "../db/suggestions";
import type { AppEnv } from "../env";
import { formatDatetime } from "../http/datetime";

export const suggestionsApi = new Hono<AppEnv>().get("/", async (c) => {
	const rows = await listSuggestions(database(c.env.DB));
	return c.json({
		suggestions: rows.map((s) => ({
			id: s.id,
			alias: s.alias,
			deploy_count: s.deployCount,
			first_seen_at: s.firstSeenAt === null ? null : formatDatetime(s.firstSeenAt),
			last_seen_at: s.lastSeenAt === null ? null : formatDatetime(s.lastSeenAt),
		})),
	});
});
