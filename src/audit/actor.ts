import type { Context } from "hono";

/** Who is making a management change: the channel, the admin token used, and from where. */
export type Actor = { via: "api" | "ui"; credential: Credential; ip: string | null };

/** Which admin token a request proved it holds: during a rotation both work. */
export type Credential = "current" | "previous";

export const actorOf = (c: Context, via: Actor["via"], credential: Credential): Actor => ({
	via,
	credential,
	ip: c.req.header("CF-Connecting-IP") ?? null,
});
