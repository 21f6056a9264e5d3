import { runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { parseCostHeader } from "../../src/cost/meter";
import { MAX_JSON_DEPTH } from "../../src/http/validation";
import {
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
import { ledgerOf } from "../ledger/helpers";

/** The reference payload for a fresh alias, as text, with `extra` spliced in raw as an unknown field. */
function withRawField(alias: string, extra: string): string {
	return JSON.stringify(examplePayload({ service: alias })).replace(/}$/, `,"extra":${extra}}`);
}

/** The reference payload for `alias` with `field` (dotted, as errors name it) set to `value`. */
function payloadWith(alias: string, field: string, value: string) {
	const payload = examplePayload({ service: alias });
	const [head, key] = field.split(".") as [string, string | undefined];
	if (key === undefined) payload[head] = value;
	else payload[head] = { ...(payload[head] as object), [key]: value };
	return payload;
}

/** `levels` arrays nested in one another, innermost holding 0. */
const nestedArrays = (levels: number) => `${"[".repeat(levels)}0${"]".repeat(levels)}`;

/** POSTs a raw body, answering the status, the parsed body and the Cost header. */
async function postRaw(integration: Integration, body: string, query = "") {
	const response = await call(`${new URL(integration.webhook_url).pathname}${query}`, { method: "POST", body });
	const cost = parseCostHeader(response.headers.get("Cost") ?? "");
	return { ...(await parseResponse(response)), cost };
}

const depthError = (path: string) => ({
	status: 400,
	body: {
		errors: [
			{
				status: 400,
				title: "Body Error",
				detail: `request body nests deeper than ${MAX_JSON_DEPTH} levels of arrays and objects, at ${path}`,
			},
		],
	},
});

describe("nesting depth", () => {
	const integration = integrationBeforeAll("limits: depth");

	it("accepts a body nested exactly 32 levels deep", async () => {
		const alias = unique("svc");
		// The payload object is level 1, so 31 arrays in an unknown field reach 32.
		const res = await postRaw(integration, withRawField(alias, nestedArrays(MAX_JSON_DEPTH - 1)));

		expect(res.status).toBe(202);
		expect(await deploysOf(alias)).toHaveLength(1);
	});

	it("refuses one level more, naming the limit and where it was passed, and stores nothing", async () => {
		const alias = unique("svc");

		const res = await postRaw(integration, withRawField(alias, nestedArrays(MAX_JSON_DEPTH)));

		expect(res).toMatchObject(depthError(`extra${".0".repeat(MAX_JSON_DEPTH - 1)}`));
		expect(res.cost).toMatchObject({ doRequests: 0, d1RowsWritten: 0 });
		expect(await deploysOf(alias)).toEqual([]);
	});

	it("names object keys in the path, escapes and all", async () => {
		const deep = `${'{"a\\"[{":'.repeat(MAX_JSON_DEPTH)}0${"}".repeat(MAX_JSON_DEPTH)}`;

		const res = await postRaw(integration, withRawField(unique("svc"), deep));

		expect(res).toMatchObject(depthError(`extra${'.a"[{'.repeat(MAX_JSON_DEPTH - 1)}`));
	});

	// The fuzz's minimal counterexample: 33 arrays answered "param must be an object: body".
	it("judges depth before anything else: 33 nested arrays are a depth error", async () => {
		expect(await postRaw(integration, nestedArrays(MAX_JSON_DEPTH + 1))).toMatchObject(
			depthError("0".repeat(MAX_JSON_DEPTH).split("").join(".")),
		);
	});

	it.each([
		["100,000 nested arrays", nestedArrays(100_000)],
		["500,000 unclosed arrays", "[".repeat(500_000)],
		["80,000 nested objects in a field", withRawField("x", `${'{"k":'.repeat(80_000)}0${"}".repeat(80_000)}`)],
	])("refuses %s with the same 400", async (_, body) => {
		const res = await postRaw(integration, body);

		expectError(res, 400, "Body Error");
		expect(res.body.errors[0].detail).toMatch(/^request body nests deeper than 32 levels of arrays and objects, at /);
	});

	it("does not count brackets inside strings, escaped quotes included", async () => {
		const alias = unique("svc");
		const brackets = "[{".repeat(200);
		const payload = examplePayload({
			service: alias,
			description: `\\"${brackets}`,
			commit: { message: `"${brackets}\\` },
			[`key ${brackets}`]: brackets,
		});

		const res = await postDeploy(integration.webhook_url, payload);

		expect(res.status).toBe(202);
		expect((await deploysOf(alias))[0].description).toBe(`\\"${brackets}`);
	});
});

describe("string lengths", () => {
	const integration = integrationBeforeAll("limits: strings");

	/** Each text field, its limit in characters, and where the API shows it. */
	const fields: [string, number, (deploy: any) => unknown][] = [
		["service", 255, (d) => d.service_alias],
		["description", 10_000, (d) => d.description],
		["environment", 255, (d) => d.environment],
		["deploy_url", 2048, (d) => d.deploy_url],
		["dedup_id", 255, (d) => d.dedup_id],
		["deploy_number", 255, (d) => d.deploy_number],
		["status", 255, (d) => d.status_raw],
		["deployer.id", 255, (d) => d.deployer.id],
		["deployer.email", 255, (d) => d.deployer.email],
		["deployer.name", 255, (d) => d.deployer.name],
		["commit.sha", 255, (d) => d.commit.sha],
		["commit.message", 65_536, (d) => d.commit.message],
		["commit.branch", 255, (d) => d.commit.branch],
		["commit.committer_name", 255, (d) => d.commit.committer_name],
		["commit.committer_email", 255, (d) => d.commit.committer_email],
		["commit.author_name", 255, (d) => d.commit.author_name],
		["commit.author_email", 255, (d) => d.commit.author_email],
	];

	it.each(fields)("keeps %s of exactly %i characters", async (field, max, shown) => {
		const alias = unique("svc");
		// Emoji: the limit counts characters, and each is two UTF-16 units.
		const value = field === "service" ? `${alias}${"🎉".repeat(max - alias.length)}` : "🎉".repeat(max);

		const res = await postDeploy(integration.webhook_url, payloadWith(alias, field, value));

		expect(res.status).toBe(202);
		const [deploy] = await deploysOf(field === "service" ? value : alias);
		expect(shown(deploy)).toBe(value);
	});

	it.each(fields)("refuses %s over %i characters, naming it", async (field, max) => {
		const alias = unique("svc");
		const value = field === "service" ? `${alias}${"x".repeat(max + 1 - alias.length)}` : "x".repeat(max + 1);
		const title = `${field.charAt(0).toUpperCase()}${field.slice(1).replace(/[._]/g, " ")} Error`;

		const res = await postDeploy(integration.webhook_url, payloadWith(alias, field, value));

		expect(res).toEqual({
			status: 400,
			body: { errors: [{ status: 400, title, detail: `param is longer than ${max} characters: ${field}` }] },
		});
		expect(await deploysOf(alias)).toEqual([]);
	});

	// The fuzz's minimal counterexample: half an emoji at the cut was stored as three U+FFFD.
	it("keeps ?agent= to 255 characters without splitting one", async () => {
		const alias = unique("svc");
		const agent = "🎉".repeat(256);

		const res = await postRaw(
			integration,
			JSON.stringify(examplePayload({ service: alias })),
			`?agent=${encodeURIComponent(agent)}`,
		);

		expect(res.status).toBe(202);
		expect((await deploysOf(alias))[0].agent).toBe("🎉".repeat(255));
	});
});

describe("unknown fields", () => {
	const integration = integrationBeforeAll("limits: unknown fields");

	/** The ledger's record of the deploy with `dedupId`, as stored. */
	async function ledgerEntry(dedupId: string): Promise<string | undefined> {
		return runInDurableObject(
			ledgerOf(integration),
			(_, state) =>
				state.storage.sql
					.exec<{ entry: string }>("SELECT entry FROM entries WHERE dedup_id = ?", dedupId)
					.toArray()
					.at(0)?.entry,
		);
	}

	it.each([
		["a 500 KB string", JSON.stringify("x".repeat(500_000))],
		["30,000 keys", JSON.stringify(Object.fromEntries(Array.from({ length: 30_000 }, (_, i) => [`k${i}`, i])))],
		["120,000 empty arrays", `[${Array(120_000).fill("[]").join(",")}]`],
	])("accepts %s in an unknown field and keeps none of it", async (_, extra) => {
		const alias = unique("svc");
		const payload = examplePayload({ service: alias });
		const body = JSON.stringify(payload).replace(/}$/, `,"extra":${extra}}`);

		const res = await postRaw(integration, body);

		expect(res.status).toBe(202);
		const entry = await ledgerEntry(payload.dedup_id as string);
		expect(entry).toBeDefined();
		expect(entry).not.toContain("extra");
		expect(entry?.length).toBeLessThan(4_000);
		expect(await deploysOf(alias)).toHaveLength(1);
	});
});

