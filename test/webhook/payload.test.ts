import { beforeAll, describe, expect, it } from "vitest";
import {
	admin,
	api,
	call,
	deploysOf,
	examplePayload,
	expectError,
	type Integration,
	integrationBeforeAll,
	parseResponse,
	postDeploy,
	unique,
} from "../helpers";

const MAX_BODY_BYTES = 512 * 1024;
const MISSING = "param is missing or the value is empty";
const UNKNOWN_URL = "no active integration has this webhook URL; it may have been revoked or rotated";

/** The reference payload for `alias`, with overrides. */
const payloadFor = (alias: string, overrides: Record<string, unknown> = {}) =>
	examplePayload({ service: alias, ...overrides });

/** The reference payload for `alias` without `field`. */
function payloadWithout(alias: string, field: string) {
	const payload = payloadFor(alias);
	delete payload[field];
	return payload;
}

function webhookPath(integration: Integration) {
	return new URL(integration.webhook_url).pathname;
}

async function onlyDeployOf(alias: string): Promise<any> {
	const deploys = await deploysOf(alias);
	expect(deploys).toHaveLength(1);
	return deploys[0];
}

/** One 400 error object for `field` as the contract words it. */
const fieldError = (title: string, detail: string) => ({ status: 400, title, detail });

/** Sends `payload` for `alias`, asserting it is refused with exactly one 400 error, `title` and `detail`, and stored nowhere. */
async function expectRefused(
	integration: Integration,
	alias: string,
	payload: Record<string, unknown>,
	title: string,
	detail: string,
) {
	const res = await postDeploy(integration.webhook_url, payload);

	expect(res).toEqual({ status: 400, body: { errors: [fieldError(title, detail)] } });
	expect(await deploysOf(alias)).toEqual([]);
}

/** A raw request to a webhook path, answering the status and parsed JSON body. */
async function send(path: string, init: RequestInit) {
	return parseResponse(await call(path, init));
}

/** A JSON body of exactly `bytes` bytes: the reference payload padded with an unknown field. */
function bodyOfSize(alias: string, bytes: number): string {
	const empty = JSON.stringify(payloadFor(alias, { padding: "" }));
	const padding = bytes - new TextEncoder().encode(empty).length;
	const body = JSON.stringify(payloadFor(alias, { padding: "x".repeat(padding) }));
	if (new TextEncoder().encode(body).length !== bytes) throw new Error(`could not build a ${bytes}-byte body`);
	return body;
}

