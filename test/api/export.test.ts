import { beforeAll, describe, expect, it } from "vitest";
import {
	ADMIN,
	acceptedDeploy,
	api,
	call,
	type DeploysPage,
	examplePayload,
	expectError,
	integrationBeforeAll,
	parseResponse,
	postDeploy,
	unique,
	utf8Body,
} from "../helpers";

const integration = integrationBeforeAll("export tests");

/** The CSV header, pinned: src/deploys/export.ts CSV_COLUMNS. */
const CSV_COLUMNS = [
	"id",
	"integration_id",
	"service_id",
	"service_name",
	"service_alias",
	"environment",
	"description",
	"deployed_at",
	"deploy_number",
	"deploy_url",
	"dedup_id",
	"status",
	"status_raw",
	"agent",
	"deployer_id",
	"deployer_email",
	"deployer_name",
	"deployer_person_id",
	"commit_sha",
	"commit_message",
	"commit_branch",
	"commit_date",
	"commit_committer_name",
	"commit_committer_email",
	"commit_author_name",
	"commit_author_email",
	"commit_authoring_date",
	"received_at",
];
const HEADER = `${CSV_COLUMNS.join(",")}\r\n`;

/** Sends a deploy through the webhook, insisting it was accepted; answers its dedup_id. */
async function deploy(overrides: Record<string, unknown>): Promise<string> {
	return (await acceptedDeploy(integration.webhook_url, overrides)).dedupId;
}

/** GET /api/deploys/export with the given query parameters. */
function exportDeploys(params: Record<string, string> = {}, headers: Record<string, string> = ADMIN) {
	return call(`/api/deploys/export?${new URLSearchParams(params)}`, { headers });
}

/** The export's body, insisting on a 200. */
async function exported(params: Record<string, string>): Promise<string> {
	const res = await exportDeploys(params);
	expect(res.status).toBe(200);
	return utf8Body(res);
}

/** An NDJSON export's objects, one per line; every line must end in \n. */
async function ndjson(params: Record<string, string>): Promise<any[]> {
	const text = await exported({ ...params, format: "ndjson" });
	if (text === "") return [];
	expect(text.endsWith("\n")).toBe(true);
	return text
		.slice(0, -1)
		.split("\n")
		.map((line) => JSON.parse(line));
}

/** RFC 4180: records of fields, quoted fields may hold commas, `""` and line breaks. Strict about stray quotes. */
function parseCsv(text: string): string[][] {
	const records: string[][] = [];
	let record: string[] = [];
	let field = "";
	let i = 0;
	while (i < text.length) {
		if (field === "" && text[i] === '"') {
			i++;
			for (;;) {
				if (i >= text.length) throw new Error("unterminated quoted field");
				if (text[i] === '"') {
					if (text[i + 1] === '"') {
						field += '"';
						i += 2;
						continue;
					}
					i++;
					break;
				}
				field += text[i++];
			}
			if (i < text.length && text[i] !== "," && text[i] !== "\r") throw new Error(`text after a quoted field at ${i}`);
			continue;
		}
		const c = text[i];
		if (c === ",") {
			record.push(field);
			field = "";
			i++;
		} else if (c === "\r") {
			if (text[i + 1] !== "\n") throw new Error(`bare CR at ${i}`);
			record.push(field);
			records.push(record);
			record = [];
			field = "";
			i += 2;
		} else {
			if (c === '"' || c === "\n") throw new Error(`unquoted ${JSON.stringify(c)} at ${i}`);
			field += c;
			i++;
		}
	}
	if (field !== "" || record.length > 0) throw new Error("last record not terminated by CRLF");
	return records;
}

/** A CSV export's data rows as objects keyed by column, after checking the header. */
async function csv(params: Record<string, string>): Promise<Record<string, string>[]> {
	const [header, ...rows] = parseCsv(await exported({ ...params, format: "csv" }));
	expect(header).toEqual(CSV_COLUMNS);
	for (const row of rows) expect(row).toHaveLength(CSV_COLUMNS.length);
	return rows.map((row) => Object.fromEntries(CSV_COLUMNS.map((column, i) => [column, row[i] ?? ""])));
}

/** Every deploy the list endpoint shows for `params`, all pages, newest first. */
async function listedAll(params: Record<string, string>): Promise<any[]> {
	const deploys: any[] = [];
	let page: DeploysPage | undefined;
	do {
		page = await api.listDeploys({ ...params, limit: 200, ...(page?.next_cursor ? { cursor: page.next_cursor } : {}) });
		deploys.push(...page.deploys);
	} while (page.next_cursor !== null);
	return deploys;
}

