import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { parseCostHeader } from "../../src/cost/meter";
import { database } from "../../src/db/client";
import { countDeploysStatement } from "../../src/db/deploys";
import { ADMIN, acceptedDeploy, admin, api, call, type Integration, integrationBeforeAll, unique } from "../helpers";
import { browse, escaped, page, signIn, unescaped, view } from "./helpers";

const integration = integrationBeforeAll("ui deploys tests");

const deploy = (overrides: Record<string, unknown>, to: Integration = integration) =>
	acceptedDeploy(to.webhook_url, overrides);

/** The ids of the deploys a list page shows, top to bottom. */
const shown = (html: string) => [...html.matchAll(/<a href="\/deploys\/([^"?/]+)">/g)].map((m) => m[1] as string);

/** The ids the API lists for `params`, newest first. */
const idsFromApi = async (params: Record<string, string>) =>
	(await api.listDeploys({ ...params, limit: 200 })).deploys.map((d) => d.id as string);

/** A link's target, found by its text. */
function linkTo(html: string, text: string): string | undefined {
	const match = new RegExp(`<a href="([^"]*)">${text}</a>`).exec(html);
	return match?.[1] && unescaped(match[1]);
}

/** The list page for these filters, insisting on a 200. */
async function listPage(params: Record<string, string>) {
	const res = await view(`/deploys?${new URLSearchParams(params)}`);
	expect(res.status).toBe(200);
	return res.html;
}

describe("GET /deploys", () => {
	it("lists deploys newest first, with a GET filter form", async () => {
		const environment = unique("env");
		await deploy({ environment, deployed_at: "2030-01-01T10:00:00Z" });
		await deploy({ environment, deployed_at: "2030-01-02T10:00:00Z" });
		const html = await listPage({ environment });
		expect(shown(html)).toEqual(await idsFromApi({ environment }));
		expect(shown(html)).toHaveLength(2);
		expect(html).toMatch(/<form method="get" action="\/deploys" class="filters">/);
		for (const field of ["service", "environment", "deployer", "status", "from", "to"]) {
			expect(html).toContain(`name="${field}"`);
		}
		expect(html).toContain('type="date"');
	});

	it("filters by service, chosen by id, and marks it selected", async () => {
		const alias = unique("svc");
		const service = await api.createService(unique("Service"), [alias]);
		await deploy({ service: alias });
		await deploy({ service: alias });
		await deploy({ service: unique("other") });
		const html = await listPage({ service: service.id });
		expect(shown(html)).toHaveLength(2);
		expect(shown(html)).toEqual(await idsFromApi({ service: service.id }));
		expect(html).toContain(`<option value="${service.id}" selected="">${escaped(service.name)}</option>`);
	});

	it("filters by environment", async () => {
		const [environment, other] = [unique("env"), unique("env")];
		await deploy({ environment });
		await deploy({ environment: other });
		const html = await listPage({ environment });
		expect(shown(html)).toEqual(await idsFromApi({ environment }));
		expect(shown(html)).toHaveLength(1);
		expect(html).toContain(`value="${environment}"`);
	});

	it("filters by deployer e-mail, whatever its letter case", async () => {
		const environment = unique("env");
		const email = `${unique("dev")}@example.com`;
		await deploy({ environment, deployer: { email } });
		await deploy({ environment, deployer: { email: "someone-else@example.com" } });
		const html = await listPage({ environment, deployer: email.toUpperCase() });
		expect(shown(html)).toEqual(await idsFromApi({ environment, deployer: email }));
		expect(shown(html)).toHaveLength(1);
	});

	it("filters by status", async () => {
		const environment = unique("env");
		await deploy({ environment, status: "failed" });
		await deploy({ environment, status: "success" });
		await deploy({ environment });
		const html = await listPage({ environment, status: "failure" });
		expect(shown(html)).toEqual(await idsFromApi({ environment, status: "failure" }));
		expect(shown(html)).toHaveLength(1);
		expect(html).toContain('<option value="failure" selected="">');
	});

	it("filters by days: from its first instant, to the end of the `to` day (UTC)", async () => {
		const environment = unique("env");
		const times = [
			"2030-03-01T23:59:59.999Z",
			"2030-03-02T00:00:00Z",
			"2030-03-03T23:59:59.999Z",
			"2030-03-04T00:00:00Z",
		];
		for (const deployed_at of times) await deploy({ environment, deployed_at });
		const within = await idsFromApi({ environment, from: "2030-03-02T00:00:00Z", to: "2030-03-04T00:00:00Z" });
		expect(within).toHaveLength(2);
		expect(shown(await listPage({ environment, from: "2030-03-02", to: "2030-03-03" }))).toEqual(within);
		expect(shown(await listPage({ environment, from: "2030-03-03", to: "2030-03-03" }))).toHaveLength(1);
		expect(shown(await listPage({ environment, to: "2030-03-01" }))).toHaveLength(1);
		expect(shown(await listPage({ environment, from: "2030-03-04" }))).toHaveLength(1);
	});

	it("filters by integration, which the form carries along hidden", async () => {
		const environment = unique("env");
		const other = await api.createIntegration(unique("other CI"));
		await deploy({ environment });
		await deploy({ environment }, other);
		const html = await listPage({ environment, integration: other.id });
		expect(shown(html)).toEqual(await idsFromApi({ environment, integration: other.id }));
		expect(shown(html)).toHaveLength(1);
		expect(html).toContain(`<input type="hidden" name="integration" value="${other.id}"/>`);
	});

	it("says when filters match nothing, with a way to clear them", async () => {
		const html = await listPage({ environment: unique("nowhere") });
		expect(shown(html)).toEqual([]);
		expect(html).toContain("No deploys match these filters");
		expect(linkTo(html, "Clear the filters")).toBe("/deploys");
		expect(html).not.toContain("No deploys yet");
	});

	it("pages through more than 50 deploys, each shown exactly once, the filters kept", async () => {
		const environment = unique("paged");
		// Some share a deployed_at, so the order must fall back to the id.
		const at = (i: number) => `2031-01-01T00:${String(Math.floor(i / 3) % 60).padStart(2, "0")}:00Z`;
		for (let batch = 0; batch < 12; batch++) {
			await Promise.all(Array.from({ length: 10 }, (_, i) => deploy({ environment, deployed_at: at(batch * 10 + i) })));
		}
		const expected = await idsFromApi({ environment });
		expect(expected).toHaveLength(120);

		const pages: string[][] = [];
		let next: string | undefined = `/deploys?${new URLSearchParams({ environment })}`;
		while (next && pages.length < 10) {
			const res = await view(next);
			expect(res.status).toBe(200);
			pages.push(shown(res.html));
			if (pages.length > 1) expect(linkTo(res.html, "« Newest")).toBe(`/deploys?environment=${environment}`);
			else expect(linkTo(res.html, "« Newest")).toBeUndefined();
			next = linkTo(res.html, "Older »");
			if (next) expect(new URL(next, "https://x").searchParams.get("environment")).toBe(environment);
		}
		expect(pages.map((p) => p.length)).toEqual([50, 50, 20]);
		expect(pages.flat()).toEqual(expected);
	});

	it("answers an invalid filter with a 400 page naming the field", async () => {
		for (const [params, field] of [
			[{ status: "bogus" }, "status"],
			[{ from: "2030-02-30" }, "from"],
			[{ to: "yesterday" }, "to"],
			[{ from: "2030-03-05", to: "2030-03-01" }, "from"],
			[{ cursor: "not-a-cursor" }, "cursor"],
		] as const) {
			const res = await view(`/deploys?${new URLSearchParams(params)}`);
			expect(res.status).toBe(400);
			expect(res.html).toContain("That request was not valid");
			expect(res.html).toMatch(new RegExp(`<li>[^<]*: ${field}</li>`));
		}
	});
});

