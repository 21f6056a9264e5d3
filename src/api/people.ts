import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { listPeople } from "../db/people";
import { factory } from "../factory";
import { formatOptionalDatetime } from "../http/datetime";
import { errors, isoTime, json } from "../http/openapi";

const personSchema = z
	.object({
		id: z.string(),
		email: z.string(),
		name: z.string().nullable(),
		deploy_count: z.number().int(),
		last_deploy_at: isoTime.nullable(),
	})
	.meta({ id: "Person" });

export const peopleApi = factory.createApp().get(
	"/",
	allow("viewer"),
	describeRoute({
		tags: ["People"],
		summary: "Deployers by e-mail, most recently active first",
		responses: { 200: json("People", z.object({ people: z.array(personSchema) })), ...errors(401) },
	}),
	async (c) => {
		const rows = await listPeople(c.var.db);
		return c.json({
			people: rows.map((p) => ({
				id: p.id,
				email: p.email,
				name: p.name,
				deploy_count: p.deployCount,
				last_deploy_at: formatOptionalDatetime(p.lastDeployAt),
			})),
		});
	},
);