describe("successful deliveries", () => {
	const integration = integrationBeforeAll("payload: success");

	it("answers ok for an alias that belongs to a service, and links the deploy to it", async () => {
		const alias = unique("svc");
		const service = await api.createService(`Service ${alias}`, [alias]);

		const res = await postDeploy(integration.webhook_url, payloadFor(alias));

		expect(res).toEqual({ status: 202, body: { result: "ok" } });
		const deploy = await onlyDeployOf(alias);
		expect(deploy.service).toEqual({ id: service.id, name: service.name });
		expect(deploy.service_alias).toBe(alias);
	});

	it("answers no_service_found for an unknown alias, and still records the deploy", async () => {
		const alias = unique("svc");

		const res = await postDeploy(integration.webhook_url, payloadFor(alias));

		expect(res).toEqual({
			status: 202,
			body: {
				result: "no_service_found",
				message: `No service found matching alias '${alias}'. Recording '${alias}' as a suggestion.`,
			},
		});
		const deploy = await onlyDeployOf(alias);
		expect(deploy.service).toBeNull();
		expect(deploy.service_alias).toBe(alias);
	});

	it("stores every field of the reference payload", async () => {
		const alias = unique("svc");
		const payload = payloadFor(alias);

		expect((await postDeploy(integration.webhook_url, payload)).status).toBe(202);

		expect(await onlyDeployOf(alias)).toEqual({
			id: expect.any(String),
			integration_id: integration.id,
			service: null,
			service_alias: alias,
			environment: "Production",
			description: "Deployed by CI Pipeline: Deploy #234",
			deployed_at: "2019-02-01T13:28:33.000Z",
			deploy_number: "234",
			deploy_url: null,
			dedup_id: payload.dedup_id,
			status: "no_status",
			status_raw: null,
			agent: null,
			deployer: {
				id: "1a9f841f-9a3d-4423-a05a-7e9c31a02b16",
				email: "michael@example.com",
				name: "Michael Scott",
				person_id: expect.any(String),
			},
			commit: {
				sha: "38d02f1d7aab64678a7ad3eeb2ad2887ce7253f5",
				message: "Merge branch 'fix-tax-rate' into 'master'",
				branch: "master",
				date: "2019-02-01T09:23:43.000Z",
				committer_name: "Michael Scott",
				committer_email: "michael@example.com",
				author_name: "Michael Scott",
				author_email: "michael@example.com",
				authoring_date: "2019-02-01T09:23:43.000Z",
			},
			received_at: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/),
		});
	});

	it.each([
		["succeeded", "success"],
		["failed", "failure"],
		["In Progress", "running"],
	])("stores status %j as sent, normalized to %j", async (status, normalized) => {
		const alias = unique("svc");

		expect((await postDeploy(integration.webhook_url, payloadFor(alias, { status }))).status).toBe(202);

		expect(await onlyDeployOf(alias)).toMatchObject({ status: normalized, status_raw: status });
	});

	it("accepts a minimal payload, storing the optional fields as null", async () => {
		const alias = unique("svc");
		const minimal = {
			service: alias,
			description: "Deploy",
			deployed_at: "2019-02-01T13:28:33Z",
			deployer: { name: "Michael Scott" },
		};

		expect((await postDeploy(integration.webhook_url, minimal)).status).toBe(202);

		expect(await onlyDeployOf(alias)).toMatchObject({
			environment: null,
			deploy_url: null,
			dedup_id: null,
			status: "no_status",
			status_raw: null,
			agent: null,
			deployer: { id: null, email: null, name: "Michael Scott" },
			commit: null,
		});
	});

	it("accepts a deployer with an email and no name", async () => {
		const alias = unique("svc");

		const res = await postDeploy(
			integration.webhook_url,
			payloadFor(alias, { deployer: { email: "jim@example.com" } }),
		);

		expect(res.status).toBe(202);
		expect((await onlyDeployOf(alias)).deployer).toMatchObject({ email: "jim@example.com", name: null });
	});
});

describe("dedup_id", () => {
	const integration = integrationBeforeAll("payload: dedup");

	it("answers duplicate_deploy for a repeated dedup_id and keeps the first deploy only", async () => {
		const alias = unique("svc");
		const dedup_id = crypto.randomUUID();
		const first = await postDeploy(integration.webhook_url, payloadFor(alias, { dedup_id }));
		expect(first.status).toBe(202);

		const second = await postDeploy(
			integration.webhook_url,
			payloadFor(alias, { dedup_id, description: "A different description" }),
		);

		expect(second).toEqual({
			status: 202,
			body: {
				result: "duplicate_deploy",
				message: "Deploy not created due to existing deploy with identical dedup_id",
			},
		});
		const deploy = await onlyDeployOf(alias);
		expect(deploy).toMatchObject({ dedup_id, description: "Deployed by CI Pipeline: Deploy #234" });
	});

	it("treats an empty dedup_id as absent: such deploys are never duplicates", async () => {
		const alias = unique("svc");

		const first = await postDeploy(integration.webhook_url, payloadFor(alias, { dedup_id: "" }));
		const second = await postDeploy(integration.webhook_url, payloadFor(alias, { dedup_id: "" }));

		expect([first.body.result, second.body.result]).toEqual(["no_service_found", "no_service_found"]);
		const deploys = await deploysOf(alias);
		expect(deploys).toHaveLength(2);
		expect(deploys.map((d) => d.dedup_id)).toEqual([null, null]);
	});
});

