import { type Hono, Hono as Router } from "hono";
import { html } from "hono/html";
import { secureHeaders } from "hono/secure-headers";
import { describeRoute, type GenerateSpecOptions, generateSpecs } from "hono-openapi";
import { z } from "zod";
import viewerScript from "../../node_modules/@scalar/api-reference/dist/browser/standalone.js";
import { allow } from "../access/guard";
import type { AppEnv } from "../env";
import { type Asset, assetUrl, fingerprint, serveAsset } from "../http/assets";
import { BOOKMARK_HEADER } from "../http/bookmark";
import { PAGE_POLICY } from "../http/security";
import { notificationPayload } from "../notifications/payload";

const tags = ["Meta"];

/**
 * What a subscription's endpoint receives (OpenAPI 3.1 `webhooks`): the payload's JSON Schema, without its
 * own `$schema` (the document sets the dialect). Built with the document, on first use, not at every isolate's start.
 */
function webhooks() {
	const { $schema: _, ...payloadSchema }: Record<string, unknown> = z.toJSONSchema(notificationPayload, {
		target: "draft-2020-12",
	});
	return {
		"deploy-event": {
			post: {
				tags: ["Notifications"],
				summary: "A deploy event, sent to each matching subscription's endpoint",
				description:
					"Signed per Standard Webhooks: `webhook-id` (stable across retries), `webhook-timestamp`, `webhook-signature`. See the README's Notifications.",
				requestBody: { required: true, content: { "application/json": { schema: payloadSchema } } },
				responses: { "2XX": { description: "Delivered; anything else is retried with backoff" } },
				security: [],
			},
		},
	};
}
const PUBLIC: [] = [];

const DESCRIPTION = `Receives OpsLevel-style Custom Deploy webhooks and answers questions about deploys.
Everything under /api except this document and /api/docs needs \`Authorization: Bearer <ADMIN_TOKEN>\`.`;

/**
 * The viewer's settings: this document, and none of Scalar's services (web fonts, telemetry, AI agent, MCP);
 * the CSP would refuse them anyway. Its "Test Request" client calls this origin directly.
 */
const VIEWER_SETTINGS = JSON.stringify({
	url: "/api/openapi.json",
	withDefaultFonts: false,
	telemetry: false,
	agent: { disabled: true },
	mcp: { disabled: true },
});

/** The viewer: Scalar's browser bundle (pinned in package.json), served by this Worker rather than a CDN. */
let viewerVersion: string | undefined;
const viewer: Asset = {
	path: "/api/docs/viewer.js",
	// Hashed on first use: hashing 4 MB at every isolate start would slow every cold request.
	get version() {
		viewerVersion ??= fingerprint(viewerScript);
		return viewerVersion;
	},
	type: "text/javascript",
	body: viewerScript,
};

/**
 * The pages' policy, with one exception: the viewer (Vue) adds <style> elements and style attributes as it
 * renders, which no nonce or hash can cover, so styles may be inline. Scripts stay 'self' only, and with
 * images, fonts and connections limited to this origin, a style cannot send anything elsewhere.
 */
const referenceHeaders = secureHeaders({
	contentSecurityPolicy: { ...PAGE_POLICY, styleSrc: ["'self'", "'unsafe-inline'"] },
	referrerPolicy: "no-referrer",
	xFrameOptions: "DENY",
});

type Spec = Awaited<ReturnType<typeof generateSpecs>>;

const options = (): Partial<GenerateSpecOptions> => ({
	// This document's own path ends in `.json`; it is not a static file.
	excludeStaticFile: false,
	// Our 400s are described by the routes, in our own error shape.
	defaultValidationErrorResponse: false,
	documentation: {
		info: { title: "Deploy tracker", version: "1", description: DESCRIPTION },
		security: [{ admin: [] }],
		webhooks: webhooks(),
		components: {
			securitySchemes: { admin: { type: "http", scheme: "bearer", description: "The ADMIN_TOKEN secret" } },
			parameters: {
				bookmark: {
					name: BOOKMARK_HEADER,
					in: "header",
					required: false,
					schema: { type: "string", maxLength: 128 },
					description:
						"A D1 bookmark this caller received earlier: the read is served by a copy at least that new, so you see your own changes. Anything not shaped like one is ignored.",
				},
			},
			headers: {
				bookmark: {
					schema: { type: "string" },
					description: "Where in D1's history this request read or wrote; send it back on the next request.",
				},
			},
		},
	},
});

/**
 * Every management operation takes and hands back the D1 bookmark (http/bookmark.ts), which a
 * middleware of the API's, not the routes, handles: so it is added here, once, rather than to each
 * route's description. This document's own routes (tagged Meta) are served outside that API.
 */
function withBookmarks(spec: Spec): Spec {
	for (const [path, item] of Object.entries(spec.paths)) {
		if (!path.startsWith("/api/")) continue;
		for (const method of ["get", "put", "post", "delete", "patch"] as const) {
			const operation = item[method];
			if (!operation || operation.tags?.some((tag) => tags.includes(tag))) continue;
			operation.parameters = [...(operation.parameters ?? []), { $ref: "#/components/parameters/bookmark" }];
			for (const response of Object.values(operation.responses ?? {})) {
				if ("$ref" in response) continue;
				response.headers = { ...response.headers, [BOOKMARK_HEADER]: { $ref: "#/components/headers/bookmark" } };
			}
		}
	}
	return spec;
}

/**
 * The OpenAPI 3.1 document of `app`, built from the routes' own Zod schemas,
 * and an interactive reference on top of it. Public: they hold no data.
 */
export function docs(app: Hono<AppEnv>) {
	let document: Promise<Spec> | undefined;
	return new Router<AppEnv>()
		.get(
			"/openapi.json",
			allow("anyone"),
			describeRoute({
				tags,
				summary: "This OpenAPI document",
				security: PUBLIC,
				responses: { 200: { description: "The OpenAPI 3.1 document", content: { "application/json": {} } } },
			}),
			// Built on first use and kept: the routes never change while an isolate lives.
			async (c) => {
				document ??= generateSpecs(app, options(), c).then(withBookmarks);
				return c.json(await document);
			},
		)
		.get(
			"/docs",
			allow("anyone"),
			describeRoute({
				tags,
				summary: "Interactive API reference",
				security: PUBLIC,
				responses: { 200: { description: "A page that renders this document", content: { "text/html": {} } } },
			}),
			referenceHeaders,
			// Scalar's HTML API: it mounts itself before the element #api-reference, configured by its
			// data-configuration. A JSON script element runs nothing, so script-src stays 'self'.
			(c) =>
				c.html(html`<!doctype html>
<html lang="en">
	<head>
		<meta charset="utf-8" />
		<meta name="viewport" content="width=device-width, initial-scale=1" />
		<title>API reference · Deploy tracker</title>
		<link rel="icon" href="data:," />
		<script src="${assetUrl(viewer)}" defer></script>
	</head>
	<body>
		<script id="api-reference" type="application/json" data-configuration="${VIEWER_SETTINGS}"></script>
	</body>
</html>`),
		)
		.get(
			"/docs/viewer.js",
			allow("anyone"),
			describeRoute({
				tags,
				summary: "The API reference's viewer (a fingerprinted URL; cached for good)",
				security: PUBLIC,
				responses: { 200: { description: "Scalar's browser bundle", content: { "text/javascript": {} } } },
			}),
			(c) => serveAsset(c, viewer),
		);
}
