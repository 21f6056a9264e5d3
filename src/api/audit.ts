import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { AUDIT_TARGET_TYPES, auditPage, parsedDetails } from "../audit/log";
import type { AuditEventRow } from "../db/schema";
import { factory } from "../factory";
import { pageParams } from "../http/cursor";
import { formatDatetime } from "../http/datetime";
import { ApiError } from "../http/errors";
import { errors, isoTime, json, validated } from "../http/openapi";
import { MAX_ID, object, oneOf, optional, optionalText } from "../http/validation";
import { PRINCIPAL_KINDS } from "../model/roles";

const MAX_LIMIT = 200;

const query = object({
	target_type: optional(oneOf(AUDIT_TARGET_TYPES)),
	target_id: optionalText({ max: MAX_ID }),
	action: optionalText({ max: 64 }),
	...pageParams(MAX_LIMIT),
});

const eventSchema = z
	.object({
		id: z.string(),
		at: isoTime,
		via: z.enum(["api", "ui"]),
		actor: z
			.object({ kind: z.enum(PRINCIPAL_KINDS), name: z.string().nullable() })
			.describe("Who: a member's email, a token's or service token's name, or the admin token; never a secret"),
		credential: z.enum(["current", "previous"]).nullable().describe("Which admin token, when the admin token acted"),
		ip: z.string().nullable(),
		action: z.string().meta({ example: "service.rename" }),
		target: z.object({ type: z.string(), id: z.string() }),
		details: z.record(z.string(), z.unknown()).nullable(),
	})
	.meta({ id: "AuditEvent" });

function present(row: AuditEventRow): z.output<typeof eventSchema> {
	return {
		id: row.id,
		at: formatDatetime(row.at),
		via: row.via,
		actor: { kind: row.actorKind, name: row.actorName },
		credential: row.credential,
		ip: row.ip,
		action: row.action,
		target: { type: row.targetType, id: row.targetId },
		details: parsedDetails(row),
	};
}

export const auditApi = factory.createApp().get(
	"/",
	allow("viewer"),
	describeRoute({
		tags: ["Audit"],
		summary: "Management actions, newest first: who (API or UI, which admin token, from where), what and when",
		responses: {
			200: json("A page of events", z.object({ events: z.array(eventSchema), next_cursor: z.string().nullable() })),
			...errors(400, 401),
		},
	}),
	validated("query", query),
	async (c) => {
		const q = c.req.valid("query");
		if (q.target_id !== undefined && q.target_type === undefined) {
			throw ApiError.of(400, "Target id Error", "param needs target_type too: target_id");
		}
		const page = await auditPage(c.var.db, {
			target: q.target_type === undefined ? undefined : { type: q.target_type, id: q.target_id },
			action: q.action,
			cursor: q.cursor,
			limit: q.limit ?? 50,
		});
		return c.json({ events: page.events.map(present), next_cursor: page.nextCursor });
	},
);
