import { describe, expect, it } from "vitest";
import { parseCostHeader } from "../../src/cost/meter";
import {
	ADMIN,
	acceptedDeploy,
	api,
	call,
	examplePayload,
	expectError,
	integrationBeforeAll,
	parseResponse,
	unique,
	utf8Body,
} from "../helpers";
import { ledgerOf } from "../ledger/helpers";

const MAX_LINE_BYTES = 512 * 1024;
const IMPORT_MAX_BYTES = 10 * 1024 * 1024;

/** POST /api/deploys/import with `lines` (objects as JSON, strings as they are), one per line. */
async function importLines(
	lines: unknown[],
	query: Record<string, string> = {},
	headers: Record<string, string> = ADMIN,
) {
	const body = lines.map((line) => (typeof line === "string" ? line : JSON.stringify(line))).join("\n");
	return parseResponse(
		await call(`/api/deploys/import?${new URLSearchParams(query)}`, { method: "POST", headers, body }),
	);
}

/** The integration's deploys as its NDJSON export, parsed, oldest first. */
async function exported(integrationId: string): Promise<any[]> {
	const res = await call(`/api/deploys/export?integration=${integrationId}`, { headers: ADMIN });
	expect(res.status).toBe(200);
	const text = await utf8Body(res);
	return text
		.split("\n")
		.filter(Boolean)
		.map((line) => JSON.parse(line))
		.reverse();
}

/** A webhook body for `alias` with a fresh dedup_id and no deploy number. */
const webhookLine = (alias: string, overrides: Record<string, unknown> = {}) =>
	examplePayload({ service: alias, deploy_number: undefined, ...overrides });