describe("required fields", () => {
	const integration = integrationBeforeAll("payload: required");

	const required = [
		["service", "Service Error"],
		["description", "Description Error"],
		["deployed_at", "Deployed at Error"],
		["deployer", "Deployer Error"],
	] as const;
	const blanks = [
		["null", null],
		["an empty string", ""],
		["whitespace only", " \t\n "],
	] as const;

	it.each(required)("rejects a payload without %s", async (field, title) => {
		const alias = unique("svc");

		await expectRefused(integration, alias, payloadWithout(alias, field), title, `${MISSING}: ${field}`);
	});

	describe.each(blanks)("with %s", (_, blank) => {
		it.each(required)("reads %s as missing", async (field, title) => {
			const alias = unique("svc");

			await expectRefused(integration, alias, payloadFor(alias, { [field]: blank }), title, `${MISSING}: ${field}`);
		});
	});

	it("reports every missing field in one response", async () => {
		const alias = unique("svc");
		const payload = payloadFor(alias);
		delete payload.service;
		delete payload.description;
		delete payload.deployed_at;

		const res = await postDeploy(integration.webhook_url, payload);

		expect(res.status).toBe(400);
		expect(res.body.errors).toHaveLength(3);
		expect(res.body).toEqual({
			errors: expect.arrayContaining([
				fieldError("Service Error", `${MISSING}: service`),
				fieldError("Description Error", `${MISSING}: description`),
				fieldError("Deployed at Error", `${MISSING}: deployed_at`),
			]),
		});
	});

	it("reports invalid fields of every kind together", async () => {
		const alias = unique("svc");
		const payload = payloadFor(alias, {
			description: "  ",
			deployed_at: "yesterday",
			deployer: {},
			commit: { date: "2019-02-30 10:00:00" },
		});

		const res = await postDeploy(integration.webhook_url, payload);

		expect(res.status).toBe(400);
		expect(res.body.errors).toHaveLength(4);
		expect(res.body).toEqual({
			errors: expect.arrayContaining([
				fieldError("Description Error", `${MISSING}: description`),
				fieldError("Deployed at Error", "param is not a valid ISO 8601 date-time: deployed_at"),
				fieldError("Deployer Error", "param needs a non-empty email or name: deployer"),
				fieldError("Commit date Error", "param is not a valid ISO 8601 date-time: commit.date"),
			]),
		});
		expect(await deploysOf(alias)).toEqual([]);
	});

	it.each([
		["an empty object", {}],
		["only an id", { id: "1a9f841f-9a3d-4423-a05a-7e9c31a02b16" }],
		["blank email and name", { email: "", name: "   " }],
		["null email and name", { email: null, name: null }],
	])("rejects a deployer with %s", async (_, deployer) => {
		const alias = unique("svc");

		await expectRefused(
			integration,
			alias,
			payloadFor(alias, { deployer }),
			"Deployer Error",
			"param needs a non-empty email or name: deployer",
		);
	});
});

