import { Scalar } from "@scalar/hono-api-reference";
import { type Hono, Hono as Router } from "hono";
import { describeRoute, openAPIRouteHandler } from "hono-openapi";
import type { AppEnv } from "../env";

const tags = ["Meta"];
const PUBLIC: [] = [];

const DESCRIPTION = `Receives OpsLevel-style Custom Deploy webhooks and answers questions about deploys.
Everything under /api except this document and /api/docs needs \`Authorization: Bearer <ADMIN_TOKEN>\`.`;

/**
 * The OpenAPI 3.1 document of `app`, built from the routes' own Zod schemas,
 * and an interactive reference on top of it. Public: they hold no data.
 */
export function docs(app: Hono<AppEnv>) {
	return new Router<AppEnv>()
		.get(
			"/openapi.json",
			describeRoute({
				tags,
				summary: "This OpenAPI document",
				security: PUBLIC,
				responses: { 200: { description: "The OpenAPI 3.1 document", content: { "application/json": {} } } },
			}),
			openAPIRouteHandler(app, {
				// This document's own path ends in `.json`; it is not a static file.
				excludeStaticFile: false,
				// Our 400s are described by the routes, in our own error shape.
				defaultValidationErrorResponse: false,
				documentation: {
					info: { title: "Deploy tracker", version: "1", description: DESCRIPTION },
					security: [{ admin: [] }],
					components: {
						securitySchemes: { admin: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret" } },
					},
				},
			}),
		)
		.get(
			"/docs",
			describeRoute({
				tags,
				summary: "Interactive API reference",
				security: PUBLIC,
				responses: { 200: { description: "A page that renders this document", content: { "text/html": {} } } },
			}),
			// The page loads Scalar's script from its CDN, in the reader's browser.
			Scalar({ url: "/api/openapi.json", pageTitle: "Deploy tracker API" }),
		);
}
