import type { Context } from "hono";
import type { Principal } from "../access/principal";

/** Who is acting, through which door, and from where: what the audit log records of a change. */
export type Actor = { via: "api" | "ui"; principal: Principal; ip: string | null };

export const actorOf = (c: Context, via: Actor["via"], principal: Principal): Actor => ({
	via,
	principal,
	ip: c.req.header("CF-Connecting-IP") ?? null,
});