describe("GET /deploys/:id", () => {
	/** The one deploy sent under a fresh alias, and its page. */
	async function deployed(overrides: Record<string, unknown> = {}) {
		const alias = (overrides.service as string | undefined) ?? unique("detail");
		await deploy({ service: alias, ...overrides });
		const [id] = await idsFromApi({ service: alias });
		const res = await view(`/deploys/${id}`);
		expect(res.status).toBe(200);
		return { id, html: res.html };
	}

	it("shows what was reported, with links to the integration and the service", async () => {
		const alias = unique("shown");
		const service = await api.createService(unique("Shown"), [alias]);
		const { html } = await deployed({ service: alias, deploy_url: "https://ci.example.com/builds/234" });
		expect(html).toContain(`<a href="/services/${service.id}">${escaped(service.name)}</a>`);
		expect(html).toContain(`<a href="/integrations/${integration.id}">ui deploys tests</a>`);
		expect(html).toContain('<a href="https://ci.example.com/builds/234">');
		for (const text of [
			"Production",
			"Deployed by CI Pipeline: Deploy #234",
			"Michael Scott",
			"michael@example.com",
			"1a9f841f-9a3d-4423-a05a-7e9c31a02b16",
			"38d02f1d7aab64678a7ad3eeb2ad2887ce7253f5",
			"master",
			"2019-02-01 13:28 UTC",
		]) {
			expect(html).toContain(text);
		}
		expect(html).toContain(
			`<pre>${escaped("Merge branch 'fix-tax-rate' into 'master'").replaceAll("'", "&#39;")}</pre>`,
		);
	});

	it("links an unmatched alias to the suggestions", async () => {
		const alias = unique("unmatched");
		const { html } = await deployed({ service: alias });
		expect(html).toContain(alias);
		expect(html).toContain('href="/suggestions"');
	});

	it("shows the status history in the order it happened", async () => {
		const alias = unique("history");
		const dedup_id = crypto.randomUUID();
		for (const status of ["Pending", "In Progress", "Succeeded"]) await deploy({ service: alias, dedup_id, status });
		const { html } = await deployed({ service: alias, dedup_id });
		const history = html.slice(html.indexOf("Status history"));
		expect([...history.matchAll(/class="badge (\w+)"/g)].map((m) => m[1])).toEqual(["queued", "running", "success"]);
		expect(history.indexOf("Pending")).toBeLessThan(history.indexOf("In Progress"));
		expect(history.indexOf("In Progress")).toBeLessThan(history.indexOf("Succeeded"));
	});

	it("escapes what pipelines send", async () => {
		const script = "<script>alert(1)</script>";
		const { html } = await deployed({
			description: script,
			commit: { message: script, branch: script },
			deployer: { name: script, email: "x@example.com" },
		});
		expect(html).not.toContain(script);
		expect(html).toContain(escaped(script));
	});

	it("does not link a deploy_url that is not http(s)", async () => {
		const { html } = await deployed({ deploy_url: "javascript:alert(1)" });
		expect(html).not.toMatch(/href="\s*javascript:/i);
		expect(html).toContain("javascript:alert(1)");
	});

	it("answers an unknown id with a 404 page", async () => {
		const res = await view("/deploys/no-such-deploy");
		expect(res.status).toBe(404);
		expect(res.html).toContain("Not found");
		expect(res.html).toContain("no deploy with id");
	});
});

/** The line above the list, as text: the count, and what links it offers. */
function summary(html: string) {
	const line = /<p class="list-summary">(.*?)<\/p>/s.exec(html)?.[1] ?? "";
	return {
		text: line.replace(/<[^>]+>/g, ""),
		links: [...line.matchAll(/<a href="([^"]*)"[^>]*>([^<]*)<\/a>/g)].map((m) => [m[2], unescaped(m[1] ?? "")]),
	};
}

/** The list's rows as number and description, top to bottom. */
const rowsOf = (html: string) =>
	[
		...html.matchAll(
			/<td[^>]* class="mono">([^<]*)(?:<span[^>]*>\*<\/span>)?<\/td><td[^>]* class="description" title="[^"]*">([^<]*)<\/td>/g,
		),
	].map((m) => ({ number: m[1], description: m[2] }));

