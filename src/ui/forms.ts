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

/**
 * Whether a path could leave this site: it must begin with exactly one slash (`//host` and `/\host` are other
 * sites to a browser) and hold no backslash or control character (browsers drop tabs and newlines in URLs).
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it looks for
const leavesSite = (path: string) => !/^\/(?![/\\])/.test(path) || /[\u0000-\u001f\u007f\\]/.test(path);

/** Percent-decodings of a path worth checking: one that still changes after these is refused, as no real path does. */
const DECODING_ROUNDS = 3;

/** Whether `path`, or what it becomes if something downstream percent-decodes it again, could leave this site. */
function mayLeaveSite(path: string): boolean {
	let current = path;
	for (let round = 0; round <= DECODING_ROUNDS; round++) {
		if (leavesSite(current)) return true;
		// Byte by byte: every character refused is ASCII, and a malformed escape must not throw.
		const decoded = current.replace(/%([0-9a-f]{2})/gi, (_, hex: string) =>
			String.fromCharCode(Number.parseInt(hex, 16)),
		);
		if (decoded === current) return false;
		current = decoded;
	}
	return true;
}

/**
 * Where to go after signing in: `next` as a path on the site `here` belongs to (e.g. `/deploys?status=failure#x`),
 * or `/` when it might lead anywhere else, as given or once resolved (`/.//host` resolves to `//host`).
 */
export function safeNext(next: string | undefined, here: string): string {
	// Checked before parsing, which only a path on this site is sure to survive.
	if (next === undefined || mayLeaveSite(next)) return "/";
	const url = new URL(next, here);
	const path = `${url.pathname}${url.search}${url.hash}`;
	return url.origin === new URL(here).origin && !mayLeaveSite(path) ? path : "/";
}
