import { env } from "cloudflare:workers";
import { call, ORIGIN } from "../helpers";

/** A page as a browser would get it, without following redirects. */
export type Page = { status: number; html: string; location: string | null };

let session: Promise<string> | undefined;

/** Signs in once per test file with the admin token, answering the `session=…` cookie. */
export function signIn(): Promise<string> {
	session ??= (async () => {
		const res = await call("/login", {
			method: "POST",
			headers: { Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded" },
			body: new URLSearchParams({ token: env.ADMIN_TOKEN ?? "" }),
			redirect: "manual",
		});
		const cookie = res.headers.get("Set-Cookie")?.match(/session=[^;]+/)?.[0];
		if (res.status !== 303 || !cookie) throw new Error(`signing in answered ${res.status}`);
		return cookie;
	})();
	return session;
}

async function read(res: Response): Promise<Page> {
	return { status: res.status, html: await res.text(), location: res.headers.get("Location") };
}

/** GETs a page as the signed-in admin. */
export async function page(path: string): Promise<Page> {
	return read(await call(path, { headers: { Cookie: await signIn() }, redirect: "manual" }));
}

/** Submits a form (a POST from our own origin) as the signed-in admin. */
export async function submit(path: string, fields: Record<string, string> = {}): Promise<Page> {
	return read(
		await call(path, {
			method: "POST",
			headers: {
				Cookie: await signIn(),
				Origin: ORIGIN,
				"Content-Type": "application/x-www-form-urlencoded",
			},
			body: new URLSearchParams(fields),
			redirect: "manual",
		}),
	);
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
