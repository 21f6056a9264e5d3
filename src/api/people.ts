import { Hono } from "hono";
import { database } from "../db/client";
import { listPeople } from "../db/people";
import type { AppEnv } from "../env";
import { formatDatetime } from "../http/datetime";

export const peopleApi = new Hono<AppEnv>().get("/", async (c) => {
	const rows = await listPeople(database(c.env.DB));
	return c.json({
		people: rows.map((p) => ({
			id: p.id,
			email: p.email,
			name: p.name,
			deploy_count: p.deployCount,
			last_deploy_at: p.lastDeployAt === null ? null : formatDatetime(p.lastDeployAt),
		})),
	});
});
