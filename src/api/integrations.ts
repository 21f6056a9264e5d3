import { and, desc, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { database } from "../db/client";
import { newId } from "../db/ids";
import { type IntegrationRow, integrations } from "../db/schema";
import type { AppEnv } from "../env";
import { formatDatetime } from "../http/datetime";
import { ApiError } from "../http/errors";
import { object, readJson, requiredText, validate } from "../http/validation";

const newIntegration = object({ name: requiredText({ max: 255 }) });

function present(row: IntegrationRow, origin: string) {
	return {
		id: row.id,
		name: row.name,
		webhook_url: `${origin}/integrations/deploy/${row.webhookToken}`,
		created_at: formatDatetime(row.createdAt),
	};
}

const notFound = (id: string) => ApiError.of(404, "Integration Error", `no integration with id '${id}'`);

export const integrationsApi = new Hono<AppEnv>()
	.post("/", async (c) => {
		const { name } = validate(newIntegration, await readJson(c));
		const row: IntegrationRow = {
			id: newId(),
			name,
			webhookToken: crypto.randomUUID(),
			createdAt: Date.now(),
			revokedAt: null,
		};
		await database(c.env.DB).insert(integrations).values(row);
		return c.json(present(row, new URL(c.req.url).origin), 201);
	})
	.get("/", async (c) => {
		const rows = await database(c.env.DB)
			.select()
			.from(integrations)
			.where(isNull(integrations.revokedAt))
			.orderBy(desc(integrations.createdAt));
		const origin = new URL(c.req.url).origin;
		return c.json({ integrations: rows.map((row) => present(row, origin)) });
	})
	.get("/:id", async (c) => {
		const id = c.req.param("id");
		const row = await database(c.env.DB)
			.select()
			.from(integrations)
			.where(and(eq(integrations.id, id), isNull(integrations.revokedAt)))
			.get();
		if (!row) throw notFound(id);
		return c.json(present(row, new URL(c.req.url).origin));
	})
	.delete("/:id", async (c) => {
		const id = c.req.param("id");
		const db = database(c.env.DB);
		const row = await db
			.select({ id: integrations.id })
			.from(integrations)
			.where(and(eq(integrations.id, id), isNull(integrations.revokedAt)))
			.get();
		if (!row) throw notFound(id);
		// The ledger first: from here on no webhook can be accepted, even one already past the D1 check.
		await c.env.LEDGER.get(c.env.LEDGER.idFromName(id)).revoke();
		await db.update(integrations).set({ revokedAt: Date.now() }).where(eq(integrations.id, id));
		return c.body(null, 204);
	});
