import "@hyperjump/json-schema/formats";
import {
	type OutputUnit,
	registerSchema,
	type SchemaObject,
	setShouldValidateFormat,
	unregisterSchema,
	validate,
} from "@hyperjump/json-schema/openapi-3-1";
import { inspectRoutes } from "hono/dev";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import app from "../../src/index";
import { ui } from "../../src/ui";
import { ADMIN, acceptedDeploy, admin, api, call, examplePayload, unique } from "../helpers";

type Operation = {
	security?: unknown[];
	requestBody?: any;
	parameters?: any[];
	responses?: Record<string, { content?: Record<string, { schema?: unknown }>; headers?: Record<string, unknown> }>;
};
type Document = { openapi: string; paths: Record<string, Record<string, Operation>> };

async function document(): Promise<Document> {
	const response = await call("/api/openapi.json");
	expect(response.status).toBe(200);
	return (await response.json()) as Document;
}

/** Hono's `/deploys/:id` is OpenAPI's `/deploys/{id}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

/** The OpenAPI 3.1 meta-schema that also checks every Schema Object against the 3.1 dialect (not just "an object"). */
const OAS_3_1 = "https://spec.openapis.org/oas/3.1/schema-base";

/** The document as the validator's JSON type, which it is: it was parsed from JSON. */
const asJson = (document: Document) => document as unknown as SchemaObject;

/** A validator's failures, one readable line each: where in the instance, and which keyword of which schema. */
const failures = (units: OutputUnit[] = []) =>
	units.map((unit) => `${unit.instanceLocation} fails ${unit.absoluteKeywordLocation}`);

describe("the OpenAPI document", () => {
	it("is OpenAPI 3.1 and public", async () => {
		expect((await document()).openapi).toBe("3.1.0");
	});

	it("is valid against the OpenAPI 3.1 schema, its Schema Objects against the 3.1 dialect", async () => {
		const output = await validate(OAS_3_1, asJson(await document()), "BASIC");

		expect(failures(output.valid ? [] : output.errors)).toEqual([]);
	});

	it("declares the webhook's 405 for the methods clients try instead of POST", async () => {
		const operations = (await document()).paths["/integrations/deploy/{uuid}"] ?? {};
		const refusing = Object.entries(operations).filter(([, operation]) => operation.responses?.["405"]);

		expect(refusing.map(([method]) => method)).toEqual(["get", "put", "patch", "delete"]);
	});

	it("describes every route the app serves, except the web UI's pages", async () => {
		const { paths } = await document();
		const pages = new Set(inspectRoutes(ui).map((route) => `${route.method} ${route.path}`));
		// A wildcard is a fallback answer (the webhook's 404 for paths that are no webhook URL), not an operation.
		const served = inspectRoutes(app).filter(
			(route) => !route.isMiddleware && !route.path.endsWith("*") && !pages.has(`${route.method} ${route.path}`),
		);
		expect(served.length).toBeGreaterThan(10);
		const missing = served.filter((route) => {
			const operations = paths[openApiPath(route.path)];
			return !operations || (route.method !== "ALL" && !operations[route.method.toLowerCase()]);
		});
		expect(missing.map((r) => `${r.method} ${r.path}`)).toEqual([]);
	});

	it("describes the D1 bookmark header on every management operation, taken and handed back, and on nothing else", async () => {
		const { paths } = await document();
		const bookmark = { $ref: "#/components/parameters/bookmark" };
		const described = Object.entries(paths).flatMap(([path, operations]) =>
			Object.entries(operations).map(([method, operation]) => ({
				operation: `${method.toUpperCase()} ${path}`,
				takes: operation.parameters?.some((parameter) => parameter.$ref === bookmark.$ref) ?? false,
				handsBack: Object.values(operation.responses ?? {}).map(
					(response) => "x-d1-bookmark" in (response.headers ?? {}),
				),
			})),
		);
		// The management API's middleware carries it; this document, the webhook and /healthz are outside that API.
		const management = (operation: string) =>
			/ \/api\//.test(operation) && !/ \/api\/(openapi\.json|docs)/.test(operation);
		const wrong = described.filter(
			({ operation, takes, handsBack }) =>
				takes !== management(operation) || handsBack.some((hands) => hands !== management(operation)),
		);

		expect(described.filter(({ operation }) => management(operation)).length).toBeGreaterThan(40);
		expect(wrong).toEqual([]);
	});

	it("leaves the web UI's pages out", async () => {
		const { paths } = await document();
		expect(paths["/login"]).toBeUndefined();
		expect(paths["/integrations/{id}"]).toBeUndefined();
	});

	it("describes the webhook body from the schema that validates it", async () => {
		const { paths } = await document();
		const post = paths["/integrations/deploy/{uuid}"]?.post;
		const schema = post?.requestBody?.content["application/json"].schema;
		const body = schema.$ref ? undefined : schema;
		expect(post?.security).toEqual([]);
		expect(body?.properties).toMatchObject({
			service: { type: "string", maxLength: 255 },
			deployed_at: { type: "string" },
			deploy_number: { anyOf: expect.any(Array) },
			commit: expect.objectContaining({ type: "object" }),
		});
		expect(body?.required).toEqual(expect.arrayContaining(["service", "description", "deployer"]));
	});

	it("lists query parameters with their constraints", async () => {
		const { paths } = await document();
		const parameters = paths["/api/deploys"]?.get?.parameters ?? [];
		const byName: Record<string, any> = Object.fromEntries(parameters.map((p: { name: string }) => [p.name, p]));
		expect(Object.keys(byName)).toEqual(
			expect.arrayContaining(["service", "environment", "deployer", "status", "from", "to", "limit", "cursor"]),
		);
		expect(byName.status.schema.enum).toEqual(["queued", "running", "success", "failure", "canceled", "no_status"]);
	});
});