describe("POST /api/deploys/import", () => {
	const source = integrationBeforeAll("import source");
	const target = integrationBeforeAll("import target");

	it("reports every line of a mixed file by number, and imports the good ones", async () => {
		const alias = unique("mixed");
		await acceptedDeploy(source.webhook_url, { service: alias, deploy_number: "7", status: "success" });
		await acceptedDeploy(source.webhook_url, { service: alias, deploy_number: "9", dedup_id: "" });
		// What moving to another tracker looks like: the export, its lines given the new integration's id.
		const [first, second] = (await exported(source.id)).filter((d) => d.service_alias === alias);
		const moved = (line: any) => ({ ...line, integration_id: target.id, received_at: "2020-01-01T00:00:00.000Z" });
		const res = await importLines([
			moved(first),
			"{not json",
			moved(second),
			"",
			{ ...moved(first), id: crypto.randomUUID(), integration_id: "no-such-integration", dedup_id: "x" },
			webhookLine(alias),
			`{"service":"${"x".repeat(MAX_LINE_BYTES)}"}`,
			{ ...moved(first), dedup_id: "other", deployed_at: "yesterday" },
		]);
		expect(res.status).toBe(200);
		expect(res.body).toEqual({
			counts: { accepted: 2, duplicate: 0, invalid: 5 },
			lines: [
				{ line: 1, result: "accepted" },
				{
					line: 2,
					result: "invalid",
					errors: [
						{ status: 400, title: "Body Error", detail: expect.stringMatching(/^request body is not valid JSON: /) },
					],
				},
				{ line: 3, result: "accepted" },
				{
					line: 5,
					result: "invalid",
					errors: [
						{
							status: 404,
							title: "Integration Error",
							detail: "no active integration has the id 'no-such-integration'; it may have been revoked",
						},
					],
				},
				{
					line: 6,
					result: "invalid",
					errors: [
						{
							status: 400,
							title: "Integration id Error",
							detail:
								"param is missing or the value is empty: integration_id (a webhook body's line needs ?integration_id=)",
						},
					],
				},
				{
					line: 7,
					result: "invalid",
					errors: [{ status: 413, title: "Body Error", detail: `line is larger than ${MAX_LINE_BYTES} bytes` }],
				},
				{
					line: 8,
					result: "invalid",
					errors: [
						{ status: 400, title: "Deployed at Error", detail: "param is not a valid ISO 8601 date-time: deployed_at" },
					],
				},
			],
			next_line: null,
		});
		// Kept as they were: number, times, status, alias, commit; the id is the new tracker's own.
		const kept = (d: any) => {
			const { id, integration_id, service, ...rest } = d;
			return rest;
		};
		const imported = (await exported(target.id)).filter((d) => d.service_alias === alias);
		expect(imported.map(kept)).toEqual([kept(moved(first)), kept(moved(second))]);
	});

	it("takes webhook bodies under ?integration_id=, keeps supplied numbers and numbers the rest after them", async () => {
		const alias = unique("webhook-lines");
		const noDedup = webhookLine(alias, { dedup_id: undefined, description: "no dedup_id" });
		const res = await importLines(
			[
				webhookLine(alias, { deploy_number: 41 }),
				webhookLine(alias, { deploy_number: "40" }),
				noDedup,
				// The same deploy again, fields in another order and padded: one deploy.
				{ ...Object.fromEntries(Object.entries(noDedup).reverse()), service: ` ${alias} ` },
				webhookLine(alias),
			],
			{ integration_id: target.id },
		);
		expect(res.body.lines.map((l: any) => l.result)).toEqual([
			"accepted",
			"accepted",
			"accepted",
			"duplicate",
			"accepted",
		]);
		const numbers = (await exported(target.id)).filter((d) => d.service_alias === alias).map((d) => d.deploy_number);
		expect(numbers).toEqual(["41", "40", "42", "43"]);
	});

	it("changes nothing when the same file is imported again: every line a duplicate", async () => {
		const alias = unique("again");
		const lines = [
			webhookLine(alias, { dedup_id: undefined }),
			webhookLine(alias, { deploy_number: "5", status: "failure" }),
			webhookLine(alias, { dedup_id: undefined, description: "another" }),
		];
		const query = { integration_id: target.id };
		expect((await importLines(lines, query)).body.counts).toEqual({ accepted: 3, duplicate: 0, invalid: 0 });
		const before = await exported(target.id);
		const again = await importLines(lines, query);
		expect(again.body).toEqual({
			counts: { accepted: 0, duplicate: 3, invalid: 0 },
			lines: [1, 2, 3].map((line) => ({ line, result: "duplicate" })),
			next_line: null,
		});
		expect(await exported(target.id)).toEqual(before);
	});

	it("takes an integration's own export back as duplicates, with or without dedup_ids", async () => {
		const alias = unique("round-trip");
		await acceptedDeploy(source.webhook_url, { service: alias });
		await acceptedDeploy(source.webhook_url, { service: alias, dedup_id: null });
		const before = await exported(source.id);
		const res = await importLines(before.filter((d) => d.service_alias === alias));
		expect(res.body.counts).toEqual({ accepted: 0, duplicate: 2, invalid: 0 });
		expect(await exported(source.id)).toEqual(before);
	});

	it("numbers imported and live webhook deploys of one alias without a gap or a repeat", async () => {
		const integration = await api.createIntegration(unique("race"));
		const alias = unique("race");
		const [imported] = await Promise.all([
			importLines(
				Array.from({ length: 40 }, () => webhookLine(alias)),
				{ integration_id: integration.id },
			),
			...Array.from({ length: 10 }, () =>
				acceptedDeploy(integration.webhook_url, { service: alias, deploy_number: "" }),
			),
		]);
		expect(imported.body.counts).toEqual({ accepted: 40, duplicate: 0, invalid: 0 });
		const numbers = (await exported(integration.id)).map((d) => Number(d.deploy_number)).sort((a, b) => a - b);
		expect(numbers).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
	});

	it("imports 1,000 lines in one request, every one delivered to D1", async () => {
		const integration = await api.createIntegration(unique("thousand"));
		const lines = Array.from({ length: 1000 }, (_, i) => webhookLine(`thousand-${i % 7}`));
		const res = await importLines(lines, { integration_id: integration.id });
		expect(res.body.counts).toEqual({ accepted: 1000, duplicate: 0, invalid: 0 });
		expect((await exported(integration.id)).length).toBe(1000);
	});

	it("finds each line's earlier import by an index seek, not a scan of the ledger", async () => {
		const integration = await api.createIntegration(unique("seeks"));
		const lines = Array.from({ length: 200 }, (_, i) =>
			i % 2
				? webhookLine("seeks")
				: {
						...webhookLine("seeks"),
						service_alias: "seeks",
						integration_id: integration.id,
						id: crypto.randomUUID(),
						dedup_id: null,
					},
		);
		const send = () =>
			call(`/api/deploys/import?integration_id=${integration.id}`, {
				method: "POST",
				headers: ADMIN,
				body: lines.map((line) => JSON.stringify(line)).join("\n"),
			});
		await (await send()).arrayBuffer();
		const again = await send();
		expect((await again.json<any>()).counts).toEqual({ accepted: 0, duplicate: 200, invalid: 0 });
		// Per line: the revoked check (no row) and the entry found; a scan would read all 200 entries per line.
		expect(parseCostHeader(again.headers.get("Cost") ?? "").doRowsRead).toBeLessThanOrEqual(2 * 2 * lines.length);
	});

	it("refuses revoked integrations line by line, and an unknown ?integration_id= as a whole", async () => {
		const integration = await api.createIntegration(unique("revoked"));
		const alias = unique("revoked");
		const line = {
			...webhookLine(alias),
			service_alias: alias,
			integration_id: integration.id,
			id: crypto.randomUUID(),
		};
		expect((await call(`/api/integrations/${integration.id}`, { method: "DELETE", headers: ADMIN })).status).toBe(204);
		const res = await importLines([line]);
		expect(res.body.lines).toEqual([
			{
				line: 1,
				result: "invalid",
				errors: [
					{
						status: 404,
						title: "Integration Error",
						detail: `no active integration has the id '${integration.id}'; it may have been revoked`,
					},
				],
			},
		]);
		expectError(await importLines([webhookLine("x")], { integration_id: integration.id }), 404, "Integration Error");
		// The ledger refuses too, should an import reach it after D1 said the integration was live.
		const deploy = {
			integrationId: integration.id,
			agent: null,
			payload: { service: alias, description: "d", deployed_at: 0, deployer: { name: "n" } },
			key: "k",
			receivedAt: null,
			sourceId: null,
		};
		expect((await ledgerOf(integration).import([deploy])).outcomes).toEqual(["revoked"]);
	});

	it("refuses a declared body over the request limit with a 413, before reading it", async () => {
		const res = await parseResponse(
			await call("/api/deploys/import", { method: "POST", headers: ADMIN, body: "\n".repeat(IMPORT_MAX_BYTES + 1) }),
		);
		expectError(res, 413, "Body Error");
	});

	it("stops reading at the line limit and says where to carry on", async () => {
		// Blank lines count as lines (numbers match the file's) but import nothing: a cheap way to reach the limit.
		const res = await importLines([..."\n".repeat(10_000).split("\n").slice(1), webhookLine("late")], {
			integration_id: target.id,
		});
		expect(res.body).toEqual({ counts: { accepted: 0, duplicate: 0, invalid: 0 }, lines: [], next_line: 10_001 });
	});

	it("is for admins: an editor's token is refused, and so is no token", async () => {
		const made = await call("/api/tokens", {
			method: "POST",
			headers: { ...ADMIN, "Content-Type": "application/json" },
			body: JSON.stringify({ name: unique("editor"), role: "editor" }),
		});
		const { secret } = await made.json<{ secret: string }>();
		expectError(await importLines([], {}, { Authorization: `Bearer ${secret}` }), 403, "Role Error");
		expect((await importLines([], {}, {})).status).toBe(401);
	});
});
