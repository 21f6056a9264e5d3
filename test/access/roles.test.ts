import { env } from "cloudflare:workers";
import type { Hono } from "hono";
import { inspectRoutes } from "hono/dev";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { adminPrincipal } from "../../src/access/admin-token";
import { type Audience, audienceOf } from "../../src/access/guard";
import { createApiToken } from "../../src/access/tokens";
import { api as managementApi } from "../../src/api";
import { database } from "../../src/db/client";
import { ROLES, type Role } from "../../src/model/roles";
import { ui } from "../../src/ui";
import { call, ORIGIN, unique } from "../helpers";
import { keyEndpoint } from "./fixture";
import { accessPeople, type People } from "./people";

// Every route that needs a role is called by each role just below it (refused
// with 403, nothing done) and by its own (let through: whatever it answers,
// it is not 401 or 403). Routes come from the routers themselves, so a new
// route is covered the moment it exists.

type Guarded = { method: string; path: string; role: Role };

/** The routes of `router` that need a role, with it: read from the guards their handlers carry. */
function guardedRoutes(router: Hono<any>): Guarded[] {
	const audiences = new Map<string, Audience>();
	for (const route of router.routes) {
		const audience = audienceOf(route.handler);
		if (audience !== undefined) audiences.set(`${route.method} ${route.path}`, audience);
	}
	const served = inspectRoutes(router).filter((r) => !r.isMiddleware);
	return [...new Map(served.map((r) => [`${r.method} ${r.path}`, r])).values()].flatMap(({ method, path }) => {
		const audience = audiences.get(`${method} ${path}`);
		return audience === undefined || audience === "anyone" ? [] : [{ method, path, role: audience }];
	});
}

const below = (role: Role): Role | undefined => ROLES[ROLES.indexOf(role) - 1];
/** A path with each parameter filled with an id that names nothing. */
const concrete = (path: string) => path.replace(/:[a-z]+/g, () => crypto.randomUUID());
const label = ({ method, path, role }: Guarded) => `${method} ${path} (${role})`;

describe("the API, by API token", () => {
	const secrets = {} as Record<Role, string>;
	beforeAll(async () => {
		for (const role of ROLES) {
			const made = await createApiToken(
				database(env.DB),
				{ name: unique(`${role} bot`), role, expiresAt: null },
				adminPrincipal("current"),
				() => [],
			);
			secrets[role] = made.secret;
		}
	});

	const routes = guardedRoutes(managementApi);
	const request = (route: Guarded, role: Role) =>
		call(`/api${concrete(route.path)}`, {
			method: route.method,
			headers: { Authorization: `Bearer ${secrets[role]}`, "Content-Type": "application/json" },
			...(route.method === "GET" || route.method === "DELETE" ? {} : { body: "{}" }),
		});

	it("covers every route", () => {
		expect(routes.length).toBeGreaterThan(20);
		expect(new Set(routes.map((r) => r.role))).toEqual(new Set(ROLES));
	});

	it("refuses each route to the role below its own, with 403 in the error shape", async () => {
		const answers = [];
		for (const route of routes.filter((r) => below(r.role))) {
			const res = await request(route, below(route.role) as Role);
			const body = await res.json<any>();
			answers.push([label(route), res.status, body.errors?.[0]?.title, body.errors?.[0]?.detail]);
		}
		expect(answers.filter(([, status, title]) => status !== 403 || title !== "Role Error")).toEqual([]);
	});

	it("lets each route's own role through", async () => {
		const answers = [];
		for (const route of routes) answers.push([label(route), (await request(route, route.role)).status]);
		expect(answers.filter(([, status]) => status === 401 || status === 403)).toEqual([]);
	});
});

describe("the pages, signed in through Cloudflare Access", () => {
	let people: People;
	const emails = {} as Record<Role, string>;

	beforeAll(async () => {
		keyEndpoint.listen({ onUnhandledRequest: "bypass" });
		people = await accessPeople();
		for (const role of ROLES) emails[role] = await people.member(role);
	});
	afterAll(() => keyEndpoint.close());

	const routes = guardedRoutes(ui);
	const request = (route: Guarded, role: Role) =>
		people.request(emails[role], concrete(route.path), {
			method: route.method,
			headers: {
				Accept: "text/html",
				...(route.method === "POST" && { Origin: ORIGIN, "Content-Type": "application/x-www-form-urlencoded" }),
			},
			...(route.method === "POST" && { body: "" }),
		});

	it("covers every page that needs a role", () => {
		expect(routes.length).toBeGreaterThan(20);
		expect(new Set(routes.map((r) => r.role))).toEqual(new Set(ROLES));
	});

	it("refuses each to the role below its own with a 403 page", async () => {
		const answers = [];
		for (const route of routes.filter((r) => below(r.role))) {
			const res = await request(route, below(route.role) as Role);
			answers.push([label(route), res.status, (await res.text()).includes("needs the")]);
		}
		expect(answers.filter(([, status, says]) => status !== 403 || !says)).toEqual([]);
	});

	it("lets each page's own role through", async () => {
		const answers = [];
		for (const route of routes) answers.push([label(route), (await request(route, route.role)).status]);
		expect(answers.filter(([, status]) => status === 401 || status === 403)).toEqual([]);
	});
});