describe("the reference page", () => {
	const page = async () => {
		const response = await call("/api/docs");
		return { response, html: await response.text() };
	};

	it("is served without the admin token", async () => {
		const { response, html } = await page();
		expect(response.status).toBe(200);
		expect(response.headers.get("content-type")).toContain("text/html");
		expect(html).toContain("/api/openapi.json");
	});

	it("loads nothing from another origin: its viewer comes from this Worker", async () => {
		const { html } = await page();

		expect(html.match(/(?:https?:)?\/\/[^\s"'<>&]+/g) ?? []).toEqual([]);
		expect([...html.matchAll(/\b(?:src|href)="([^"]*)"/g)].map(([, url]) => url)).toEqual([
			"data:,",
			expect.stringMatching(/^\/api\/docs\/viewer\.js\?v=\w+$/),
		]);
	});

	it("answers with a CSP like the UI's: scripts from this origin only, no framing, no Referer", async () => {
		const { response } = await page();
		const directives = (response.headers.get("Content-Security-Policy") ?? "")
			.split(";")
			.map((directive) => directive.trim().split(/\s+/))
			.filter(([name]) => name);

		expect(Object.fromEntries(directives.map(([name, ...values]) => [name, values.join(" ")]))).toEqual({
			"default-src": "'none'",
			"script-src": "'self'",
			// The viewer adds <style> elements and style attributes as it renders (see src/api/docs.ts).
			"style-src": "'self' 'unsafe-inline'",
			"img-src": "'self' data:",
			"connect-src": "'self'",
			"form-action": "'self'",
			"frame-ancestors": "'none'",
			"base-uri": "'none'",
		});
		expect(response.headers.get("X-Frame-Options")).toBe("DENY");
		expect(response.headers.get("Referrer-Policy")).toBe("no-referrer");
	});

	it("serves its viewer as JavaScript that may be cached for good", async () => {
		const { html } = await page();
		const script = html.match(/<script src="([^"]+)"/)?.[1] ?? "";

		const response = await call(script);
		const body = await response.text();

		expect({
			status: response.status,
			type: response.headers.get("Content-Type"),
			caching: response.headers.get("Cache-Control"),
			sniffing: response.headers.get("X-Content-Type-Options"),
		}).toEqual({
			status: 200,
			type: "text/javascript; charset=utf-8",
			caching: "public, max-age=31536000, immutable",
			sniffing: "nosniff",
		});
		// Scalar's standalone bundle, which mounts itself on #api-reference.
		expect(body).toContain("createApiReference");
		expect(body.length).toBeGreaterThan(1_000_000);
	});

	it("is linked from the UI's pages, signed in or not", async () => {
		const signIn = await (await call("/login")).text();

		expect(signIn).toContain('<a href="/api/docs">API reference</a>');
	});
});

/** Where the document is registered as a schema, so that bodies can be validated against its parts ($refs included). */
const DOCUMENT_URI = "https://deploys.example.com/api/openapi.json";

/** One step of a JSON Pointer, as a URI fragment writes it. */
const pointerPart = (part: string) => encodeURIComponent(part.replaceAll("~", "~0").replaceAll("/", "~1"));

/**
 * How a response differs from what the document declares for `operation` (`METHOD /openapi/{path}`): an undeclared
 * status or content type, or each place the JSON body fails the declared schema. Empty when it conforms.
 */
async function mismatches(document: Document, operation: string, response: Response): Promise<string[]> {
	const [method = "", path = ""] = operation.split(" ");
	const responses = document.paths[path]?.[method.toLowerCase()]?.responses;
	if (!responses) return [`${operation} is not in the document`];
	const status = String(response.status);
	const declared = responses[status];
	if (!declared) return [`${operation} answered ${status}, which it does not declare (${Object.keys(responses)})`];
	const type = response.headers.get("Content-Type")?.split(";")[0] ?? "";
	const body = await response.text();
	if (!declared.content) return body ? [`${operation} ${status} declares no body but sent ${type}`] : [];
	if (!(type in declared.content)) return [`${operation} ${status} sent ${type}, not ${Object.keys(declared.content)}`];
	// Only JSON bodies have schemas here (the document itself, HTML and CSV declare none).
	if (type !== "application/json" || !declared.content[type]?.schema) return [];
	const schema = ["paths", path, method.toLowerCase(), "responses", status, "content", type, "schema"];
	const output = await validate(`${DOCUMENT_URI}#/${schema.map(pointerPart).join("/")}`, JSON.parse(body), "BASIC");
	return output.valid ? [] : failures(output.errors).map((failure) => `${operation} ${status}: body${failure}`);
}

/** A Kustomization's event as Flux's generic Provider posts it, with the given reason. */
const fluxEvent = (reason: string) => ({
	involvedObject: { kind: "Kustomization", name: unique("contract-flux"), namespace: "flux-system" },
	severity: "info",
	timestamp: "2026-11-30T10:00:42Z",
	reason,
	message: "Reconciliation finished in 2.1s, next run in 10m0s",
	metadata: { revision: "main@sha1:4f2b8c6a1e0d9f7b3a5c2e1d0f9a8b7c6d5e4f3a" },
});

describe("responses from a representative set of routes", () => {
	let doc: Document;
	/** Made before the calls, so each call meets real data: an integration, a service with a deploy, a suggestion. */
	const made = { integration: "", webhook: "", service: "", alias: "", deploy: "", suggestion: "" };

	beforeAll(async () => {
		doc = await document();
		registerSchema(asJson(doc), DOCUMENT_URI, "https://spec.openapis.org/oas/3.1/dialect/base");
		// `format: date-time` and the like are checked, not only annotated.
		setShouldValidateFormat(true);

		const integration = await api.createIntegration(unique("contract"));
		made.integration = integration.id;
		made.webhook = new URL(integration.webhook_url).pathname;
		made.alias = unique("contract-alias");
		made.service = (await api.createService(unique("contract"), [made.alias])).id;
		await acceptedDeploy(integration.webhook_url, { service: made.alias });
		made.deploy = (await admin("GET", `/deploys?service=${made.alias}`)).body.deploys[0].id;
		const unmatched = unique("contract-unmatched");
		await acceptedDeploy(integration.webhook_url, { service: unmatched });
		const suggestions = (await admin("GET", "/suggestions")).body.suggestions;
		made.suggestion = suggestions.find((s: { alias: string }) => s.alias === unmatched).id;
	});
	afterAll(() => {
		setShouldValidateFormat(undefined);
		unregisterSchema(DOCUMENT_URI);
	});

	const json = (method: string, body: unknown, headers: Record<string, string> = ADMIN) => ({
		method,
		headers: { ...headers, "Content-Type": "application/json" },
		body: JSON.stringify(body),
	});
	const get = (path: string) => call(path, { headers: ADMIN });

	const cases: [operation: string, status: number, send: () => Promise<Response>][] = [
		["GET /healthz", 200, () => call("/healthz")],
		["GET /api/openapi.json", 200, () => call("/api/openapi.json")],
		["POST /api/integrations", 201, () => call("/api/integrations", json("POST", { name: unique("contract") }))],
		["GET /api/integrations", 200, () => get("/api/integrations")],
		["GET /api/integrations/{id}", 200, () => get(`/api/integrations/${made.integration}`)],
		["POST /api/services", 201, () => call("/api/services", json("POST", { name: unique("contract") }))],
		["GET /api/services", 200, () => get("/api/services")],
		["GET /api/services/{id}", 200, () => get(`/api/services/${made.service}`)],
		["GET /api/services/{id}/environments", 200, () => get(`/api/services/${made.service}/environments`)],
		["GET /api/deploys", 200, () => get(`/api/deploys?service=${made.alias}`)],
		["GET /api/deploys/{id}", 200, () => get(`/api/deploys/${made.deploy}`)],
		["GET /api/suggestions", 200, () => get("/api/suggestions")],
		[
			"POST /api/suggestions/{id}/ignore",
			200,
			() => call(`/api/suggestions/${made.suggestion}/ignore`, json("POST", {})),
		],
		["GET /api/metrics", 200, () => get(`/api/metrics?service=${made.alias}`)],
		["GET /api/people", 200, () => get("/api/people")],
		["GET /api/audit", 200, () => get("/api/audit")],
		// Errors, in the shape every route shares.
		["POST /api/services", 400, () => call("/api/services", json("POST", { name: "" }))],
		["GET /api/integrations", 401, () => call("/api/integrations")],
		["GET /api/deploys/{id}", 404, () => get(`/api/deploys/${crypto.randomUUID()}`)],
		["GET /api/deploys", 400, () => get("/api/deploys?limit=0")],
		// The webhook.
		["POST /integrations/deploy/{uuid}", 202, () => call(made.webhook, json("POST", examplePayload(), {}))],
		[
			"POST /integrations/deploy/{uuid}",
			200,
			() => call(`${made.webhook}?dry_run=1`, json("POST", examplePayload({ service: made.alias }), {})),
		],
		["POST /integrations/deploy/{uuid}", 400, () => call(made.webhook, json("POST", { service: "" }, {}))],
		[
			"POST /integrations/deploy/{uuid}",
			404,
			() => call(`/integrations/deploy/${crypto.randomUUID()}`, json("POST", examplePayload(), {})),
		],
		["GET /integrations/deploy/{uuid}", 405, () => call(made.webhook)],
		// The Flux route, which reads Flux's events; any integration's token reaches its ledger.
		[
			"POST /integrations/flux/{uuid}",
			202,
			() => call(made.webhook.replace("/deploy/", "/flux/"), json("POST", fluxEvent("ReconciliationSucceeded"), {})),
		],
		[
			"POST /integrations/flux/{uuid}",
			202,
			() => call(made.webhook.replace("/deploy/", "/flux/"), json("POST", fluxEvent("Progressing"), {})),
		],
		[
			"POST /integrations/flux/{uuid}",
			400,
			() => call(made.webhook.replace("/deploy/", "/flux/"), json("POST", {}, {})),
		],
	];

	it("reports where a body strays from its schema", async () => {
		const stray = Response.json({ deploys: [{ id: 7 }], next_cursor: null });

		expect(await mismatches(doc, "GET /api/deploys", stray)).toEqual(
			expect.arrayContaining([expect.stringMatching(/^GET \/api\/deploys 200: body#\/deploys\/0\/id fails .*\/type$/)]),
		);
	});

	it.each(cases)("%s answers %i as the document declares", async (operation, status, send) => {
		const response = await send();

		expect({ status: response.status, mismatches: await mismatches(doc, operation, response) }).toEqual({
			status,
			mismatches: [],
		});
	});
});