describe("GET /api/deploys/export: the response", () => {
	it("is NDJSON by default, as an attachment", async () => {
		const res = await exportDeploys({ service: unique("nothing") });
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Type")).toBe("application/x-ndjson; charset=utf-8");
		expect(res.headers.get("Content-Disposition")).toBe('attachment; filename="deploys.ndjson"');
		expect(await utf8Body(res)).toBe("");
	});

	it("is NDJSON for format=ndjson", async () => {
		const res = await exportDeploys({ format: "ndjson", service: unique("nothing") });
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Type")).toBe("application/x-ndjson; charset=utf-8");
		expect(res.headers.get("Content-Disposition")).toBe('attachment; filename="deploys.ndjson"');
	});

	it("is CSV for format=csv: only the header when nothing matches", async () => {
		const res = await exportDeploys({ format: "csv", service: unique("nothing") });
		expect(res.status).toBe(200);
		expect(res.headers.get("Content-Type")).toBe("text/csv; charset=utf-8");
		expect(res.headers.get("Content-Disposition")).toBe('attachment; filename="deploys.csv"');
		expect(await res.text()).toBe(HEADER);
	});

	it.each(["xml", "json", "CSV", "ndjson,csv"])("answers 400 Format Error for format=%s", async (format) => {
		expectError(await parseResponse(await exportDeploys({ format })), 400, "Format Error");
	});

	it.each([
		["an unknown status", { status: "bogus" }, "Status Error"],
		["a bad from", { from: "yesterday" }, "From Error"],
		["a bad to", { to: "tomorrow" }, "To Error"],
		["from not before to", { from: "2024-01-02T00:00:00Z", to: "2024-01-01T00:00:00Z" }, "From Error"],
		["a q over 255 characters", { q: "x".repeat(256) }, "Q Error"],
	])("answers 400 for %s, like the list", async (_, params, title) => {
		for (const format of ["ndjson", "csv"]) {
			expectError(await parseResponse(await exportDeploys({ ...params, format })), 400, title);
		}
	});

	it("requires the admin token", async () => {
		for (const headers of [{}, { Authorization: "Bearer wrong-token" }] as Record<string, string>[]) {
			const res = await exportDeploys({ format: "csv" }, headers);
			expect(res.status).toBe(401);
			expectError(await parseResponse(res), 401);
		}
	});
});

describe("GET /api/deploys/export?format=ndjson", () => {
	it("answers one line per deploy, the objects the list endpoint shows, newest first", async () => {
		const alias = unique("nd");
		await api.createService(unique("Nd"), [alias]);
		for (const at of ["2024-02-02T00:00:00Z", "2024-02-03T00:00:00Z", "2024-02-01T00:00:00Z"]) {
			await deploy({ service: alias, deployed_at: at, status: "Succeeded" });
		}
		await deploy({ service: alias, deployed_at: "2024-02-02T00:00:00Z", commit: undefined, deployer: { name: "Bob" } });
		const lines = await ndjson({ service: alias });
		expect(lines).toHaveLength(4);
		expect(lines).toEqual(await listedAll({ service: alias }));
		expect(lines.map((d) => d.deployed_at)).toEqual([
			"2024-02-03T00:00:00.000Z",
			"2024-02-02T00:00:00.000Z",
			"2024-02-02T00:00:00.000Z",
			"2024-02-01T00:00:00.000Z",
		]);
	});

	it("takes the list's filters", async () => {
		const alias = unique("nd-filters");
		const word = `needle-${crypto.randomUUID()}`;
		const hit = await deploy({ service: alias, status: "failed", description: `deploy ${word}` });
		await deploy({ service: alias, status: "success", description: `deploy ${word}` });
		await deploy({ service: alias, status: "failed", description: "deploy" });
		await deploy({
			service: alias,
			status: "failed",
			description: `deploy ${word}`,
			deployed_at: "2030-01-01T00:00:00Z",
		});
		const params = { service: alias, status: "failure", q: word.toUpperCase(), to: "2029-01-01T00:00:00Z" };
		const lines = await ndjson(params);
		expect(lines.map((d) => d.dedup_id)).toEqual([hit]);
		expect(lines).toEqual(await listedAll(params));
	});

	it("keeps a line break inside a field on its line", async () => {
		const alias = unique("nd-newline");
		await deploy({ service: alias, commit: { message: "subject\n\nbody line\r\nlast" } });
		const lines = await ndjson({ service: alias });
		expect(lines).toHaveLength(1);
		expect(lines[0].commit.message).toBe("subject\n\nbody line\r\nlast");
	});
});