describe("field types and limits", () => {
	const integration = integrationBeforeAll("payload: types");

	it.each([
		["service", 42, "Service Error", "param must be a string: service"],
		["service", ["a", "b"], "Service Error", "param must be a string: service"],
		["description", true, "Description Error", "param must be a string: description"],
		["deployed_at", 1549027713, "Deployed at Error", "param must be a string: deployed_at"],
		["deployer", "Michael Scott", "Deployer Error", "param must be an object: deployer"],
		["environment", 1, "Environment Error", "param must be a string: environment"],
		["status", { ok: true }, "Status Error", "param must be a string: status"],
		["commit", "38d02f1d", "Commit Error", "param must be an object: commit"],
	])("rejects %s as %j", async (field, value, title, detail) => {
		const alias = unique("svc");

		await expectRefused(integration, alias, payloadFor(alias, { [field]: value }), title, detail);
	});

	it.each([
		["deployer", "email", 5, "Deployer email Error", "param must be a string: deployer.email"],
		["commit", "sha", 12345, "Commit sha Error", "param must be a string: commit.sha"],
		[
			"commit",
			"authoring_date",
			"soon",
			"Commit authoring date Error",
			"param is not a valid ISO 8601 date-time: commit.authoring_date",
		],
	])("names the nested field %s.%s in its error", async (parent, field, value, title, detail) => {
		const alias = unique("svc");
		const base = payloadFor(alias);
		const payload = { ...base, [parent]: { ...(base[parent] as object), [field]: value } };

		await expectRefused(integration, alias, payload, title, detail);
	});

	it.each([
		["description", 10_000],
		["deploy_url", 2048],
		["environment", 255],
	])("rejects %s longer than %i characters", async (field, max) => {
		const alias = unique("svc");
		const title = `${field.charAt(0).toUpperCase()}${field.slice(1).replace("_", " ")} Error`;
		const payload = payloadFor(alias, { [field]: "x".repeat(max + 1) });

		await expectRefused(integration, alias, payload, title, `param is longer than ${max} characters: ${field}`);
	});

	it("accepts a description of exactly 10000 characters", async () => {
		const alias = unique("svc");
		const description = "x".repeat(10_000);

		expect((await postDeploy(integration.webhook_url, payloadFor(alias, { description }))).status).toBe(202);

		expect((await onlyDeployOf(alias)).description).toBe(description);
	});
});

describe("liberal input", () => {
	const integration = integrationBeforeAll("payload: liberal");

	it.each([
		["application/x-www-form-urlencoded", { "Content-Type": "application/x-www-form-urlencoded" }],
		["application/json; charset=utf-8", { "Content-Type": "application/json; charset=utf-8" }],
		["text/plain", { "Content-Type": "text/plain" }],
		["no Content-Type header", {}],
	])("parses the body as JSON with %s", async (_, headers) => {
		const alias = unique("svc");

		const res = await postDeploy(integration.webhook_url, payloadFor(alias), headers);

		expect(res.status).toBe(202);
		expect((await onlyDeployOf(alias)).description).toBe("Deployed by CI Pipeline: Deploy #234");
	});

	it("stores ?agent= from the query string and ignores the rest of it", async () => {
		const alias = unique("svc");
		const url = `${integration.webhook_url}?agent=jenkins-1.2&service=other&description=from-query`;

		const res = await postDeploy(url, payloadFor(alias));

		expect(res.status).toBe(202);
		expect(await onlyDeployOf(alias)).toMatchObject({
			agent: "jenkins-1.2",
			service_alias: alias,
			description: "Deployed by CI Pipeline: Deploy #234",
		});
	});

	it("accepts the webhook URL with a trailing slash", async () => {
		const alias = unique("svc");

		const res = await postDeploy(`${integration.webhook_url}/`, payloadFor(alias));

		expect(res.status).toBe(202);
		expect(await deploysOf(alias)).toHaveLength(1);
	});

	it.each([
		["the number", 42],
		["the string", "42"],
	])("stores deploy_number given as %s %j as the text 42", async (_, deploy_number) => {
		const alias = unique("svc");

		expect((await postDeploy(integration.webhook_url, payloadFor(alias, { deploy_number }))).status).toBe(202);

		expect((await onlyDeployOf(alias)).deploy_number).toBe("42");
	});

	it("accepts an empty commit object, storing no commit", async () => {
		const alias = unique("svc");

		expect((await postDeploy(integration.webhook_url, payloadFor(alias, { commit: {} }))).status).toBe(202);

		expect((await onlyDeployOf(alias)).commit).toBeNull();
	});

	it("reads empty optional strings as absent", async () => {
		const alias = unique("svc");
		const payload = payloadFor(alias, {
			deploy_url: "",
			environment: "",
			status: "  ",
			deployer: { id: "", email: "", name: "Michael Scott" },
			commit: { sha: "38d02f1d", branch: "", date: "", message: "" },
		});

		expect((await postDeploy(integration.webhook_url, payload)).status).toBe(202);

		const deploy = await onlyDeployOf(alias);
		expect(deploy).toMatchObject({
			deploy_url: null,
			environment: null,
			status: "no_status",
			status_raw: null,
			deployer: { id: null, email: null, name: "Michael Scott" },
		});
		expect(deploy.commit).toMatchObject({ sha: "38d02f1d", branch: null, date: null, message: null });
	});

	it("stores a non-empty deploy_url", async () => {
		const alias = unique("svc");
		const deploy_url = "https://ci.example.com/jobs/234";

		expect((await postDeploy(integration.webhook_url, payloadFor(alias, { deploy_url }))).status).toBe(202);

		expect((await onlyDeployOf(alias)).deploy_url).toBe(deploy_url);
	});

	it("ignores unknown fields, top-level and nested", async () => {
		const alias = unique("svc");
		const base = payloadFor(alias);
		const payload = {
			...base,
			pipeline: { id: 7 },
			foo: "bar",
			deployer: { ...(base.deployer as object), avatar_url: "https://example.com/a.png" },
			commit: { ...(base.commit as object), parents: ["abc"] },
		};

		expect((await postDeploy(integration.webhook_url, payload)).status).toBe(202);

		const deploy = await onlyDeployOf(alias);
		expect(deploy).not.toHaveProperty("foo");
		expect(deploy).not.toHaveProperty("pipeline");
		expect(deploy.deployer).not.toHaveProperty("avatar_url");
		expect(deploy.commit).not.toHaveProperty("parents");
		expect(deploy.commit.sha).toBe("38d02f1d7aab64678a7ad3eeb2ad2887ce7253f5");
	});
});

