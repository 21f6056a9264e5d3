import { inspectRoutes } from "hono/dev";
import { describe, expect, it } from "vitest";
import app from "../../src/index";
import { ui } from "../../src/ui";
import { call } from "../helpers";

type Document = {
	openapi: string;
	paths: Record<string, Record<string, { security?: unknown[]; requestBody?: any; parameters?: any[] }>>;
};

async function document(): Promise<Document> {
	const response = await call("/api/openapi.json");
	expect(response.status).toBe(200);
	return (await response.json()) as Document;
}

/** Hono's `/deploys/:id` is OpenAPI's `/deploys/{id}`. */
const openApiPath = (path: string) => path.replace(/:(\w+)/g, "{$1}");

describe("the OpenAPI document", () => {
	it("is OpenAPI 3.1 and public", async () => {
		expect((await document()).openapi).toBe("3.1.0");
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
	it("is served without the admin token", async () => {
		const response = await call("/api/docs");
		expect(response.status).toBe(200);
		expect(response.headers.get("content-type")).toContain("text/html");
		expect(await response.text()).toContain("/api/openapi.json");
	});
});
