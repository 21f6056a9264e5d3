import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import {
	createIntegration,
	liveIntegration,
	liveIntegrations,
	revokeIntegration,
	webhookUrl,
} from "../db/integrations";
import { INTEGRATION_KINDS, type IntegrationRow } from "../db/schema";
import type { AppEnv } from "../env";
import { formatDatetime } from "../http/datetime";
import { ApiError } from "../http/errors";
import { errors, isoTime, json, jsonBody } from "../http/openapi";
import { object, optional, readJson, requiredText, validate } from "../http/validation";

const kind = z.enum(INTEGRATION_KINDS, { error: `param must be one of ${INTEGRATION_KINDS.join(", ")}` });

const newIntegration = object({
	name: requiredText({ max: 255 }),
	kind: optional(kind).default("deploy"),
});

function present(row: IntegrationRow, origin: string) {
	return {
		id: row.id,
		name: row.name,
		kind: row.kind,
		webhook_url: webhookUrl(origin, row.webhookToken),
		created_at: formatDatetime(row.createdAt),
	};
}

const integrationSchema = z
	.object({ id: z.string(), name: z.string(), kind, webhook_url: z.url(), created_at: isoTime })
	.meta({ id: "Integration" });

const tags = ["Integrations"];

const notFound = (id: string) => ApiError.of(404, "Integration Error", `no integration with id '${id}'`);

export const integrationsApi = new Hono<AppEnv>()
	.post(
		"/",
		describeRoute({
			tags,
			summary: "Create an integration and its secret webhook URL",
			description: "`kind` (default `deploy`) names the tool that will post to it.",
			requestBody: jsonBody(newIntegration),
			responses: { 201: json("The integration", integrationSchema), ...errors(400, 401) },
		}),
		async (c) => {
			const row = await createIntegration(c.var.db, validate(newIntegration, await readJson(c)));
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
			const origin = new URL(c.req.url).origin;
			const rows = await liveIntegrations(c.var.db);
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
			const row = await liveIntegration(c.var.db, id);
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
			if (!(await revokeIntegration(c.var.db, c.env.LEDGER, c.var.meter, id))) throw notFound(id);
			return c.body(null, 204);
		},
	);
