import { Scalar } from "@scalar/hono-api-reference";
import { type Hono, Hono as Router } from "hono";
import { describeRoute, openAPIRouteHandler } from "hono-openapi";
import type { AppEnv } from "../env";

/**
 * The OpenAPI 3.1 document of `app`, built from the routes' own Zod schemas,
 * and an interactive reference on top of it. Public: it holds no data.
 */
const tags = ["Meta"];

export function docs(app: Hono<AppEnv>) {
	return (
		new Router<AppEnv>()
			.get(
				"/openapi.json",
				openAPIRouteHandler(app, {
					documentation: {
						openapi: "3.1.0",
						info: {
							title: "Deploy tracker",
							version: "1",
							description:
								"Receives OpsLevel-style Custom Deploy webhooks and answers questions about deploys. Everything under /api except this document and /api/docs needs `Authorization: Bearer <ADMIN_TOKEN>`.",
						},
						security: [{ admin: [] }],
						components: {
							securitySchemes: { admin: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret" } },
						},
					},
				}),
			)
			// The reference page loads Scalar's script from its CDN in the reader's browser.
			.get(
				"/docs",
				describeRoute({
					tags,
					summary: "Interactive API reference",
					security: [],
					responses: { 200: { description: "HTML" } },
				}),
				Scalar({ url: "/api/openapi.json", pageTitle: "Deploy tracker API" }),
			)
	);
}
