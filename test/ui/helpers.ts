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
export type ViewedPage = { status: number; html: string; location: string | null };

let session: Promise<string> | undefined;
/** One session for a whole test file, for tests that only need to be signed in. */
const sharedSession = () => {
	session ??= signIn();
	return session;
};

async function read(res: Response): Promise<ViewedPage> {
	return { status: res.status, html: await res.text(), location: res.headers.get("Location") };
}

/** GETs a page as the signed-in admin. */
export async function view(path: string): Promise<ViewedPage> {
	return read(await page(await sharedSession(), path));
}

/** Submits a form (a POST from our own origin) as the signed-in admin. */
export async function submit(path: string, fields: Record<string, string> = {}): Promise<ViewedPage> {
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

// Reading pages. Each finder throws, naming what it looked for, when the page lacks it: a failure then says
// what is missing rather than surfacing later as an empty string or an undefined.

/** Each table row (`<tr>` to `</tr>`) of `html` that mentions `text`. */
export const rowsMentioning = (html: string, text: string) =>
	[...html.matchAll(/<tr(?:\s[^>]*)?>[\s\S]*?<\/tr>/g)].map((m) => m[0]).filter((row) => row.includes(text));

/** The one table row that mentions `text`. */
export function rowOf(html: string, text: string): string {
	const rows = rowsMentioning(html, text);
	if (rows.length !== 1) throw new Error(`expected one table row mentioning ${text}, found ${rows.length}`);
	return rows[0] as string;
}

/** The text of each cell of a row, as the browser shows it: tags dropped, entities decoded, spacing trimmed. */
export const cells = (row: string) =>
	[...row.matchAll(/<td[^>]*>([\s\S]*?)<\/td>/g)].map((m) => unescaped((m[1] ?? "").replace(/<[^>]+>/g, "")).trim());

/** The part of a page under the `<h2>` titled `title`, up to the next `<h2>`. */
export function section(html: string, title: string): string {
	const start = html.search(new RegExp(`<h2[^>]*>${title}</h2>`));
	if (start < 0) throw new Error(`no section titled ${title}`);
	const end = html.indexOf("<h2", start + 1);
	return html.slice(start, end < 0 ? undefined : end);
}

/** How many times `part` occurs in `text`. */
export const count = (text: string, part: string) => text.split(part).length - 1;