describe("date-times", () => {
	const integration = integrationBeforeAll("payload: datetimes");

	it.each([
		["2019-02-01 13:28:33", "2019-02-01T13:28:33.000Z"],
		["2019-02-01T13:28:33", "2019-02-01T13:28:33.000Z"],
		["2019-02-01T13:28:33Z", "2019-02-01T13:28:33.000Z"],
		["2019-02-01T13:28:33.5Z", "2019-02-01T13:28:33.500Z"],
		["2019-02-01 13:28:33.123", "2019-02-01T13:28:33.123Z"],
		["2019-02-01T13:28:33.123456Z", "2019-02-01T13:28:33.123Z"],
		["2019-02-01T14:28:33.123456789+01:00", "2019-02-01T13:28:33.123Z"],
		["2019-02-01T08:28:33-05:00", "2019-02-01T13:28:33.000Z"],
		["2019-02-01T18:58:33+05:30", "2019-02-01T13:28:33.000Z"],
		["2019-02-01T14:28:33+0100", "2019-02-01T13:28:33.000Z"],
		["2019-02-01 14:28:33 +0100", "2019-02-01T13:28:33.000Z"],
		["2019-02-01T00:28:33+01:00", "2019-01-31T23:28:33.000Z"],
		["2020-02-29T00:00:00Z", "2020-02-29T00:00:00.000Z"],
	])("accepts deployed_at %j, stored as %s", async (deployed_at, stored) => {
		const alias = unique("svc");

		expect((await postDeploy(integration.webhook_url, payloadFor(alias, { deployed_at }))).status).toBe(202);

		expect((await onlyDeployOf(alias)).deployed_at).toBe(stored);
	});

	it("stores commit dates as UTC too, including git's `%ci` format", async () => {
		const alias = unique("svc");
		const base = payloadFor(alias);
		const commit = {
			...(base.commit as object),
			date: "2019-02-01 09:23:43 +0100",
			authoring_date: "2019-02-01T09:23:43.250-02:00",
		};

		expect((await postDeploy(integration.webhook_url, { ...base, commit })).status).toBe(202);

		expect((await onlyDeployOf(alias)).commit).toMatchObject({
			date: "2019-02-01T08:23:43.000Z",
			authoring_date: "2019-02-01T11:23:43.250Z",
		});
	});

	it.each([
		"2019-02-30 10:00:00",
		"2019-13-01 10:00:00",
		"2019-00-10 10:00:00",
		"2019-02-00 10:00:00",
		"2019-02-01 25:00:00",
		"2019-02-01 10:60:00",
		"2021-02-29T00:00:00Z",
		"yesterday",
		"2019/02/01 13:28:33",
		"13:28:33",
	])("rejects deployed_at %j", async (deployed_at) => {
		const alias = unique("svc");
		const payload = payloadFor(alias, { deployed_at });

		await expectRefused(
			integration,
			alias,
			payload,
			"Deployed at Error",
			"param is not a valid ISO 8601 date-time: deployed_at",
		);
	});

	it("rejects an impossible commit date", async () => {
		const alias = unique("svc");
		const base = payloadFor(alias);
		const payload = { ...base, commit: { ...(base.commit as object), date: "2021-02-29 09:23:43 +0100" } };

		await expectRefused(
			integration,
			alias,
			payload,
			"Commit date Error",
			"param is not a valid ISO 8601 date-time: commit.date",
		);
	});
});

