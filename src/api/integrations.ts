import { describeRoute } from "hono-openapi";
import { z } from "zod";
import {
	createIntegration,
	DEFAULT_GRACE_SECONDS,
	graceSeconds,
	integrationKind,
	loadIntegration,
	MAX_GRACE_SECONDS,
	newIntegration,
	revokeIntegration,
	rotateWebhookToken,
	webhookUrl,
} from "../catalog/integrations";
import type { Database } from "../db/client";
import { liveIntegrations, previousWebhookTokens } from "../db/integrations";
import type { IntegrationRow } from "../db/schema";
import { factory } from "../factory";
import { formatDatetime } from "../http/datetime";
import { errors, isoTime, json, jsonBody } from "../http/openapi";
import { object, optional, readJson, validate } from "../http/validation";

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
	.object({ id: z.string(), name: z.string(), kind: integrationKind, webhook_url: z.url(), created_at: isoTime })
	.meta({ id: "Integration" });

const integrationDetailSchema = integrationSchema
	.extend({
		previous_webhook_urls: z
			.array(z.object({ webhook_url: z.url(), expires_at: isoTime }))
			.meta({ description: "Retired URLs still accepted after a rotation, until `expires_at`" }),
	})
	.meta({ id: "IntegrationDetail" });

const rotation = optional(object({ grace_seconds: optional(graceSeconds).default(DEFAULT_GRACE_SECONDS) }));

/** An integration with the retired URLs that still work. */
async function detailed(db: Database, row: IntegrationRow, origin: string) {
	const previous = await previousWebhookTokens(db, row.id);
	return {
		...present(row, origin),
		previous_webhook_urls: previous.map((p) => ({
			webhook_url: webhookUrl(origin, p.token),
			expires_at: formatDatetime(p.expiresAt),
		})),
	};
}

const tags = ["Integrations"];

export const integrationsApi = factory
	.createApp()
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
			const row = await createIntegration(c.var.db, validate(newIntegration, await readJson(c)), c.var.actor);
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
			responses: { 200: json("The integration", integrationDetailSchema), ...errors(401, 404) },
		}),
		async (c) => {
			const row = await loadIntegration(c.var.db, c.req.param("id"));
			return c.json(await detailed(c.var.db, row, new URL(c.req.url).origin));
		},
	)
	.post(
		"/:id/rotate",
		describeRoute({
			tags,
			summary: "Give the integration a new webhook URL; the old one keeps working for `grace_seconds`",
			description: `\`grace_seconds\` defaults to a day (86400); 0 retires the old URL at once; at most ${MAX_GRACE_SECONDS}.`,
			requestBody: jsonBody(rotation, false),
			responses: { 200: json("The integration with its new URL", integrationDetailSchema), ...errors(400, 401, 404) },
		}),
		async (c) => {
			const input = validate(rotation, await readJson(c));
			const grace = (input?.grace_seconds ?? DEFAULT_GRACE_SECONDS) * 1000;
			const ledgers = { ledgers: c.env.LEDGER, meter: c.var.meter };
			const row = await rotateWebhookToken(c.var.db, ledgers, c.req.param("id"), grace, c.var.actor);
			return c.json(await detailed(c.var.db, row, new URL(c.req.url).origin));
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
			const ledgers = { ledgers: c.env.LEDGER, meter: c.var.meter };
			await revokeIntegration(c.var.db, ledgers, c.req.param("id"), c.var.actor);
			return c.body(null, 204);
		},
	);