describe("strings that have no UTF-8", () => {
	const integration = integrationBeforeAll("limits: lone surrogates");

	// The fuzz's minimal counterexample: service "\ud800" was echoed as sent, and stored as three U+FFFD.
	it("reads a lone surrogate as U+FFFD, so what is stored reads back as what was answered", async () => {
		const alias = unique("svc");

		const res = await postRaw(integration, JSON.stringify(examplePayload({ service: `${alias}\ud800` })));

		// Checked first: a failure report quoting a lone surrogate could not leave workerd (it travels as UTF-8).
		expect(res.body.message.isWellFormed()).toBe(true);
		expect(res.body.message).toBe(
			`No service found matching alias '${alias}\ufffd'. Recording '${alias}\ufffd' as a suggestion.`,
		);
		expect((await deploysOf(`${alias}\ufffd`)).map((d) => d.service_alias)).toEqual([`${alias}\ufffd`]);
	});

	it("keeps surrogate pairs, escaped or not", async () => {
		const alias = unique("svc");
		const body = JSON.stringify(examplePayload({ service: alias, description: "🎉" })).replace(
			'"🎉"',
			'"\\ud83c\\udf89 🎉"',
		);

		expect((await postRaw(integration, body)).status).toBe(202);

		expect((await deploysOf(alias))[0].description).toBe("🎉 🎉");
	});
});

