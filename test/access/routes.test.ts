import { inspectRoutes } from "hono/dev";
import { describe, expect, it } from "vitest";
import { type Audience, audienceOf } from "../../src/access/guard";
import app from "../../src/index";
import { ui } from "../../src/ui";

/**
 * Each route's declared audiences, keyed `METHOD path`, read from the routers
 * themselves. The UI's come from its own app: mounted, each of its handlers is
 * wrapped in its error handler, which hides the guard (it is mounted at /, so
 * the paths are the same).
 */
function declared(): Map<string, Audience[]> {
	const audiences = new Map<string, Audience[]>();
	for (const route of [...app.routes, ...ui.routes]) {
		const audience = audienceOf(route.handler);
		if (audience === undefined) continue;
		const key = `${route.method} ${route.path}`;
		audiences.set(key, [...(audiences.get(key) ?? []), audience]);
	}
	return audiences;
}

/** Every route the app answers (a handler that is not middleware), as `METHOD path`. */
const served = () => [
	...new Set(
		inspectRoutes(app)
			.filter((r) => !r.isMiddleware)
			.map((r) => `${r.method} ${r.path}`),
	),
];

describe("who may call each route", () => {
	it("is declared on every route the app serves, once", () => {
		const audiences = declared();
		const routes = served();
		expect(routes.length).toBeGreaterThan(50);
		expect(routes.filter((route) => !audiences.has(route))).toEqual([]);
		expect([...audiences].filter(([, declaredHere]) => declaredHere.length > 1)).toEqual([]);
	});

	it("opens only the webhooks (Custom Deploy, GitHub's signed events, Flux's and alerting tools' incidents), sign-in, health, the reporter script, the API reference and static assets to anyone", () => {
		const open = [...declared()].filter(([, [audience]]) => audience === "anyone").map(([route]) => route);
		expect(open.sort()).toEqual(
			[
				"GET /healthz",
				"GET /report-deploy.sh",
				"POST /integrations/deploy/:uuid",
				"GET /integrations/deploy/:uuid",
				"PUT /integrations/deploy/:uuid",
				"PATCH /integrations/deploy/:uuid",
				"DELETE /integrations/deploy/:uuid",
				"ALL /integrations/deploy/:uuid",
				"ALL /integrations/deploy/*",
				"POST /integrations/github/:uuid",
				"ALL /integrations/github/*",
				// Flux's events, the webhook's sibling: the URL's token is the credential here too.
				"POST /integrations/flux/:uuid",
				"ALL /integrations/flux/:uuid",
				"ALL /integrations/flux/*",
				"POST /integrations/incident/:uuid",
				"ALL /integrations/incident/*",
				"GET /api/openapi.json",
				"GET /api/docs",
				"GET /api/docs/viewer.js",
				"GET /login",
				"POST /login",
				"POST /logout",
				"GET /ui/style.css",
				"GET /ui/app.js",
			].sort(),
		);
	});
});
