import { createExecutionContext } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, expect } from "vitest";
import app from "../src/index";

export const ORIGIN = "https://deploys.example.com";
export const ADMIN = { Authorization: `Bearer ${env.ADMIN_TOKEN}` };

/** A date-time as the API presents it: ISO 8601 in UTC. */
export const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/;

/** `prefix` made unique, for names and aliases no other test uses: storage is shared within a test file. */
export const unique = (prefix: string) => `${prefix}-${crypto.randomUUID()}`;

/** A request to the Worker under test, through its real fetch handler. */
export function call(path: string, init: RequestInit = {}): Promise<Response> {
	return exports.default.fetch(new Request(`${ORIGIN}${path}`, init));
}

/** The app's own fetch with a modified environment, for what the test configuration cannot express. */
export async function fetchWithEnv(
	overrides: Partial<Cloudflare.Env>,
	path: string,
	init: RequestInit = {},
): Promise<Response> {
	return app.fetch(new Request(`${ORIGIN}${path}`, init), { ...env, ...overrides }, createExecutionContext());
}

/** A response's status and parsed JSON body. */
export async function parseResponse(response: Response): Promise<{ status: number; body: any }> {
	return { status: response.status, body: await response.json() };
}

/**
 * Asserts the API's error shape, `{"errors":[{status,title,detail}]}`: a non-empty `errors` array whose every entry
 * carries `status` and a non-blank title and detail, one of them titled `title` when it is given.
 */
export function expectError(res: { status: number; body: any }, status: number, title?: string) {
	expect(res.status).toBe(status);
	expect(res.body).toEqual({ errors: expect.any(Array) });
	expect(res.body.errors.length).toBeGreaterThan(0);
	for (const error of res.body.errors) {
		expect(error).toEqual({ status, title: expect.stringMatching(/\S/), detail: expect.stringMatching(/\S/) });
	}
	if (title) expect(res.body.errors.map((e: { title: string }) => e.title)).toContain(title);
}

/** An admin API call with a JSON body (if any; a raw string to test parsing), answering the parsed JSON. */
export async function admin<T = any>(
	method: string,
	path: string,
	body?: unknown,
): Promise<{ status: number; body: T }> {
	const response = await call(`/api${path}`, {
		method,
		headers: { ...ADMIN, "Content-Type": "application/json" },
		body: body === undefined || typeof body === "string" ? body : JSON.stringify(body),
	});
	const text = await response.text();
	return { status: response.status, body: text ? JSON.parse(text) : undefined };
}

export type Integration = { id: string; name: string; webhook_url: string; created_at: string };

async function createIntegration(name = "CI"): Promise<Integration> {
	const { status, body } = await admin<Integration>("POST", "/integrations", { name });
	if (status !== 201) throw new Error(`creating an integration answered ${status}`);
	return body;
}

/**
 * An integration named `name`, created before all the tests of the enclosing file or describe block. The object is
 * filled in then, so tests use it as they would a variable assigned in `beforeAll`.
 */
export function integrationBeforeAll(name: string): Integration {
	const integration = {} as Integration;
	beforeAll(async () => {
		Object.assign(integration, await createIntegration(name));
	});
	return integration;
}

async function createService(name: string, aliases?: string[]) {
	const { status, body } = await admin("POST", "/services", { name, aliases });
	if (status !== 201) throw new Error(`creating a service answered ${status}: ${JSON.stringify(body)}`);
	return body as { id: string; name: string; aliases: string[] };
}

/**
 * A body decoded as the UTF-8 its Content-Type says it is. `Response.text()`
 * would do the same, but workerd warns about any type it does not know as text
 * (NDJSON), which would bury real warnings in the test output.
 */
export async function utf8Body(res: Response): Promise<string> {
	return new TextDecoder().decode(await res.arrayBuffer());
}

/** The reference document's example payload, with overrides. */
export function examplePayload(overrides: Record<string, unknown> = {}): Record<string, unknown> {
	return {
		dedup_id: crypto.randomUUID(),
		service: "shopping_cart",
		deployer: { id: "1a9f841f-9a3d-4423-a05a-7e9c31a02b16", email: "michael@example.com", name: "Michael Scott" },
		deployed_at: "2019-02-01 13:28:33",
		environment: "Production",
		description: "Deployed by CI Pipeline: Deploy #234",
		deploy_url: "",
		deploy_number: "234",
		commit: {
			sha: "38d02f1d7aab64678a7ad3eeb2ad2887ce7253f5",
			message: "Merge branch 'fix-tax-rate' into 'master'",
			branch: "master",
			date: "2019-02-01 09:23:43",
			committer_name: "Michael Scott",
			committer_email: "michael@example.com",
			author_name: "Michael Scott",
			author_email: "michael@example.com",
			authoring_date: "2019-02-01 09:23:43",
		},
		...overrides,
	};
}

/** POSTs a deploy to a webhook URL; `body` may be a raw string to test parsing. */
export async function postDeploy(
	webhookUrl: string,
	body: unknown,
	headers: Record<string, string> = { "Content-Type": "application/json" },
) {
	const path = new URL(webhookUrl).pathname + new URL(webhookUrl).search;
	const response = await call(path, {
		method: "POST",
		headers,
		body: typeof body === "string" ? body : JSON.stringify(body),
	});
	return parseResponse(response);
}

/**
 * POSTs the example payload with `overrides` (a fresh dedup_id unless one is
 * given), insisting on a 202; answers the result and the dedup_id sent.
 */
export async function acceptedDeploy(webhookUrl: string, overrides: Record<string, unknown> = {}) {
	const payload = examplePayload(overrides);
	const res = await postDeploy(webhookUrl, payload);
	expect(res.status, JSON.stringify(res.body)).toBe(202);
	return { result: res.body.result as string, dedupId: payload.dedup_id as string };
}

export type DeploysPage = { deploys: any[]; next_cursor: string | null };

/** GET /api/deploys with the given query parameters, insisting on a 200. */
async function listDeploys(params: Record<string, string | number> = {}): Promise<DeploysPage> {
	const query = new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)]));
	const res = await admin("GET", `/deploys?${query}`);
	expect(res.status).toBe(200);
	return res.body;
}

/** The deploys listed for `service` (an alias or a service id), newest first: one page of the most the API allows. */
export async function deploysOf(service: string): Promise<any[]> {
	return (await listDeploys({ service, limit: 200 })).deploys;
}

/** The aliases GET /api/suggestions lists, insisting on a 200. */
export async function suggestedAliases(): Promise<string[]> {
	const res = await admin("GET", "/suggestions");
	expect(res.status).toBe(200);
	return res.body.suggestions.map((s: { alias: string }) => s.alias);
}

/** Runs `fn` under a real D1 failure, a trigger that makes every insert into `deploys` abort, then repairs D1. */
export async function withBrokenDeployWrites<T>(fn: () => Promise<T>): Promise<T> {
	await env.DB.exec(
		"CREATE TRIGGER IF NOT EXISTS injected_failure BEFORE INSERT ON deploys BEGIN SELECT RAISE(ABORT, 'injected D1 failure'); END;",
	);
	try {
		return await fn();
	} finally {
		await env.DB.exec("DROP TRIGGER IF EXISTS injected_failure;");
	}
}

/**
 * The management API as tests drive it, each call insisting on success: a
 * namespace, so a test's `api.createService(…)` is never mistaken for src/'s
 * `createService(db, …)`.
 */
export const api = { createIntegration, createService, listDeploys };
