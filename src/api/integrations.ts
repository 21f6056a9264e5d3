import { Hono } from "hono";
import { describeRoute } from "hono-openapi";
import { z } from "zod";
import type { Database } from "../db/client";
import {
	createIntegration,
	liveIntegration,
	liveIntegrations,
	previousWebhookTokens,
	revokeIntegration,
	rotateWebhookToken,
	webhookUrl,
} from "../db/integrations";
import { INTEGRATION_KINDS, type IntegrationRow } from "../db/schema";
import type { AppEnv } from "../env";
import { formatDatetime } from "../http/datetime";
import { ApiError } from "../http/errors";
import { errors, isoTime, json, jsonBody } from "../http/openapi";
import { MAX_NAME, object, optional, readJson, requiredText, validate } from "../http/validation";

const kind = z.enum(INTEGRATION_KINDS, { error: `param must be one of ${INTEGRATION_KINDS.join(", ")}` });

const newIntegration = object({
	name: requiredText({ max: MAX_NAME }),
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

const integrationDetailSchema = integrationSchema
	.extend({
		previous_webhook_urls: z
			.array(z.object({ webhook_url: z.url(), expires_at: isoTime }))
			.meta({ description: "Retired URLs still accepted after a rotation, until `expires_at`" }),
	})
	.meta({ id: "IntegrationDetail" });

const MAX_GRACE_SECONDS = 30 * 86_400;

const rotation = optional(
	object({
		grace_seconds: optional(
			z
				.number({ error: "param must be a whole number of seconds" })
				.int({ error: "param must be a whole number of seconds" })
				.min(0, { error: `param must be between 0 and ${MAX_GRACE_SECONDS}` })
				.max(MAX_GRACE_SECONDS, { error: `param must be between 0 and ${MAX_GRACE_SECONDS}` }),
		).default(86_400),
	}),
);

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

/** The 404 for an integration that is not live: never was, or revoked. The API's and the UI's. */
export const integrationNotFound = (id: string) =>
	ApiError.of(404, "Integration Error", `no integration with id '${id}'`);

/** The live integration `id`, or its 404. */
export async function loadIntegration(db: Database, id: string): Promise<IntegrationRow> {
	const row = await liveIntegration(db, id);
	if (!row) throw integrationNotFound(id);
	return row;
}

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
			const id = c.req.param("id");
			const row = await rotateWebhookToken(
				c.var.db,
				c.env.LEDGER,
				c.var.meter,
				id,
				(input?.grace_seconds ?? 86_400) * 1000,
				c.var.actor,
			);
			if (!row) throw integrationNotFound(id);
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
			const id = c.req.param("id");
			if (!(await revokeIntegration(c.var.db, c.env.LEDGER, c.var.meter, id, c.var.actor)))
				throw integrationNotFound(id);
			return c.body(null, 204);
		},
	);