/** `count` deploys of one alias in `environment`, written straight to D1: enough to pass the count's cap quickly. */
async function seedDeploys(environment: string, count: number) {
	await env.DB.prepare(
		`WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
		 INSERT INTO deploys (id, integration_id, service_alias, alias_key, environment, environment_key, description,
			deployed_at, deploy_number, status, received_at, search_text)
		 SELECT lower(hex(randomblob(16))), ?2, 'seeded', 'seeded', ?3, lower(?3), 'seeded', 1700000000000 + i,
			CAST(i AS TEXT), 'success', 1700000000000, 'seeded'
		 FROM n`,
	)
		.bind(count, integration.id, environment)
		.run();
}

describe("GET /deploys: descriptions, the count, clearing filters and the CSV", () => {
	it("shows each deploy's description, as its first line", async () => {
		const environment = unique("described");
		await deploy({ environment, deploy_number: "7", description: "Ship the cart\nwith details below" });
		await deploy({ environment, deploy_number: "8", description: "Fix <tax> rounding" });
		expect(rowsOf(await listPage({ environment }))).toEqual([
			{ number: "8", description: escaped("Fix <tax> rounding") },
			{ number: "7", description: "Ship the cart" },
		]);
	});

	it("counts what the filters select, offers to clear them and the same selection as CSV", async () => {
		const environment = unique("counted");
		await deploy({ environment, status: "success" });
		await deploy({ environment, status: "success" });
		await deploy({ environment, status: "failure" });
		expect(summary(await listPage({ environment, status: "success" }))).toEqual({
			text: "2 deploys match these filters · Clear filters · Download CSV",
			links: [
				["Clear filters", "/deploys"],
				["Download CSV", `/deploys/export.csv?environment=${environment}&status=success`],
			],
		});
		expect(summary(await listPage({})).links.map(([text]) => text)).toEqual(["Download CSV"]);
	});

	it("counts beyond the page, on every page, and up to 1,000 then says 1,000+", async () => {
		const [some, many] = [unique("some"), unique("many")];
		await seedDeploys(some, 120);
		await seedDeploys(many, 1_001);
		expect(summary(await listPage({ environment: some })).text).toMatch(/^120 deploys match these filters/);
		const older = linkTo(await listPage({ environment: some }), "Older »") ?? "";
		expect(summary((await view(older)).html).text).toMatch(/^120 deploys match/);
		expect(summary(await listPage({ environment: many })).text).toMatch(/^1,000\+ deploys match these filters/);
	});

	it("costs the same whether 1,001 or 3,000 deploys match: the count stops at its cap", async () => {
		const [capped, more] = [unique("capped"), unique("more")];
		await seedDeploys(capped, 1_001);
		await seedDeploys(more, 3_000);
		const cookie = await signIn();
		const costOf = async (environment: string) =>
			parseCostHeader((await page(cookie, `/deploys?environment=${environment}`)).headers.get("Cost") ?? "");
		expect(await costOf(more)).toEqual(await costOf(capped));
	});

	it("counts through the filter's index, reading no table rows", async () => {
		const plan = async (filter: Parameters<typeof countDeploysStatement>[1]) => {
			const { sql, params } = countDeploysStatement(database(env.DB), filter, 1_000).toSQL();
			const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
				.bind(...params)
				.all<{ detail: string }>();
			return results.map((r) => r.detail).filter((d) => /deploys/.test(d));
		};
		expect(await plan({})).toEqual(["SCAN deploys USING COVERING INDEX sqlite_autoindex_deploys_1"]);
		expect(await plan({ environment: "Production" })).toEqual([
			"SEARCH deploys USING COVERING INDEX deploys_environment_deployed_at_idx (environment_key=?)",
		]);
		expect(await plan({ serviceId: "s", from: 1, to: 2 })).toEqual([
			"SEARCH deploys USING COVERING INDEX deploys_service_deployed_at_idx (service_id=? AND deployed_at>? AND deployed_at<?)",
		]);
	});
});

