import { and, desc, eq, isNull } from "drizzle-orm";
import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { newId } from "../db/ids";
import { forgetWebhookToken } from "../db/integrations";
import { type IntegrationRow, integrations } from "../db/schema";
import type { AppEnv } from "../env";
import { formatDatetime } from "../http/datetime";
import { ApiError } from "../http/errors";
import { errors, isoTime, json, jsonBody } from "../http/openapi";
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

const integrationSchema = z
	.object({ id: z.string(), name: z.string(), webhook_url: z.url(), created_at: isoTime })
	.meta({ id: "Integration" });

const tags = ["Integrations"];

const notFound = (id: string) => ApiError.of(404, "Integration Error", `no integration with id '${id}'`);

export const integrationsApi = new Hono<AppEnv>()
	.post(
		"/",
		describeRoute({
			tags,
			summary: "Create an integration and its secret webhook URL",
			requestBody: jsonBody(newIntegration),
			responses: { 201: json("The integration", integrationSchema), ...errors(400, 401) },
		}),
		async (c) => {
			const { name } = validate(newIntegration, await readJson(c));
			const row: IntegrationRow = {
				id: newId(),
				name,
				webhookToken: crypto.randomUUID(),
				createdAt: Date.now(),
				revokedAt: null,
			};
			await c.var.db.insert(integrations).values(row);
			return c.json(present(row, new URL(c.req.url).origin), 201);
		},
	)
	.get(
		"/",
		describeRoute({
			tags,
			summary: "List live integrations, newest first",
			responses: { 200: json("Integrations", z.object({ integrations: z.array(integrationSchema) })), ...errors(401) },
		}),
		async (c) => {
			const rows = await c.var.db
				.select()
				.from(integrations)
				.where(isNull(integrations.revokedAt))
				.orderBy(desc(integrations.createdAt));
			const origin = new URL(c.req.url).origin;
			return c.json({ integrations: rows.map((row) => present(row, origin)) });
		},
	)
	.get(
		"/:id",
		describeRoute({
			tags,
			summary: "One live integration",
			responses: { 200: json("The integration", integrationSchema), ...errors(401, 404) },
		}),
		async (c) => {
			const id = c.req.param("id");
			const row = await c.var.db
				.select()
				.from(integrations)
				.where(and(eq(integrations.id, id), isNull(integrations.revokedAt)))
				.get();
			if (!row) throw notFound(id);
			return c.json(present(row, new URL(c.req.url).origin));
		},
	)
	.delete(
		"/:id",
		describeRoute({
			tags,
			summary: "Revoke an integration: its webhook answers 404 from then on; its deploys stay",
			responses: { 204: { description: "Revoked" }, ...errors(401, 404) },
		}),
		async (c) => {
			const id = c.req.param("id");
			const db = c.var.db;
			const row = await db
				.select({ token: integrations.webhookToken })
				.from(integrations)
				.where(and(eq(integrations.id, id), isNull(integrations.revokedAt)))
				.get();
			if (!row) throw notFound(id);
			forgetWebhookToken(row.token);
			// The ledger first: from here on no webhook can be accepted, even one already past the D1 check.
			await c.env.LEDGER.get(c.env.LEDGER.idFromName(id)).revoke();
			c.var.meter.add({ doRequests: 1 });
			await db.update(integrations).set({ revokedAt: Date.now() }).where(eq(integrations.id, id));
			return c.body(null, 204);
		},
	);
