import { env } from "cloudflare:workers";
import type { JWTPayload } from "jose";
import { setMemberRole } from "../../src/access/members";
import { database } from "../../src/db/client";
import type { Role } from "../../src/model/roles";
import { fetchWithEnv, ORIGIN } from "../helpers";
import { AUD, sign, signingKey, team } from "./fixture";

/**
 * People signed in through a pretend Cloudflare Access team, using the whole
 * app as Access forwards their requests. The team's keys are served through
 * `keyEndpoint` (fixture.ts): the test file starts and stops it.
 */
export interface People {
	/** The Worker variables that put the app behind this team: not members get nothing unless `extra` says otherwise. */
	bindings(extra?: Partial<Cloudflare.Env>): Partial<Cloudflare.Env>;
	/** Access's assertion for `email`, valid now for an hour unless `claims` say otherwise. */
	assertion(email: string, claims?: JWTPayload): Promise<string>;
	/** A new person with `role`, added as a member straight in D1. */
	member(role: Role): Promise<string>;
	/** A request from `email` as Access forwards it, redirects shown rather than followed. */
	request(email: string, path: string, init?: RequestInit, extra?: Partial<Cloudflare.Env>): Promise<Response>;
	/** A page as `email`'s browser gets it: GET, or a same-origin form POST of `fields`. */
	page(email: string, path: string, fields?: Record<string, string>, extra?: Partial<Cloudflare.Env>): Promise<Seen>;
}

export type Seen = { status: number; html: string; location: string | null; cacheControl: string | null };

const HOUR_S = 3600;

export async function accessPeople(): Promise<People> {
	const key = await signingKey("people");
	const teamName = team(key).name;
	const bindings = (extra: Partial<Cloudflare.Env> = {}) => ({
		ACCESS_TEAM_DOMAIN: teamName,
		ACCESS_AUD: AUD,
		ACCESS_DEFAULT_ROLE: "none",
		...extra,
	});
	const assertion = (email: string, claims: JWTPayload = {}) => {
		const now = Math.floor(Date.now() / 1000);
		const iss = `https://${teamName}.cloudflareaccess.com`;
		return sign(key, { iss, aud: [AUD], email, iat: now, nbf: now, exp: now + HOUR_S, ...claims });
	};
	const request: People["request"] = async (email, path, init = {}, extra = {}) => {
		const headers = new Headers(init.headers);
		headers.set("Cf-Access-Jwt-Assertion", await assertion(email));
		return fetchWithEnv(bindings(extra), path, { redirect: "manual", ...init, headers });
	};
	return {
		bindings,
		assertion,
		request,
		async member(role) {
			const email = `${role}-${crypto.randomUUID()}@example.com`;
			await setMemberRole(database(env.DB), { admins: "", defaultRole: "none" }, email, role, () => []);
			return email;
		},
		async page(email, path, fields, extra) {
			const init: RequestInit = fields
				? { method: "POST", headers: { Accept: "text/html", Origin: ORIGIN }, body: new URLSearchParams(fields) }
				: { headers: { Accept: "text/html" } };
			const res = await request(email, path, init, extra);
			return {
				status: res.status,
				html: await res.text(),
				location: res.headers.get("Location"),
				cacheControl: res.headers.get("Cache-Control"),
			};
		},
	};
}