describe("GET /api/deploys/export?format=csv", () => {
	it("flattens each deploy into the columns, newest first", async () => {
		const alias = unique("csv");
		const service = await api.createService(unique("Csv"), [alias]);
		await deploy({ service: alias, deployed_at: "2024-03-01T00:00:00Z", deploy_url: "https://ci.example.com/9" });
		await deploy({ service: alias, deployed_at: "2024-03-02T00:00:00Z", status: "In Progress" });
		const rows = await csv({ service: alias });
		const listed = await listedAll({ service: alias });
		expect(rows.map((r) => r.id)).toEqual(listed.map((d) => d.id));
		const [newest, oldest] = listed;
		expect(rows[0]).toEqual({
			id: newest.id,
			integration_id: integration.id,
			service_id: service.id,
			service_name: service.name,
			service_alias: alias,
			environment: "Production",
			description: "Deployed by CI Pipeline: Deploy #234",
			deployed_at: "2024-03-02T00:00:00.000Z",
			deploy_number: "234",
			deploy_url: "",
			dedup_id: newest.dedup_id,
			status: "running",
			status_raw: "In Progress",
			agent: "",
			deployer_id: "1a9f841f-9a3d-4423-a05a-7e9c31a02b16",
			deployer_email: "michael@example.com",
			deployer_name: "Michael Scott",
			deployer_person_id: newest.deployer.person_id,
			commit_sha: "38d02f1d7aab64678a7ad3eeb2ad2887ce7253f5",
			commit_message: "Merge branch 'fix-tax-rate' into 'master'",
			commit_branch: "master",
			commit_date: "2019-02-01T09:23:43.000Z",
			commit_committer_name: "Michael Scott",
			commit_committer_email: "michael@example.com",
			commit_author_name: "Michael Scott",
			commit_author_email: "michael@example.com",
			commit_authoring_date: "2019-02-01T09:23:43.000Z",
			received_at: newest.received_at,
		});
		expect(rows[1]).toMatchObject({ id: oldest.id, deploy_url: "https://ci.example.com/9", status: "no_status" });
	});

	it("leaves the service and commit columns empty for an unclaimed deploy without commit", async () => {
		const alias = unique("csv-bare");
		await deploy({ service: alias, commit: undefined, environment: undefined, deployer: { name: "Stanley" } });
		const [row] = await csv({ service: alias });
		expect(row).toMatchObject({
			service_id: "",
			service_name: "",
			service_alias: alias,
			environment: "",
			deployer_email: "",
			deployer_name: "Stanley",
			deployer_person_id: "",
			commit_sha: "",
			commit_message: "",
			commit_date: "",
		});
	});

	it("quotes commas, quotes and line breaks (RFC 4180)", async () => {
		const alias = unique("csv-quoting");
		const message = 'fix: "tax", rounding\nsecond line\r\nthird, and "last"';
		await deploy({ service: alias, description: "a, b", commit: { message, branch: 'say "hi"' } });
		const text = await exported({ service: alias, format: "csv" });
		expect(text).toContain(',"a, b",');
		expect(text).toContain(`,"fix: ""tax"", rounding\nsecond line\r\nthird, and ""last""",`);
		expect(text).toContain(',"say ""hi""",');
		const [row] = await csv({ service: alias });
		expect(row).toMatchObject({ description: "a, b", commit_message: message, commit_branch: 'say "hi"' });
	});

	it("quotes a field whose only special character is a line feed", async () => {
		const alias = unique("csv-lf");
		await deploy({ service: alias, description: "line one\nline two" });
		const text = await exported({ service: alias, format: "csv" });
		expect(text).toContain(',"line one\nline two",');
		const [row] = await csv({ service: alias });
		expect(row?.description).toBe("line one\nline two");
	});

	it.each([['=HYPERLINK("http://evil.example","click")'], ["=1+1"], ["+1"], ["-2"], ["@x"], ["\tindented"]])(
		"defuses a formula-looking description %j with a leading '",
		async (description) => {
			const alias = unique("csv-formula");
			await deploy({ service: alias, description, commit: { message: description } });
			const [row] = await csv({ service: alias });
			expect(row?.description).toBe(`'${description}`);
			expect(row?.commit_message).toBe(`'${description}`);
			// The NDJSON export and the list keep the text as sent.
			expect((await ndjson({ service: alias }))[0].description).toBe(description);
		},
	);

	it("leaves text that merely contains = + - @ alone", async () => {
		const alias = unique("csv-harmless");
		await deploy({ service: alias, description: "a=b +1 -2 @x" });
		const [row] = await csv({ service: alias });
		expect(row?.description).toBe("a=b +1 -2 @x");
	});

	it("takes the list's filters", async () => {
		const alias = unique("csv-filters");
		const hit = await deploy({ service: alias, environment: "Staging", deployed_at: "2024-05-01T12:00:00Z" });
		await deploy({ service: alias, environment: "Production", deployed_at: "2024-05-01T12:00:00Z" });
		await deploy({ service: alias, environment: "Staging", deployed_at: "2024-05-02T00:00:00Z" });
		const rows = await csv({
			service: alias,
			environment: "Staging",
			from: "2024-05-01T00:00:00Z",
			to: "2024-05-02T00:00:00Z",
		});
		expect(rows.map((r) => r.dedup_id)).toEqual([hit]);
	});
});