describe("bodies that are not a JSON object", () => {
	const integration = integrationBeforeAll("payload: bodies");

	it.each([
		["malformed JSON", '{"service": "x",'],
		["an empty body", ""],
		["plain text", "service=shopping_cart&description=deploy"],
		["a JSON array", JSON.stringify([examplePayload()])],
		["a JSON string", JSON.stringify("shopping_cart")],
		["a JSON number", "42"],
		["JSON null", "null"],
		["JSON true", "true"],
	])("answers 400 for %s", async (_, body) => {
		const res = await postDeploy(integration.webhook_url, body);

		expectError(res, 400);
	});

	it("answers 413 for a body over 512 KiB, storing nothing", async () => {
		const alias = unique("svc");

		const res = await postDeploy(integration.webhook_url, bodyOfSize(alias, MAX_BODY_BYTES + 1));

		expectError(res, 413);
		expect(await deploysOf(alias)).toEqual([]);
	});

	it("answers 413 for a streamed body over 512 KiB without a Content-Length", async () => {
		const alias = unique("svc");
		const bytes = new TextEncoder().encode(bodyOfSize(alias, MAX_BODY_BYTES + 1024));
		const stream = new ReadableStream<Uint8Array>({
			start(controller) {
				for (let i = 0; i < bytes.length; i += 64 * 1024) controller.enqueue(bytes.slice(i, i + 64 * 1024));
				controller.close();
			},
		});

		const res = await send(webhookPath(integration), { method: "POST", body: stream });

		expectError(res, 413);
		expect(await deploysOf(alias)).toEqual([]);
	});

	it("accepts a body of exactly 512 KiB", async () => {
		const alias = unique("svc");

		const res = await postDeploy(integration.webhook_url, bodyOfSize(alias, MAX_BODY_BYTES));

		expect(res.status).toBe(202);
		expect(await deploysOf(alias)).toHaveLength(1);
	});
});

