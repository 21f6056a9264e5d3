import type { Context } from "hono";
import { ApiError } from "../http/errors";

/** A submitted form's text fields (files are not part of any form here). */
export async function readForm(c: Context): Promise<Record<string, string>> {
	const body = await c.req.parseBody();
	return Object.fromEntries(Object.entries(body).filter((e): e is [string, string] => typeof e[1] === "string"));
}

/** Aliases typed one per line or separated by commas. */
export const splitList = (text: string | undefined) =>
	(text ?? "")
		.split(/[\n,]/)
		.map((s) => s.trim())
		.filter(Boolean);

/**
 * Runs a form's action: its result, or the ApiError that refused it so the
 * form can be shown again with the reason. Anything else is a real fault.
 */
export async function attempt<T>(
	work: () => Promise<T>,
): Promise<{ ok: true; value: T } | { ok: false; error: ApiError }> {
	try {
		return { ok: true, value: await work() };
	} catch (error) {
		if (error instanceof ApiError) return { ok: false, error };
		throw error;
	}
}

/** What a redirect after a change asks the next page to confirm (`?done=key`): a fixed text from `notices`, never echoed input. */
export function doneNotice(c: Context, notices: Readonly<Record<string, string>>): string | undefined {
	const key = c.req.query("done");
	return key !== undefined && Object.hasOwn(notices, key) ? notices[key] : undefined;
}

/** A `next` parameter that stays on this site: a path, not `//elsewhere` or a full URL. */
export function localPath(next: string | undefined, fallback = "/"): string {
	return next && /^\/(?![/\\])/.test(next) ? next : fallback;
}
