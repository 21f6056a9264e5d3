import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import {
	type ApiToken,
	apiTokenInput,
	createApiToken,
	listApiTokens,
	loadManagedApiToken,
	mayManage,
	revokeApiToken,
} from "../access/tokens";
import { audited } from "../audit/log";
import { type AppContext, factory } from "../factory";
import { formatDatetime, formatOptionalDatetime } from "../http/datetime";
import { errors, isoTime, json, jsonBody } from "../http/openapi";
import { readJson, validate } from "../http/validation";
import { ROLES } from "../model/roles";

const tokenSchema = z
	.object({
		id: z.string(),
		name: z.string(),
		role: z.enum(ROLES),
		hint: z.string().describe("The secret's last characters, to tell tokens apart"),
		created_by: z.string(),
		created_at: isoTime,
		expires_at: isoTime.nullable(),
		last_used_at: isoTime.nullable().describe("Recorded at most about once a minute"),
		revoked_at: isoTime.nullable(),
	})
	.meta({ id: "ApiToken" });

const present = (t: ApiToken): z.output<typeof tokenSchema> => ({
	id: t.id,
	name: t.name,
	role: t.role,
	hint: t.hint,
	created_by: t.createdBy,
	created_at: formatDatetime(t.createdAt),
	expires_at: formatOptionalDatetime(t.expiresAt),
	last_used_at: formatOptionalDatetime(t.lastUsedAt),
	revoked_at: formatOptionalDatetime(t.revokedAt),
});

const audit = (c: AppContext, action: string) => (token: ApiToken) => [
	audited(c.var.db, c.var.actor, action, { type: "api-token", id: token.id }, { name: token.name, role: token.role }),
];

const tags = ["API tokens"];

export const tokensApi = factory
	.createApp()
	.get(
		"/",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "API tokens, newest first: every one for an admin, your own otherwise",
			responses: { 200: json("Tokens", z.object({ tokens: z.array(tokenSchema) })), ...errors(401, 403) },
		}),
		async (c) => {
			const tokens = await listApiTokens(c.var.db);
			return c.json({ tokens: tokens.filter((t) => mayManage(c.var.actor.principal, t)).map(present) });
		},
	)
	.post(
		"/",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "Create an API token with a role no higher than your own; its secret is shown this once",
			requestBody: jsonBody(apiTokenInput),
			responses: {
				201: json("The token, with its secret", tokenSchema.extend({ secret: z.string() })),
				...errors(400, 401, 403),
			},
		}),
		async (c) => {
			const input = validate(apiTokenInput, await readJson(c));
			const wanted = { name: input.name, role: input.role, expiresAt: input.expires_at ?? null };
			const { token, secret } = await createApiToken(
				c.var.db,
				wanted,
				c.var.actor.principal,
				audit(c, "api_token.create"),
			);
			return c.json({ ...present(token), secret }, 201);
		},
	)
	.delete(
		"/:id",
		allow("viewer"),
		describeRoute({
			tags,
			summary: "Revoke an API token at once: yours, or any as an admin",
			responses: { 204: { description: "Revoked" }, ...errors(401, 403, 404) },
		}),
		async (c) => {
			const token = await loadManagedApiToken(c.var.db, c.var.actor.principal, c.req.param("id"));
			await revokeApiToken(c.var.db, token.id, audit(c, "api_token.revoke"));
			return c.body(null, 204);
		},
	);