describe("GET /deploys/export.csv", () => {
	const csvPath = (params: Record<string, string>) => `/deploys/export.csv?${new URLSearchParams(params)}`;

	it("sends a signed-out browser to sign in, and back", async () => {
		const res = await browse(csvPath({ environment: "x" }));
		expect({ status: res.status, location: res.headers.get("Location") }).toEqual({
			status: 303,
			location: `/login?next=${encodeURIComponent("/deploys/export.csv?environment=x")}`,
		});
	});

	it("is the API's CSV export with the list's filters, days as the form sends them", async () => {
		const environment = unique("csv");
		await deploy({ environment, deployed_at: "2030-04-01T23:59:59Z", description: "=1+1" });
		await deploy({ environment, deployed_at: "2030-04-02T12:00:00Z", description: "@x" });
		await deploy({ environment, deployed_at: "2030-04-03T00:00:00Z", description: "outside" });
		const res = await page(await signIn(), csvPath({ environment, from: "2030-04-01", to: "2030-04-02" }));
		const api = await call(
			`/api/deploys/export?${new URLSearchParams({ environment, format: "csv", from: "2030-04-01T00:00:00Z", to: "2030-04-03T00:00:00Z" })}`,
			{ headers: ADMIN },
		);
		const text = await res.text();
		expect({
			status: res.status,
			type: res.headers.get("Content-Type"),
			disposition: res.headers.get("Content-Disposition"),
		}).toEqual({ status: 200, type: "text/csv; charset=utf-8", disposition: 'attachment; filename="deploys.csv"' });
		expect(text).toBe(await api.text());
		// Formula-looking descriptions are defused as the API's export does.
		expect(
			text
				.split("\r\n")
				.slice(1, 3)
				.map((line) => line.split(",")[6]),
		).toEqual(["'@x", "'=1+1"]);
	});

	it("answers an invalid filter with a 400 page", async () => {
		const res = await view(csvPath({ status: "bogus" }));
		expect(res.status).toBe(400);
		expect(res.html).toMatch(/<li>[^<]*: status<\/li>/);
	});
});

describe("GET /deploys/:id, from a revoked integration", () => {
	/** The deploy page's facts, as term and text. */
	const facts = (html: string) =>
		Object.fromEntries(
			[...html.matchAll(/<dt>([^<]+)<\/dt><dd>([\s\S]*?)<\/dd>/g)].map((m) => [m[1], m[2]?.replace(/<[^>]+>/g, "")]),
		);

	it("names the integration and says it was revoked, with no link to the page it no longer has", async () => {
		const gone = await api.createIntegration(unique("Gone CI"));
		const alias = unique("revoked");
		await deploy({ service: alias }, gone);
		expect((await admin("DELETE", `/integrations/${gone.id}`)).status).toBe(204);
		const [id] = await idsFromApi({ service: alias });
		const { html } = await view(`/deploys/${id}`);
		expect(facts(html).Integration).toBe(`${gone.name} (revoked)`);
		expect(html).not.toContain(`href="/integrations/${gone.id}"`);
	});
});
