import { env } from "cloudflare:workers";
import { call, ORIGIN } from "../helpers";

export const form = (fields: Record<string, string>) => new URLSearchParams(fields);

/**
 * A request as a browser page makes it, but showing redirects instead of
 * following them (the Worker's fetch would follow them, like fetch does).
 */
export const browse = (path: string, init: RequestInit = {}) => call(path, { redirect: "manual", ...init });

/** A browser's session cookie after signing in with the admin token. */
export async function signIn(token = env.ADMIN_TOKEN ?? ""): Promise<string> {
	const res = await browse("/login", { method: "POST", headers: { Origin: ORIGIN }, body: form({ token }) });
	const cookie = /session=[^;]+/.exec(res.headers.get("Set-Cookie") ?? "")?.[0];
	if (res.status !== 303 || !cookie) throw new Error(`signing in answered ${res.status}`);
	return cookie;
}

/** A page as a signed-in browser gets it: GET, or a same-origin form POST when `fields` are given. */
export function page(cookie: string, path: string, fields?: Record<string, string>): Promise<Response> {
	const headers = { Cookie: cookie, Accept: "text/html", ...(fields && { Origin: ORIGIN }) };
	return browse(path, fields ? { method: "POST", headers, body: form(fields) } : { headers });
}