describe("webhook URLs that lead nowhere", () => {
	const unknownPath = () => `/integrations/deploy/${crypto.randomUUID()}`;

	it("answers 404 for a well-formed UUID that no integration has, storing nothing", async () => {
		const alias = unique("svc");

		const res = await postDeploy(`https://deploys.example.com${unknownPath()}`, payloadFor(alias));

		expectError(res, 404);
		expect(await deploysOf(alias)).toEqual([]);
	});

	it.each(["not-a-uuid", "12345", "zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz", `${crypto.randomUUID()}0`])(
		"answers 404 for the malformed token %j",
		async (token) => {
			const alias = unique("svc");

			const res = await postDeploy(`https://deploys.example.com/integrations/deploy/${token}`, payloadFor(alias));

			expectError(res, 404);
			expect(await deploysOf(alias)).toEqual([]);
		},
	);

	it.each([
		["malformed JSON", "{"],
		["a JSON array", "[]"],
		["an invalid payload", JSON.stringify({ service: "" })],
		["a body over 512 KiB", bodyOfSize("unknown-url", MAX_BODY_BYTES + 1)],
	])("answers 404, not 400 or 413, for %s sent to an unknown URL", async (_, body) => {
		const res = await postDeploy(`https://deploys.example.com${unknownPath()}`, body);

		expectError(res, 404);
	});

	describe("a revoked integration", () => {
		let integration: Integration;
		beforeAll(async () => {
			integration = await api.createIntegration("payload: revoked");
			const accepted = await postDeploy(integration.webhook_url, payloadFor(unique("svc")));
			expect(accepted.status).toBe(202);
			const revoked = await admin("DELETE", `/integrations/${integration.id}`);
			expect(revoked.status).toBe(204);
		});

		it("answers 404 to a valid deploy, storing nothing", async () => {
			const alias = unique("svc");

			const res = await postDeploy(integration.webhook_url, payloadFor(alias));

			expectError(res, 404);
			expect(await deploysOf(alias)).toEqual([]);
		});

		it("answers 404 to a malformed body", async () => {
			expectError(await postDeploy(integration.webhook_url, "{"), 404);
		});
	});

	describe("methods other than POST", () => {
		const integration = integrationBeforeAll("payload: methods");

		it.each(["GET", "PUT", "PATCH", "DELETE"])("answers %s with 405 in the error shape", async (method) => {
			const alias = unique("svc");
			const body = method === "GET" ? undefined : JSON.stringify(payloadFor(alias));

			const res = await send(webhookPath(integration), {
				method,
				headers: { "Content-Type": "application/json" },
				body,
			});

			expectError(res, 405, "Method Error");
			expect(await deploysOf(alias)).toEqual([]);
		});

		it("answers 405 to a method OpenAPI has no name for, too", async () => {
			const res = await send(webhookPath(integration), { method: "PROPFIND" });

			expectError(res, 405, "Method Error");
		});

		it("keeps working with a trailing slash", async () => {
			const alias = unique("svc");

			const res = await postDeploy(`${integration.webhook_url}/`, payloadFor(alias));

			expect(res).toEqual({ status: 202, body: { result: "no_service_found", message: expect.any(String) } });
			expect(await deploysOf(alias)).toHaveLength(1);
		});
	});

	describe("paths under /integrations/deploy that are no webhook URL", () => {
		const integration = integrationBeforeAll("payload: malformed paths");
		const METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"];
		const paths = () => [
			"/integrations/deploy",
			"/integrations/deploy/",
			`${webhookPath(integration)}/extra`,
			`${webhookPath(integration)}/extra/`,
			`/integrations/deploy/${crypto.randomUUID()}/x/y`,
		];

		it.each(METHODS)("answer %s with the webhook's 404, never a sign-in redirect or a page", async (method) => {
			const list = paths();
			// A browser's Accept header: the answer is still JSON, not the UI's login page or error page.
			const init = {
				method,
				headers: { Accept: "text/html,*/*" },
				body: method === "GET" || method === "HEAD" ? undefined : "{}",
			};

			const answers = await Promise.all(
				list.map(async (path) => {
					const res = await call(path, init);
					const type = res.headers.get("Content-Type");
					const text = await res.text();
					return {
						path,
						status: res.status,
						type,
						body: text && type === "application/json" ? JSON.parse(text) : text,
					};
				}),
			);

			const body = { errors: [{ status: 404, title: "Integration Error", detail: UNKNOWN_URL }] };
			expect(answers).toEqual(
				list.map((path) => ({ path, status: 404, type: "application/json", body: method === "HEAD" ? "" : body })),
			);
		});
	});
});