describe("GET /api/deploys/export across export pages", () => {
	// EXPORT_PAGE is 500: 520 deploys need two pages. Three share each deployed_at, so a tie straddles the
	// boundary (the 500th newest is bulk-20, tied with bulk-18 and bulk-19).
	const COUNT = 520;
	const alias = unique("bulk");
	const sent = new Set<string>();

	beforeAll(async () => {
		const base = Date.parse("2024-06-01T00:00:00Z");
		for (let start = 0; start < COUNT; start += 50) {
			const chunk = Array.from({ length: Math.min(50, COUNT - start) }, (_, k) => start + k);
			await Promise.all(
				chunk.map(async (i) => {
					const dedup_id = `bulk-${i}`;
					sent.add(dedup_id);
					const deployed_at = new Date(base + Math.floor(i / 3) * 60_000).toISOString();
					// The oldest 500 are Production: exactly one export page.
					const environment = i < 500 ? "Production" : "Staging";
					const res = await postDeploy(
						integration.webhook_url,
						examplePayload({ service: alias, dedup_id, deployed_at, environment, description: `bulk ${i}` }),
					);
					if (res.status !== 202) throw new Error(`deploy ${i} answered ${res.status}`);
				}),
			);
		}
	}, 120_000);

	it("streams every deploy of an NDJSON export once, in the list's order", async () => {
		const lines = await ndjson({ service: alias });
		expect(lines).toHaveLength(COUNT);
		expect(new Set(lines.map((d) => d.id)).size).toBe(COUNT);
		expect(new Set(lines.map((d) => d.dedup_id))).toEqual(sent);
		expect(lines).toEqual(await listedAll({ service: alias }));
	}, 60_000);

	it("streams every deploy of a CSV export once, in the list's order", async () => {
		const rows = await csv({ service: alias });
		expect(rows).toHaveLength(COUNT);
		expect(new Set(rows.map((r) => r.dedup_id))).toEqual(sent);
		expect(rows.map((r) => r.id)).toEqual((await listedAll({ service: alias })).map((d) => d.id));
	}, 60_000);

	it("orders newest deployed_at first, ties by arrival, across the page boundary", async () => {
		const lines = await ndjson({ service: alias });
		for (let i = 1; i < lines.length; i++) {
			const [prev, next] = [lines[i - 1], lines[i]];
			const order = prev.deployed_at === next.deployed_at ? prev.id > next.id : prev.deployed_at > next.deployed_at;
			expect(order, `line ${i}`).toBe(true);
		}
	}, 60_000);

	it("exports exactly one full page (500) completely, and a following short page", async () => {
		const production = await ndjson({ service: alias, environment: "Production" });
		expect(production).toHaveLength(500);
		expect(new Set(production.map((d) => d.dedup_id))).toEqual(
			new Set(Array.from({ length: 500 }, (_, i) => `bulk-${i}`)),
		);
		const staging = await csv({ service: alias, environment: "Staging" });
		expect(staging.map((r) => r.dedup_id).sort()).toEqual(
			Array.from({ length: COUNT - 500 }, (_, i) => `bulk-${500 + i}`).sort(),
		);
	}, 60_000);
});
