import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
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
import { type AppContext, factory } from "../factory";
import { formatDatetime } from "../http/datetime";
import { errors, isoTime, json, jsonBody } from "../http/openapi";
import { object, optional, readJson, validate } from "../http/validation";
import { atLeast } from "../model/roles";

/**
 * Where webhook URLs point, for a caller allowed to see them, else null: a URL
 * is the secret that lets a pipeline report deploys, so only admins see it.
 */
function urlOrigin(c: AppContext): string | null {
	return atLeast(c.var.actor.principal.role, "admin") ? new URL(c.req.url).origin : null;
}

function present(row: IntegrationRow, origin: string | null) {
	return {
		id: row.id,
		name: row.name,
		kind: row.kind,
		webhook_url: origin === null ? null : webhookUrl(origin, row.webhookToken, row.kind),
		created_at: formatDatetime(row.createdAt),
	};
}

const integrationSchema = z
	.object({
		id: z.string(),
		name: z.string(),
		kind: integrationKind,
		webhook_url: z.url().nullable().describe("The secret URL pipelines post to; null unless the caller is an admin"),
		created_at: isoTime,
	})
	.meta({ id: "Integration" });

const integrationDetailSchema = integrationSchema
	.extend({
		previous_webhook_urls: z
			.array(z.object({ webhook_url: z.url(), expires_at: isoTime }))
			.nullable()
			.meta({
				description:
					"Retired URLs still accepted after a rotation, until `expires_at`; null unless the caller is an admin",
			}),
	})
	.meta({ id: "IntegrationDetail" });

const rotation = optional(object({ grace_seconds: optional(graceSeconds).default(DEFAULT_GRACE_SECONDS) }));

/** An integration with the retired URLs that still work. */
async function detailed(db: Database, row: IntegrationRow, origin: string | null) {
	const previous = async (shownAt: string) =>
		(await previousWebhookTokens(db, row.id)).map((p) => ({
			webhook_url: webhookUrl(shownAt, p.token, row.kind),
			expires_at: formatDatetime(p.expiresAt),
		}));
	return { ...present(row, origin), previous_webhook_urls: origin === null ? null : await previous(origin) };
}

const tags = ["Integrations"];

export const integrationsApi = factory
	.createApp()
	.post(
		"/",
		allow("admin"),
		describeRoute({
			tags,
			summary: "Create an integration and its secret webhook URL",
			description: "`kind` (default `deploy`) names the tool that will post to it.",
			requestBody: jsonBody(newIntegration),
			responses: { 201: json("The integration", integrationSchema), ...errors(400, 401, 403) },
		}),
		async (c) => {
			const row = await createIntegration(c.var.db, validate(newIntegration, await readJson(c)), c.var.actor);
			return c.json(present(row, urlOrigin(c)), 201);
		},
	)
	.get(
		"/",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "List live integrations, newest first",
			responses: { 200: json("Integrations", z.object({ integrations: z.array(integrationSchema) })), ...errors(401) },
		}),
		async (c) => {
			const origin = urlOrigin(c);
			const rows = await liveIntegrations(c.var.db);
			return c.json({ integrations: rows.map((row) => present(row, origin)) });
		},
	)
	.get(
		"/:id",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "One live integration",
			responses: { 200: json("The integration", integrationDetailSchema), ...errors(401, 404) },
		}),
		async (c) => {
			const row = await loadIntegration(c.var.db, c.req.param("id"));
			return c.json(await detailed(c.var.db, row, urlOrigin(c)));
		},
	)
	.post(
		"/:id/rotate",
		allow("admin"),
		describeRoute({
			tags,
			summary: "Give the integration a new webhook URL; the old one keeps working for `grace_seconds`",
			description: `\`grace_seconds\` defaults to a day (86400); 0 retires the old URL at once; at most ${MAX_GRACE_SECONDS}.`,
			requestBody: jsonBody(rotation, false),
			responses: {
				200: json("The integration with its new URL", integrationDetailSchema),
				...errors(400, 401, 403, 404),
			},
		}),
		async (c) => {
			const input = validate(rotation, await readJson(c));
			const grace = (input?.grace_seconds ?? DEFAULT_GRACE_SECONDS) * 1000;
			const ledgers = { ledgers: c.env.LEDGER, meter: c.var.meter };
			const row = await rotateWebhookToken(c.var.db, ledgers, c.req.param("id"), grace, c.var.actor);
			return c.json(await detailed(c.var.db, row, urlOrigin(c)));
		},
	)
	.delete(
		"/:id",
		allow("admin"),
		describeRoute({
			tags,
			summary: "Revoke an integration: its webhook answers 404 from then on; its deploys stay",
			responses: { 204: { description: "Revoked" }, ...errors(401, 403, 404) },
		}),
		async (c) => {
			const ledgers = { ledgers: c.env.LEDGER, meter: c.var.meter };
			await revokeIntegration(c.var.db, ledgers, c.req.param("id"), c.var.actor);
			return c.body(null, 204);
		},
	);
