import { env } from "cloudflare:workers";
import { call, fetchWithEnv, ORIGIN } from "../helpers";

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

/**
 * A page as a signed-in browser gets it: GET, or a same-origin form POST when `fields` are given; with `bindings`,
 * from the app running with those changed (e.g. an admin token removed).
 */
export function page(
	cookie: string,
	path: string,
	fields?: Record<string, string>,
	bindings?: Partial<Cloudflare.Env>,
): Promise<Response> {
	const headers = { Cookie: cookie, Accept: "text/html", ...(fields && { Origin: ORIGIN }) };
	const init: RequestInit = fields ? { method: "POST", headers, body: form(fields) } : { headers };
	return bindings ? fetchWithEnv(bindings, path, { redirect: "manual", ...init }) : browse(path, init);
}

/** A page as the tests read it. */
export type Page = { status: number; html: string; location: string | null };

let session: Promise<string> | undefined;
/** One session for a whole test file, for tests that only need to be signed in. */
const sharedSession = () => {
	session ??= signIn();
	return session;
};

async function read(res: Response): Promise<Page> {
	return { status: res.status, html: await res.text(), location: res.headers.get("Location") };
}

/** GETs a page as the signed-in admin. */
export async function view(path: string): Promise<Page> {
	return read(await page(await sharedSession(), path));
}

/** Submits a form (a POST from our own origin) as the signed-in admin. */
export async function submit(path: string, fields: Record<string, string> = {}): Promise<Page> {
	return read(await page(await sharedSession(), path, fields));
}

/** Text as the HTML shows it: `&`, `<`, `>` and quotes escaped. */
export const escaped = (text: string) =>
	text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;");

/** An attribute's value as written in HTML, unescaped (Hono escapes `&` in hrefs). */
export const unescaped = (text: string) =>
	text
		.replaceAll("&quot;", '"')
		.replaceAll("&#39;", "'")
		.replaceAll("&lt;", "<")
		.replaceAll("&gt;", ">")
		.replaceAll("&amp;", "&");
