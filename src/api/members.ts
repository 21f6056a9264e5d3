import { describeRoute } from "hono-openapi";
import { z } from "zod";
import { allow } from "../access/guard";
import { teamSettings } from "../access/identify";
import { listMembers, memberInput, removeMember, role, setMemberRole } from "../access/members";
import { audited } from "../audit/log";
import { type AppContext, factory } from "../factory";
import { formatOptionalDatetime } from "../http/datetime";
import { errors, isoTime, json, jsonBody } from "../http/openapi";
import { readJson, validate } from "../http/validation";

const memberSchema = z
	.object({
		email: z.string().describe("An email, or an Access service token's client id"),
		role,
		source: z.enum(["configuration", "members"]).describe("`configuration`: an admin through ACCESS_ADMINS"),
		updated_at: isoTime.nullable(),
	})
	.meta({ id: "Member" });

const membership = (c: AppContext) => teamSettings(c.env).membership;
const auditAs = (c: AppContext, action: string) => (change: { email: string; role: string }) => [
	audited(c.var.db, c.var.actor, action, { type: "member", id: change.email }, { role: change.role }),
];

const tags = ["Members"];

/** Who may use the tracker behind Cloudflare Access, and as what: admins only. */
export const membersApi = factory
	.createApp()
	.get(
		"/",
		allow("admin"),
		describeRoute({
			tags,
			summary: "Members and their roles; people Access signs in who are not listed get ACCESS_DEFAULT_ROLE",
			responses: { 200: json("Members", z.object({ members: z.array(memberSchema) })), ...errors(401, 403) },
		}),
		async (c) => {
			const members = await listMembers(c.var.db, membership(c));
			return c.json({
				members: members.map((m) => ({
					email: m.email,
					role: m.role,
					source: m.source,
					updated_at: m.source === "members" ? formatOptionalDatetime(m.updatedAt) : null,
				})),
			});
		},
	)
	.put(
		"/",
		allow("admin"),
		describeRoute({
			tags,
			summary: "Add a member, or change a member's role",
			requestBody: jsonBody(memberInput),
			responses: { 200: json("The member", memberSchema), ...errors(400, 401, 403, 409) },
		}),
		async (c) => {
			const input = validate(memberInput, await readJson(c));
			const row = await setMemberRole(c.var.db, membership(c), input.email, input.role, auditAs(c, "member.set"));
			return c.json({
				email: row.email,
				role: row.role,
				source: "members",
				updated_at: formatOptionalDatetime(row.updatedAt),
			});
		},
	)
	.delete(
		"/:email",
		allow("admin"),
		describeRoute({
			tags,
			summary: "Remove a member: they fall back to ACCESS_DEFAULT_ROLE, and so do their API tokens",
			responses: { 204: { description: "Removed" }, ...errors(401, 403, 404, 409) },
		}),
		async (c) => {
			await removeMember(c.var.db, membership(c), c.req.param("email"), auditAs(c, "member.remove"));
			return c.body(null, 204);
		},
	);