describe("date-times at either end of the years", () => {
	const integration = integrationBeforeAll("limits: years");

	it.each([
		["9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"],
		["9999-12-31T23:00:00+01:00", "9999-12-31T22:00:00.000Z"],
		["0000-01-01T00:00:00Z", "0000-01-01T00:00:00.000Z"],
		["0000-01-01T00:00:00-01:00", "0000-01-01T01:00:00.000Z"],
	])("accepts %s, shown as %s", async (deployed_at, shown) => {
		const alias = unique("svc");

		expect((await postDeploy(integration.webhook_url, examplePayload({ service: alias, deployed_at }))).status).toBe(
			202,
		);

		expect((await deploysOf(alias))[0].deployed_at).toBe(shown);
	});

	// The fuzz's minimal counterexample: it was stored, and shown as +010000-01-01T00:00:00.000Z.
	it.each([
		["deployed_at", "9999-12-31T22:00-0200", "Deployed at Error"],
		["deployed_at", "0000-01-01T00:30:00+01:00", "Deployed at Error"],
		["commit.date", "9999-12-31 23:59:59 -0001", "Commit date Error"],
		["commit.authoring_date", "0000-01-01T00:00:00.000+00:01", "Commit authoring date Error"],
	])("refuses %s %s, past the years 0000–9999 in UTC", async (field, value, title) => {
		const alias = unique("svc");

		const res = await postDeploy(integration.webhook_url, payloadWith(alias, field, value));

		expect(res).toEqual({
			status: 400,
			body: {
				errors: [{ status: 400, title, detail: `param must fall within the years 0000 to 9999 in UTC: ${field}` }],
			},
		});
		expect(await deploysOf(alias)).toEqual([]);
	});
});
